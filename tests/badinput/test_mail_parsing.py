"""Mail as archives and servers really hold it: malformed, 8-bit, bare LF, huge, random.

Properties: the header helpers (Message-ID, header block, CRLF), the IMAP FETCH/LIST
parsers and INTERNALDATE never raise on any bytes; Maildir and mbox archives full of
such messages yield every item (untouched) or skip it with a reason; modified UTF-7
round-trips any folder name, and any name a server sends decodes or is refused cleanly.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboard_tui.mail import utf7
from onboard_tui.mail.archive import MaildirMailbox, MboxMailbox
from onboard_tui.mail.imapconn import parse_fetch, parse_internaldate
from onboard_tui.mail.items import MailItem, SkippedItem, crlf, header_block, message_id

from .settings import examples

# --- modified UTF-7 -------------------------------------------------------------------------

folder_names = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


@examples(300)
@given(name=folder_names)
def test_utf7_round_trips_any_folder_name(name: str) -> None:
    wire = utf7.encode(name)
    assert all(0x20 <= ord(c) <= 0x7E for c in wire), wire
    assert utf7.decode(wire) == name


@examples(300)
@given(
    wire=st.one_of(
        st.text(max_size=30),
        st.text(st.sampled_from("&-,+/AZaz09é"), max_size=30),
    )
)
def test_utf7_decode_of_anything_a_server_sends(wire: str) -> None:
    try:
        name = utf7.decode(wire)
    except utf7.Utf7Error as exc:
        assert repr(wire) in str(exc)
        assert utf7.decode_lenient(wire) == wire
        return
    assert utf7.decode(utf7.encode(name)) == name


@examples(100)
@given(raw=st.binary(min_size=1, max_size=20))
def test_utf7_encodes_names_read_from_a_non_utf8_file_system(raw: bytes) -> None:
    """A Maildir folder named with bytes that are not UTF-8 arrives as lone surrogates."""
    name = os.fsdecode(raw)
    wire = utf7.encode(name)
    assert all(0x20 <= ord(c) <= 0x7E for c in wire), wire
    utf7.decode(wire)


# --- header helpers -------------------------------------------------------------------------

header_lines = st.one_of(
    st.binary(max_size=80),
    st.sampled_from(
        [
            b"Message-ID: <a@b>",
            b"message-id:\t<folded@x>",
            b"Message-Id:",
            b" <continued@x>",
            b"Date: Mon, 32 Foo 2024 25:61:00 +9999",
            b"Date: yesterday",
            b"Subject: =?utf-8?b?w6k=?= \xe9\xff 8-bit",
            b"Content-Type: multipart/mixed; boundary=",
            b"--",
            b"From nobody Mon Jan  1 00:00:00 2024",
            b">From quoted",
            b"",
        ]
    ),
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    newline = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    lines = draw(st.lists(header_lines, max_size=12))
    if draw(st.integers(0, 20)) == 0:
        lines.insert(0, b"X-Huge: " + b"a" * (1024 * 1024))
    body = draw(st.binary(max_size=200))
    return newline.join(lines) + newline + newline + body


@examples(200)
@given(raw=st.one_of(messages(), st.binary(max_size=500)))
def test_header_helpers_never_raise(raw: bytes) -> None:
    head = header_block(raw)
    assert len(head) <= 65536 and raw.startswith(head)
    found = message_id(head)
    assert isinstance(found, str) and "\n" not in found
    wire = crlf(raw)
    assert wire.count(b"\n") == wire.count(b"\r\n") == wire.count(b"\r")
    assert crlf(wire) is wire


@examples(100)
@given(ident=st.from_regex(r"<[a-z0-9.$-]{1,30}@[a-z0-9.-]{1,30}>", fullmatch=True))
def test_message_id_is_found_after_bare_lf_and_folding(ident: str) -> None:
    raw = b"Subject: x\nMessage-ID:\n " + ident.encode() + b"\nDate: x\n\nbody"
    assert message_id(header_block(raw)) == ident
    assert message_id(header_block(crlf(raw))) == ident


# --- the IMAP parsers -----------------------------------------------------------------------

meta = st.one_of(
    st.binary(max_size=60),
    st.builds(
        lambda n, uid, size, rest: b"%d (UID %s RFC822.SIZE %s %s" % (n, uid, size, rest),
        st.integers(0, 10**6),
        st.one_of(st.integers(0, 2**64).map(lambda i: str(i).encode()), st.just(b"9" * 5000)),
        st.one_of(st.integers(-5, 2**40).map(lambda i: str(i).encode()), st.just(b"x")),
        st.sampled_from(
            [
                b'FLAGS (\\Seen $Label\xff) INTERNALDATE "05-Mar-2024 09:15:00 +0000"',
                b'INTERNALDATE "31-Feb-2024 25:00:00 +9999"',
                b'INTERNALDATE "5-Foo-2024 09:15:00 +0000"',
                b"FLAGS (",
                b"",
            ]
        ),
    ),
)


@examples(300)
@given(
    data=st.lists(
        st.one_of(meta, st.tuples(meta, st.binary(max_size=40)), st.none(), st.integers()),
        max_size=6,
    )
)
def test_parse_fetch_of_anything(data: list[object]) -> None:
    for msg in parse_fetch(data):
        assert msg.uid > 0
        assert msg.size >= 0
        assert all(isinstance(f, str) for f in msg.flags)


@examples(200)
@given(raw=st.one_of(st.binary(max_size=60), meta))
def test_parse_internaldate_of_anything(raw: bytes) -> None:
    when = parse_internaldate(raw)
    assert when is None or when.tzinfo is not None


# --- archives full of bad messages ----------------------------------------------------------


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="badinput-mail-") as name:
        yield Path(name)


@examples(40)
@given(bodies=st.lists(st.one_of(messages(), st.binary(max_size=300)), min_size=1, max_size=8))
def test_maildir_of_bad_messages_yields_every_item(folder: Path, bodies: list[bytes]) -> None:
    root = Path(tempfile.mkdtemp(dir=folder))
    for sub in ("cur", "new", "tmp", ".Caf&AOk-/cur"):
        (root / sub).mkdir(parents=True)
    for n, body in enumerate(bodies):
        where = root / ("new" if n % 2 else "cur") / f"{n}.host:2,S"
        where.write_bytes(body)
    box = MaildirMailbox(root)
    seen: dict[str, bytes] = {}
    for f in box.folders():
        scan = box.scan(f, "", 0)
        for got in box.read(f, scan.refs):
            assert isinstance(got, MailItem | SkippedItem)
            if isinstance(got, MailItem):
                seen[got.ref.locator] = got.body
            else:
                assert got.reason
    assert sorted(seen.values()) == sorted(bodies)


@examples(40)
@given(
    bodies=st.lists(
        messages().filter(lambda b: b"\nFrom " not in b and not b.startswith(b"From ")),
        min_size=1,
        max_size=6,
    )
)
def test_mbox_of_bad_messages_yields_every_item(folder: Path, bodies: list[bytes]) -> None:
    path = Path(tempfile.mkdtemp(dir=folder)) / "INBOX"
    with path.open("wb") as f:
        for body in bodies:
            f.write(b"From sender@example.com Mon Mar  4 09:15:00 2024\n")
            f.write(body.replace(b"\r", b"") + b"\n\n")
    box = MboxMailbox(path)
    count = 0
    for f in box.folders():
        scan = box.scan(f, "", 0)
        for got in box.read(f, scan.refs):
            count += 1
            if isinstance(got, SkippedItem):
                assert got.reason
    assert count >= 1


# --- regressions found by the properties above ----------------------------------------------


def test_regression_uid_of_5000_digits() -> None:
    """int() of a 5000-digit UID raised ValueError (Python's integer string limit)."""
    data = [b"1 (UID " + b"9" * 5000 + b" RFC822.SIZE 10)", b"2 (UID 7 RFC822.SIZE 12)"]
    assert [m.uid for m in parse_fetch(data)] == [7]


def test_regression_folder_name_with_a_lone_surrogate() -> None:
    """utf7.encode('\\udcff') raised UnicodeEncodeError (a non-UTF-8 Maildir folder)."""
    assert utf7.decode(utf7.encode("Caf\udce9")) == "Caf\ufffd"
