"""CSV exports that spreadsheets cannot turn into formulas (CSV injection)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from onboard_tui.directory.errors import DirectoryError

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write atomically (temp file, rename) as UTF-8 with BOM, which Excel opens correctly."""
    count = 0
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([neutralise(h) for h in header])
            for row in rows:
                writer.writerow([neutralise(c) for c in row])
                count += 1
        os.replace(tmp, path)
    except OSError as exc:
        raise DirectoryError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return count
