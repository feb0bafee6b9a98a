"""Untrusted text (directory data, file contents) made safe to display as it is.

Rich markup is never parsed (the result is a `Text`, not a string a widget would read as
markup) and control characters are shown as visible escapes instead of moving the cursor.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
DASH = "—"


def clean(value: object) -> str:
    """The value as one printable line: control characters become `\\xNN`."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def literal(value: object, style: str = "") -> Text:
    """A `Text` that shows `value` exactly, for DataTable cells and Static updates."""
    return Text(clean(value), style=style, no_wrap=False)


def size_text(size: int | None) -> str:
    """Bytes as GB with one decimal; an em dash when unknown."""
    if size is None:
        return DASH
    gib = size / 1024**3
    if gib >= 0.1:
        return f"{gib:.1f} GB"
    return f"{size / 1024**2:.0f} MB"
