"""Transfer Groups: names and settings in session.toml, membership in state.db.

A user is in at most one group because membership is a single column of the user.
Every change to members is first a preview (who joins, from where, who leaves), and the
preview itself is what gets applied, so the admin saves exactly what they saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.filters import UserFilter, filter_sql
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.store import SessionStore


@dataclass(frozen=True)
class GroupInfo:
    """A row of the group table."""

    name: str
    setting: str
    description: str
    members: int
    sized: int
    total_size: int


@dataclass(frozen=True)
class Mover:
    """A user joining the group, and the group they leave for it (None: no group)."""

    email: str
    from_group: str | None


@dataclass
class MembershipPreview:
    """Who joins and who leaves `group` if this change is saved."""

    group: str
    joining: list[Mover] = field(default_factory=list)
    leaving: list[str] = field(default_factory=list)
    staying: int = 0
    unknown: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def moved_from(self) -> dict[str, int]:
        """How many joiners come from each other group."""
        counts: dict[str, int] = {}
        for m in self.joining:
            if m.from_group:
                counts[m.from_group] = counts.get(m.from_group, 0) + 1
        return counts


def find_group(data: SessionData, name: str) -> TransferGroup | None:
    key = name.strip().casefold()
    return next((g for g in data.transfer_groups if g.name.casefold() == key), None)


def _require(store: SessionStore, name: str) -> TransferGroup:
    group = find_group(store.data, name)
    if group is None:
        raise DirectoryError(f"There is no Transfer Group named '{name}'.")
    return group


def _check_name(store: SessionStore, name: str, allow: str = "") -> str:
    name = name.strip()
    if not name:
        raise DirectoryError("A Transfer Group needs a name.")
    if any(ord(ch) < 32 for ch in name):
        raise DirectoryError("A Transfer Group name cannot contain control characters.")
    other = find_group(store.data, name)
    if other is not None and other.name.casefold() != allow.casefold():
        raise DirectoryError(f"A Transfer Group named '{other.name}' already exists.")
    return name


def list_groups(store: SessionStore) -> list[GroupInfo]:
    """Every group with its member count and, when sizes are known, their total."""
    counts = {
        str(name).casefold(): (int(n), int(sized), int(total or 0))
        for name, n, sized, total in store.db.query(
            "SELECT group_name, count(*), count(source_size), sum(source_size) FROM users "
            "WHERE group_name IS NOT NULL GROUP BY group_name COLLATE NOCASE"
        )
    }
    result = []
    for g in store.data.transfer_groups:
        n, sized, total = counts.get(g.name.casefold(), (0, 0, 0))
        result.append(GroupInfo(g.name, g.setting, g.description, n, sized, total))
    return result


def create_group(store: SessionStore, name: str, setting: str = "", description: str = "") -> None:
    name = _check_name(store, name)
    store.update(lambda d: d.transfer_groups.append(TransferGroup(name, setting, description)))


def set_group_setting(store: SessionStore, name: str, setting: str) -> None:
    group = _require(store, name)
    if setting and not any(s.name == setting for s in store.data.transfer_settings):
        raise DirectoryError(f"There are no Transfer Group Settings named '{setting}'.")

    def change(data: SessionData) -> None:
        found = find_group(data, group.name)
        assert found is not None
        found.setting = setting

    store.update(change)


def rename_group(store: SessionStore, old: str, new: str) -> None:
    """Rename in both files; state.db's change is rolled back if session.toml cannot be saved."""
    group = _require(store, old)
    new = _check_name(store, new, allow=group.name)

    def change(data: SessionData) -> None:
        found = find_group(data, group.name)
        assert found is not None
        found.name = new

    with store.db.transaction() as conn:
        conn.execute(
            "UPDATE users SET group_name = ? WHERE group_name = ? COLLATE NOCASE",
            (new, group.name),
        )
        store.update(change)


def delete_group(store: SessionStore, name: str) -> int:
    """Delete the group; its members stay, in no group. Returns how many there were."""
    group = _require(store, name)
    with store.db.transaction() as conn:
        cursor = conn.execute(
            "UPDATE users SET group_name = NULL WHERE group_name = ? COLLATE NOCASE",
            (group.name,),
        )
        key = group.name.casefold()

        def change(data: SessionData) -> None:
            data.transfer_groups = [g for g in data.transfer_groups if g.name.casefold() != key]

        store.update(change)
    return int(cursor.rowcount)


def preview_filter(store: SessionStore, name: str, user_filter: UserFilter) -> MembershipPreview:
    """The group becomes exactly the users the filter matches."""
    group = _require(store, name)
    where, params = filter_sql(user_filter)
    preview = MembershipPreview(group.name, description=user_filter.describe())
    for email, current in store.db.query(
        f"SELECT email, group_name FROM users WHERE {where} ORDER BY email",  # noqa: S608
        params,
    ):
        if current is not None and str(current).casefold() == group.name.casefold():
            preview.staying += 1
        else:
            preview.joining.append(Mover(email, current))
    preview.leaving = [
        r[0]
        for r in store.db.query(
            f"SELECT email FROM users WHERE group_name = ? COLLATE NOCASE "  # noqa: S608
            f"AND NOT COALESCE(({where}), 0) ORDER BY email",
            [group.name, *params],
        )
    ]
    return preview


def preview_add(store: SessionStore, name: str, emails: Iterable[str]) -> MembershipPreview:
    """Add selected users (from the table, or a CSV column) to the group; nobody leaves."""
    group = _require(store, name)
    preview = MembershipPreview(group.name, description="selected users")
    with store.db.connection() as conn:
        for email in dict.fromkeys(e.strip() for e in emails if e.strip()):
            row = conn.execute(
                "SELECT email, group_name FROM users WHERE email = ?", (email,)
            ).fetchone()
            if row is None:
                preview.unknown.append(email)
            elif row[1] is not None and str(row[1]).casefold() == group.name.casefold():
                preview.staying += 1
            else:
                preview.joining.append(Mover(row[0], row[1]))
    return preview


def preview_remove(store: SessionStore, name: str, emails: Iterable[str]) -> MembershipPreview:
    """Take selected users out of the group."""
    group = _require(store, name)
    preview = MembershipPreview(group.name, description="removed by hand")
    with store.db.connection() as conn:
        for email in dict.fromkeys(emails):
            row = conn.execute(
                "SELECT email FROM users WHERE email = ? AND group_name = ? COLLATE NOCASE",
                (email, group.name),
            ).fetchone()
            if row is None:
                preview.unknown.append(email)
            else:
                preview.leaving.append(row[0])
    return preview


def apply_preview(store: SessionStore, preview: MembershipPreview, now: datetime) -> None:
    """Save the previewed change in one transaction."""
    group = _require(store, preview.group)
    stamp = now.isoformat()
    with store.db.transaction() as conn:
        conn.executemany(
            "UPDATE users SET group_name = ?, updated = ? WHERE email = ?",
            [(group.name, stamp, m.email) for m in preview.joining],
        )
        conn.executemany(
            "UPDATE users SET group_name = NULL, updated = ? WHERE email = ? "
            "AND group_name = ? COLLATE NOCASE",
            [(stamp, e, group.name) for e in preview.leaving],
        )
