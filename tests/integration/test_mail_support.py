"""Shared by the mail integration tests: fill and read IMAP mailboxes, compare them."""

from __future__ import annotations

import contextlib
import imaplib
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from onboard_tui.mail import utf7
from onboard_tui.mail.imapconn import internaldate, parse_fetch, quote

FOLDERS = ("INBOX", "Sent", "Projekte/Übersicht", "Archive/2024", "Trash")


def message(i: int, size: int, *, with_id: bool = True, rng: random.Random | None = None) -> bytes:
    rng = rng or random.Random(i)
    head = (
        f"From: Sender {i} <s{i}@example.org>\r\n"
        f"To: someone@renovations.com\r\n"
        f"Subject: message {i}\r\n"
        f"Date: Tue, 05 Mar 2024 09:{i % 60:02d}:00 +0000\r\n"
    )
    if with_id:
        head += f"Message-ID: <m{i}.{rng.getrandbits(32)}@example.org>\r\n"
    head += "\r\n"
    line = "The quick brown fox jumps over the lazy dog 0123456789.\r\n"
    body = (line * (max(0, size - len(head)) // len(line) + 1))[: max(0, size - len(head))]
    return (head + body).encode()


def reset(imap: imaplib.IMAP4) -> None:
    """Delete every folder but INBOX and empty INBOX."""
    _typ, data = imap.list('""', "*")
    names = []
    for line in data:
        if isinstance(line, bytes):
            raw = line.rsplit(b' "/" ', 1)[-1].decode()
            names.append(raw.strip('"'))
    for name in sorted(names, key=len, reverse=True):
        if name.upper() != "INBOX":
            with contextlib.suppress(imaplib.IMAP4.error):
                imap.delete(quote(name))
    _typ, data = imap.select("INBOX")
    if int(data[0] or 0):
        imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        imap.expunge()
    imap.close()


def fill(imap: imaplib.IMAP4, per_folder: int, *, seed: int = 1, folders=FOLDERS) -> None:
    rng = random.Random(seed)
    n = 0
    for folder in folders:
        raw = utf7.encode(folder)
        if folder != "INBOX":
            imap.create(quote(raw))
        for _ in range(per_folder):
            n += 1
            flags = rng.choice(["", r"\Seen", r"\Seen \Flagged", r"\Answered", "$Forwarded"])
            when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
            body = message(n, rng.choice([600, 2_000, 9_000, 70_000]), with_id=n % 7 != 0, rng=rng)
            typ, _ = imap.append(quote(raw), f"({flags})", internaldate(when), body)
            assert typ == "OK"
    # Two identical messages (same Message-ID, date, size) must stay two.
    twin = message(10_000, 1500)
    when = internaldate(datetime(2024, 6, 1, tzinfo=UTC))
    imap.append("INBOX", r"(\Seen)", when, twin)
    imap.append("INBOX", r"(\Seen)", when, twin)


def contents(imap: imaplib.IMAP4) -> dict[str, Counter[tuple[str, int, int, str]]]:
    """Per folder: a multiset of (Message-ID, date, size, flags)."""
    out: dict[str, Counter[tuple[str, int, int, str]]] = {}
    typ, data = imap.list('""', "*")
    for line in data:
        if not isinstance(line, bytes):
            continue
        raw = line.rsplit(b' "/" ', 1)[-1].decode().strip('"')
        typ, sel = imap.select(quote(raw), readonly=True)
        if typ != "OK":
            continue
        count: Counter[tuple[str, int, int, str]] = Counter()
        if int(sel[0] or 0):
            typ, fetched = imap.uid(
                "FETCH",
                "1:*",
                "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
            )
            for m in parse_fetch(fetched):
                mid = (m.body or b"").decode().strip()
                when = int(m.internaldate.timestamp()) if m.internaldate else 0
                flags = " ".join(sorted(f for f in m.flags if f != "\\Recent"))
                count[(mid, when, m.size, flags)] += 1
        imap.close()
        if count:
            out[utf7.decode(raw)] = count
    return out
