"""The sandbox over real HTTP: `ThreadingHTTPServer` in a daemon thread on 127.0.0.1.

http.server writes a line per request to stderr, which would tear a TUI screen apart; here
everything goes through `logging` instead, and request bodies (passwords) never do.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from onboard_tui import __version__
from onboard_tui.clock import Clock, SystemClock
from onboard_tui.cloud.sandbox.api import ApiProblem, Response, SandboxContext
from onboard_tui.cloud.sandbox.app import SandboxApp
from onboard_tui.cloud.sandbox.faults import FaultInjector
from onboard_tui.cloud.sandbox.handlers.mailboxes import MAX_ITEM_BODY
from onboard_tui.cloud.sandbox.store import SandboxStore
from onboard_tui.cloud.sandbox.users import ActivationSchedule
from onboard_tui.errors import OnboardError
from onboard_tui.providers import Profile
from onboard_tui.providers.reader import is_loopback

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
IDLE_TIMEOUT = 60.0


class _HTTPServer(ThreadingHTTPServer):
    """Remembers open connections so stop() can close idle keep-alive ones too."""

    daemon_threads = True
    block_on_close = True

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self.item_delay = 0.0
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """As HTTPServer's, without its reverse DNS lookup of the address (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """socketserver prints tracebacks to stderr, which would tear the TUI screen."""
        log.debug("sandbox: connection from %s failed", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 plumbing only: read the body, ask the app, write the answer."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = f"onboard-tui-sandbox/{__version__}"
    timeout = IDLE_TIMEOUT

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            body = self._read_body()
        except ApiProblem as problem:
            self.close_connection = True
            self._send(problem.response())
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.server.item_delay and self.command == "PUT" and path.startswith("/v1/mailboxes/"):
            time.sleep(self.server.item_delay)  # the demo's realistic pace
        self._send(self.server.app.handle(self.command, path, headers, body, query))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiProblem(411, "Send the body with a Content-Length.", kind="length-required")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiProblem(400, "Content-Length is not a number.", kind="bad-request") from None
        if length < 0:
            raise ApiProblem(400, "Content-Length is negative.", kind="bad-request")
        limit = MAX_ITEM_BODY if self.path.startswith("/v1/mailboxes/") else MAX_BODY
        if length > limit:
            raise ApiProblem(
                413,
                f"The body is larger than {limit} bytes.",
                kind="too-large",
                extensions={"max_bytes": limit},
            )
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response) -> None:
        data = response.encode()
        self.send_response(response.status)
        self.send_header("Content-Type", f"{response.content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers.items():
            if name.lower() != "cache-control":
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox %s: " + format, self.address_string(), *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("sandbox %s %s -> %s", self.command, urlsplit(self.path).path, code)


class SandboxServer:
    """The cloud API contract served locally; state in `db_path` (SQLite).

    `dns_server` (`host:port`) is where verification CNAMEs are looked up (the demo's own
    DNS server); empty means the system resolver.
    """

    def __init__(
        self,
        db_path: Path,
        profile: Profile,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        allow_remote: bool = False,
        dns_server: str = "",
        item_delay: float = 0.0,
        activation: ActivationSchedule | None = None,
    ) -> None:
        if not is_loopback(host) and not allow_remote:
            raise OnboardError(
                f"The sandbox listens only on this machine, not on {host}.",
                hint="Use 127.0.0.1 (or pass allow_remote=True on purpose: it has no TLS).",
            )
        self.db_path = db_path
        self.profile = profile
        self.host = host
        self.port = port
        self.clock: Clock = clock or SystemClock()
        self.dns_server = dns_server
        #: Seconds each mailbox item PUT waits: the demo's pace, so its dashboard moves.
        self.item_delay = item_delay
        #: When users activate by themselves after assignment (the demo); None: by hand only.
        self.activation = activation
        self.faults = FaultInjector()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._store: SandboxStore | None = None
        self._stopped = threading.Event()
        self.url = ""
        self.port_in_use = 0

    def start(self) -> str:
        """Listen and serve in a daemon thread; returns the base URL (http://127.0.0.1:PORT)."""
        if self._server is not None:
            return self.url
        store = SandboxStore(self.db_path)
        context = SandboxContext(
            store,
            self.profile,
            self.clock,
            dns_server=self.dns_server,
            activation=self.activation,
        )
        try:
            server = _HTTPServer((self.host, self.port), SandboxApp(context, self.faults))
        except OSError as exc:
            store.close()
            raise OnboardError(
                f"The sandbox cannot listen on {self.host}:{self.port} ({exc.strerror or exc}).",
                hint="Choose another port, or stop the program that uses this one.",
            ) from None
        server.item_delay = self.item_delay
        port = self.port_in_use = int(server.server_address[1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = context.base_url = f"http://{host}:{port}"
        self._store, self._server = store, server
        self._stopped.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"sandbox-{port}", daemon=True
        )
        self._thread.start()
        log.info("sandbox for profile %s listening on %s", self.profile.id, self.url)
        return self.url

    def stop(self) -> None:
        """Stop serving, close every connection (idle keep-alive ones too) and the database."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._store is not None:
            self._store.close()
            self._store = None
        log.info("sandbox on %s stopped", self.url)
        self._stopped.set()

    @property
    def running(self) -> bool:
        return self._server is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stop() (for a CLI that only serves); True once stopped."""
        return self._stopped.wait(timeout)

    def inject_fault(
        self, path_prefix: str, status: int, count: int = 1, retry_after: float | None = None
    ) -> None:
        """Tests only: the next `count` requests under `path_prefix` answer `status`."""
        self.faults.add(path_prefix, status, count, retry_after)

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
