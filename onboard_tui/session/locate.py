"""Find the line of a key in session.toml, so a message can say "line 12" and not "somewhere"."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


def line_of(text: str, table: str, key: str | None = None, index: int = 0) -> int | None:
    """1-based line of `key` in `[table]` (or the `index`-th `[[table]]`).

    Without a key, or when the key is absent, the table's header line; None when neither
    exists. `table=""` means the top level, before any header.
    """
    in_table = table == ""
    aot_seen: dict[str, int] = {}
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(2).strip()
            position = 0
            if header.group(1) == "[[":
                position = aot_seen[name] = aot_seen.get(name, -1) + 1
            in_table = name == table and position == index
            if in_table:
                header_line = number
            continue
        if in_table and key is not None:
            match = _KEY.match(line)
            if match and match.group(1).strip("\"'") == key:
                return number
    return header_line
