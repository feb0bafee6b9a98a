"""The import-users core: JSON document and exit codes 0/1/2, dry run stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

from onboard_tui.directory.cli import import_users
from onboard_tui.session.store import SessionStore

DATA = Path(__file__).parent.parent / "data" / "csv"


def test_clean_file_exits_0_and_dry_run_stores_nothing(store: SessionStore) -> None:
    path = store.path
    store.close()
    result, code = import_users(path, csv_path=DATA / "utf8_comma.csv", dry_run=True)
    assert (code, result["added"], result["rejected"]) == (0, 3, [])
    result, code = import_users(path, csv_path=DATA / "utf8_comma.csv")
    assert (code, result["added"]) == (0, 3)
    result, _ = import_users(path, csv_path=DATA / "utf8_comma.csv")
    assert (result["added"], result["unchanged"]) == (0, 3)


def test_rejected_rows_exit_1_with_line_and_field(store: SessionStore, tmp_path: Path) -> None:
    path = store.path
    store.close()
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"email": "email", "group": "group"}))
    result, code = import_users(path, csv_path=DATA / "missing_columns.csv", mapping_path=mapping)
    assert code == 1
    assert [(r["line"], r["field"]) for r in result["rejected"]] == [(3, "email")]
    assert result["added"] == 3


def test_errors_exit_2(store: SessionStore, tmp_path: Path) -> None:
    path = store.path
    store.close()
    result, code = import_users(path, csv_path=DATA / "binary_garbage.csv")
    assert code == 2 and "binary_garbage.csv" in result["error"]
    result, code = import_users(path, ldap=True)
    assert code == 2 and "Active Directory" in result["error"]
    result, code = import_users(tmp_path / "nowhere")
    assert code == 2
