"""The item model: what a source yields and a target stores.

An item is described by an `ItemRef` (cheap metadata: stable source id, folder, flags,
received date, size) long before its body is read; `MailItem` adds the MIME bytes, read
once and passed through untouched (never parsed, never copied whole a second time except
for the CRLF normalisation IMAP requires of bare-LF archives).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

#: A folder as its components from the top ("Inbox", "Projects", "2024"); the hierarchy
#: separator belongs to each server, never to the model.
FolderPath = tuple[str, ...]

MAIL = "mail"
CONTACTS = "contacts"
CALENDAR = "calendar"
TASKS = "tasks"
ITEM_TYPES = (MAIL, CONTACTS, CALENDAR, TASKS)

#: IMAP system flags the model keeps; keywords ($Forwarded, $Label1...) pass as they are.
SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")

# Reasons an item is not copied; the Complete tab and the CSV reports show these words.
SKIP_TOO_LARGE = "too large"
SKIP_EXCLUDED_FOLDER = "excluded folder"
SKIP_DATE_RANGE = "outside the date range"
SKIP_UNREADABLE = "unreadable"
SKIP_TARGET_TYPE = "type not supported by the target"
SKIP_NOT_SELECTED = "type not selected"
SKIP_NOT_AVAILABLE = "not available from this source"


def folder_name(path: FolderPath) -> str:
    """How a folder is written in the ledger, reports and on screen: "Projects/2024"."""
    return "/".join(path)


def is_inbox(path: FolderPath) -> bool:
    return len(path) == 1 and path[0].upper() == "INBOX"


@dataclass(frozen=True)
class ItemRef:
    """One item of a source before its body is read."""

    source_id: str
    folder: FolderPath
    size: int
    received: datetime
    flags: tuple[str, ...] = ()
    item_type: str = MAIL
    #: Where the source finds it again (an IMAP UID, a Maildir file, an mbox key).
    locator: str = ""


@dataclass
class MailItem:
    """An item with its body: MIME bytes for mail (vCard/iCalendar for the other types)."""

    ref: ItemRef
    body: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True)
class SkippedItem:
    """An item the migration did not copy, and why; every one is recorded."""

    source_id: str
    folder: FolderPath
    reason: str
    detail: str = ""
    size: int = 0
    item_type: str = MAIL


def utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


_LF = re.compile(rb"\r\n|\r(?!\n)|\n")


def crlf(body: bytes) -> bytes:
    """The body with CRLF line ends (IMAP's wire form); unchanged (no copy) when already so."""
    lf = body.count(b"\n")
    if lf == body.count(b"\r\n") and body.count(b"\r") == lf:
        return body
    return _LF.sub(b"\r\n", body)


WIRE_CHUNK = 1024 * 1024


class WireBody:
    """A body in IMAP's CRLF wire form, made piece by piece as it is sent.

    The literal's size is known up front, but the converted message is never built
    whole: a 100 MB message with LF line ends would otherwise be held twice (three times
    with the regular expression's pieces) while it is appended.
    """

    __slots__ = ("_size", "body")

    def __init__(self, body: bytes) -> None:
        self.body = body
        crlfs = body.count(b"\r\n")
        self._size = len(body) + (body.count(b"\n") - crlfs) + (body.count(b"\r") - crlfs)

    def __len__(self) -> int:
        return self._size

    def chunks(self, size: int = WIRE_CHUNK) -> Iterator[bytes]:
        """The wire bytes in pieces of about `size`; a CR LF pair is never split."""
        body, start, end_all = self.body, 0, len(self.body)
        if self._size == end_all:
            yield body  # already CRLF: sent as it is, no copy
            return
        view = memoryview(body)
        while start < end_all:
            end = min(end_all, start + size)
            while end < end_all and body[end - 1] == 13:  # a CR: keep its LF with it
                end += 1
            yield _LF.sub(b"\r\n", view[start:end])
            start = end


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.I | re.M)


def header_block(body: bytes, limit: int = 65536) -> bytes:
    """The header section of a message (at most `limit` bytes are looked at)."""
    head = body[:limit]
    found = _HEADER_END.search(head)
    return head[: found.start()] if found else head


def message_id(header: bytes) -> str:
    """The Message-ID of a header block, whitespace folded; "" when it has none."""
    found = _MESSAGE_ID.search(header)
    if not found:
        return ""
    return " ".join(found.group(1).decode("ascii", "replace").split())
