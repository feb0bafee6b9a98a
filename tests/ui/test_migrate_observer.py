"""Observer mode across processes: `onboard-tui run` holds the session lock and migrates
one group while another group was finished by an earlier run; a wizard opened on the
session says it only watches, shows every group's progress read from state.db (the
running group's figures move), and refuses engine actions with a sentence."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import DataTable, Static

from onboard_tui.clock import SystemClock
from onboard_tui.session.statedb import StateDB
from onboard_tui.ui.app import make_app
from tests.migration_session import PASSWORD, PASSWORD_ENV, make_migration_session
from tests.ui.test_migrate_run_flow import open_step3, until

ENV = dict(os.environ, **{PASSWORD_ENV: PASSWORD})


def run_cli(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "onboard_tui", "run", str(folder), *args],
        env=ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def job_states(folder: Path) -> dict[str, str]:
    db = StateDB(folder / "state.db", read_only=True)
    try:
        return dict(db.query("SELECT user, state FROM mail_jobs"))
    finally:
        db.close()


async def test_the_observer_shows_all_groups_from_state_db_and_refuses_actions(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder, messages=400, item_delay_ms=30)
    earlier = run_cli(folder, "--group", "Wave 1", "--once")  # an earlier run, finished
    assert earlier.wait(300) == 0
    runner = run_cli(folder, "--group", "Pilot", "--watch")
    try:
        deadline = time.monotonic() + 60
        while "running" not in job_states(folder).values():
            assert time.monotonic() < deadline, "the runner never started Pilot"
            assert runner.poll() is None, "the runner ended early"
            time.sleep(0.1)
        app = make_app(folder, clock=SystemClock(), show_tour=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_step3(pilot, "dashboard")
            assert app.service is not None and app.service.migration.observer
            mode = app.screen.query_one("#dash-mode", Static)
            await until(pilot, lambda: "Observer" in str(mode.render()))
            assert "another process runs the migration (running)" in str(mode.render())
            groups = app.screen.query_one("#dash-groups", DataTable)
            await until(pilot, lambda: groups.row_count == 3)  # all, Pilot, Wave 1
            assert str(groups.get_cell("Wave 1", "users")) == "2/0/0/0/0"
            first = str(groups.get_cell("Pilot", "items"))
            await until(pilot, lambda: str(groups.get_cell("Pilot", "items")) != first)
            overall = app.screen.query_one("#dash-overall", Static)
            assert "of 4 users done" in str(overall.render())

            await open_tab_staging(pilot)
            banner = str(app.screen.query_one("#staging-observer", Static).render())
            assert "Observer" in banner and f"process {runner.pid}" in banner
            table = app.screen.query_one("#staging-table", DataTable)
            table.focus()
            await pilot.press("home", "p")  # pause: refused, nothing changes
            await pilot.pause(0.5)
            said = [n.message for n in app._notifications]
            assert any("Not done" in m and "only watches" in m for m in said), said
            assert "paused" not in job_states(folder).values()
            pilot_state = lambda: str(table.get_cell("Pilot", "state"))  # noqa: E731
            await until(pilot, lambda: "running" in pilot_state() or "complete" in pilot_state())
            assert "complete (2 done)" in str(table.get_cell("Wave 1", "state"))
    finally:
        runner.terminate()
        assert runner.wait(60) == 0


async def open_tab_staging(pilot: object) -> None:
    from tests.ui.scenes_migrate import show_tab

    await show_tab(pilot, "staging")  # type: ignore[arg-type]
