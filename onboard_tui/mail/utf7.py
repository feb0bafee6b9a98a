"""IMAP's modified UTF-7 for mailbox names (RFC 3501 section 5.1.3); the stdlib has none.

Printable ASCII stands for itself except "&", written "&-"; anything else is base64 of
UTF-16BE with "," instead of "/", between "&" and "-".
"""

from __future__ import annotations

import base64


class Utf7Error(ValueError):
    """A mailbox name that is not valid modified UTF-7."""


def _flush(chunk: list[str]) -> str:
    # A lone surrogate (a non-UTF-8 file name from os.fsdecode) has no UTF-16: U+FFFD.
    text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in chunk)
    raw = text.encode("utf-16-be")
    return "&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-"


def encode(name: str) -> str:
    """A Unicode mailbox name as modified UTF-7."""
    out: list[str] = []
    pending: list[str] = []
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            if pending:
                out.append(_flush(pending))
                pending = []
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    if pending:
        out.append(_flush(pending))
    return "".join(out)


def decode(name: str) -> str:
    """A modified UTF-7 mailbox name as Unicode; Utf7Error when it is malformed."""
    out: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if not 0x20 <= ord(ch) <= 0x7E:
            raise Utf7Error(f"{name!r}: a raw non-ASCII character in a modified UTF-7 name")
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = name.find("-", i + 1)
        if end < 0:
            raise Utf7Error(f"{name!r}: '&' without its closing '-'")
        if end == i + 1:
            out.append("&")
        else:
            chunk = name[i + 1 : end].replace(",", "/")
            try:
                raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
                text = raw.decode("utf-16-be")
            except (ValueError, UnicodeDecodeError):
                raise Utf7Error(f"{name!r}: bad base64 in '&{name[i + 1 : end]}-'") from None
            if any(0x20 <= ord(c) <= 0x7E for c in text):
                raise Utf7Error(f"{name!r}: printable ASCII must not be base64-encoded")
            out.append(text)
        i = end + 1
    return "".join(out)


def decode_lenient(name: str) -> str:
    """Decode, or keep the name as it is when a server sent something malformed."""
    try:
        return decode(name)
    except Utf7Error:
        return name
