"""What EWS items become in the item model: types, flags, and tasks as iCalendar.

Exchange gives mail as MIME, contacts as vCard and calendar entries as iCalendar through
`MimeContent`, but refuses MIME for tasks (ErrorUnsupportedMimeConversion), so a task is
written here as a VTODO from its fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from onboard_tui.mail.items import CALENDAR, CONTACTS, MAIL, TASKS

#: EWS item element -> item type of the model; anything else is mail (MeetingRequest...).
_TYPES = {
    "Contact": CONTACTS,
    "DistributionList": CONTACTS,
    "CalendarItem": CALENDAR,
    "Task": TASKS,
}

#: What the body of each type must start with to be what the target expects.
BODY_START = {CONTACTS: b"BEGIN:VCARD", CALENDAR: b"BEGIN:VCALENDAR", TASKS: b"BEGIN:VCALENDAR"}

#: EWS task status -> iCalendar STATUS.
_STATUS = {
    "NotStarted": "NEEDS-ACTION",
    "InProgress": "IN-PROCESS",
    "Completed": "COMPLETED",
    "WaitingOnOthers": "NEEDS-ACTION",
    "Deferred": "CANCELLED",
}


def item_type(item: Any) -> str:
    """The model's type of an exchangelib item, by its EWS element name."""
    return _TYPES.get(type(item).__name__, MAIL)


def flags_of(item: Any) -> tuple[str, ...]:
    """IMAP-style flags from what EWS says: read and draft."""
    flags = []
    if getattr(item, "is_read", False):
        flags.append("\\Seen")
    if getattr(item, "is_draft", False):
        flags.append("\\Draft")
    return tuple(flags)


def _text(value: str) -> str:
    """An iCalendar TEXT value (RFC 5545 3.3.11), folded at 75 octets."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    raw = line.encode()
    if len(raw) <= 75:
        return line
    out: list[bytes] = []
    chunk = b""
    for ch in line:
        b = ch.encode()
        if len(chunk) + len(b) > (75 if not out else 74):
            out.append(chunk)
            chunk = b""
        chunk += b
    out.append(chunk)
    return "\r\n ".join(part.decode() for part in out)


def _stamp(value: date) -> str:
    """A UTC DATE-TIME, or a DATE when EWS gave only the day (task start and due)."""
    if isinstance(value, datetime):
        # fromtimestamp: exchangelib's EWSDateTime refuses astimezone() to a stdlib zone.
        return datetime.fromtimestamp(value.timestamp(), UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def _dated(name: str, value: date) -> str:
    stamp = _stamp(value)
    return f"{name}:{stamp}" if "T" in stamp else f"{name};VALUE=DATE:{stamp}"


def task_ical(
    uid: str,
    *,
    subject: str,
    body: str = "",
    status: str = "",
    due: date | None = None,
    start: date | None = None,
    completed: date | None = None,
    percent: int | None = None,
    now: datetime,
) -> bytes:
    """One VCALENDAR holding the task as a VTODO (CRLF line ends, as RFC 5545 wants)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//onboard-tui//EWS task//EN",
        "BEGIN:VTODO",
        f"UID:{_text(uid)}",
        f"DTSTAMP:{_stamp(now)}",
        f"SUMMARY:{_text(subject)}",
    ]
    if body:
        lines.append(f"DESCRIPTION:{_text(body)}")
    if status in _STATUS:
        lines.append(f"STATUS:{_STATUS[status]}")
    if start is not None:
        lines.append(_dated("DTSTART", start))
    if due is not None:
        lines.append(_dated("DUE", due))
    if completed is not None:
        lines.append(_dated("COMPLETED", completed))
    if percent is not None:
        lines.append(f"PERCENT-COMPLETE:{max(0, min(100, int(percent)))}")
    lines += ["END:VTODO", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
