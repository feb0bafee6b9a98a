"""Which items a Transfer Group Settings selection leaves out, and why.

Pure functions of the settings, the item and the injected clock's "now", so every rule is
tested without a server. A full transfer still honours excluded folders and the maximum
item size (the Settings tab allows both); the date range and included folders are
selective only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from onboard_tui.mail.items import (
    MAIL,
    SKIP_DATE_RANGE,
    SKIP_EXCLUDED_FOLDER,
    SKIP_NOT_SELECTED,
    SKIP_TARGET_TYPE,
    SKIP_TOO_LARGE,
    FolderPath,
    ItemRef,
    folder_name,
    utc,
)
from onboard_tui.session.model import TransferSettings

MB = 1024 * 1024

#: Names that mean the same folder on different servers (Exchange, Dovecot, Domino...).
_ALIASES: dict[str, tuple[str, ...]] = {
    "deleted items": ("trash", "deleted messages", "deleted", "\\trash"),
    "junk": ("junk e-mail", "junk email", "spam", "\\junk"),
    "sent items": ("sent", "sent messages", "\\sent"),
    "drafts": ("draft", "\\drafts"),
}


def _names(folder: FolderPath, special_use: str) -> set[str]:
    """Every way the top of this folder may be named, case-folded."""
    full = folder_name(folder).casefold()
    names = {full}
    if special_use:
        names.add(special_use.casefold())
    return names


def _matches(rule: str, folder: FolderPath, special_use: str) -> bool:
    """A rule "Deleted Items" matches that folder, its aliases and everything below them."""
    rule_key = rule.strip().strip("/").casefold()
    if not rule_key:
        return False
    wanted = {rule_key, *_ALIASES.get(rule_key, ())}
    for alias, others in _ALIASES.items():
        if rule_key in others:
            wanted |= {alias, *others}
    full = folder_name(folder).casefold()
    if any(full == w or full.startswith(w + "/") for w in wanted):
        return True
    return special_use.casefold() in wanted if special_use else False


@dataclass(frozen=True)
class Selection:
    """Transfer Group Settings turned into decisions, with "now" fixed for the whole run."""

    settings: TransferSettings
    now: datetime
    target_types: frozenset[str] = frozenset({MAIL})
    target_max_bytes: int | None = None

    @property
    def since(self) -> datetime | None:
        """The first received time copied, or None for every date."""
        s = self.settings
        if not s.selective:
            return None
        if s.since is not None:
            return datetime.combine(s.since, time(0, 0), tzinfo=UTC)
        if s.last_months:
            back = self.now.year * 12 + self.now.month - 1 - s.last_months
            year, month = divmod(back, 12)
            month += 1
            if year < 1:  # more months than the calendar has: every date
                return None
            day = min(self.now.day, 28)
            return self.now.replace(year=year, month=month, day=day).astimezone(UTC)
        return None

    @property
    def max_bytes(self) -> int | None:
        mine = self.settings.max_item_mb * MB if self.settings.max_item_mb else None
        limits = [x for x in (mine, self.target_max_bytes) if x is not None]
        return min(limits) if limits else None

    def type_reason(self, item_type: str) -> str | None:
        """Why no item of this type is copied, or None."""
        if item_type not in self.settings.item_types:
            return SKIP_NOT_SELECTED
        if item_type not in self.target_types:
            return SKIP_TARGET_TYPE
        return None

    def folder_reason(self, folder: FolderPath, special_use: str = "") -> str | None:
        """Why a whole folder is left out, or None."""
        s = self.settings
        if any(_matches(rule, folder, special_use) for rule in s.exclude_folders):
            return SKIP_EXCLUDED_FOLDER
        if (
            s.selective
            and s.include_folders
            and not any(_matches(rule, folder, special_use) for rule in s.include_folders)
        ):
            return SKIP_EXCLUDED_FOLDER
        return None

    def item_reason(self, ref: ItemRef) -> tuple[str, str] | None:
        """(reason, detail) when this item is left out, or None to copy it."""
        type_reason = self.type_reason(ref.item_type)
        if type_reason:
            return type_reason, ref.item_type
        limit = self.max_bytes
        if limit is not None and ref.size > limit:
            return SKIP_TOO_LARGE, f"{ref.size} bytes > {limit} bytes"
        since = self.since
        if since is not None and utc(ref.received) < since:
            return SKIP_DATE_RANGE, f"received {utc(ref.received):%Y-%m-%d} before {since:%Y-%m-%d}"
        return None
