"""Step 3 run flow at 120x40, keyboard only: start a group in a demo-like session with a
small generated source (the admin password asked in a masked dialog, the pre-flight,
the confirmation), watch the dashboard move, pause and resume, the Complete tab's
numbers; and a second wizard as an observer while `onboard-tui run` holds the lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from onboard_tui.clock import SystemClock
from onboard_tui.roadmap import StepId
from onboard_tui.ui.app import OnboardApp, make_app
from onboard_tui.ui.dialogs.migrate_dialogs import PasswordDialog, PreflightDialog
from tests.migration_session import PASSWORD, PASSWORD_ENV, make_migration_session
from tests.ui.scenes import wait_open
from tests.ui.scenes_migrate import settle, show_tab


async def until(pilot: Pilot[int], check: object, seconds: float = 120.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"not reached in {seconds} s: {check}")


def jobs(app: OnboardApp, group: str) -> dict[str, int]:
    assert app.service is not None
    snap = app.service.migration.snapshot()
    g = snap.group(group)
    return dict(g.users) if g else {}


async def open_step3(pilot: Pilot[int], tab: str) -> None:
    await wait_open(pilot)
    app = pilot.app
    assert isinstance(app, OnboardApp)
    app.go_to_step(StepId.MIGRATE)
    await settle(pilot)
    await show_tab(pilot, tab)


async def test_start_watch_pause_resume_complete(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder, messages=400, item_delay_ms=50, admin_password="prompt")
    app = make_app(folder, clock=SystemClock(), show_tour=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step3(pilot, "staging")
        screen = app.screen
        table = screen.query_one("#staging-table", DataTable)
        assert table.row_count == 2
        table.focus()
        await pilot.press("home", "s")  # Pilot: Start now
        await until(pilot, lambda: isinstance(app.screen, PasswordDialog))
        await pilot.press(*PASSWORD, "enter")
        await until(pilot, lambda: isinstance(app.screen, PreflightDialog))
        dialog = app.screen
        assert isinstance(dialog, PreflightDialog) and dialog.report.ok, dialog.report
        await pilot.press("shift+tab", "enter")  # from Cancel to "Start now"
        await until(pilot, lambda: jobs(app, "Pilot").get("running", 0) > 0)
        # The dashboard moves: items done grow between two reads.
        await show_tab(pilot, "dashboard")
        groups = screen.query_one("#dash-groups", DataTable)
        await until(pilot, lambda: groups.row_count == 3)  # all groups, Pilot, Wave 1 (waiting)
        first = str(groups.get_cell("Pilot", "items"))
        await until(pilot, lambda: str(groups.get_cell("Pilot", "items")) != first)
        assert "This wizard runs the migration" in str(screen.query_one("#dash-mode").render())
        # Pause, then resume, from the Staging tab's keys.
        await show_tab(pilot, "staging")
        table.focus()
        await pilot.press("home", "p")
        await until(pilot, lambda: jobs(app, "Pilot").get("paused", 0) > 0)
        await until(pilot, lambda: jobs(app, "Pilot").get("running", 0) == 0)
        paused_at = app.service.migration.snapshot().overall.items_done  # type: ignore[union-attr]
        await pilot.pause(0.5)
        assert app.service.migration.snapshot().overall.items_done == paused_at  # type: ignore[union-attr]
        state = str(table.get_cell("Pilot", "state"))
        await until(pilot, lambda: "paused" in str(table.get_cell("Pilot", "state")))
        await pilot.press("r")
        await until(pilot, lambda: jobs(app, "Pilot").get("done", 0) == 2, 300)
        await until(pilot, lambda: "complete" in str(table.get_cell("Pilot", "state")))
        assert state
        # Complete: both Pilot users with their numbers; exports written.
        await show_tab(pilot, "complete")
        await settle(pilot)
        done = screen.query_one("#complete-table", DataTable)
        assert done.row_count == 2
        assert int(str(done.get_cell("alice.adams@renovations.com", "mail"))) > 0
        assert "2 of 2 users provisioned" in str(
            screen.query_one("#complete-summary", Static).render()
        )
        done.focus()
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
    exports = sorted(p.name for p in folder.glob("migration-*.csv"))
    assert len(exports) == 2
    folders_csv = next(folder.glob("migration-folders-*.csv")).read_text(encoding="utf-8-sig")
    assert "Projekte/Übersicht" in folders_csv
    lines = [line.split(",") for line in folders_csv.splitlines()[1:]]
    assert all(row[-1] == "0" for row in lines), "every difference is explained"
    assert PASSWORD not in (folder / "session.toml").read_text()


async def test_a_second_wizard_observes_a_running_runner(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder, messages=400, item_delay_ms=20)
    runner = subprocess.Popen(
        [sys.executable, "-m", "onboard_tui", "run", str(folder), "--watch"],
        env=dict(os.environ, **{PASSWORD_ENV: PASSWORD}),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (folder / "state.db").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        app = make_app(folder, clock=SystemClock(), show_tour=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_step3(pilot, "dashboard")
            assert app.service is not None and app.service.migration.observer
            mode = app.screen.query_one("#dash-mode", Static)
            await until(pilot, lambda: "Observer" in str(mode.render()))
            groups = app.screen.query_one("#dash-groups", DataTable)
            await until(pilot, lambda: groups.row_count == 3)
            await show_tab(pilot, "staging")
            assert "only watches" in str(app.screen.query_one("#staging-observer").render())
            table = app.screen.query_one("#staging-table", DataTable)
            table.focus()
            await pilot.press("p")  # refused with a sentence, nothing changes
            await pilot.pause()
            assert isinstance(app.screen.query_one(TabbedContent), TabbedContent)
    finally:
        runner.terminate()
        assert runner.wait(30) == 0
