"""Communications sent through the fault proxy to the recording SMTP server (aiosmtpd):
connections cut in the middle of DATA, and the server's "250" lost after it accepted a
message. The per-user sent state must say what really happened, and no user may get a
message twice, whether the sender retries by itself or the administrator sends again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from onboard_tui.comms import (
    ALL,
    FAILED,
    FAILED_ONLY,
    NOT_SENT,
    SENDING,
    SENT,
    Audience,
    CommsService,
)
from tests.faultproxy import UP, FaultProxy

from ..servers.smtp import SmtpServer
from ..test_comms_smtp import USERS, comms, settings

__all__ = ["comms"]  # the fixture, imported for these tests

TEMPLATE = "first-announcement"


@pytest.fixture
def proxy(smtp: SmtpServer) -> Iterator[FaultProxy]:
    with FaultProxy(smtp.host, smtp.port) as p:
        yield p


def counts(comms: CommsService) -> dict[str, int]:
    return {state: n for state, n in comms.counts(TEMPLATE).items() if n}


def received(smtp: SmtpServer) -> Counter[str]:
    return Counter(m.rcpt_tos[0] for m in smtp.messages)


def test_cut_at_the_data_command_is_resent_once_by_the_sender(
    comms: CommsService, smtp: SmtpServer, proxy: FaultProxy
) -> None:
    comms.save_smtp(settings(proxy.port, rate_per_minute=6000))
    # The link dies as the sender says DATA (smtplib writes "data"): nothing was
    # delivered, so a resend is safe.
    cut = proxy.cut(at=b"data\r\n", direction=UP)
    report = comms.send(comms.plan(TEMPLATE, Audience(ALL)))
    assert cut.fired == 1
    assert (report.sent, report.failed, report.error) == (3, [], "")
    assert received(smtp) == {u.email: 1 for u in USERS}
    assert counts(comms) == {SENT: 3}


def test_cut_at_data_twice_stops_with_a_sentence_and_resumes_without_doubles(
    comms: CommsService, smtp: SmtpServer, proxy: FaultProxy
) -> None:
    comms.save_smtp(settings(proxy.port, rate_per_minute=6000))
    cut = proxy.cut(at=b"data\r\n", direction=UP, connections=2)
    report = comms.send(comms.plan(TEMPLATE, Audience(ALL)))
    assert cut.fired == 2
    assert report.sent == 0 and len(report.failed) == 1 and report.remaining == 2
    assert "hung up twice" in report.error
    assert counts(comms) == {FAILED: 1, NOT_SENT: 2}
    assert not smtp.messages
    retry = comms.send(comms.plan(TEMPLATE, Audience(FAILED_ONLY)))
    rest = comms.send(comms.plan(TEMPLATE, Audience(ALL)))
    assert (retry.sent, rest.sent) == (1, 2)
    assert received(smtp) == {u.email: 1 for u in USERS}


@pytest.mark.parametrize(
    ("fault", "delivered"),
    [
        # Cut 600 bytes in: inside the message, after the sender wrote all of it.
        ({"after_bytes": 600, "direction": UP}, 0),
        # The server queued the message, but its "250" never reaches the sender.
        ({"at": b"250 Message accepted"}, 1),
    ],
    ids=["cut-mid-message", "answer-lost"],
)
def test_a_message_that_may_have_arrived_is_never_sent_twice(
    comms: CommsService, smtp: SmtpServer, proxy: FaultProxy, fault: dict[str, Any], delivered: int
) -> None:
    comms.save_smtp(settings(proxy.port, rate_per_minute=6000))
    cut = proxy.cut(**fault)
    first = USERS[0].email
    report = comms.send(comms.plan(TEMPLATE, Audience(ALL)))
    assert cut.fired == 1
    assert report.sent == 0 and report.remaining == 2
    ((who, why),) = report.failed
    assert who == first and "may have been delivered" in why
    # The sender cannot know: the user stays "sending", which is never sent again...
    assert counts(comms) == {SENDING: 1, NOT_SENT: 2}
    again = comms.send(comms.plan(TEMPLATE, Audience(ALL)))
    assert again.sent == 2
    assert counts(comms) == {SENDING: 1, SENT: 2}
    expected = {u.email: 1 for u in USERS[1:]}
    if delivered:
        expected[first] = delivered
    assert received(smtp) == expected
