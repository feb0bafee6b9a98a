"""The command line through click's CliRunner: version, help, status, and no TUI without a TTY."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from onboard_tui import __version__
from onboard_tui.cli import main
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import Organisation, SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

NEEDS_TERMINAL = (
    "onboard-tui: the wizard needs a terminal (stdin and stdout are not a TTY). "
    "Run it in an SSH session or tmux, or use `onboard-tui status` for scripts.\n"
)

SESSION = """\
schema_version = 1

[session]
name = "acme"
created = 2026-11-20T10:00:00Z
provider = "sandbox"
current_step = "setup"
"""


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


def registered(store: SessionStore) -> None:
    org = Organisation(
        "admin@renovations.com",
        "US",
        "en",
        "America/New_York",
        company="Renovations",
        org_id="org-1",
    )
    org.registered_at = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

    def change(data: SessionData) -> None:
        data.organisation = org
        data.geography = "na"
        data.step_record(StepId.SETUP).state = StepState.DONE
        data.current_step = StepId.VERIFY
        data.transfer_groups.append(TransferGroup("Pilot"))

    store.update(change)
    store.db.upsert_users(
        [UserRow("ann@renovations.com"), UserRow("bob@renovations.com")],
        datetime(2026, 11, 25, 9, 40, tzinfo=UTC),
    )


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"onboard-tui, version {__version__}\n"


@pytest.mark.parametrize("args", [["--help"], []])
def test_help(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: onboard-tui [OPTIONS] [COMMAND] [ARGS]...")
    assert "1 Setup, 2 Verify domain, 3 Migrate\n  users, 4 Assign subscriptions" in result.stdout
    assert "onboard-tui SESSION      open (or create) a session in the wizard" in result.stdout
    for command in ("demo", "status"):
        assert f"\n  {command} " in result.stdout
    assert "\n  open " not in result.stdout  # the hidden command behind `onboard-tui SESSION`


def test_status_of_a_new_session(store: SessionStore) -> None:
    path = store.path
    store.close()
    result = run("status", str(path.parent))
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"Session     test  ({path})"
    assert lines[1] == "Provider    sandbox  geography not chosen"
    assert lines[2] == "Organisation not registered"
    assert lines[3] == "Users       0  in 0 transfer groups"
    assert lines[5] == "→ 1 Setup                  in progress"
    assert lines[6].startswith("  2 Verify domain          not started")


def test_status_of_a_registered_session(store: SessionStore) -> None:
    registered(store)
    path = store.path
    store.close()
    result = run("status", str(path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1] == "Provider    sandbox  geography na"
    assert lines[2] == ("Organisation admin@renovations.com (registered 2026-11-25T09:30:00+00:00)")
    assert lines[3] == "Users       2  in 1 transfer groups"
    assert lines[4].startswith("Migration   ")  # one line per transfer group
    assert lines[6] == "  1 Setup                  done"
    assert lines[7].startswith("→ 2 Verify domain ")


def test_status_json(store: SessionStore) -> None:
    registered(store)
    path = store.path
    store.close()
    result = run("status", str(path.parent), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["session"] == "test"
    assert report["path"] == str(path)
    assert report["provider"] == "sandbox"
    assert report["geography"] == "na"
    assert report["current_step"] == "verify"
    assert report["organisation"] == {
        "logon_name": "admin@renovations.com",
        "company": "Renovations",
        "country": "US",
        "language": "en",
        "timezone": "America/New_York",
        "org_id": "org-1",
        "registered_at": "2026-11-25T09:30:00+00:00",
    }
    assert [(s["id"], s["number"], s["state"]) for s in report["steps"]] == [
        ("setup", 1, "done"),
        ("verify", 2, "in_progress"),  # where the wizard will open
        ("migrate", 3, "not_started"),
        ("subscribe", 4, "not_started"),
        ("mx", 5, "not_started"),
        ("communicate", 0, "not_started"),
    ]
    assert report["users"] == 2
    assert report["transfer_groups"] == 1
    assert report["in_use_by"] is None
    assert "password" not in result.stdout.lower()


def test_status_json_of_a_new_session(store: SessionStore) -> None:
    path = store.path
    store.close()
    report = json.loads(run("status", str(path), "--json").stdout)
    assert report["organisation"] is None
    assert report["geography"] is None
    assert report["steps"][0] == {
        "id": "setup",
        "number": 1,
        "title": "Setup",
        "state": "in_progress",
        "reason": "",
    }


def test_status_while_another_process_holds_the_session(store: SessionStore) -> None:
    """The fixture's store holds the lock, so status reads the session without it."""
    result = run("status", str(store.path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["in_use_by"] == os.getpid()
    assert store.lock.held


def test_status_of_a_missing_session(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    result = run("status", str(folder))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"onboard-tui: {folder / 'session.toml'}: no session here. "
        "Give the path of a session.toml, or create one.\n"
    )
    assert not folder.exists()  # status never creates anything


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('schema_version = 1\n[session]\nname = "x\n', 3, "not valid TOML"),
        (SESSION.replace('provider = "sandbox"', "provider = 3"), 6, "session.provider"),
        (SESSION.replace('"setup"', '"nowhere"'), 7, "not one of"),
        (SESSION.replace("schema_version = 1", "schema_version = 99"), 1, "newer onboard-tui"),
    ],
)
def test_status_of_a_damaged_session(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "s" / "session.toml"
    path.parent.mkdir()
    path.write_text(text)
    result = run("status", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"onboard-tui: {path}, line {line}")
    assert words in result.stderr
    assert result.stderr.count("\n") == 1  # one sentence, one line
    assert path.read_text() == text  # never touched


def test_status_of_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "session.toml"
    path.write_bytes(SESSION.encode() + b'note = "\xff"\n')
    result = run("status", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"onboard-tui: {path}, line 8: contains bytes that are not")


def test_status_of_a_folder_named_session_toml(tmp_path: Path) -> None:
    path = tmp_path / "session.toml"
    path.mkdir()
    result = run("status", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"onboard-tui: {path}: cannot be read: Is a directory.")


def test_status_with_a_damaged_state_db(store: SessionStore) -> None:
    path = store.path
    store.close()
    (path.parent / "state.db").write_bytes(b"this is not a database" * 100)
    result = run("status", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"onboard-tui: {path.parent / 'state.db'} cannot be opened")


def test_status_reads_without_taking_the_lock(store: SessionStore) -> None:
    """status only reads: a lock file it could not even open does not stop it."""
    path = store.path
    store.close()
    lock = path.with_name("session.lock")
    lock.unlink()
    lock.mkdir()  # os.open(O_RDWR) on a directory fails with an OSError
    result = run("status", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["in_use_by"] is None
    assert lock.is_dir()


def test_status_needs_a_session() -> None:
    result = run("status")
    assert result.exit_code == 2
    assert "Missing argument 'SESSION'" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["{dir}/session"],
        ["open", "{dir}/session"],
        ["demo", "--dir", "{dir}/demo"],
    ],
)
def test_wizard_needs_a_terminal(tmp_path: Path, args: list[str]) -> None:
    result = run(*(a.format(dir=tmp_path) for a in args))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == NEEDS_TERMINAL
    assert list(tmp_path.iterdir()) == []  # nothing created, no log file either


def test_wizard_on_an_existing_session_needs_a_terminal(store: SessionStore) -> None:
    before = sorted(p.name for p in store.folder.iterdir())
    result = run(str(store.folder))
    assert result.exit_code == 2
    assert result.stderr == NEEDS_TERMINAL
    assert sorted(p.name for p in store.folder.iterdir()) == before


def test_unknown_option() -> None:
    result = run("--bogus")
    assert result.exit_code == 2
    assert "Error: No such option '--bogus'." in result.stderr
    assert result.stderr.startswith("Usage: onboard-tui [OPTIONS]")
