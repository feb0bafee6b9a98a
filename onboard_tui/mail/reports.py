"""The Complete tab's numbers and its two CSV exports.

Per user: the job's state, items and bytes copied (the ledger: what the target confirmed),
items skipped by type and reason, and why a failed user failed. Per folder: the source's
count and size now (a fresh scan) against what the target confirmed storing, and what
was skipped on purpose, so every difference is explained.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from onboard_tui.directory.exports import write_csv
from onboard_tui.mail.items import folder_name
from onboard_tui.mail.source import MailSource
from onboard_tui.session.statedb import StateDB

TYPES = ("mail", "contacts", "calendar", "tasks")
_TYPE_OF = {
    "mail": "mail",
    "contact": "contacts",
    "contacts": "contacts",
    "event": "calendar",
    "calendar": "calendar",
    "task": "tasks",
    "tasks": "tasks",
}


@dataclass
class UserReport:
    """One user's outcome."""

    user: str
    group: str
    state: str
    reason: str
    copied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    copied_bytes: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    skip_reasons: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))

    @property
    def provisioned(self) -> bool:
        return self.state == "done"


@dataclass(frozen=True)
class FolderRow:
    """One folder of one user: source against target."""

    user: str
    folder: str
    source_items: int
    source_bytes: int
    target_items: int
    target_bytes: int
    skipped_items: int
    skipped_bytes: int

    @property
    def missing(self) -> int:
        return self.source_items - self.target_items - self.skipped_items


def user_reports(db: StateDB, group: str | None = None) -> list[UserReport]:
    """Every user with a job (or only a group's), sorted by email."""
    sql = "SELECT user, group_name, state, reason FROM mail_jobs"
    params: tuple[str, ...] = ()
    if group:
        sql += " WHERE group_name = ? COLLATE NOCASE"
        params = (group,)
    reports = {r[0].casefold(): UserReport(*r) for r in db.query(sql + " ORDER BY user", params)}
    for user, count, size in db.query(
        "SELECT user, count(*), coalesce(sum(size), 0) FROM mail_ledger GROUP BY user"
    ):
        rep = reports.get(user.casefold())
        if rep is not None:
            rep.copied["mail"] += int(count)  # the sources built so far deliver mail only
            rep.copied_bytes += int(size)
    for user, item_type, reason, count in db.query(
        "SELECT user, item_type, reason, count(*) FROM mail_skipped "
        "GROUP BY user, item_type, reason"
    ):
        rep = reports.get(user.casefold())
        if rep is None:
            continue
        kind = _TYPE_OF.get(item_type, "mail")
        if reason == "unreadable":
            rep.failed[kind] += int(count)
        else:
            rep.skipped[kind] += int(count)
        rep.skip_reasons[reason] = rep.skip_reasons.get(reason, 0) + int(count)
    return list(reports.values())


def reconcile(db: StateDB, source: MailSource, users: Sequence[str]) -> list[FolderRow]:
    """Per user and folder: a fresh source scan against the ledger and the skipped list."""
    rows: list[FolderRow] = []
    for user in users:
        target: dict[str, tuple[int, int]] = {
            f: (int(n), int(b))
            for f, n, b in db.query(
                "SELECT folder, count(*), coalesce(sum(size), 0) FROM mail_ledger "
                "WHERE user = ? GROUP BY folder",
                (user,),
            )
        }
        skipped: dict[str, tuple[int, int]] = {
            f: (int(n), int(b))
            for f, n, b in db.query(
                "SELECT folder, count(*), coalesce(sum(size), 0) FROM mail_skipped "
                "WHERE user = ? AND source_id NOT LIKE 'type:%' GROUP BY folder",
                (user,),
            )
        }
        found: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
        mailbox = source.open(user)
        try:
            for folder in mailbox.folders():
                refs = mailbox.scan(folder, "", 0).refs
                found[folder_name(folder.path)] = (len(refs), sum(r.size for r in refs))
        finally:
            mailbox.close()
        for name in sorted(set(found) | set(target) | set(skipped)):
            s, t, k = found[name], target.get(name, (0, 0)), skipped.get(name, (0, 0))
            rows.append(FolderRow(user, name, s[0], s[1], t[0], t[1], k[0], k[1]))
    return rows


USER_HEADER = (
    "email",
    "group",
    "state",
    "reason",
    *(f"{t} copied" for t in TYPES),
    "bytes copied",
    *(f"{t} skipped" for t in TYPES),
    *(f"{t} failed" for t in TYPES),
    "skip reasons",
)
FOLDER_HEADER = (
    "email",
    "folder",
    "source items",
    "source bytes",
    "target items",
    "target bytes",
    "skipped items",
    "skipped bytes",
    "unexplained difference",
)


def export_users(path: Path, reports: Sequence[UserReport]) -> int:
    return write_csv(
        path,
        USER_HEADER,
        (
            (
                r.user,
                r.group,
                r.state,
                r.reason,
                *(r.copied[t] for t in TYPES),
                r.copied_bytes,
                *(r.skipped[t] for t in TYPES),
                *(r.failed[t] for t in TYPES),
                "; ".join(f"{k} {v}" for k, v in sorted(r.skip_reasons.items())),
            )
            for r in reports
        ),
    )


def export_folders(path: Path, rows: Sequence[FolderRow]) -> int:
    return write_csv(
        path,
        FOLDER_HEADER,
        (
            (
                r.user,
                r.folder,
                r.source_items,
                r.source_bytes,
                r.target_items,
                r.target_bytes,
                r.skipped_items,
                r.skipped_bytes,
                r.missing,
            )
            for r in rows
        ),
    )
