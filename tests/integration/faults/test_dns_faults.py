"""Authoritative DNS checks while some servers misbehave (knotd behind the fault proxies):
a server whose datagrams are dropped, one that answers late, and a TCP fallback whose
connection is cut or refused. Each server gets its own verdict and sentence; nothing
raises."""

from __future__ import annotations

from collections.abc import Iterator

import dns.name
import dns.rdatatype
import pytest

from onboard_tui.dns import DnsChecker, Verification
from onboard_tui.dns.nameservers import Server
from onboard_tui.dns.transport import ask
from tests.faultproxy import FaultProxy, UdpFaultProxy

from ..servers.base import free_port
from ..servers.knot import KnotServer, start_knot

BIG_TXT = " ".join(f'"{i:02d}{"x" * 200}"' for i in range(10))
ZONE = f"""\
$ORIGIN renovations.com.
$TTL 300
@        SOA   ns1 hostmaster 2026112501 3600 900 604800 300
@        NS    ns1
ns1      A     127.0.0.1
key-ok   CNAME collabserv.com.
big      TXT   {BIG_TXT}
"""


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    with start_knot(tmp_path_factory.mktemp("knot-faults"), ZONE) as server:
        yield server


@pytest.fixture
def udp_proxies(knot: KnotServer) -> Iterator[tuple[UdpFaultProxy, UdpFaultProxy]]:
    with (
        UdpFaultProxy(knot.host, knot.port) as dropping,
        UdpFaultProxy(knot.host, knot.port) as slow,
    ):
        yield dropping, slow


def test_each_server_gets_its_own_verdict(
    knot: KnotServer, udp_proxies: tuple[UdpFaultProxy, UdpFaultProxy]
) -> None:
    dropping, slow = udp_proxies
    dropped = dropping.drop(datagrams=20)  # every query this check sends it
    late = slow.delay(150, datagrams=20)  # late, but within the 1 s timeout
    checker = DnsChecker(ask_system_resolver=False, timeout=1.0)
    servers = [f"{knot.host}:{knot.port}", f"127.0.0.1:{dropping.port}", f"127.0.0.1:{slow.port}"]
    report = checker.check_domain("renovations.com", "key-ok", nameservers=servers)
    assert dropped.fired >= 1 and late.fired >= 1
    by_port = {s.port: s for s in report.servers}
    assert by_port[knot.port].status == Verification.VERIFIED
    assert by_port[slow.port].status == Verification.VERIFIED
    assert by_port[slow.port].elapsed >= 0.15
    lost = by_port[dropping.port]
    assert lost.status == Verification.UNREACHABLE
    assert lost.error == "no answer within 1 s"
    assert report.status == Verification.UNREACHABLE  # not every server could say so
    assert report.message.startswith("2 of 3 name servers answer correctly, but 127.0.0.1:")
    assert f"127.0.0.1:{dropping.port} (127.0.0.1) no answer within 1 s" in report.message
    assert report.exit_code == 2


def test_a_late_server_beyond_the_timeout_is_unreachable_not_an_error(
    knot: KnotServer, udp_proxies: tuple[UdpFaultProxy, UdpFaultProxy]
) -> None:
    _dropping, slow = udp_proxies
    slow.delay(600, datagrams=20)
    checker = DnsChecker(ask_system_resolver=False, timeout=0.3)
    report = checker.check_domain(
        "renovations.com", "key-ok", nameservers=[f"127.0.0.1:{slow.port}"]
    )
    (only,) = report.servers
    assert (only.status, only.error) == (Verification.UNREACHABLE, "no answer within 0.3 s")
    assert report.status == Verification.UNREACHABLE
    assert report.exit_code == 2


@pytest.fixture
def tcp_and_udp(knot: KnotServer) -> Iterator[tuple[FaultProxy, UdpFaultProxy]]:
    """A TCP and a UDP proxy on the same port, as one name server."""
    port = free_port(udp_too=True)
    with (
        UdpFaultProxy(knot.host, knot.port, port=port) as udp,
        FaultProxy(knot.host, knot.port, port=port) as tcp,
    ):
        yield tcp, udp


def test_truncated_answer_whose_tcp_fallback_is_cut_or_refused(
    tcp_and_udp: tuple[FaultProxy, UdpFaultProxy],
) -> None:
    tcp, udp = tcp_and_udp
    server = Server("ns1.renovations.com", "127.0.0.1", udp.port)
    big = dns.name.from_text("big.renovations.com")
    cut = tcp.cut(200)  # the TCP answer breaks off after 200 of its ~2 KB
    reply = ask(server, big, dns.rdatatype.TXT, 1.0)
    assert cut.fired == 1
    assert reply.message is None and reply.transport_failure
    assert reply.error == "cannot be reached: connection reset by peer"
    tcp.down()
    refused = ask(server, big, dns.rdatatype.TXT, 1.0)
    assert refused.message is None and refused.transport_failure
    assert refused.error == "cannot be reached: connection refused"
    tcp.up()
    whole = ask(server, big, dns.rdatatype.TXT, 1.0)
    assert whole.message is not None and whole.via_tcp
