"""`onboard-tui run` as a subprocess on a small generated Maildir into the sandbox:
exit codes, SIGTERM checkpoint then resume with no duplicate, `status --json`."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from onboard_tui.session.store import SessionStore
from tests.migration_session import PASSWORD, PASSWORD_ENV, make_migration_session

CLI = [sys.executable, "-m", "onboard_tui"]


def env() -> dict[str, str]:
    return dict(os.environ, **{PASSWORD_ENV: PASSWORD})


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ledger(folder: Path) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(f"file:{folder / 'state.db'}?mode=ro", uri=True) as db:
            return db.execute("SELECT user, source_id FROM mail_ledger").fetchall()
    except sqlite3.Error:
        return []


def cloud_items(folder: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{folder / 'sandbox.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT email, source_id FROM mailbox_items").fetchall()


def test_run_once_copies_everything_and_status_reports_it(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder)
    done = run("run", str(folder), "--once")
    assert done.returncode == 0, done.stderr
    assert "4 user(s) done, 0 failed" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    log = (folder / "onboard-tui.log").read_text()
    assert "run: groups Pilot, Wave 1" in log and PASSWORD not in log
    copied = ledger(folder)
    assert len(copied) == len(set(copied)) == len(cloud_items(folder)) > 0
    status = run("status", str(folder), "--json")
    report = json.loads(status.stdout)["migration"]
    assert [g["name"] for g in report["groups"]] == ["Pilot", "Wave 1"]
    assert report["overall"]["users"]["done"] == 4
    assert report["overall"]["items_done"] == len(copied)
    assert {u["state"] for u in report["users"]} == {"done"}
    # Again: nothing new is copied (a delta), exit 0.
    again = run("run", str(folder), "--group", "Pilot")
    assert again.returncode == 0 and len(ledger(folder)) == len(copied)


def test_sigterm_checkpoints_and_the_next_run_resumes_without_duplicates(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder, messages=240, item_delay_ms=15)
    proc = subprocess.Popen(
        [*CLI, "run", str(folder), "--watch"],
        env=env(),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(ledger(folder)) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before SIGTERM"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Stopping" in err
    first = ledger(folder)
    assert 0 < len(first) < 200
    # The ledger and the cloud agree at the checkpoint: nothing stored is unrecorded.
    assert set(first) <= set(cloud_items(folder))
    resumed = run("run", str(folder), "--once")
    assert resumed.returncode == 0, resumed.stderr
    final = ledger(folder)
    assert len(final) == len(set(final)) > len(first)
    assert sorted(final) == sorted(cloud_items(folder))


def test_exit_codes_locked_prompt_without_terminal_and_failed_users(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    make_migration_session(folder, admin_password="prompt")
    holder = SessionStore.open(folder)
    try:
        locked = run("run", str(folder))
    finally:
        holder.close()
    assert locked.returncode == 3 and "runs this session" in locked.stderr
    no_tty = run("run", str(folder))
    assert no_tty.returncode == 2
    assert "no terminal" in no_tty.stderr and "env:" in no_tty.stderr
    other = tmp_path / "t"
    make_migration_session(
        other,
        groups={"Pilot": ("alice.adams@renovations.com", "ghost@renovations.com")},
        extra_users=("ghost@renovations.com",),
    )
    failed = run("run", str(other))
    assert failed.returncode == 1, failed.stderr
    assert "1 failed" in failed.stderr
    missing = run("run", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
