"""The demo's stand-in for the sandbox's SMTP host: a tiny SMTP listener on 127.0.0.1.

The sandbox profile's SMTP hosts (`smtp.<geo>.sandbox.onboard.test`) exist nowhere, and
the demo DNS server serves only `renovations.com`, so Step 5's probe in the demo connects
here instead, and the screen says so. It greets, answers EHLO/HELO, NOOP, RSET and QUIT,
refuses every mail transaction (it accepts no mail) and does NOT offer STARTTLS: it has no
certificate, and offering what it cannot do would be a fake success.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

from onboard_tui.errors import OnboardError

log = logging.getLogger(__name__)

_IDLE = 10.0


class DemoSmtpListener:
    """`start()` on `port` (0 or taken: a free one), then `.port`; `stop()` closes it."""

    def __init__(self, name: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name = name or "demo"
        self.host = host
        self.wanted_port = port
        self.port = 0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DemoSmtpListener:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            try:
                sock.bind((self.host, self.wanted_port))
            except OSError:
                if not self.wanted_port:
                    raise
                sock.bind((self.host, 0))
            sock.listen(8)
        except OSError as exc:
            sock.close()
            raise OnboardError(f"The demo SMTP listener cannot start: {exc.strerror}.") from None
        sock.settimeout(0.2)
        self._sock = sock
        self.port = int(sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, name="demo-smtp", daemon=True)
        self._thread.start()
        log.info("demo SMTP listener for %s on %s:%d", self.name, self.host, self.port)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with contextlib.closing(conn):
            conn.settimeout(_IDLE)
            try:
                self._talk(conn)
            except OSError:
                return

    def _talk(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        send = conn.sendall
        send(f"220 {self.name} onboard-tui demo SMTP listener (accepts no mail)\r\n".encode())
        for raw in reader:
            verb = raw.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                reply = f"250-{self.name}\r\n250 8BITMIME" if verb == "EHLO" else f"250 {self.name}"
            elif verb in ("NOOP", "RSET"):
                reply = "250 OK"
            elif verb == "QUIT":
                send(b"221 Bye\r\n")
                return
            elif verb in ("MAIL", "RCPT", "DATA"):
                reply = "554 5.7.1 This demo listener accepts no mail"
            else:
                reply = "502 5.5.2 Command not implemented"
            send(reply.encode() + b"\r\n")
