"""Step 3's directory over LDAP, in the real wizard against a real slapd on 127.0.0.1: the
settings form, Test connection naming the failed stage, Save, Import from directory with
the review; the Domino replica line with Refresh and its list of changes; Transfer Groups
from a CSV column."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from onboard_tui.clock import FrozenClock
from onboard_tui.roadmap import StepId
from onboard_tui.session.model import LdapSource, SessionData
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore
from onboard_tui.ui.app import OnboardApp, make_app
from onboard_tui.ui.dialogs.csv_import import CsvImportDialog
from onboard_tui.ui.dialogs.directory_import import DirectoryImportDialog
from onboard_tui.ui.dialogs.directory_settings import (
    DirectoryPasswordDialog,
    DirectorySettingsDialog,
)
from onboard_tui.ui.dialogs.domino_changes import DominoChangesDialog
from onboard_tui.ui.screens.migrate import MigrateScreen
from onboard_tui.ui.screens.migrate_users import UsersPanel
from tests.integration.servers.slapd import SlapdServer, bulk_users_ldif, start_slapd
from tests.ui.scenes import choose

SIZE = (100, 34)
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BULK = 1200  # past slapd's 1,000-entry cap: the import pages
ENABLED = "(&(objectClass=user)(mail=*)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
ENABLED_COUNT = BULK - BULK // 10 + 1  # every tenth bulk user is disabled; + alice


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    with start_slapd(tmp_path_factory.mktemp("slapd-ui"), extra_ldif=bulk_users_ldif(BULK)) as s:
        yield s


def new_session(folder: Path, data: SessionData | None = None) -> SessionStore:
    data = data or SessionData(name="dir", created=START, provider="sandbox")
    return SessionStore.create(folder, data)


async def until(pilot: Pilot[int], ok: Callable[[], bool], seconds: float = 40) -> None:
    """Wait (generously: the machine is shared) until `ok()`."""
    for _ in range(int(seconds / 0.05)):
        if ok():
            return
        await pilot.pause(0.05)
    raise AssertionError("the wizard did not get there in time")


async def open_step3(pilot: Pilot[int]) -> MigrateScreen:
    app = pilot.app
    assert isinstance(app, OnboardApp)
    await until(pilot, lambda: app.service is not None)
    app.go_to_step(StepId.MIGRATE)
    await until(pilot, lambda: isinstance(app.screen, MigrateScreen))
    await until(pilot, lambda: any(p.total is not None for p in app.screen.query(UsersPanel)))
    assert isinstance(app.screen, MigrateScreen)
    return app.screen


def text(pilot: Pilot[int], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def set_input(pilot: Pilot[int], selector: str, value: str) -> None:
    """Select the field, clear it and type, as a person would."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*value)


async def press_button(pilot: Pilot[int], button_id: str) -> None:
    pilot.app.screen.query_one(f"#{button_id}", Button).focus()
    await pilot.press("enter")
    await pilot.pause()


def run(app: OnboardApp, drive: Callable[[Pilot[int]], Awaitable[None]]) -> Awaitable[None]:
    async def go() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await drive(pilot)

    return go()


async def test_settings_test_connection_save_and_import(tmp_path: Path, slapd: SlapdServer) -> None:
    store = new_session(tmp_path / "s")
    store.close()
    app = make_app(tmp_path / "s", clock=FrozenClock(START), show_tour=False)

    async def drive(pilot: Pilot[int]) -> None:
        await open_step3(pilot)
        assert "or d to import from Active Directory" in text(pilot, "#users-empty")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DirectorySettingsDialog))
        form = app.screen
        assert form.query_one("#dir-filter", Input).value.startswith("(&(objectCategory=person)")

        # a mistake is named by its field, and nothing is saved
        await set_input(pilot, "#dir-host", "127.0.0.1")
        await set_input(pilot, "#dir-port", "38x")
        await press_button(pilot, "dir-save")
        assert "field 'port'" in text(pilot, "#dir-result")

        # plain LDAP on the fixture's port, its reader, the AD filter the fixture can answer
        await choose(pilot, "dir-security", "none")
        await set_input(pilot, "#dir-port", str(slapd.port))
        await set_input(pilot, "#dir-user", slapd.reader_dn)
        await set_input(pilot, "#dir-base", slapd.base_dn)
        await set_input(pilot, "#dir-filter", ENABLED)
        assert form.query_one("#dir-password", Input).value == "prompt"

        # Test connection with a wrong password: asked masked, fails at bind
        await press_button(pilot, "dir-test")
        await until(pilot, lambda: isinstance(app.screen, DirectoryPasswordDialog))
        await pilot.press(*"wrong-password", "enter")
        await until(pilot, lambda: "Failed at" in text(pilot, "#dir-result"))
        result = text(pilot, "#dir-result")
        assert "Failed at: bind." in result and "password was refused" in result
        assert "✓ name lookup" in result and "✓ TCP" in result

        # asked again (a refused password is forgotten); the right one passes every stage
        await press_button(pilot, "dir-test")
        await until(pilot, lambda: isinstance(app.screen, DirectoryPasswordDialog))
        await pilot.press(*slapd.reader_password, "enter")
        await until(pilot, lambda: "works" in text(pilot, "#dir-result"))
        result = text(pilot, "#dir-result")
        assert all(f"✓ {s}" in result for s in ("TLS", "bind", "search base"))

        # Save writes session.toml: the settings, no password
        await press_button(pilot, "dir-save")
        await until(pilot, lambda: "Saved" in text(pilot, "#dir-result"))
        session_text = (tmp_path / "s" / "session.toml").read_text()
        assert f'url = "ldap://127.0.0.1:{slapd.port}"' in session_text
        assert slapd.reader_password not in session_text

        # Import…: the password typed once is kept in memory; read, review, import
        await press_button(pilot, "dir-import")
        await until(pilot, lambda: isinstance(app.screen, DirectoryImportDialog))
        await until(pilot, lambda: app.screen.query_one("#dir-import-ok", Button).display)
        status = text(pilot, "#dir-import-status")
        assert f"{ENABLED_COUNT:,} entries: {ENABLED_COUNT:,} accepted, 0 rejected" in status
        assert f"{ENABLED_COUNT} new" in text(pilot, "#dir-difference")
        assert "every entry can be imported" in text(pilot, "#dir-problems-title")
        await press_button(pilot, "dir-import-ok")
        panel = app.screen.query_one(UsersPanel)
        await until(pilot, lambda: panel.total == ENABLED_COUNT)

    await run(app, drive)
    for name in ("session.toml", "onboard-tui.log"):
        path = tmp_path / "s" / name
        if path.exists():
            assert slapd.reader_password not in path.read_text()
            assert "wrong-password" not in path.read_text()


async def test_domino_replica_line_refresh_and_changes(
    tmp_path: Path, slapd: SlapdServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONBOARD_TEST_DOMINO_PW", slapd.reader_password)
    data = SessionData(name="dom", created=START, provider="sandbox")
    data.directory.domino = LdapSource(
        url=slapd.url,
        security="plain",
        bind_user=slapd.reader_dn,
        bind_password="env:ONBOARD_TEST_DOMINO_PW",
        base_dn=slapd.people_dn,
        filter="(&(objectClass=inetOrgPerson)(mail=*)(sAMAccountName=alice))",
    )
    new_session(tmp_path / "s", data).close()
    app = make_app(tmp_path / "s", clock=FrozenClock(START), show_tour=False)

    async def drive(pilot: Pilot[int]) -> None:
        await open_step3(pilot)
        await until(pilot, lambda: "never refreshed" in text(pilot, "#domino-status"))
        assert app.screen.query_one("#domino-changes", Button).disabled
        await press_button(pilot, "domino-refresh")
        await until(pilot, lambda: "1 added" in text(pilot, "#domino-status"))
        line = text(pilot, "#domino-status")
        assert "2026-11-25 09:00 UTC (0 min ago)" in line and "1 people" in line
        await press_button(pilot, "domino-changes")
        await until(pilot, lambda: isinstance(app.screen, DominoChangesDialog))
        table = app.screen.query_one("#domino-changes-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        assert [str(c) for c in table.get_row_at(0)[:2]] == ["added", "alice@renovations.com"]
        await pilot.press("escape")
        await pilot.pause()
        await press_button(pilot, "domino-refresh")  # nothing moved since
        await until(pilot, lambda: "0 added, 0 changed, 0 removed" in text(pilot, "#domino-status"))

    await run(app, drive)


async def test_transfer_groups_from_a_csv_column(tmp_path: Path) -> None:
    store = new_session(tmp_path / "s")
    store.db.upsert_users(
        [
            UserRow(email="ann@renovations.com", display_name="Ann Original"),
            UserRow(email="ben@renovations.com", display_name="Ben Original"),
        ],
        START,
    )
    store.close()
    csv = tmp_path / "waves.csv"
    csv.write_text("Email;Display name;Wave\nann@renovations.com;Changed Name;Wave 1\n"
                   "ben@renovations.com;Other;Wave 2\n")  # fmt: skip
    app = make_app(tmp_path / "s", clock=FrozenClock(START), show_tour=False)

    async def drive(pilot: Pilot[int]) -> None:
        screen = await open_step3(pilot)
        assert "v fills them from a CSV column" in text(pilot, "#groups-title")
        await press_button(pilot, "groups-csv")
        await until(pilot, lambda: isinstance(app.screen, CsvImportDialog))
        assert "Transfer Groups from a CSV column" in text(pilot, ".dialog-title")
        await set_input(pilot, "#csv-path", str(csv))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one("#csv-import", Button).display)
        assert "2 changed" in text(pilot, "#csv-difference")
        assert "Wave 1, Wave 2" in text(pilot, "#csv-difference")
        await press_button(pilot, "csv-import")
        groups = screen.query_one("#groups-table", DataTable)
        await until(pilot, lambda: groups.row_count == 2)
        users = screen.query_one("#users-table", DataTable)
        await until(pilot, lambda: str(users.get_cell("ann@renovations.com", "group")) == "Wave 1")
        assert str(users.get_cell("ann@renovations.com", "name")) == "Ann Original"  # kept

    await run(app, drive)
