"""The users table read a page at a time (keyset pagination) with SQL search.

A page costs the same at row 90,000 as at row 0: the next page starts after the last key
seen instead of skipping rows with OFFSET, so the Users tab never loads 100,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from onboard_tui.session.statedb import StateDB

SORTS = {
    "email": "email",
    "display_name": "display_name COLLATE NOCASE",
    "last_name": "last_name COLLATE NOCASE",
    "department": "department COLLATE NOCASE",
    "group": "IFNULL(group_name, '') COLLATE NOCASE",
}
_COLUMNS = (
    "id, email, display_name, first_name, last_name, source_login, department, group_name, "
    "source_size, dn, source"
)
NO_GROUP = ""


@dataclass(frozen=True)
class UserView:
    """One user as the Users tab and the exports show them."""

    id: int
    email: str
    display_name: str
    first_name: str
    last_name: str
    source_login: str
    department: str
    group: str | None
    source_size: int | None
    dn: str
    source: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


@dataclass(frozen=True)
class PageCursor:
    """Where the next page starts: the last row's sort key and id."""

    key: str
    id: int


@dataclass(frozen=True)
class UserPage:
    """A page of users, the cursor of the next page (None at the end) and the match count."""

    users: list[UserView]
    next: PageCursor | None
    total: int | None


def _where(search: str, group: str | None) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    term = search.strip()
    if term:
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(email LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\' "
            "OR department LIKE ? ESCAPE '\\' OR source_login LIKE ? ESCAPE '\\')"
        )
        params += [like] * 4
    if group is not None:
        if group == NO_GROUP:
            clauses.append("group_name IS NULL")
        else:
            clauses.append("group_name = ? COLLATE NOCASE")
            params.append(group)
    return clauses, params


def page_users(
    db: StateDB,
    *,
    search: str = "",
    group: str | None = None,
    sort: str = "email",
    after: PageCursor | None = None,
    limit: int = 100,
    with_total: bool = True,
) -> UserPage:
    """One page of users matching `search` (email, name, department, login) and `group`.

    `group=""` means users in no group; `with_total=False` skips the match count.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    key = SORTS[sort]
    clauses, params = _where(search, group)
    total = None
    if with_total:
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        total = int(db.query(f"SELECT count(*) FROM users {where}", params)[0][0])  # noqa: S608
    page_clauses, page_params = list(clauses), list(params)
    if after is not None:
        page_clauses.append(f"({key}, id) > (?, ?)")  # a row value: an index range scan
        page_params += [after.key, after.id]
    where = f"WHERE {' AND '.join(page_clauses)}" if page_clauses else ""
    rows = db.query(
        f"SELECT {_COLUMNS}, {key.split(' COLLATE')[0]} FROM users {where} "  # noqa: S608
        f"ORDER BY {key}, id LIMIT ?",
        [*page_params, limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    users = [UserView(*row[:-1]) for row in rows]
    cursor = PageCursor(str(rows[-1][-1]), int(rows[-1][0])) if more and rows else None
    return UserPage(users, cursor, total)


def iter_users(db: StateDB, *, group: str | None = None, batch: int = 2000) -> list[UserView]:
    """Every user (or one group's), read in keyset pages; for exports and checks."""
    result: list[UserView] = []
    cursor: PageCursor | None = None
    while True:
        page = page_users(db, group=group, after=cursor, limit=batch, with_total=False)
        result.extend(page.users)
        if page.next is None:
            return result
        cursor = page.next
