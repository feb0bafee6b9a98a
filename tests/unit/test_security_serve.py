"""`serve`: loopback unless told, a warning otherwise, no secret on the wizard's command line,
and a reloaded tab waiting only for a sibling tab's wizard, never for anyone else."""

from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from onboard_tui.cli import main
from onboard_tui.clock import FrozenClock
from onboard_tui.tab_handover import HANDOVER_SECONDS, descends_from, wait_for_sibling_tab
from onboard_tui.ui.serve import (
    exposure_warning,
    is_loopback,
    public_url_for,
    wizard_command,
)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_hosts_need_no_warning(host: str) -> None:
    assert is_loopback(host)
    assert exposure_warning(host, 8080) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "mail.example.com"])
def test_other_hosts_are_warned_about_with_the_tunnel_to_use(host: str) -> None:
    assert not is_loopback(host)
    warning = exposure_warning(host, 8443)
    assert warning is not None
    assert f"{host}:8443" in warning
    assert "ssh -L 8443:127.0.0.1:8443" in warning


def test_the_wildcard_is_not_the_address_browsers_connect_back_to() -> None:
    assert "0.0.0.0" not in public_url_for("0.0.0.0", 8080)
    assert public_url_for("::1", 8080) == "http://[::1]:8080"
    assert public_url_for("127.0.0.1", 9000) == "http://127.0.0.1:9000"


def test_the_wizard_command_is_interpreter_module_and_folder_only(tmp_path: Path) -> None:
    folder = tmp_path / "it's a 'session' $(rm -rf x)"
    words = shlex.split(wizard_command(folder, demo=True))
    assert words == [sys.executable, "-m", "onboard_tui.ui.served", str(folder.resolve()), "--demo"]


def test_serve_refuses_a_session_in_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "nowhere" / "session")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_serve_reports_a_taken_port_as_a_sentence(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", str(tmp_path / "s"), "--port", str(port)])
    assert result.exit_code == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output


HOLD = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "os.ftruncate(fd, 0); os.write(fd, f'{os.getpid()}\\n'.encode())\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def hold_lock(path: Path) -> subprocess.Popen[str]:
    """A child process (so: a descendant of this test) that holds the lock until stdin closes."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    return child


def release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.close()
    child.wait()


def test_a_free_lock_is_taken_at_once(tmp_path: Path) -> None:
    clock = FrozenClock()
    start = clock.monotonic()
    assert wait_for_sibling_tab(tmp_path / "session.lock", clock, serve_pid=os.getpid())
    assert clock.monotonic() == start


def test_a_lock_held_outside_serve_is_not_waited_for(tmp_path: Path) -> None:
    lock = tmp_path / "session.lock"
    holder = hold_lock(lock)
    try:
        clock = FrozenClock()
        start = clock.monotonic()
        # serve_pid is a pid that is not the holder's ancestor: a terminal wizard holds it.
        assert not descends_from(holder.pid, holder.pid)
        assert not wait_for_sibling_tab(lock, clock, serve_pid=holder.pid)
        assert clock.monotonic() == start
    finally:
        release(holder)


def test_a_sibling_tab_that_keeps_the_lock_is_waited_for_then_observed(tmp_path: Path) -> None:
    lock = tmp_path / "session.lock"
    holder = hold_lock(lock)  # a child of this process, which plays `serve`
    try:
        clock = FrozenClock()
        start = clock.monotonic()
        assert descends_from(holder.pid, os.getpid())
        assert not wait_for_sibling_tab(lock, clock, serve_pid=os.getpid())
        assert clock.monotonic() - start >= HANDOVER_SECONDS
    finally:
        release(holder)


class ReleasingClock(FrozenClock):
    """A clock whose third sleep lets the sibling go, as the reloaded tab's old wizard does."""

    def __init__(self, child: subprocess.Popen[str]) -> None:
        super().__init__()
        self.child = child
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.sleeps == 3:
            release(self.child)
        self.advance(timedelta(seconds=seconds))


def test_a_sibling_tab_that_lets_go_hands_the_session_over(tmp_path: Path) -> None:
    lock = tmp_path / "session.lock"
    clock = ReleasingClock(hold_lock(lock))
    assert wait_for_sibling_tab(lock, clock, serve_pid=os.getpid())
    assert clock.sleeps == 3
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # really free now
    finally:
        os.close(fd)
