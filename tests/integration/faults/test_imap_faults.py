"""IMAP source and target links that break mid-transfer, through the fault proxy.

Each case runs `onboard-tui run --once` (in this process) on alice's mailbox into bob's
on the private Dovecot; the proxies cut the source mid-FETCH or the target mid-APPEND.
Every case ends with bob holding exactly alice's messages per folder (Message-ID,
date, size, flags, as multisets), after the engine's own retries or one resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faultproxy import UP, FaultProxy

from ..servers.dovecot import DovecotServer
from .imap_session import (
    assert_same_mail,
    fresh_mailboxes,
    job_reasons,
    make_imap_session,
    run_once,
)


@pytest.fixture
def proxies(dovecot_server: DovecotServer) -> Iterator[tuple[FaultProxy, FaultProxy]]:
    with (
        FaultProxy(dovecot_server.host, dovecot_server.port) as source,
        FaultProxy(dovecot_server.host, dovecot_server.port) as target,
    ):
        yield source, target


def test_source_cut_mid_fetch_is_retried(
    dovecot_server: DovecotServer, proxies: tuple[FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    source, target = proxies
    fresh_mailboxes(dovecot_server, 12, seed=11)
    # The first two source connections die 40 KB into what the server sends: mid-FETCH
    # of message bodies (the scan's metadata is far smaller).
    cut = source.cut(40_000, connections=2)
    make_imap_session(tmp_path / "s", source, target)
    code, said = run_once(tmp_path / "s", dovecot_server)
    assert cut.fired == 2
    assert code == 0, (said, job_reasons(tmp_path / "s"))
    assert "1 user(s) done, 0 failed" in said[-1]
    assert_same_mail(dovecot_server)


def test_target_cut_mid_append_is_retried(
    dovecot_server: DovecotServer, proxies: tuple[FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    source, target = proxies
    fresh_mailboxes(dovecot_server, 12, seed=12)
    # The first two target connections die 30 KB into what the tool sends: mid-APPEND.
    cut = target.cut(30_000, connections=2, direction=UP)
    make_imap_session(tmp_path / "s", source, target)
    code, said = run_once(tmp_path / "s", dovecot_server)
    assert cut.fired == 2
    assert code == 0, (said, job_reasons(tmp_path / "s"))
    assert_same_mail(dovecot_server)


def test_append_stored_but_answer_lost_is_not_appended_twice(
    dovecot_server: DovecotServer, proxies: tuple[FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    source, target = proxies
    fresh_mailboxes(dovecot_server, 12, seed=13)
    # Dovecot stores the third batch, but its "OK [APPENDUID ...]" never reaches the
    # tool: the ledger does not know those items. The retry must find them in the target.
    cut = target.cut(at=b"[APPENDUID", nth=3)
    make_imap_session(tmp_path / "s", source, target)
    code, said = run_once(tmp_path / "s", dovecot_server)
    assert cut.fired == 1
    assert code == 0, (said, job_reasons(tmp_path / "s"))
    assert_same_mail(dovecot_server)


def test_target_refusing_every_connection_fails_with_a_sentence_then_resumes(
    dovecot_server: DovecotServer, proxies: tuple[FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    source, target = proxies
    fresh_mailboxes(dovecot_server, 6, seed=14)
    make_imap_session(tmp_path / "s", source, target)
    target.down()  # nothing listens: ECONNREFUSED
    code, said = run_once(tmp_path / "s", dovecot_server)
    assert code == 1
    ((state, reason),) = job_reasons(tmp_path / "s")
    assert state == "failed"
    assert reason.startswith(f"Cannot connect to IMAP {target.host}:{target.port}")
    assert "Traceback" not in reason
    target.up()
    code, said = run_once(tmp_path / "s", dovecot_server)
    assert code == 0, said
    assert_same_mail(dovecot_server)
