"""CSV import: formats Excel writes, mapping guesses, problems by line, diff, transaction."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.directory.checks import parse_size
from onboard_tui.directory.errors import CsvFileError, ImportAborted
from onboard_tui.directory.exports import neutralise
from onboard_tui.directory.mapping import Field, guess_mapping
from onboard_tui.directory.service import DirectoryService
from onboard_tui.directory.users import page_users
from onboard_tui.session.store import SessionStore

DATA = Path(__file__).parent.parent / "data" / "csv"


@pytest.fixture
def service(store: SessionStore, clock: FrozenClock) -> DirectoryService:
    return DirectoryService(store, clock)


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("utf8_bom_comma.csv", "utf-8-sig", ","),
        ("utf8_comma.csv", "utf-8", ","),
        ("semicolon.csv", "utf-8", ";"),
        ("sep_hint.csv", "utf-8", ";"),
        ("utf16_tab.txt", "utf-16", "\t"),
        ("cp1252_accents.csv", "cp1252", ";"),
    ],
)
def test_format_detection(service: DirectoryService, name: str, encoding: str, delimiter: str):
    found = service.preview_csv(DATA / name)
    assert (found.format.encoding, found.format.delimiter) == (encoding, delimiter)
    assert found.mapping.column_of(Field.EMAIL) == 0
    assert found.rows


def test_accents_and_utf16_decode(service: DirectoryService) -> None:
    cp = service.preview_csv(DATA / "cp1252_accents.csv")
    assert cp.rows[1][1][1:] == ["Jörg", "Müller", "Einkauf \u2013 Nord"]
    assert cp.mapping.fields[:4] == [
        Field.EMAIL,
        Field.FIRST_NAME,
        Field.LAST_NAME,
        Field.DEPARTMENT,
    ]
    utf16 = service.preview_csv(DATA / "utf16_tab.txt")
    assert utf16.rows[1][1] == ["hana@renovations.com", "花子 山田", "営業"]


def test_guesses_and_extra_columns_kept(service: DirectoryService) -> None:
    found = service.preview_csv(DATA / "utf8_bom_comma.csv")
    assert found.headers[0] == "E-mail Address"  # the BOM is not part of the header
    assert found.mapping.fields == [
        Field.EMAIL,
        Field.DISPLAY_NAME,
        Field.FIRST_NAME,
        Field.LAST_NAME,
        Field.SOURCE_LOGIN,
        Field.DEPARTMENT,
        Field.GROUP,
        Field.SIZE,
        Field.ATTRIBUTE,
    ]
    assert found.mapping.size_unit == 1024**2


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.csv", "empty"),
        ("binary_garbage.csv", "does not look like a CSV"),
        ("header_only.csv", "no users"),
    ],
)
def test_unreadable_files_name_the_file(service: DirectoryService, name: str, words: str):
    with pytest.raises(CsvFileError) as caught:
        service.plan_csv(DATA / name)
    assert str(DATA / name) in str(caught.value)
    assert words in str(caught.value)


def test_import_adds_users_with_groups_and_sizes(service: DirectoryService) -> None:
    plan = service.plan_csv(DATA / "utf8_bom_comma.csv")
    assert plan.problems == []
    assert (plan.difference.added, plan.difference.new_groups) == (3, ["Pilot"])
    service.apply_import(plan, skip_problems=False)
    page = page_users(service.store.db)
    assert [u.email for u in page.users] == [
        "alice@renovations.com",
        "bob@renovations.com",
        "carol@west.renovations.com",
    ]
    assert page.users[1].source_size == 61440 * 1024**2
    assert [g.name for g in service.groups()] == ["Pilot"]
    assert service.groups()[0].members == 2


def test_line_numbers_survive_quoted_newlines(service: DirectoryService) -> None:
    plan = service.plan_csv(DATA / "quoted_newlines.csv")
    assert [(p.line, p.field, p.value) for p in plan.problems] == [(6, "email", "not-an-email")]
    assert plan.accepted == 2
    service.discard_import(plan)


def test_duplicates_in_file_are_reported(service: DirectoryService) -> None:
    plan = service.plan_csv(DATA / "duplicates.csv")
    found = [(p.line, p.field, p.reason) for p in plan.problems]
    assert found == [
        (3, "email", "duplicate: the same address is on line 2."),
        (4, "source_login", "duplicate: the same source login is on line 2."),
    ]
    service.discard_import(plan)


def test_missing_columns_required_and_domains(store: SessionStore, clock: FrozenClock) -> None:
    service = DirectoryService(store, clock, domains=lambda: ["renovations.com"])
    plan = service.plan_csv(DATA / "missing_columns.csv")
    assert [(p.line, p.field) for p in plan.problems] == [(3, "email"), (4, "email")]
    assert "not one of the session's domains" in plan.problems[1].reason
    assert plan.summary()["rejected"][0] == {
        "line": 3,
        "field": "email",
        "value": "",
        "reason": "the email address is empty (it is required).",
    }
    service.apply_import(plan, skip_problems=True)
    assert store.db.count_users() == 2


def test_abort_changes_nothing(service: DirectoryService) -> None:
    plan = service.plan_csv(DATA / "missing_columns.csv")
    with pytest.raises(ImportAborted):
        service.apply_import(plan, skip_problems=False)
    assert service.store.db.count_users() == 0
    assert service.groups() == []


def test_reimport_shows_the_difference(service: DirectoryService, tmp_path: Path) -> None:
    service.apply_import(service.plan_csv(DATA / "utf8_comma.csv"), skip_problems=False)
    changed = tmp_path / "again.csv"
    changed.write_text(
        "email,display name,department\n"
        "alice@renovations.com,Alice Archer,Marketing\n"
        "BOB@renovations.com,Bob Builder,Construction\n"
        "zoe@renovations.com,Zoe Zed,Sales\n"
    )
    plan = service.plan_csv(changed)
    d = plan.difference
    assert (d.added, d.changed, d.unchanged, d.missing) == (1, 1, 1, 1)
    assert (d.added_sample, d.changed_sample, d.missing_sample) == (
        ["zoe@renovations.com"],
        ["alice@renovations.com"],
        ["carol@west.renovations.com"],
    )
    service.apply_import(plan, skip_problems=False)
    users = {u.email: u for u in page_users(service.store.db).users}
    assert users["alice@renovations.com"].department == "Marketing"
    assert users["alice@renovations.com"].group == "Pilot"  # no group column: kept
    again = service.plan_csv(changed).difference
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)


def test_login_of_another_existing_user_is_a_duplicate(
    service: DirectoryService, tmp_path: Path
) -> None:
    service.apply_import(service.plan_csv(DATA / "utf8_comma.csv"), skip_problems=False)
    clash = tmp_path / "clash.csv"
    clash.write_text("email,login\nnew@renovations.com,ALICE\n")
    plan = service.plan_csv(clash)
    assert [(p.line, p.field) for p in plan.problems] == [(2, "source_login")]
    assert plan.difference.added == 0
    service.discard_import(plan)


def test_export_neutralises_formulas(service: DirectoryService, tmp_path: Path) -> None:
    service.apply_import(service.plan_csv(DATA / "formula_cells.csv"), skip_problems=False)
    out = tmp_path / "export.csv"
    assert service.export_users(out) == 2
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1][1].startswith("'=HYPERLINK")
    assert rows[1][5] == "'+1"
    assert (rows[2][1], rows[2][5]) == ("'@SUM(1+1)", "'-2")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [("=1+1", "'=1+1"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (None, "")],
)
def test_neutralise(cell: str | None, safe: str) -> None:
    assert neutralise(cell) == safe


@pytest.mark.parametrize(
    ("text", "unit", "size"),
    [
        ("2.5 GB", 1, int(2.5 * 1024**3)),
        ("1,024", 1024**2, 1024**3),
        ("12,5", 1024**3, int(12.5 * 1024**3)),
        ("700 MiB", 1, 700 * 1024**2),
        ("lots", 1, None),
    ],
)
def test_parse_size(text: str, unit: int, size: int | None) -> None:
    assert parse_size(text, unit) == size


def test_mapping_guess_leaves_unknown_as_attribute() -> None:
    mapping = guess_mapping(["Mail", "Cost centre", ""])
    assert mapping.fields == [Field.EMAIL, Field.ATTRIBUTE, Field.IGNORE]
    mapping.set(1, Field.DEPARTMENT)
    assert mapping.column_of(Field.DEPARTMENT) == 1
