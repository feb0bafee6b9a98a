"""Which CSV column is which user field, guessed from the header and adjustable by hand."""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from onboard_tui.directory.errors import DirectoryError


class Field(StrEnum):
    """The user fields a column can fill; ATTRIBUTE keeps the column as an extra attribute."""

    EMAIL = "email"
    DISPLAY_NAME = "display_name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    SOURCE_LOGIN = "source_login"
    GROUP = "group"
    DEPARTMENT = "department"
    SIZE = "size"
    ATTRIBUTE = "attribute"
    IGNORE = "ignore"


LABELS = {
    Field.EMAIL: "email",
    Field.DISPLAY_NAME: "display name",
    Field.FIRST_NAME: "first name",
    Field.LAST_NAME: "last name",
    Field.SOURCE_LOGIN: "source login or mailbox",
    Field.GROUP: "transfer group",
    Field.DEPARTMENT: "department",
    Field.SIZE: "mailbox size",
    Field.ATTRIBUTE: "kept as an attribute",
    Field.IGNORE: "ignored",
}

_SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.EMAIL: (
        "email",
        "emailaddress",
        "mail",
        "smtp",
        "primarysmtpaddress",
        "internetaddress",
        "smtpaddress",
        "courriel",
        "emailadresse",
    ),
    Field.DISPLAY_NAME: ("displayname", "name", "fullname", "cn", "commonname", "username"),
    Field.FIRST_NAME: ("firstname", "givenname", "first", "forename", "vorname", "prenom"),
    Field.LAST_NAME: ("lastname", "surname", "sn", "familyname", "last", "nachname", "nom"),
    Field.SOURCE_LOGIN: (
        "login",
        "sourcelogin",
        "samaccountname",
        "mailbox",
        "sourcemailbox",
        "uid",
        "userprincipalname",
        "upn",
        "mailfile",
        "account",
        "shortname",
        "loginname",
    ),
    Field.GROUP: ("group", "transfergroup", "wave", "batch", "migrationgroup"),
    Field.DEPARTMENT: ("department", "departement", "dept", "division", "abteilung"),
    Field.SIZE: (
        "size",
        "mailboxsize",
        "sizemb",
        "sizegb",
        "sizebytes",
        "totalsize",
        "mailfilesize",
        "totalitemsize",
        "mailboxsizemb",
        "mailboxsizegb",
    ),
}


def normalise(header: str) -> str:
    """'E-Mail Address ' -> 'emailaddress', 'Prénom' -> 'prenom'."""
    plain = unicodedata.normalize("NFKD", header.strip().lower())
    return re.sub(r"[^a-z0-9]", "", plain.encode("ascii", "ignore").decode())


@dataclass
class ColumnMapping:
    """One field per column (by position); the header names are kept for messages."""

    headers: list[str]
    fields: list[Field]
    size_unit: int = 1
    required: set[Field] = field(default_factory=lambda: {Field.EMAIL})

    def column_of(self, wanted: Field) -> int | None:
        for index, f in enumerate(self.fields):
            if f is wanted:
                return index
        return None

    def mapped(self) -> set[Field]:
        return set(self.fields)

    def set(self, column: int, wanted: Field) -> None:
        """Assign a field to a column; a field other than ATTRIBUTE/IGNORE moves, not copies."""
        if wanted not in (Field.ATTRIBUTE, Field.IGNORE):
            self.fields = [Field.ATTRIBUTE if f is wanted else f for f in self.fields]
        self.fields[column] = wanted
        if wanted is Field.SIZE:
            self.size_unit = size_unit(self.headers[column])

    def problem(self) -> str | None:
        """Why this mapping cannot be used, or None."""
        if self.column_of(Field.EMAIL) is None:
            return "no column is mapped to the email address."
        return None


def size_unit(header: str) -> int:
    """Bytes per unit named in a size column's header (MB, GB, KB), else bytes."""
    h = normalise(header)
    for suffix, unit in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if h.endswith(suffix) or f"{suffix}" in h[-4:]:
            return unit
    return 1


def guess_mapping(headers: list[str]) -> ColumnMapping:
    """First exact synonym wins per field; every other column is kept as an attribute."""
    fields: list[Field] = []
    taken: set[Field] = set()
    for header in headers:
        key = normalise(header)
        found = Field.ATTRIBUTE if key else Field.IGNORE
        for candidate, names in _SYNONYMS.items():
            if candidate not in taken and key in names:
                found = candidate
                taken.add(candidate)
                break
        fields.append(found)
    mapping = ColumnMapping(list(headers), fields)
    size = mapping.column_of(Field.SIZE)
    if size is not None:
        mapping.size_unit = size_unit(headers[size])
    return mapping


def load_mapping(path: Path, headers: list[str]) -> ColumnMapping:
    """A mapping file (JSON or TOML) of field -> header name, on top of the guesses.

    Example: {"email": "E-Mail", "group": "Wave", "ignore": ["Notes"]}.
    """
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (OSError, ValueError) as exc:
        raise DirectoryError(f"The mapping file {path} cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise DirectoryError(f"The mapping file {path} must hold an object of field: header.")
    mapping = guess_mapping(headers)
    by_name = {normalise(h): i for i, h in enumerate(headers)}
    for key, value in data.items():
        try:
            wanted = Field(key)
        except ValueError:
            allowed = ", ".join(f.value for f in Field)
            raise DirectoryError(
                f"The mapping file {path}: '{key}' is not a field ({allowed})."
            ) from None
        if not isinstance(value, str | list):
            raise DirectoryError(
                f"The mapping file {path}: '{key}' must be a column name or a list of them, "
                f"not {value!r}."
            )
        for name in [value] if isinstance(value, str) else value:
            column = by_name.get(normalise(str(name)))
            if column is None:
                raise DirectoryError(
                    f"The mapping file {path}: the column '{name}' is not in the CSV header."
                )
            mapping.set(column, wanted)
    return mapping
