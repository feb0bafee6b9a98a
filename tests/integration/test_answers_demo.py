"""`onboard-tui demo --answers sample_configs/demo-answers.toml --headless`: the real wizard,
driven by the shipped answers file from Step 1 to Step 5 on the built-in sandbox (its own
DNS server, SMTP server and cloud), then run again: everything done is passed over.

The demo's mailboxes are generated small beforehand (the full 20,000 messages would only
make the test slow; the code path is the same).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from onboard_tui.mail.demo import USERS_CSV, demo_users, generate

ANSWERS = Path(__file__).parents[2] / "sample_configs" / "demo-answers.toml"
PASSWORD = "Lakeside-Harbour-42"


def demo(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onboard_tui", "demo", "--dir", str(folder), *extra],
        env=dict(os.environ, ONBOARD_DEMO_PASSWORD=PASSWORD),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def small_demo_mail(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    root = folder / "demo-mail"
    root.mkdir(mode=0o700)
    generate(root, demo_users(USERS_CSV), messages=300, large=1, large_mb=(1, 2))


def status(folder: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "onboard_tui", "status", str(folder), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_sample_answers_walk_the_demo_and_a_second_run_passes_over(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    small_demo_mail(folder)
    # Step 1 alone first (the session is made), then the demo's users are made to log in
    # within seconds, every one of them, so the gate can open without waiting minutes.
    setup_only = tmp_path / "setup.toml"
    setup_only.write_text(ANSWERS.read_text().split("\n[verify]")[0] + "\n")
    first = demo(folder, "--answers", str(setup_only), "--headless")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Step 1 registered admin@renovations.com" in first.stdout + first.stderr
    toml = folder / "session.toml"
    toml.write_text(
        toml.read_text().replace(
            "[sandbox]\n", "[sandbox]\nactivate_after_s = [1, 3]\nnever_activate_percent = 0\n"
        )
    )

    whole = demo(folder, "--answers", str(ANSWERS), "--headless")
    summary = whole.stdout + whole.stderr
    assert whole.returncode == 0, summary
    assert "Step 1 already done" in summary
    assert "Step 2: renovations.com verified" in summary
    assert "Communicate: 'first-announcement'" in summary and "'sent': 38" in summary, summary
    assert "Step 3 migrated 'West': 12 of 12 users" in summary
    assert "Step 4: 38 subscription(s) assigned" in summary
    assert "Step 4: 38 of 38 user(s) activated" in summary
    assert "Step 5: MX of renovations.com switched." in summary  # the gate passed whole

    toml = (folder / "session.toml").read_text()
    assert "mx_switched_at" in toml and PASSWORD not in toml
    for file in folder.iterdir():
        if file.is_file():
            assert PASSWORD.encode() not in file.read_bytes(), file
    with sqlite3.connect(f"file:{folder / 'state.db'}?mode=ro", uri=True) as db:
        sent = db.execute(
            "SELECT COUNT(*) FROM comms_sent WHERE template = 'first-announcement'"
        ).fetchone()[0]
    assert sent == 38
    report = status(folder)
    assert "steps" in report, report

    again = demo(folder, "--answers", str(ANSWERS), "--headless")
    summary = again.stdout + again.stderr
    assert again.returncode == 0, summary
    assert "Step 1 already done" in summary
    assert "renovations.com was already verified" in summary
    assert "already reached everyone" in summary
    assert "was already switched" in summary


def test_an_answers_file_with_a_mistake_changes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "answers.toml"
    broken.write_text('[setup]\naccept_terms = true\nadmin_email = "a@b"\npassword = "x1"\n')
    done = demo(tmp_path / "demo", "--answers", str(broken), "--headless")
    assert done.returncode == 2
    assert f"{broken}, line " in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "demo" / "session.toml").exists()
