"""Stream a CSV file row by row with the physical line each row starts on.

The file is never read whole: rows are decoded and parsed as they are consumed, so a
50 MB export costs a few kilobytes of buffer, not the file's size.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from onboard_tui.directory.errors import CsvFileError
from onboard_tui.directory.mapping import ColumnMapping, guess_mapping
from onboard_tui.directory.sniff import CsvFormat, detect_format

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
MAX_FIELD = 64 * 1024


@dataclass(frozen=True)
class CsvPreview:
    """What the mapping step shows: the format, the header, guesses and the first rows."""

    path: Path
    format: CsvFormat
    headers: list[str]
    mapping: ColumnMapping
    rows: list[tuple[int, list[str]]]


def read_rows(path: Path, fmt: CsvFormat) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every non-blank row, the header included."""
    start = 1
    try:
        with path.open("r", encoding=fmt.encoding, newline="") as f:
            if fmt.skip_first_line:
                f.readline()
            reader = csv.reader(f, delimiter=fmt.delimiter)
            offset = 1 if fmt.skip_first_line else 0
            start = 1 + offset
            for row in reader:
                line = start
                start = reader.line_num + 1 + offset
                if any(cell.strip() for cell in row):
                    yield line, row
    except UnicodeDecodeError as exc:
        raise CsvFileError(
            path,
            f"contains bytes that are not {fmt.encoding} text (near line {start}): {exc.reason}.",
            hint="Save the file again as CSV UTF-8 and import that.",
        ) from None
    except csv.Error as exc:
        raise CsvFileError(path, f"line {start}: {exc}.") from None
    except OSError as exc:
        raise CsvFileError(path, f"cannot be read: {exc.strerror}.") from None


def header_and_rows(
    path: Path, fmt: CsvFormat | None = None
) -> tuple[CsvFormat, list[str], Iterator[tuple[int, list[str]]]]:
    """The format, the header cells and an iterator over the data rows."""
    fmt = fmt or detect_format(path)
    rows = read_rows(path, fmt)
    first = next(rows, None)
    if first is None:
        raise CsvFileError(path, "the file has no header line and no users.")
    headers = [h.strip() for h in first[1]]
    if len(headers) < 1 or not any(headers):
        raise CsvFileError(path, "the first line is not a header.")
    return fmt, headers, rows


def preview(path: Path, limit: int = 10) -> CsvPreview:
    """The mapping step's view of a file; reads only the first `limit` rows."""
    fmt, headers, rows = header_and_rows(path)
    sample = []
    for item in rows:
        sample.append(item)
        if len(sample) >= limit:
            break
    if not sample:
        raise CsvFileError(path, "the file has a header line but no users.")
    return CsvPreview(path, fmt, headers, guess_mapping(headers), sample)
