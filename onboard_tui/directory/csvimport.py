"""CSV rows -> checked candidates in a stage, with every problem tied to its line.

Rows are streamed from the file into the stage in batches; only the emails and logins
seen so far are remembered (to find duplicates within the file), never the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from onboard_tui.directory.checks import Problem, domain_problem, email_problem, parse_size
from onboard_tui.directory.csvfile import header_and_rows
from onboard_tui.directory.errors import CsvFileError
from onboard_tui.directory.mapping import LABELS, ColumnMapping, Field
from onboard_tui.directory.sniff import CsvFormat
from onboard_tui.directory.staging import Candidate, Stage
from onboard_tui.session.statedb import StateDB

BATCH = 5000
_TEXT_FIELDS = {
    Field.DISPLAY_NAME: "display_name",
    Field.FIRST_NAME: "first_name",
    Field.LAST_NAME: "last_name",
    Field.SOURCE_LOGIN: "source_login",
    Field.DEPARTMENT: "department",
    Field.GROUP: "group_name",
}


@dataclass
class ImportOptions:
    """Rules for one import; `domains` are the session's domains (empty: any domain)."""

    domains: Sequence[str] = ()
    update_existing: bool = True


@dataclass
class StagedImport:
    """A filled stage and the rows that were rejected on the way."""

    stage: Stage
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)


class _RowChecker:
    """Turns one CSV row into a Candidate or a Problem."""

    def __init__(self, mapping: ColumnMapping, options: ImportOptions) -> None:
        self.mapping = mapping
        self.options = options
        self.seen_emails: dict[str, int] = {}
        self.seen_logins: dict[str, int] = {}
        self.email_col = mapping.column_of(Field.EMAIL)
        self.size_col = mapping.column_of(Field.SIZE)
        self.text_cols = [
            (i, _TEXT_FIELDS[f]) for i, f in enumerate(mapping.fields) if f in _TEXT_FIELDS
        ]
        self.attr_cols = [
            (i, mapping.headers[i]) for i, f in enumerate(mapping.fields) if f is Field.ATTRIBUTE
        ]
        self.required = [
            (mapping.column_of(f), f) for f in mapping.required if f is not Field.EMAIL
        ]

    def check(self, line: int, row: list[str]) -> Candidate | Problem:
        def cell(index: int | None) -> str:
            return row[index].strip() if index is not None and index < len(row) else ""

        email = cell(self.email_col)
        reason = email_problem(email) or domain_problem(email, self.options.domains)
        if reason:
            return Problem(line, "email", email, reason)
        for column, wanted in self.required:
            if column is not None and not cell(column):
                return Problem(line, wanted.value, "", f"the {LABELS[wanted]} is empty.")
        key = email.casefold()
        first = self.seen_emails.get(key)
        if first is not None:
            return Problem(line, "email", email, f"duplicate: the same address is on line {first}.")
        candidate = Candidate(line, email)
        for index, name in self.text_cols:
            value = cell(index)
            if name == "group_name" and not value:
                continue
            setattr(candidate, name, value)
        login = (candidate.source_login or "").casefold()
        if login:
            other = self.seen_logins.get(login)
            if other is not None:
                return Problem(
                    line,
                    "source_login",
                    candidate.source_login or "",
                    f"duplicate: the same source login is on line {other}.",
                )
            self.seen_logins[login] = line
        if self.size_col is not None and cell(self.size_col):
            size = parse_size(cell(self.size_col), self.mapping.size_unit)
            if size is None:
                return Problem(line, "size", cell(self.size_col), "not a size (e.g. 2.5 GB).")
            candidate.source_size = size
        attrs = {header: cell(i) for i, header in self.attr_cols if cell(i)}
        candidate.attributes = attrs or None
        self.seen_emails[key] = line
        return candidate


def stage_csv(
    db: StateDB,
    path: Path,
    mapping: ColumnMapping,
    options: ImportOptions,
    fmt: CsvFormat | None = None,
) -> StagedImport:
    """Read the whole file into a new stage; the caller drops the stage when done."""
    problem = mapping.problem()
    if problem:
        raise CsvFileError(path, problem, hint="Choose which column holds the email address.")
    _, _, rows = header_and_rows(path, fmt)
    checker = _RowChecker(mapping, options)
    staged = StagedImport(Stage(db, "csv"))
    batch: list[Candidate] = []
    try:
        for line, row in rows:
            staged.rows += 1
            result = checker.check(line, row)
            if isinstance(result, Problem):
                staged.problems.append(result)
                continue
            batch.append(result)
            if len(batch) >= BATCH:
                staged.stage.add(batch)
                batch.clear()
        staged.stage.add(batch)
        if staged.rows == 0:
            raise CsvFileError(path, "the file has a header line but no users.")
    except BaseException:
        staged.stage.drop()
        raise
    return staged
