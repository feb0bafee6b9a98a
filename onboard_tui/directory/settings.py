"""Transfer Group Settings (full or selective transfer) and the 50 GB quota check.

Until a mail source is configured, a user's size comes from a size column of the import;
a user without one is counted as unknown, never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from onboard_tui.directory.errors import DirectoryError
from onboard_tui.session.model import ITEM_TYPES, SessionData, TransferSettings
from onboard_tui.session.store import SessionStore

GIB = 1024**3


def validate_settings(item: TransferSettings) -> str | None:
    """Why these settings cannot be saved, or None."""
    if not item.name.strip():
        return "the settings need a name."
    if item.mode not in ("full", "selective"):
        return "the mode is full or selective."
    if not item.item_types or any(t not in ITEM_TYPES for t in item.item_types):
        return f"choose item types among {', '.join(ITEM_TYPES)}."
    if item.since is not None and item.last_months is not None:
        return "give either a start date or a number of months, not both."
    if item.last_months is not None and item.last_months < 1:
        return "the number of months must be 1 or more."
    if item.max_item_mb is not None and item.max_item_mb < 1:
        return "the maximum item size must be 1 MB or more."
    overlap = {f.casefold() for f in item.include_folders} & {
        f.casefold() for f in item.exclude_folders
    }
    if overlap:
        return f"a folder cannot be both included and excluded: {', '.join(sorted(overlap))}."
    if item.mode == "full" and (item.since or item.last_months or item.include_folders):
        return "a full transfer takes every date and folder; choose selective to narrow it."
    return None


def save_settings(store: SessionStore, item: TransferSettings, old_name: str = "") -> None:
    """Create or replace named settings; renaming updates the groups that use them."""
    problem = validate_settings(item)
    if problem:
        raise DirectoryError(f"Transfer Group Settings '{item.name}': {problem}")
    key = (old_name or item.name).casefold()
    clash = [s for s in store.data.transfer_settings if s.name.casefold() == item.name.casefold()]
    if clash and clash[0].name.casefold() != key:
        raise DirectoryError(f"Transfer Group Settings named '{item.name}' already exist.")

    def change(data: SessionData) -> None:
        kept = [s for s in data.transfer_settings if s.name.casefold() != key]
        index = next(
            (i for i, s in enumerate(data.transfer_settings) if s.name.casefold() == key),
            len(kept),
        )
        kept.insert(index, replace(item))
        data.transfer_settings = kept
        for group in data.transfer_groups:
            if group.setting.casefold() == key:
                group.setting = item.name

    store.update(change)


def delete_settings(store: SessionStore, name: str) -> None:
    """Delete named settings; groups that used them fall back to a full transfer."""
    key = name.casefold()

    def change(data: SessionData) -> None:
        data.transfer_settings = [s for s in data.transfer_settings if s.name.casefold() != key]
        for group in data.transfer_groups:
            if group.setting.casefold() == key:
                group.setting = ""

    store.update(change)


def settings_for(data: SessionData, group: str | None) -> TransferSettings:
    """The settings a group uses; a full transfer when none are assigned."""
    if group:
        g = next((g for g in data.transfer_groups if g.name.casefold() == group.casefold()), None)
        if g and g.setting:
            for s in data.transfer_settings:
                if s.name.casefold() == g.setting.casefold():
                    return s
    return TransferSettings("Full transfer (default)")


@dataclass(frozen=True)
class OverQuota:
    """A user whose selection would exceed the quota, and what would bring them under."""

    email: str
    group: str | None
    setting: str
    size: int
    exact: bool
    suggestion: str


@dataclass
class QuotaReport:
    """The quota check of Step 3's Settings tab."""

    quota_bytes: int
    checked: int = 0
    unknown: int = 0
    known_bytes: int = 0
    over: list[OverQuota] = field(default_factory=list)


def _suggestion(data: SessionData, size: int, quota: int) -> str:
    narrowing = [
        s.name
        for s in data.transfer_settings
        if s.selective and (s.since or s.last_months or s.max_item_mb or s.include_folders)
    ]
    share = f"{size / GIB:.1f} GB is {size / quota:.0%} of the {quota // GIB} GB quota"
    if narrowing:
        return f"{share}; assign a selective setting such as '{narrowing[0]}'."
    return f"{share}; create a selective setting with a date range or a maximum item size."


def check_quota(store: SessionStore, quota_bytes: int, group: str | None = None) -> QuotaReport:
    """Compare each user's size with the quota under their group's settings.

    A full transfer brings the whole size; a selective one brings at most that, so a user
    over quota under selective settings is listed with `exact=False` ("may exceed").
    """
    report = QuotaReport(quota_bytes)
    sql = "SELECT email, group_name, source_size FROM users"
    params: list[object] = []
    if group is not None:
        sql += " WHERE group_name = ? COLLATE NOCASE"
        params.append(group)
    data = store.data
    for email, group_name, size in store.db.query(sql, params):
        report.checked += 1
        if size is None:
            report.unknown += 1
            continue
        report.known_bytes += size
        if size > quota_bytes:
            setting = settings_for(data, group_name)
            report.over.append(
                OverQuota(
                    email,
                    group_name,
                    setting.name,
                    size,
                    not setting.selective,
                    _suggestion(data, size, quota_bytes),
                )
            )
    report.over.sort(key=lambda o: -o.size)
    return report
