"""The demo's own authoritative DNS server: UDP and TCP on 127.0.0.1, RFC 2136 with TSIG.

    server = DemoDnsServer(session_folder, port=0)   # 0: a free port (UDP and TCP)
    server.start(); server.host, server.port
    server.update_config()   # DnsUpdateConfig for the session (secret as file:..., never the value)
    server.checker()         # a DnsChecker that discovers and asks this server
    server.stop()

It serves `renovations.com` (demo_zone.py) with the AA flag, refuses other names, and
applies updates only when they are signed with the demo's TSIG key: an unknown key is
answered NOTAUTH/BADKEY, a wrong secret NOTAUTH/BADSIG, an unsigned update REFUSED, as
real servers do. Plain threads and sockets: no Textual, nothing written to the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.resolver
import dns.tsig

from onboard_tui.errors import OnboardError
from onboard_tui.session.model import DnsUpdateConfig

from .checker import DnsChecker
from .demo_zone import ALGORITHM, KEY_NAME, SUBDOMAIN, ZONE, DemoFiles, DemoZone

log = logging.getLogger(__name__)

_POLL = 0.2
_TCP_IDLE = 10.0


class DemoDnsServer:
    """An authoritative server for the demo zone; `start()` then `host`/`port`."""

    zone_name = ZONE
    subdomain = SUBDOMAIN
    key_name = KEY_NAME
    algorithm = ALGORITHM

    def __init__(self, session_folder: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.files = DemoFiles.under(session_folder)
        self.host = host
        self.wanted_port = port
        self.port = 0
        self.zone: DemoZone | None = None
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- life ---------------------------------------------------------------------------

    def start(self) -> DemoDnsServer:
        """Load the zone and listen; OnboardError when the port cannot be had."""
        if self._udp is not None:
            return self
        self.zone = DemoZone(self.files)
        self._udp, self._tcp = _bind_both(self.host, self.wanted_port)
        self.port = int(self._udp.getsockname()[1])
        self._stop.clear()
        for target, name in ((self._serve_udp, "udp"), (self._serve_tcp, "tcp")):
            thread = threading.Thread(target=target, name=f"demo-dns-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("demo DNS server for %s on %s port %d", ZONE, self.host, self.port)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        for sock in (self._udp, self._tcp):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._udp = self._tcp = None

    @property
    def running(self) -> bool:
        return self._udp is not None

    @property
    def address(self) -> str:
        """`host:port`, as the sandbox and `--nameserver` take it."""
        return f"{self.host}:{self.port}"

    # -- what the rest of the program needs -----------------------------------------------

    @property
    def secret_ref(self) -> str:
        return f"file:{self.files.key_file.resolve()}"

    def update_config(self) -> DnsUpdateConfig:
        """RFC 2136 settings pointing at this server; the secret stays in its 0600 file."""
        return DnsUpdateConfig(
            server=self.host,
            port=self.port,
            zone=ZONE,
            key_name=KEY_NAME.rstrip("."),
            algorithm=ALGORITHM,
            secret=self.secret_ref,
        )

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.host]
        resolver.port = self.port
        resolver.cache = None
        return resolver

    def checker(self, timeout: float = 2.0) -> DnsChecker:
        """A checker that finds the zone, its servers and addresses through this server."""
        return DnsChecker(resolver=self.resolver(), port=self.port, timeout=timeout)

    # -- serving --------------------------------------------------------------------------

    def _serve_udp(self) -> None:
        sock = self._udp
        assert sock is not None
        sock.settimeout(_POLL)
        while not self._stop.is_set():
            try:
                wire, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.handle(wire, udp=True)
            if reply:
                with contextlib.suppress(OSError):
                    sock.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        sock = self._tcp
        assert sock is not None
        sock.settimeout(_POLL)
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_client, args=(conn,), daemon=True).start()

    def _tcp_client(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(_TCP_IDLE)
            while not self._stop.is_set():
                try:
                    head = _read(conn, 2)
                    if not head:
                        return
                    wire = _read(conn, struct.unpack("!H", head)[0])
                except OSError:
                    return
                reply = self.handle(wire, udp=False)
                if not reply:
                    return
                try:
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    return

    def handle(self, wire: bytes, *, udp: bool) -> bytes:
        """One request's answer as wire bytes ("" when it is not worth an answer)."""
        zone = self.zone
        assert zone is not None
        keyring = {dns.name.from_text(KEY_NAME): self._key()}
        try:
            request = dns.message.from_wire(wire, keyring=keyring)
        except (dns.message.UnknownTSIGKey, dns.tsig.BadKey, dns.tsig.BadAlgorithm):
            return _tsig_refusal(wire, dns.rcode.BADKEY)
        except dns.tsig.BadSignature:
            return _tsig_refusal(wire, dns.rcode.BADSIG)
        except dns.tsig.BadTime:
            return _tsig_refusal(wire, dns.rcode.BADTIME)
        except dns.exception.DNSException:
            return _formerr(wire)
        if request.flags & dns.flags.QR:
            return b""
        opcode = request.opcode()
        if opcode == dns.opcode.UPDATE:
            response = dns.message.make_response(request)
            if not request.had_tsig:
                log.info("demo DNS: unsigned update refused")
                response.set_rcode(dns.rcode.REFUSED)
            else:
                response.set_rcode(zone.apply(request))
                log.info("demo DNS: update -> %s", dns.rcode.to_text(response.rcode()))
        elif opcode == dns.opcode.QUERY:
            response = zone.answer(request)
        else:
            response = dns.message.make_response(request)
            response.set_rcode(dns.rcode.NOTIMP)
        return _render(response, request, udp)

    def _key(self) -> dns.tsig.Key:
        return dns.tsig.Key(KEY_NAME, self.files.read_secret(), ALGORITHM)

    def __enter__(self) -> DemoDnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind_both(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same port (a free one when `port` is 0)."""
    tries = 1 if port else 50
    last: OSError | None = None
    for _ in range(tries):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, port))
            chosen = int(tcp.getsockname()[1])
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind((host, chosen))
            except OSError:
                udp.close()
                raise
            tcp.listen(16)
            return udp, tcp
        except OSError as exc:
            tcp.close()
            last = exc
    raise OnboardError(
        f"The demo DNS server cannot listen on {host} port {port or 'any'} "
        f"({last.strerror if last else 'no free port'}).",
        hint="Stop the program that uses the port, or remove demo_dns_port from session.toml.",
    )


def _read(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _unverified(wire: bytes) -> dns.message.Message | None:
    """The request read without checking its signature (to answer a TSIG failure)."""
    try:
        return dns.message.from_wire(wire, keyring=lambda _message, _name: False)
    except dns.exception.DNSException:
        return None


def _tsig_refusal(wire: bytes, error: dns.rcode.Rcode) -> bytes:
    request = _unverified(wire)
    if request is None or request.tsig is None or request.keyname is None:
        return _formerr(wire)
    # tsig=True: 16 is BADVERS in a header, BADSIG in a TSIG record (RFC 8945).
    log.info("demo DNS: TSIG %s from key %s", dns.rcode.to_text(error, True), request.keyname)
    response = dns.message.make_response(request)
    response.set_rcode(dns.rcode.NOTAUTH)
    algorithm = request.tsig[0].algorithm
    # RFC 8945 5.3.2: the error is sent unsigned in spirit; dnspython signs with an empty key.
    response.use_tsig(
        dns.tsig.Key(request.keyname, b"", algorithm), tsig_error=error, algorithm=algorithm
    )
    return response.to_wire()


def _formerr(wire: bytes) -> bytes:
    if len(wire) < 12:
        return b""
    header = bytearray(wire[:12])
    header[2] = 0x80 | (header[2] & 0x78)  # QR, same opcode
    header[3] = dns.rcode.FORMERR
    header[4:12] = b"\0" * 8
    return bytes(header)


def _render(response: dns.message.Message, request: dns.message.Message, udp: bool) -> bytes:
    limit = 65535
    if udp:
        limit = max(512, request.payload) if request.edns >= 0 else 512
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer.clear()
        response.authority.clear()
        response.additional.clear()
        response.flags |= dns.flags.TC
        return response.to_wire()
