"""Guess how Excel (or anything else) wrote a CSV file: its encoding and its delimiter.

Only the first part of the file is looked at, so a 50 MB file costs the same as a small one.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from onboard_tui.directory.errors import CsvFileError

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


@dataclass(frozen=True)
class CsvFormat:
    """What the file turned out to be; `skip_first_line` is Excel's `sep=;` hint line."""

    encoding: str
    delimiter: str
    skip_first_line: bool = False

    @property
    def description(self) -> str:
        names = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "utf-16": "UTF-16"}
        enc = names.get(self.encoding, self.encoding)
        return f"{enc}, {_NAMES.get(self.delimiter, repr(self.delimiter))}-separated"


def detect_format(path: Path) -> CsvFormat:
    """Read the head of `path` and decide; CsvFileError for empty or binary files."""
    try:
        with path.open("rb") as f:
            head = f.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise CsvFileError(path, "the file does not exist.") from None
    except IsADirectoryError:
        raise CsvFileError(path, "this is a folder, not a CSV file.") from None
    except OSError as exc:
        raise CsvFileError(path, f"cannot be read: {exc.strerror}.") from None
    if not head.strip(b" \r\n\t\x00\xef\xbb\xbf\xff\xfe"):
        raise CsvFileError(path, "the file is empty.", hint="Export the users again.")
    encoding = detect_encoding(head, path)
    text = _decode_head(head, encoding, path)
    lines = text.splitlines()
    first = lines[0].strip(" ") if lines else ""  # not strip(): "sep=\t" names a tab
    if first.lower().startswith("sep=") and len(first) == 5:
        return CsvFormat(encoding, first[4], skip_first_line=True)
    return CsvFormat(encoding, detect_delimiter(text))


def detect_encoding(head: bytes, path: Path) -> str:
    """BOMs first, then UTF-16 without BOM (NUL pattern), then UTF-8, then cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    half = max(1, len(sample) // 2)
    if odd_nuls > half * 0.3 and even_nuls == 0:
        return "utf-16-le"
    if even_nuls > half * 0.3 and odd_nuls == 0:
        return "utf-16-be"
    if b"\x00" in head:
        _not_text(path, head.index(b"\x00"))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
    except UnicodeDecodeError as exc:
        _not_text(path, exc.start)
    return "cp1252"


def _decode_head(head: bytes, encoding: str, path: Path) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        text = decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        _not_text(path, exc.start)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(8, len(text) // 100):
        offset = next(i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in "\t\r\n")
        _not_text(path, offset)
    return text


def _not_text(path: Path, offset: int) -> None:
    raise CsvFileError(
        path,
        f"this does not look like a CSV text file (binary data near byte {offset}).",
        hint="Export the users from Excel with Save As > CSV (UTF-8), then import that file.",
    )


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, and most regular, columns."""
    cut = text.rfind("\n")
    sample = text[: cut + 1] if cut > 0 else text
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r][:50]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        regular = sum(1 for r in rows if len(r) == width) / len(rows)
        score = regular * 10 + min(width, 10) / 10
        if score > best_score:
            best, best_score = delimiter, score
    return best
