"""A small fault-injecting proxy for the fault suite: TCP (and UDP) on 127.0.0.1.

It sits between the tool and one real server and, for a bounded number of connections
(or datagrams) and optionally only until a deadline, it can:

* ``cut``: forward normally, then reset both sides once ``after_bytes`` bytes went in
  one direction ("down": server to client, e.g. mid-FETCH; "up": client to server,
  e.g. mid-APPEND, mid-PUT, mid-DATA);
* ``refuse``: accept and reset at once (the client sees the connection die before a byte);
* ``delay``: hold every chunk ``delay_ms`` before passing it on;
* ``stall``: pass ``after_bytes`` in a direction, then nothing more for ``hold_ms``
  (a server that hangs, to exercise the client's timeouts), then reset.

``down()`` closes the listening socket (real ECONNREFUSED) until ``up()``; ``reset_all()``
resets every live connection, as a server restart would. Every fault counts how often it
fired, so a test can prove its fault really happened instead of passing by luck.
Everything is bounded, so every case ends.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

LOOPBACK = "127.0.0.1"
CHUNK = 16 * 1024
DOWN = "down"  # server -> client
UP = "up"  # client -> server


@dataclass
class Fault:
    """One misbehaviour, for the next `connections` connections (or datagrams)."""

    kind: str  # "cut", "refuse", "delay", "stall" (UDP: "drop", "delay")
    connections: int = 1
    after_bytes: int = 0
    direction: str = DOWN
    delay_ms: int = 0
    hold_ms: int = 0
    at: bytes = b""  # cut just before the `nth` occurrence of these bytes (not after_bytes)
    nth: int = 1
    until: float | None = None  # time.monotonic() after which the fault is spent
    fired: int = 0

    def active(self, now: float) -> bool:
        return self.connections > 0 and (self.until is None or now < self.until)


class _FaultList:
    """Faults in the order they were added; thread-safe; the first active one applies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def take(self) -> Fault | None:
        now = time.monotonic()
        with self._lock:
            for fault in self.faults:
                if fault.active(now):
                    fault.connections -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), the way a crashed peer or a firewall drops a link."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _deadline(within_s: float | None) -> float | None:
    return None if within_s is None else time.monotonic() + within_s


@dataclass(eq=False)
class _Link:
    client: socket.socket
    server: socket.socket
    fault: Fault | None
    counted: dict[str, int] = field(default_factory=lambda: {UP: 0, DOWN: 0})
    seen: int = 0
    dead: bool = False

    def kill(self) -> None:
        self.dead = True
        _reset(self.client)
        _reset(self.server)


class FaultProxy:
    """A TCP proxy from 127.0.0.1:`port` to `upstream`; start() or use as a context manager."""

    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = LOOPBACK
        self.port = port
        self.faults = _FaultList()
        self.accepted = 0
        self.bytes = {UP: 0, DOWN: 0}
        self._listener: socket.socket | None = None
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- faults ----------------------------------------------------------------------

    def cut(
        self,
        after_bytes: int = 0,
        *,
        at: bytes = b"",
        nth: int = 1,
        connections: int = 1,
        direction: str = DOWN,
        within_s: float | None = None,
    ) -> Fault:
        """Reset the next `connections` connections once `after_bytes` went `direction`,
        or, with `at`, just before the `nth` chunk holding `at` would pass (the server has
        done the work, the client never hears of it)."""
        return self.faults.add(
            Fault(
                "cut",
                connections,
                after_bytes,
                direction,
                at=at,
                nth=nth,
                until=_deadline(within_s),
            )
        )

    def refuse(self, *, connections: int = 1, within_s: float | None = None) -> Fault:
        return self.faults.add(Fault("refuse", connections, until=_deadline(within_s)))

    def delay(self, delay_ms: int, *, connections: int = 1, within_s: float | None = None) -> Fault:
        return self.faults.add(
            Fault("delay", connections, delay_ms=delay_ms, until=_deadline(within_s))
        )

    def stall(
        self,
        hold_ms: int,
        *,
        after_bytes: int = 0,
        connections: int = 1,
        direction: str = DOWN,
        within_s: float | None = None,
    ) -> Fault:
        return self.faults.add(
            Fault(
                "stall",
                connections,
                after_bytes,
                direction,
                hold_ms=hold_ms,
                until=_deadline(within_s),
            )
        )

    def down(self) -> None:
        """Stop listening: new connections are refused (ECONNREFUSED) until up()."""
        if self._listener is not None:
            # shutdown() first: it stops listening at once, even while accept() waits.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def up(self) -> None:
        self._listen()

    def reset_all(self) -> int:
        """Reset every live connection (what clients see when the server restarts)."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.kill()
        return len(links)

    # --- running ---------------------------------------------------------------------

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(64)
        sock.settimeout(0.05)
        self.port = int(sock.getsockname()[1])
        self._listener = sock

    def start(self) -> FaultProxy:
        self._listen()
        thread = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        self.down()
        self.reset_all()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                time.sleep(0.02)
                continue
            try:
                client, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                time.sleep(0.02)  # closed by down(); up() makes a new one
                continue
            self.accepted += 1
            fault = self.faults.take()
            if fault is not None and fault.kind == "refuse":
                fault.fired += 1
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            link = _Link(client, server, fault)
            with self._lock:
                self._links.add(link)
            thread = threading.Thread(target=self._pump, args=(link,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, link: _Link) -> None:
        fault = link.fault
        try:
            link.client.setblocking(True)
            link.server.setblocking(True)
            with selectors.DefaultSelector() as sel:
                sel.register(link.client, selectors.EVENT_READ, (UP, link.server))
                sel.register(link.server, selectors.EVENT_READ, (DOWN, link.client))
                while not link.dead and not self._stop.is_set():
                    for key, _ in sel.select(0.1):
                        direction, peer = key.data
                        data = key.fileobj.recv(CHUNK)  # type: ignore[union-attr]
                        if not data:
                            return
                        if fault is not None and fault.kind == "delay":
                            if not fault.fired:
                                fault.fired = 1
                            time.sleep(fault.delay_ms / 1000)
                        if fault is not None and fault.at and direction == fault.direction:
                            link.seen += data.count(fault.at)
                            if link.seen >= fault.nth:
                                fault.fired += 1
                                return
                        elif (
                            fault is not None
                            and fault.kind in ("cut", "stall")
                            and direction == fault.direction
                        ):
                            room = fault.after_bytes - link.counted[direction]
                            if len(data) >= room:
                                self._send(peer, data[: max(0, room)], direction, link)
                                fault.fired += 1
                                if fault.kind == "stall":
                                    self._hold(link, fault.hold_ms)
                                return
                        self._send(peer, data, direction, link)
        except OSError:
            return
        finally:
            link.kill()
            with self._lock:
                self._links.discard(link)

    def _send(self, peer: socket.socket, data: bytes, direction: str, link: _Link) -> None:
        if data:
            peer.sendall(data)
            link.counted[direction] += len(data)
            self.bytes[direction] += len(data)

    def _hold(self, link: _Link, hold_ms: int) -> None:
        end = time.monotonic() + hold_ms / 1000
        while time.monotonic() < end and not link.dead and not self._stop.is_set():
            time.sleep(0.01)


class UdpFaultProxy:
    """A UDP proxy from 127.0.0.1:`port` to `upstream`: drops or delays client datagrams."""

    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = LOOPBACK
        self.faults = _FaultList()
        self.received = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.host, port))
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._send_lock = threading.Lock()

    def drop(self, *, datagrams: int = 1, within_s: float | None = None) -> Fault:
        return self.faults.add(Fault("drop", datagrams, until=_deadline(within_s)))

    def delay(self, delay_ms: int, *, datagrams: int = 1, within_s: float | None = None) -> Fault:
        return self.faults.add(
            Fault("delay", datagrams, delay_ms=delay_ms, until=_deadline(within_s))
        )

    def start(self) -> UdpFaultProxy:
        self._thread = threading.Thread(target=self._loop, name="udp-faultproxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> UdpFaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _relay(self, payload: bytes, client: tuple[str, int]) -> None:
        """Ask upstream on a socket of its own and pass the answer back to `client`."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(2.0)
            try:
                up.sendto(payload, self.upstream)
                answer, _ = up.recvfrom(65535)
            except OSError:
                return
        with self._send_lock, contextlib.suppress(OSError):
            self._sock.sendto(answer, client)

    def _later(self, seconds: float, payload: bytes, client: tuple[str, int]) -> None:
        time.sleep(seconds)
        self._relay(payload, client)

    def _loop(self) -> None:
        self._sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                payload, client = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received += 1
            fault = self.faults.take()
            if fault is not None and fault.kind == "drop":
                fault.fired += 1
                continue
            delay = fault.delay_ms / 1000 if fault is not None and fault.kind == "delay" else 0.0
            if fault is not None and delay:
                fault.fired += 1
            threading.Thread(target=self._later, args=(delay, payload, client), daemon=True).start()
