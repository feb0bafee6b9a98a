"""The CSV reader and import against anything a user may hand it.

Properties: arbitrary bytes and arbitrary text in every encoding the reader knows give
rows or an OnboardError naming the file, never a traceback; a well-formed file written
with any delimiter, quoting, line ending, BOM or `sep=` hint imports exactly what was
written, and every rejected row carries the physical line it starts on; exports never
hold a cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onboard_tui.clock import FrozenClock
from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.exports import neutralise, write_csv
from onboard_tui.directory.mapping import Field, load_mapping
from onboard_tui.directory.service import DirectoryService
from onboard_tui.directory.sniff import DELIMITERS
from onboard_tui.directory.users import iter_users
from onboard_tui.errors import OnboardError
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore

from .settings import examples

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252")
CLOCK = FrozenClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="badinput-csv-") as name:
        yield Path(name)


def fresh_service(folder: Path) -> tuple[DirectoryService, SessionStore]:
    where = Path(tempfile.mkdtemp(dir=folder))
    data = SessionData(name="csv", created=CLOCK.now(), provider="sandbox")
    store = SessionStore.create(where / "session", data)
    return DirectoryService(store, CLOCK), store


def assert_sentence(exc: OnboardError, path: Path) -> None:
    text = str(exc)
    assert str(path) in text, text
    assert "Traceback" not in text
    assert text.rstrip().endswith((".", ")")), text


def try_import(service: DirectoryService, path: Path) -> None:
    """Preview and plan a file: rows and problems with lines, or an OnboardError."""
    try:
        service.preview_csv(path)
        plan = service.plan_csv(path)
    except DirectoryError as exc:
        assert_sentence(exc, path)
        return
    try:
        lines = path.read_bytes().count(b"\n") + path.read_bytes().count(b"\r") + 2
        assert plan.rows == plan.accepted + len(plan.problems)
        for problem in plan.problems:
            assert 1 <= problem.line <= lines, problem
            assert problem.reason.strip(), problem
            assert problem.field
    finally:
        service.discard_import(plan)


# --- arbitrary input ----------------------------------------------------------------------


@examples(150)
@given(raw=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise_a_traceback(folder: Path, raw: bytes) -> None:
    service, store = fresh_service(folder)
    try:
        path = store.folder / "users.csv"
        path.write_bytes(raw)
        try_import(service, path)
    finally:
        store.close()


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)


@examples(150)
@given(
    rows=st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from((*DELIMITERS, ":", " ")),
    newline=st.sampled_from(("\r\n", "\n", "\r")),
    sep_hint=st.booleans(),
)
def test_arbitrary_text_in_every_encoding(
    folder: Path,
    rows: list[list[str]],
    encoding: str,
    delimiter: str,
    newline: str,
    sep_hint: bool,
) -> None:
    out = io.StringIO()
    if sep_hint:
        out.write(f"sep={delimiter}{newline}")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    try:
        raw = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        raw = out.getvalue().encode(encoding, "replace")
    service, store = fresh_service(folder)
    try:
        path = store.folder / "users.csv"
        path.write_bytes(raw)
        try_import(service, path)
    finally:
        store.close()


# --- a well-formed file imports exactly what was written ------------------------------------

names = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDÉÖÜßøñ çé'"), min_size=1, max_size=16
).map(str.strip)
locals_ = st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z0-9]{1,5})?", fullmatch=True)


@st.composite
def user_files(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str, str, str, bool, int]:
    emails = draw(st.lists(locals_, min_size=1, max_size=12, unique=True))
    users = [(f"{e}@renovations.com", draw(names)) for e in emails]
    encoding = draw(st.sampled_from(ENCODINGS))
    delimiter = draw(st.sampled_from(DELIMITERS))
    newline = draw(st.sampled_from(("\r\n", "\n")))
    sep_hint = draw(st.booleans())
    quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)))
    return users, encoding, delimiter, newline, sep_hint, quoting


@examples(100)
@given(case=user_files())
def test_well_formed_file_round_trips(folder: Path, case: tuple) -> None:  # type: ignore[type-arg]
    users, encoding, delimiter, newline, sep_hint, quoting = case
    assume(encoding != "cp1252" or all(n.encode("cp1252", "ignore") for _, n in users))
    out = io.StringIO()
    if sep_hint:
        out.write(f"sep={delimiter}{newline}")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(["E-mail Address", "Display Name", "Notes"])
    for email, name in users:
        writer.writerow([email, name, "x"])
    service, store = fresh_service(folder)
    try:
        path = store.folder / "users.csv"
        path.write_bytes(out.getvalue().encode(encoding))
        found = service.preview_csv(path)
        assert found.format.delimiter == delimiter
        assert found.mapping.column_of(Field.EMAIL) == 0
        plan = service.plan_csv(path)
        assert plan.problems == []
        service.apply_import(plan, skip_problems=False)
        stored = {(u.email, u.display_name) for u in iter_users(store.db)}
        assert stored == {(e, n) for e, n in users}
    finally:
        store.close()


@examples(80)
@given(
    good=st.lists(locals_, min_size=1, max_size=6, unique=True),
    bad=st.lists(
        st.sampled_from(["not-an-email", "a@@b.com", "x@y", "@renovations.com", " "]),
        min_size=1,
        max_size=4,
    ),
    multiline=st.booleans(),
    order=st.randoms(use_true_random=False),
)
def test_rejected_rows_name_their_physical_line(
    folder: Path, good: list[str], bad: list[str], multiline: bool, order: object
) -> None:
    rows: list[tuple[str, str, bool]] = [(f"{g}@renovations.com", "ok", True) for g in good]
    rows += [(b, "bad", False) for b in bad]
    order.shuffle(rows)  # type: ignore[attr-defined]
    lines = ["email,name"]
    expected: dict[int, str] = {}
    physical = 2  # the line the next row starts on
    for email, name, ok in rows:
        cell = f'"{name}\nsecond line"' if multiline else name
        if not ok:
            expected[physical] = email
        lines.append(f"{email},{cell}")
        physical += 2 if multiline else 1
    service, store = fresh_service(folder)
    try:
        path = store.folder / "users.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        plan = service.plan_csv(path)
        try:
            found = {p.line: p.value for p in plan.problems}
            assert set(found) == set(expected)
            for line, value in found.items():
                assert value == expected[line].strip()
        finally:
            service.discard_import(plan)
    finally:
        store.close()


# --- exports are formula-safe ---------------------------------------------------------------

formula_text = st.one_of(
    st.text(max_size=20),
    st.builds(lambda a, b: a + b, st.sampled_from(FORMULA_STARTS), st.text(max_size=20)),
)


@examples(200)
@given(cell=formula_text)
def test_neutralise_never_leaves_a_formula_start(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (cell, "'" + cell)


@examples(80)
@given(rows=st.lists(st.lists(formula_text, min_size=1, max_size=4), max_size=6))
def test_exported_csv_is_formula_safe_and_reads_back(folder: Path, rows: list[list[str]]) -> None:
    path = Path(tempfile.mkdtemp(dir=folder)) / "export.csv"
    header = ['=HYPERLINK("http://x")', "name", "+1", "@sum"]
    assert write_csv(path, header, rows) == len(rows)
    with path.open(encoding="utf-8-sig", newline="") as f:
        back = list(csv.reader(f))
    assert back[0] == [neutralise(h) for h in header]
    assert back[1:] == [[neutralise(c) for c in row] for row in rows]
    for row in back:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


@examples(40)
@given(
    names_=st.lists(
        st.builds(
            lambda a, b: a + b,
            st.sampled_from(("=", "+", "-", "@", "")),
            st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_users_export_after_import_is_formula_safe(folder: Path, names_: list[str]) -> None:
    service, store = fresh_service(folder)
    try:
        path = store.folder / "users.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["email", "display name", "department"])
            for i, name in enumerate(names_):
                writer.writerow([f"u{i}@renovations.com", name, "=1+2"])
        plan = service.plan_csv(path)
        service.apply_import(plan, skip_problems=True)
        out = store.folder / "export.csv"
        service.export_users(out)
        with out.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(FORMULA_STARTS), cell
    finally:
        store.close()


# --- mapping files --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@examples(150)
@given(
    data=st.one_of(
        st.dictionaries(
            st.sampled_from([f.value for f in Field] + ["mail", ""]), json_values, max_size=4
        ),
        json_values,
    )
)
def test_mapping_file_with_anything_in_it(folder: Path, data: object) -> None:
    path = Path(tempfile.mkdtemp(dir=folder)) / "mapping.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        mapping = load_mapping(path, ["E-mail", "Name", "Wave", "Notes"])
    except DirectoryError as exc:
        assert_sentence(exc, path)
        return
    assert len(mapping.fields) == 4


@examples(60)
@given(raw=st.binary(max_size=256), suffix=st.sampled_from([".json", ".toml"]))
def test_mapping_file_of_arbitrary_bytes(folder: Path, raw: bytes, suffix: str) -> None:
    path = Path(tempfile.mkdtemp(dir=folder)) / f"mapping{suffix}"
    path.write_bytes(raw)
    try:
        load_mapping(path, ["email"])
    except DirectoryError as exc:
        assert_sentence(exc, path)


# --- regressions found by the properties above ----------------------------------------------


def test_regression_tab_sep_hint_is_not_taken_for_the_header(folder: Path) -> None:
    """`sep=<TAB>` (Excel's hint for a tab-separated file) was stripped to `sep=`."""
    service, store = fresh_service(folder)
    try:
        path = store.folder / "users.csv"
        path.write_bytes(b"sep=\t\r\nE-mail Address\tDisplay Name\r\na@renovations.com\tA\r\n")
        found = service.preview_csv(path)
        assert found.format.delimiter == "\t"
        assert found.format.skip_first_line
        assert found.headers == ["E-mail Address", "Display Name"]
        assert found.rows == [(3, ["a@renovations.com", "A"])]
    finally:
        store.close()


@pytest.mark.parametrize("value", [None, 5, True, {"a": "b"}])
def test_regression_mapping_value_of_the_wrong_type(folder: Path, value: object) -> None:
    """{"email": null} raised TypeError from list(None) instead of naming the key."""
    path = Path(tempfile.mkdtemp(dir=folder)) / "mapping.json"
    path.write_text(json.dumps({"email": value}), encoding="utf-8")
    with pytest.raises(DirectoryError, match="'email' must be a column name"):
        load_mapping(path, ["E-mail"])
