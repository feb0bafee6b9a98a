"""The SMTP probe: connect, EHLO, STARTTLS offered, all within a timeout, never raising."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator

import pytest

from onboard_tui.dns.smtp_probe import probe_smtp


def smtp_handler(extensions: list[str], banner: str = "220 mx.test ESMTP") -> type:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(f"{banner}\r\n".encode())
            for line in self.rfile:
                verb = line.decode().strip().upper()
                if verb.startswith("EHLO"):
                    lines = ["mx.test", *extensions]
                    for i, text in enumerate(lines):
                        sep = " " if i == len(lines) - 1 else "-"
                        self.wfile.write(f"250{sep}{text}\r\n".encode())
                elif verb.startswith("QUIT"):
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"502 no\r\n")

    return Handler


@pytest.fixture
def smtp() -> Iterator[Callable[[type], int]]:
    servers: list[socketserver.ThreadingTCPServer] = []

    def start(handler: type) -> int:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_starttls_offered(smtp: Callable[[type], int]) -> None:
    port = smtp(smtp_handler(["PIPELINING", "STARTTLS", "8BITMIME"]))
    probe = probe_smtp("127.0.0.1", port, timeout=2)
    assert probe.ok and probe.starttls and probe.ehlo and probe.connected
    assert probe.address == "127.0.0.1"
    assert probe.banner == "mx.test ESMTP"
    assert probe.message == f"127.0.0.1:{port} answers SMTP and offers STARTTLS."


def test_no_starttls(smtp: Callable[[type], int]) -> None:
    probe = probe_smtp("127.0.0.1", smtp(smtp_handler(["PIPELINING"])), timeout=2)
    assert probe.connected and probe.ehlo and not probe.starttls and not probe.ok
    assert "does not offer STARTTLS" in probe.message


def test_refusing_greeting(smtp: Callable[[type], int]) -> None:
    probe = probe_smtp("127.0.0.1", smtp(smtp_handler([], banner="554 go away")), timeout=2)
    assert not probe.ok and "greeted with 554" in probe.error


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        probe = probe_smtp("127.0.0.1", port, timeout=0.3)
    assert not probe.ok and probe.error == "did not answer within 0.3 s"
    assert probe.elapsed < 2


def test_nothing_listening() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    probe = probe_smtp("127.0.0.1", port, timeout=1)
    assert not probe.connected and "refused the connection" in probe.error
    assert probe.message.startswith(f"127.0.0.1:{port} refused")
