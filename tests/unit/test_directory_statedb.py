"""state.db v2: forward migration from v1, keyset pages, SQL search, session.toml settings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from onboard_tui.directory.users import page_users
from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.model import LdapSource, TransferSettings
from onboard_tui.session.statedb import _SCHEMA_V1, SCHEMA_VERSION, StateDB, UserRow
from onboard_tui.session.store import SessionStore, load

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_v1_database_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_V1)
    conn.execute(
        "INSERT INTO users(email, created, updated) VALUES ('old@renovations.com', 'x', 'x')"
    )
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    db = StateDB(path)
    try:
        assert db.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION >= 2
        assert db.query("SELECT email, dn, source FROM users") == [("old@renovations.com", "", "")]
        assert db.query("SELECT count(*) FROM domino_entries") == [(0,)]
    finally:
        db.close()


def test_keyset_pages_cover_every_user_once(store: SessionStore) -> None:
    store.db.upsert_users(
        (UserRow(f"u{i:03d}@r.com", f"Name {i % 7}", department=f"D{i % 3}") for i in range(250)),
        NOW,
    )
    for sort in ("email", "display_name", "department", "group"):
        seen: list[str] = []
        cursor = None
        while True:
            page = page_users(store.db, sort=sort, after=cursor, limit=40)
            seen += [u.email for u in page.users]
            if page.next is None:
                break
            cursor = page.next
        assert sorted(seen) == sorted(set(seen)) and len(seen) == 250, sort
    found = page_users(store.db, search="u01", limit=5)
    assert found.total == 10 and len(found.users) == 5 and found.next is not None
    assert page_users(store.db, search="100%").total == 0  # % is literal
    assert page_users(store.db, group="").total == 250


def test_settings_and_directory_round_trip(store: SessionStore) -> None:
    def change(data: object) -> None:
        data.transfer_settings.append(  # type: ignore[attr-defined]
            TransferSettings("Recent", mode="selective", since=date(2026, 1, 1), max_item_mb=25)
        )
        data.directory.ad = LdapSource(  # type: ignore[attr-defined]
            url="ldaps://dc1.renovations.com", bind_user="svc", bind_password="env:AD_PW",
            base_dn="dc=renovations,dc=com",
        )  # fmt: skip

    store.update(change)
    data, _ = load(store.path)
    assert data.transfer_settings == store.data.transfer_settings
    assert data.directory.ad is not None and data.directory.ad.bind_password == "env:AD_PW"
    text = store.path.read_text()
    assert "[[transfer_settings]]" in text and "[directory.ad]" in text


@pytest.mark.parametrize(
    ("snippet", "line", "words"),
    [
        ('[[transfer_settings]]\nname = "A"\nmode = "partial"\n', 10, "not one of full"),
        ('[[transfer_settings]]\nname = "A"\nitem_types = ["mail", "fax"]\n', 10, "'fax'"),
        ('[directory.ad]\nurl = "http://dc1"\n', 9, "ldaps://"),
        ('[directory.ad]\nurl = "ldaps://dc1"\nbind_password = "hunter22"\n', 10, "secret"),
    ],
)
def test_bad_settings_name_their_line(tmp_path: Path, snippet: str, line: int, words: str):
    path = tmp_path / "session.toml"
    path.write_text(
        'schema_version = 1\n\n[session]\nname = "x"\ncreated = 2026-11-25T09:00:00Z\n'
        f'provider = "sandbox"\n\n{snippet}'
    )
    with pytest.raises(SessionFileError) as caught:
        load(path)
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)
    assert "hunter22" not in str(caught.value)
