"""Typed reads of a parsed TOML file that fail with the file, the line and the field.

The session file and the answers file both need "this key, of this kind, checked this
way, or a sentence naming where": the reading lives here, each file says how it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from onboard_tui.errors import OnboardError

T = TypeVar("T")


class TypedReader:
    """Subclasses say how a problem at (table, key) becomes their error."""

    def fail(self, table: str, key: str | None, problem: str, index: int = 0) -> OnboardError:
        raise NotImplementedError

    def get(
        self,
        values: dict[str, Any],
        table: str,
        key: str,
        kind: type[T],
        default: T | None = None,
        *,
        index: int = 0,
        check: Callable[[T], str | None] | None = None,
    ) -> T:
        """`values[key]` of `kind`; `default` when absent (None: it is required)."""
        where = f"{table}.{key}" if table else key
        if key not in values:
            if default is None:
                raise self.fail(table, None, f"'{where}' is missing.", index)
            return default
        raw = values[key]
        value = raw.unwrap() if hasattr(raw, "unwrap") else raw
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(
                table, key, f"'{where}' must be {kind_name(kind)}, not {value!r}.", index
            )
        if check is not None:
            problem = check(value)
            if problem:
                raise self.fail(table, key, f"'{where}': {problem}", index)
        return value


def kind_name(kind: type) -> str:
    """What a person should write, for a message."""
    return {
        str: "text in quotes",
        int: "a whole number",
        bool: "true or false",
        datetime: "a date and time (2026-11-25T09:00:00Z)",
        date: "a date (2026-11-25)",
        list: 'a list in brackets (["a", "b"])',
        float: "a number",
        dict: "a table",
    }.get(kind, kind.__name__)
