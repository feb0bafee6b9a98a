"""`onboard-tui import-users` through click: exit codes, JSON, dry run, bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

from onboard_tui.session.store import SessionStore
from tests.unit.test_cli import run

CSV = "email,name,department\nann@renovations.com,Ann,Sales\nbob@renovations,Bob,IT\n"


def test_import_reports_rejected_rows_with_their_line_and_exit_1(
    store: SessionStore, tmp_path: Path
) -> None:
    path = store.path
    store.close()
    users = tmp_path / "users.csv"
    users.write_text(CSV)
    result = run("import-users", str(path), "--csv", str(users))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "Imported: 1 added, 0 updated, 0 unchanged, 0 missing; 1 rejected.",
        "  line 3: email 'bob@renovations': not a valid email address.",
    ]
    again = run("import-users", str(path), "--csv", str(users), "--json", "--dry-run")
    report = json.loads(again.stdout)
    assert (report["added"], report["unchanged"]) == (0, 1)
    assert report["rejected"][0]["line"] == 3


def test_a_clean_file_exits_0_and_dry_run_changes_nothing(
    store: SessionStore, tmp_path: Path
) -> None:
    path = store.path
    store.close()
    users = tmp_path / "users.csv"
    users.write_text("email\nann@renovations.com\n")
    dry = run("import-users", str(path), "--csv", str(users), "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["added"] == 1
    real = run("import-users", str(path), "--csv", str(users), "--json")
    assert real.exit_code == 0 and json.loads(real.stdout)["added"] == 1


def test_bad_arguments_and_a_missing_file_exit_2(store: SessionStore, tmp_path: Path) -> None:
    path = store.path
    store.close()
    neither = run("import-users", str(path))
    assert neither.exit_code == 2 and "--csv FILE or --ldap" in neither.stderr
    missing = run("import-users", str(path), "--csv", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "nope.csv" in missing.stderr
