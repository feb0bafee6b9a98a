"""One query to one server: RD off, EDNS, TCP after truncation, retry without EDNS, timeouts.

A few lines of socket code on 127.0.0.1 stand in for odd servers no real one imitates
on demand (one that truncates everything over UDP, one that does not know EDNS).
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from onboard_tui.dns.nameservers import Server
from onboard_tui.dns.transport import EDNS_PAYLOAD, ask

Handler = Callable[[dns.message.Message, bool], dns.message.Message | None]
NAME = dns.name.from_text("k1.renovations.com")


class TinyServer:
    """UDP and TCP on one loopback port; `handler(query, over_tcp)` makes each reply."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.queries: list[tuple[dns.message.Message, bool]] = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen()
        self.udp.settimeout(0.1)
        self.tcp.settimeout(0.1)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._udp, self._tcp)]
        for thread in self.threads:
            thread.start()

    def _answer(self, wire: bytes, over_tcp: bool) -> bytes | None:
        query = dns.message.from_wire(wire)
        self.queries.append((query, over_tcp))
        reply = self.handler(query, over_tcp)
        return None if reply is None else reply.to_wire()

    def _udp(self) -> None:
        while not self.stop.is_set():
            try:
                wire, peer = self.udp.recvfrom(65535)
            except TimeoutError:
                continue
            out = self._answer(wire, False)
            if out is not None:
                self.udp.sendto(out, peer)

    def _tcp(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                (length,) = struct.unpack("!H", conn.recv(2))
                out = self._answer(conn.recv(length), True)
                if out is not None:
                    conn.sendall(struct.pack("!H", len(out)) + out)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()
        self.udp.close()
        self.tcp.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], TinyServer]]:
    servers: list[TinyServer] = []

    def start(handler: Handler) -> TinyServer:
        servers.append(TinyServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def cname_reply(query: dns.message.Message) -> dns.message.Message:
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.AA
    reply.answer.append(dns.rrset.from_text(NAME, 300, "IN", "CNAME", "collabserv.com."))
    return reply


def test_query_has_rd_off_and_edns(serve: Callable[[Handler], TinyServer]) -> None:
    server = serve(lambda q, tcp: cname_reply(q))
    reply = ask(Server("t", "127.0.0.1", server.port), NAME, dns.rdatatype.CNAME, 2)
    assert reply.message is not None and not reply.via_tcp and not reply.error
    ((query, _),) = server.queries
    assert not query.flags & dns.flags.RD
    assert query.edns == 0 and query.payload == EDNS_PAYLOAD


def test_truncated_udp_falls_back_to_tcp(serve: Callable[[Handler], TinyServer]) -> None:
    def handler(query: dns.message.Message, over_tcp: bool) -> dns.message.Message:
        if over_tcp:
            return cname_reply(query)
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.TC | dns.flags.AA
        return reply

    server = serve(handler)
    reply = ask(Server("t", "127.0.0.1", server.port), NAME, dns.rdatatype.CNAME, 2)
    assert reply.via_tcp
    assert reply.message is not None and reply.message.answer
    assert [tcp for _, tcp in server.queries] == [False, True]


def test_formerr_to_edns_retries_without_it(serve: Callable[[Handler], TinyServer]) -> None:
    def handler(query: dns.message.Message, over_tcp: bool) -> dns.message.Message:
        if query.edns >= 0:
            reply = dns.message.make_response(query)
            reply.use_edns(False)
            reply.set_rcode(dns.rcode.FORMERR)
            return reply
        return cname_reply(query)

    server = serve(handler)
    reply = ask(Server("t", "127.0.0.1", server.port), NAME, dns.rdatatype.CNAME, 2)
    assert reply.message is not None and reply.message.rcode() == dns.rcode.NOERROR
    assert [q.edns for q, _ in server.queries] == [0, -1]


def test_silent_server_times_out(serve: Callable[[Handler], TinyServer]) -> None:
    server = serve(lambda q, tcp: None)
    reply = ask(Server("t", "127.0.0.1", server.port), NAME, dns.rdatatype.CNAME, 0.3)
    assert reply.message is None and reply.transport_failure
    assert reply.error == "no answer within 0.3 s"
    assert reply.elapsed >= 0.3  # it waited the whole timeout


def test_closed_port_is_an_error_not_a_crash() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reply = ask(Server("t", "127.0.0.1", port), NAME, dns.rdatatype.CNAME, 0.5)
    assert reply.message is None and reply.transport_failure
    assert reply.error  # "cannot be reached: connection refused" or a timeout, per kernel
