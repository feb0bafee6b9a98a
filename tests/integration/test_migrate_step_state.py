"""Step 3 on the roadmap follows the migration: in progress when it starts, done when every
member of every Transfer Group is migrated (here through `onboard-tui run --once`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.store import SessionStore
from tests.migration_session import PASSWORD, PASSWORD_ENV, make_migration_session


def step3(folder: Path) -> tuple[StepState, str]:
    store = SessionStore.open(folder, read_only=True)
    try:
        record = store.data.steps.get(StepId.MIGRATE)
        return (record.state, record.reason) if record else (StepState.NOT_STARTED, "")
    finally:
        store.close()


def run(folder: Path, *groups: str) -> subprocess.CompletedProcess[str]:
    args = [a for g in groups for a in ("--group", g)]
    return subprocess.run(
        [sys.executable, "-m", "onboard_tui", "run", str(folder), "--once", *args],
        env=dict(os.environ, **{PASSWORD_ENV: PASSWORD}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_step_3_is_in_progress_after_one_group_and_done_after_all(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder)
    assert step3(folder)[0] is StepState.NOT_STARTED
    done = run(folder, "Pilot")
    assert done.returncode == 0, done.stderr
    assert step3(folder) == (StepState.IN_PROGRESS, "")  # Wave 1 has not moved yet
    done = run(folder)
    assert done.returncode == 0, done.stderr
    assert step3(folder) == (StepState.DONE, "")


def test_the_password_typed_for_the_migration_also_logs_steps_2_and_4_on(tmp_path: Path) -> None:
    """One password per process: Step 4 does not ask again after Step 3 got it."""
    from onboard_tui.clock import SystemClock
    from onboard_tui.service import OnboardingService
    from onboard_tui.session.secrets import Secret

    folder = tmp_path / "s"
    make_migration_session(folder, admin_password="prompt")
    service = OnboardingService.open(folder / "session.toml", clock=SystemClock())
    try:
        assert service.subscriptions.needs_logon() and service.domains.needs_logon()
        assert service.migration.needs_password()
        service.migration.provide_password(Secret(PASSWORD))
        service.migration.start(["Pilot"])
        assert service.migration.wait(120)
        assert not service.subscriptions.needs_logon()
        assert not service.domains.needs_logon()
    finally:
        service.close()
