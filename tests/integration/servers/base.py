"""Helpers shared by the real-server fixtures: ports, binaries, waiting, process control.

Every server the integration tests use is a private instance: its own configuration, its
own directories under a temporary folder, a random port on 127.0.0.1, and a log file that
is shown when it fails to come up. Nothing here ever touches a system daemon.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import NoReturn

import pytest

LOOPBACK = "127.0.0.1"

#: Where Debian (and a few other systems) keep server binaries that are not on a
#: non-root user's PATH.
EXTRA_BINARY_DIRS: tuple[str, ...] = (
    "/usr/sbin",
    "/sbin",
    "/usr/local/sbin",
    "/usr/lib/dovecot",
    "/usr/libexec/dovecot",
    "/usr/lib/knot",
)


def running_in_ci() -> bool:
    """True when the environment says this is CI, where a missing server is an error."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def free_port(udp_too: bool = False) -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (and for UDP when asked)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = int(tcp.getsockname()[1])
            if not udp_too:
                return port
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    raise RuntimeError("could not find a free port on 127.0.0.1")


def find_binary(name: str) -> str | None:
    """Find an executable on PATH or in the usual sbin/libexec folders; None when absent."""
    found = shutil.which(name)
    if found:
        return found
    for folder in EXTRA_BINARY_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_binary(message: str) -> NoReturn:
    """Skip the test on a developer machine; fail it under ``CI=true``."""
    if running_in_ci():
        pytest.fail(f"{message} (CI=true: integration servers are required)", pytrace=False)
    pytest.skip(f"{message}; run scripts/install-test-deps.sh")


def require_binary(name: str) -> str:
    """The path of a required binary, or skip (fail under ``CI=true``) when it is missing."""
    found = find_binary(name)
    if found is None:
        missing_binary(f"{name!r} is not installed")
    return found


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (no umask window)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a text file, or a note when it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def group_members(pgid: int) -> list[int] | None:
    """Live (not zombie) processes of process group ``pgid``; None when /proc is unavailable.

    A worker whose parent died is a zombie until init reaps it, which some container inits
    do slowly; ``killpg(pgid, 0)`` still counts it, so look at /proc instead.
    """
    proc = Path("/proc")
    if not (proc / "self" / "stat").is_file():
        return None
    members = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) >= 3 and fields[0] not in {"Z", "X"} and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


class ServerProcess:
    """One server binary started in its own process group, its output kept in a log file.

    ``stop()`` sends SIGTERM to the whole group, waits, then SIGKILLs whatever is left,
    so daemons that fork workers (Dovecot) leave nothing behind.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stop_timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._pgid: int | None = None

    def start(self) -> ServerProcess:
        """Start the binary; its stdout and stderr go to ``log_path``."""
        if self.process is not None:
            raise RuntimeError(f"{self.name} already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        self._pgid = self.process.pid
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def describe_failure(self) -> str:
        """A few lines for a failure message: exit status and the end of the log."""
        status = "running"
        if self.process is not None and self.process.poll() is not None:
            status = f"exited with status {self.process.returncode}"
        return (
            f"{self.name} ({status}); command: {' '.join(self.argv)}\n"
            f"--- last lines of {self.log_path} ---\n{self.log_tail()}"
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._pgid is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._pgid, sig)

    def _group_alive(self) -> bool:
        if self._pgid is None:
            return False
        members = group_members(self._pgid)
        if members is not None:
            return bool(members)
        try:
            os.killpg(self._pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def stop(self) -> None:
        """SIGTERM the process group, wait, then SIGKILL anything still alive. Idempotent."""
        if self.process is None:
            return
        if self.process.poll() is None or self._group_alive():
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None and not self._group_alive():
                    break
                time.sleep(0.05)
            else:
                self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=self.stop_timeout)
        if self.process.poll() is None:  # pragma: no cover - last resort
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start() if self.process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    server: ServerProcess | None = None,
    interval: float = 0.05,
) -> None:
    """Poll ``predicate`` until it returns true; fail the test with the server's log if not.

    Exceptions from the predicate count as "not yet"; the last one is shown on failure.
    If ``server`` has exited, waiting stops at once.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            if predicate():
                return
        except Exception as exc:
            last_error = exc
        if server is not None and server.process is not None and not server.is_running():
            reason = f"{server.name} exited before {what}"
            break
        if time.monotonic() >= deadline:
            reason = f"timed out after {timeout:.1f}s waiting for {what}"
            break
        time.sleep(interval)
    details = [reason]
    if last_error is not None:
        details.append(f"last error: {last_error!r}")
    if server is not None:
        details.append(server.describe_failure())
    pytest.fail("\n".join(details), pytrace=False)
