"""Scenes of Step 3's Staging, Dashboard and Complete tabs, for the snapshot tests and
`make screenshots`: a registered sandbox session with a small generated source (fixed
seed), a frozen clock, and recorded progress written to state.db as fixed numbers."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from onboard_tui.roadmap import StepId
from onboard_tui.session.statedb import StateDB
from onboard_tui.session.store import SessionStore
from onboard_tui.ui.app import OnboardApp, make_app
from onboard_tui.ui.dialogs.migrate_dialogs import PreflightDialog
from tests.migration_session import PASSWORD, PASSWORD_ENV, make_migration_session
from tests.ui.scenes import Scene, frozen_clock, wait_open
from tests.ui.scenes_migrate import quiet, settle, show_tab

STAMP = "2026-11-25T08:40:00+00:00"
#: (user, group, state, reason, items total, bytes total, items done, bytes done, skipped)
JOBS = (
    ("alice.adams@renovations.com", "Pilot", "done", "", 31, 104_220, 31, 104_220, 6),
    ("bruno.baker@renovations.com", "Pilot", "done", "", 28, 91_877, 28, 91_877, 5),
    ("carla.costa@west.renovations.com", "Wave 1", "running", "", 27, 88_406, 12, 40_118, 7),
    (
        "david.diaz@renovations.com",
        "Wave 1",
        "failed",
        "the cloud API refused maildir:INBOX/17: quota exceeded",
        30,
        97_002,
        4,
        13_554,
        3,
    ),
)


def seed_progress(folder: Path) -> None:
    """Fixed jobs, ledger rows, skipped items, runtime figures and one error."""
    db = StateDB(folder / "state.db")
    with db.transaction() as conn:
        for user, group, state, reason, it, bt, idone, bdone, skipped in JOBS:
            conn.execute(
                "INSERT OR REPLACE INTO mail_jobs (user, group_name, state, reason, passes, "
                "items_total, bytes_total, items_done, bytes_done, items_skipped, attempts, "
                "started, finished, updated) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (user, group, state, reason, it, bt, idone, bdone, skipped, STAMP, "", STAMP),
            )
            for i in range(idone):
                folder_name = ("INBOX", "Sent", "Projekte/Übersicht")[i % 3]
                conn.execute(
                    "INSERT OR REPLACE INTO mail_ledger VALUES (?, ?, ?, ?, '', NULL, ?)",
                    (user, f"maildir:{folder_name}/{i}", folder_name, bdone // idone, STAMP),
                )
            for i in range(skipped):
                kind, reason_ = (
                    ("mail", "excluded folder")
                    if i >= 3
                    else (("contact", "event", "task")[i], "not available from this source")
                )
                conn.execute(
                    "INSERT OR REPLACE INTO mail_skipped VALUES (?, ?, ?, ?, ?, '', 0, ?)",
                    (user, f"skip:{i}", "Junk", kind, reason_, STAMP),
                )
        for scope, conc, thr, ips, bps in (
            ("*", 2, 3, 14.0, 46_000.0),
            ("Pilot", 0, 1, 0.0, 0.0),
            ("Wave 1", 2, 2, 14.0, 46_000.0),
        ):
            conn.execute(
                "INSERT OR REPLACE INTO mail_runtime VALUES (?, ?, ?, ?, ?, 0, ?)",
                (scope, conc, thr, ips, bps, STAMP),
            )
        conn.execute(
            "INSERT INTO mail_errors (at, user, group_name, message) VALUES (?, ?, ?, ?)",
            (STAMP, JOBS[3][0], "Wave 1", JOBS[3][3]),
        )
    db.close()


def staging_app(folder: Path, *, show_tour: bool = False) -> OnboardApp:
    """The session with recorded progress and a schedule for Wave 1."""
    os.environ[PASSWORD_ENV] = PASSWORD  # the test session's secret reference
    clock = frozen_clock()
    make_migration_session(folder, messages=120, clock=clock)
    seed_progress(folder)
    store = SessionStore.open(folder)
    try:
        from onboard_tui.mail.scheduler import Scheduler

        Scheduler(store, clock).set("Wave 1", clock.now() + timedelta(hours=13))
    finally:
        store.close()
    return make_app(folder, clock=clock, show_tour=show_tour)


async def open_tab(pilot: Pilot[int], tab: str) -> None:
    await wait_open(pilot)
    app = pilot.app
    assert isinstance(app, OnboardApp)
    app.go_to_step(StepId.MIGRATE)
    await settle(pilot)
    await show_tab(pilot, tab)
    await pilot.pause(0.4)  # one snapshot read
    await settle(pilot)
    quiet(pilot)
    await pilot.pause()


async def _staging(pilot: Pilot[int]) -> None:
    await open_tab(pilot, "staging")
    pilot.app.screen.query_one("#staging-table", DataTable).focus()
    await pilot.pause()


async def _preflight(pilot: Pilot[int]) -> None:
    await open_tab(pilot, "staging")
    pilot.app.screen.query_one("#staging-table", DataTable).focus()
    await pilot.press("home", "down", "s")
    for _ in range(200):
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, PreflightDialog):
            break
    quiet(pilot)
    await pilot.pause()


async def _dashboard(pilot: Pilot[int]) -> None:
    await open_tab(pilot, "dashboard")


async def _complete(pilot: Pilot[int]) -> None:
    await open_tab(pilot, "complete")
    pilot.app.screen.query_one("#complete-table", DataTable).focus()
    await pilot.pause()


SCENES: tuple[Scene, ...] = (
    Scene("migrate-staging", _staging),
    Scene("migrate-preflight", _preflight),
    Scene("migrate-dashboard", _dashboard),
    Scene("migrate-complete", _complete),
)
