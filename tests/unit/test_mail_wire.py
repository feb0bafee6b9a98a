"""WireBody: the CRLF wire form sent in pieces equals crlf() of the whole, and its length
(the IMAP literal's size) is known without building it."""

from __future__ import annotations

import random

import pytest

from onboard_tui.mail.items import WireBody, crlf


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 1 << 20])
def test_pieces_join_to_crlf_of_the_whole(size: int) -> None:
    rng = random.Random(size)
    for _ in range(300):
        body = bytes(rng.choice(b"ab\r\n") for _ in range(rng.randrange(0, 40)))
        wire = WireBody(body)
        pieces = list(wire.chunks(size))
        assert b"".join(pieces) == crlf(body), body
        assert len(wire) == len(crlf(body)), body


def test_a_body_already_in_crlf_is_sent_as_it_is() -> None:
    body = b"Subject: x\r\n\r\nbody\r\n" * 1000
    (only,) = WireBody(body).chunks(16)
    assert only is body


def test_pieces_stay_small_for_a_large_lf_message() -> None:
    body = b"line of text\n" * 200_000
    pieces = list(WireBody(body).chunks(65536))
    assert max(len(p) for p in pieces) <= 65536 * 14 // 13 + 2
    assert sum(len(p) for p in pieces) == len(WireBody(body)) == len(body) + 200_000
