"""Typed reading of a profile's TOML tables, so every complaint names file, field and line.

Admins write these files by hand, so a wrong value is answered with where it is, what it
is, and what to write instead, never with a KeyError.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import NoReturn
from urllib.parse import SplitResult, urlsplit

from onboard_tui.providers.errors import ProfileError

_HEADER = re.compile(r"^\[\[?\s*([^\[\]]+?)\s*\]")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def line_of(text: str, dotted: str) -> int | None:
    """Best-effort line of `a.b.key` in TOML text: the key, else its table's header, else
    the line of the nearest enclosing key (an inline table such as `a = { b = ... }`)."""
    *tables, key = dotted.split(".")
    table = ".".join(tables)
    key_line = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    current, table_line = "", None
    for number, raw in enumerate(text.splitlines(), 1):
        header = _HEADER.match(raw.strip())
        if header:
            current = re.sub(r"[\s\"']", "", header.group(1))
            if current == dotted or current.startswith(dotted + "."):
                return number
            if current == table:
                table_line = number
            continue
        if current == table and key_line.match(raw):
            return number
    if table_line is None and tables:
        return line_of(text, table)
    return table_line


def _bare(example: str) -> str:
    """An example written as TOML (`"x"`), shown inside a sentence (`x`)."""
    return example.strip('"')


def describe(value: object) -> str:
    """A wrong value as TOML calls it, short enough for one line."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{shown}"'
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def is_host_name(value: str) -> bool:
    labels = value.lower().rstrip(".").split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def http_url(value: str) -> SplitResult | None:
    """The parts of an http(s) URL with a host, a valid port and no user or password in it;
    None for anything else (including text urlsplit cannot parse, such as `https://[::1`)."""
    if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
        return None
    try:
        parts = urlsplit(value)
        _ = parts.port  # ValueError when out of range or not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return parts


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TableReader:
    """Reads the fields of one table (the top level, or `geographies.na`) of one file."""

    def __init__(
        self, path: Path, text: str, table: Mapping[str, object], prefix: str = ""
    ) -> None:
        self.path = path
        self.text = text
        self.table = table
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, problem: str, hint: str) -> NoReturn:
        field = self.name(key)
        raise ProfileError(
            f"the field {field} {problem}",
            path=self.path,
            field=field,
            line=line_of(self.text, field),
            hint=hint,
        )

    def only(self, allowed: Collection[str]) -> None:
        """Reject keys the program does not know: a typo would otherwise be silently ignored."""
        for key in self.table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (
                    f"Did you mean {close[0]}?"
                    if close
                    else f"Remove it; the fields here are {', '.join(sorted(allowed))}."
                )
                self.fail(key, "is not a field a provider profile has.", hint)

    def _get(self, key: str, example: str) -> object:
        if key not in self.table:
            self.fail(key, "is missing.", f"Add it, for example: {key} = {example}")
        return self.table[key]

    def text_field(self, key: str, *, example: str, required: bool = True) -> str:
        if not required and key not in self.table:
            return ""
        value = self._get(key, example)
        if not isinstance(value, str):
            self.fail(key, f"must be text, not {describe(value)}.", f"Write {key} = {example}")
        if required and not value.strip():
            self.fail(key, "is empty.", f"Write {key} = {example}")
        return value.strip()

    def host(self, key: str, *, example: str) -> str:
        value = self.text_field(key, example=example)
        if not is_host_name(value):
            self.fail(
                key,
                f'must be a host name such as {_bare(example)}, not "{value}".',
                f"Write {key} = {example}",
            )
        return value.lower().rstrip(".")

    def url(self, key: str, *, example: str, required: bool = True) -> str:
        value = self.text_field(key, example=example, required=required)
        if not value:
            return ""
        parts = http_url(value)
        secure = parts is not None and (
            parts.scheme == "https" or is_loopback(parts.hostname or "")
        )
        if parts is None or not secure or parts.query or parts.fragment:
            self.fail(
                key,
                f'must be an https:// address such as {_bare(example)}, not "{value}".',
                "Use https:// (plain http:// is accepted only for 127.0.0.1 or localhost), "
                f"no user name, password, query or fragment: {key} = {example}",
            )
        return value.rstrip("/")

    def whole_number(self, key: str, *, example: str) -> int:
        value = self._get(key, example)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(
                key,
                f"must be a whole number above zero, not {describe(value)}.",
                f"Write {key} = {example} (a number, without quotes).",
            )
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.fail(
                key,
                f"must be true or false, not {describe(value)}.",
                f"Write {key} = {str(default).lower()} (without quotes).",
            )
        return value

    def table_field(self, key: str, *, example: str) -> TableReader:
        value = self._get(key, example)
        if not isinstance(value, Mapping) or not value:
            self.fail(
                key,
                f"must be a table with at least one entry, not {describe(value)}.",
                f"Add a section such as {example}",
            )
        return TableReader(self.path, self.text, value, self.name(key))
