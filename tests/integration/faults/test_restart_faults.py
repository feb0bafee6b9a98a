"""A server restart while `onboard-tui run` migrates: a private Dovecot is stopped and
started again under the running engine. The run either finishes after its own retries
or fails the job with a sentence; one resume then completes it, with no item lost or
duplicated."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.mail.runner import run_headless
from tests.faultproxy import FaultProxy

from ..servers.base import ServerProcess, wait_until
from ..servers.dovecot import DovecotServer, start_dovecot
from ..test_mail_crash import ledger_count
from .imap_session import (
    assert_same_mail,
    fresh_mailboxes,
    job_reasons,
    make_imap_session,
    run_once,
)


@pytest.fixture(scope="module")
def own_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    """A Dovecot of this module's own, since the test stops and starts it."""
    with start_dovecot(tmp_path_factory.mktemp("dovecot-restart")) as server:
        try:
            yield server
        finally:
            server.process.stop()  # the instance started by restart(), if any


def restart(server: DovecotServer) -> None:
    """Stop Dovecot (every connection dies), start it again on the same port and files."""
    old = server.process
    old.stop()
    server.process = ServerProcess("dovecot", old.argv, old.log_path, stop_timeout=5.0).start()

    def alice_logs_in() -> bool:
        server.connect("alice").logout()
        return True

    wait_until(alice_logs_in, 10, "Dovecot back after the restart", server.process)


def test_dovecot_restart_mid_migration(own_dovecot: DovecotServer, tmp_path: Path) -> None:
    fresh_mailboxes(own_dovecot, 16, seed=21)
    with (
        FaultProxy(own_dovecot.host, own_dovecot.port) as source,
        FaultProxy(own_dovecot.host, own_dovecot.port) as target,
    ):
        # 5 ms per chunk on every source connection: slow enough for the restart to land
        # mid-run on a fast machine, fast enough for the suite.
        source.delay(5, connections=1000)
        folder = tmp_path / "s"
        make_imap_session(folder, source, target)
        environ = {"PW_alice": own_dovecot.password("alice"), "PW_bob": own_dovecot.password("bob")}
        said: list[str] = []
        result: list[int] = []
        runner = threading.Thread(
            target=lambda: result.append(
                run_headless(folder, once=True, environ=environ, log_file=False, report=said.append)
            )
        )
        runner.start()
        deadline = time.monotonic() + 60
        while ledger_count(folder) < 10 and runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        copied_before = ledger_count(folder)
        restart(own_dovecot)
        runner.join(120)
        assert not runner.is_alive()
        # 4 folders of 16 and 2 twins are copied (Trash is not): 66 in all.
        assert 10 <= copied_before < 66, "the restart did not land mid-run"
        (code,) = result
        if code != 0:
            # The engine retried while Dovecot was down and gave up with a sentence.
            assert code == 1, said
            ((state, reason),) = job_reasons(folder)
            assert state == "failed" and reason.startswith("Cannot connect to IMAP"), reason
            code, said = run_once(folder, own_dovecot)
        assert code == 0, (said, job_reasons(folder))
        assert_same_mail(own_dovecot)
