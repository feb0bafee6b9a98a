"""The demo's own DNS server on 127.0.0.1: authoritative answers, RFC 2136 with TSIG.

Each test starts its own `DemoDnsServer` on a free port in a temporary demo folder.
"""

from __future__ import annotations

import base64
import logging
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.dns.demo_server import DemoDnsServer
from onboard_tui.domains.demo import start_demo_dns
from onboard_tui.session.store import SessionStore

pytestmark = pytest.mark.integration

ZONE = "renovations.com"
WRONG_SECRET = base64.b64encode(b"not the demo secret, not at all!").decode("ascii")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "demo"


@pytest.fixture
def server(folder: Path) -> Iterator[DemoDnsServer]:
    running = DemoDnsServer(folder).start()
    yield running
    running.stop()


def ask(
    server: DemoDnsServer, name: str, rdtype: str, *, tcp: bool = False, edns: bool = False
) -> dns.message.Message:
    query = dns.message.make_query(
        name, dns.rdatatype.from_text(rdtype), use_edns=edns, payload=4096
    )
    query.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(query, "127.0.0.1", port=server.port, timeout=3)
    return dns.query.udp(query, "127.0.0.1", port=server.port, timeout=3)


def texts(reply: dns.message.Message, section: str = "answer") -> list[str]:
    # Names come back in the case they were asked in (compression): compare lower case.
    return sorted(
        f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}".lower()
        for rrset in getattr(reply, section)
        for rd in rrset
    )


def signed_update(
    server: DemoDnsServer, secret: str | None, key_name: str = ""
) -> dns.update.UpdateMessage:
    if secret is None:
        return dns.update.UpdateMessage(ZONE)
    name = dns.name.from_text(key_name or server.key_name)
    key = dns.tsig.Key(name, secret, server.algorithm)
    return dns.update.UpdateMessage(ZONE, keyring={name: key}, keyname=name)


def raw_reply(server: DemoDnsServer, wire: bytes) -> dns.message.Message:
    """Send `wire` over UDP and read the reply without judging its TSIG."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(wire, ("127.0.0.1", server.port))
        data, _ = sock.recvfrom(65535)
    return dns.message.from_wire(data, keyring=lambda _m, _n: False)


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_authoritative_answers(server: DemoDnsServer, tcp: bool) -> None:
    soa = ask(server, ZONE, "SOA", tcp=tcp)
    assert soa.flags & dns.flags.AA and not soa.flags & dns.flags.RA
    assert soa.rcode() == dns.rcode.NOERROR
    assert texts(soa) == [
        "renovations.com. soa ns1.renovations.com. hostmaster.renovations.com. "
        "2026112501 3600 900 604800 300"
    ]
    ns = ask(server, ZONE, "NS", tcp=tcp)
    assert texts(ns) == ["renovations.com. ns ns1.renovations.com."]
    assert texts(ns, "additional") == ["ns1.renovations.com. a 127.0.0.1"]
    mx = ask(server, "WEST.Renovations.com", "MX", tcp=tcp)
    assert mx.flags & dns.flags.AA
    assert texts(mx) == ["west.renovations.com. mx 10 mail.renovations.com."]
    assert texts(mx, "additional") == ["mail.renovations.com. a 192.0.2.25"]
    a = ask(server, "www.renovations.com", "A", tcp=tcp)
    assert texts(a) == [
        "renovations.com. a 192.0.2.10",
        "www.renovations.com. cname renovations.com.",
    ]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nxdomain_nodata_and_other_zones(server: DemoDnsServer, tcp: bool) -> None:
    missing = ask(server, "nobody.renovations.com", "CNAME", tcp=tcp)
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.flags & dns.flags.AA
    assert missing.answer == []
    assert [r.rdtype for r in missing.authority] == [dns.rdatatype.SOA]
    nodata = ask(server, "mail.renovations.com", "MX", tcp=tcp)
    assert nodata.rcode() == dns.rcode.NOERROR and nodata.answer == []
    assert [r.rdtype for r in nodata.authority] == [dns.rdatatype.SOA]
    other = ask(server, "example.org", "A", tcp=tcp)
    assert other.rcode() == dns.rcode.REFUSED
    assert not other.flags & dns.flags.AA


def test_a_large_answer_is_truncated_over_udp_and_whole_over_tcp(server: DemoDnsServer) -> None:
    update = signed_update(server, server.files.read_secret())
    for i in range(12):
        update.add("big", 300, "TXT", f'"{i:02d}-' + "x" * 90 + '"')
    assert dns.query.tcp(update, "127.0.0.1", port=server.port, timeout=3).rcode() == 0

    udp = ask(server, "big.renovations.com", "TXT")
    assert udp.flags & dns.flags.TC
    assert udp.answer == []
    tcp = ask(server, "big.renovations.com", "TXT", tcp=True)
    assert not tcp.flags & dns.flags.TC
    assert len(tcp.answer[0]) == 12
    # With EDNS and a large buffer, UDP carries it whole.
    roomy = ask(server, "big.renovations.com", "TXT", edns=True)
    assert not roomy.flags & dns.flags.TC and len(roomy.answer[0]) == 12
    reply, used_tcp = dns.query.udp_with_fallback(
        dns.message.make_query("big.renovations.com", "TXT", use_edns=False),
        "127.0.0.1",
        port=server.port,
        timeout=3,
    )
    assert used_tcp and len(reply.answer[0]) == 12


# --- updates ------------------------------------------------------------------------------


def test_signed_update_is_applied_and_survives_a_restart(folder: Path) -> None:
    first = DemoDnsServer(folder).start()
    try:
        serial = int(ask(first, ZONE, "SOA").answer[0][0].serial)
        update = signed_update(first, first.files.read_secret())
        update.add("domino-abc123-rules", 3600, "CNAME", "collabserv.com.")
        reply = dns.query.udp(update, "127.0.0.1", port=first.port, timeout=3)
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.had_tsig  # the answer is signed back
        found = ask(first, "domino-abc123-rules.renovations.com", "CNAME")
        assert texts(found) == ["domino-abc123-rules.renovations.com. cname collabserv.com."]
        assert int(ask(first, ZONE, "SOA").answer[0][0].serial) == serial + 1
    finally:
        first.stop()
    text = (folder / "demo-dns" / "renovations.com.zone").read_text(encoding="ascii")
    assert "domino-abc123-rules" in text

    second = DemoDnsServer(folder).start()
    try:
        again = ask(second, "domino-abc123-rules.renovations.com", "CNAME", tcp=True)
        assert texts(again) == ["domino-abc123-rules.renovations.com. cname collabserv.com."]
        assert int(ask(second, ZONE, "SOA").answer[0][0].serial) == serial + 1

        delete = signed_update(second, second.files.read_secret())
        delete.delete("domino-abc123-rules", "CNAME")
        assert dns.query.tcp(delete, "127.0.0.1", port=second.port, timeout=3).rcode() == 0
        gone = ask(second, "domino-abc123-rules.renovations.com", "CNAME")
        assert gone.rcode() == dns.rcode.NXDOMAIN
    finally:
        second.stop()


def test_prerequisite_failure_changes_nothing(server: DemoDnsServer) -> None:
    update = signed_update(server, server.files.read_secret())
    update.present("mail", "MX")  # mail.renovations.com has no MX
    update.add("pre", 300, "A", "192.0.2.99")
    reply = dns.query.udp(update, "127.0.0.1", port=server.port, timeout=3)
    assert reply.rcode() == dns.rcode.NXRRSET
    assert ask(server, "pre.renovations.com", "A").rcode() == dns.rcode.NXDOMAIN


def test_unsigned_update_is_refused(server: DemoDnsServer) -> None:
    update = signed_update(server, None)
    update.add("unsigned", 300, "A", "192.0.2.66")
    reply = dns.query.udp(update, "127.0.0.1", port=server.port, timeout=3)
    assert reply.rcode() == dns.rcode.REFUSED
    assert ask(server, "unsigned.renovations.com", "A").rcode() == dns.rcode.NXDOMAIN


def test_wrong_secret_is_badsig(server: DemoDnsServer) -> None:
    update = signed_update(server, WRONG_SECRET)
    update.add("forged", 300, "A", "192.0.2.66")
    with pytest.raises(dns.tsig.PeerBadSignature):
        dns.query.udp(update, "127.0.0.1", port=server.port, timeout=3)
    reply = raw_reply(server, update.to_wire())
    assert reply.rcode() == dns.rcode.NOTAUTH
    assert reply.tsig_error == dns.rcode.BADSIG
    assert ask(server, "forged.renovations.com", "A").rcode() == dns.rcode.NXDOMAIN


def test_unknown_key_is_badkey(server: DemoDnsServer) -> None:
    update = signed_update(server, server.files.read_secret(), key_name="someone-else.")
    update.add("forged", 300, "A", "192.0.2.66")
    with pytest.raises(dns.tsig.PeerBadKey):
        dns.query.tcp(update, "127.0.0.1", port=server.port, timeout=3)
    reply = raw_reply(server, update.to_wire())
    assert reply.rcode() == dns.rcode.NOTAUTH
    assert reply.tsig_error == dns.rcode.BADKEY
    assert ask(server, "forged.renovations.com", "A").rcode() == dns.rcode.NXDOMAIN


def test_update_outside_the_zone_is_notauth(server: DemoDnsServer) -> None:
    name = dns.name.from_text(server.key_name)
    key = dns.tsig.Key(name, server.files.read_secret(), server.algorithm)
    update = dns.update.UpdateMessage("example.org", keyring={name: key}, keyname=name)
    update.add("x", 300, "A", "192.0.2.1")
    reply = dns.query.udp(update, "127.0.0.1", port=server.port, timeout=3)
    assert reply.rcode() == dns.rcode.NOTAUTH


# --- the key, the session and the log ------------------------------------------------------


def test_key_file_is_private_and_its_secret_stays_there(
    store: SessionStore, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = start_demo_dns(store)
    try:
        key_file = store.folder / "demo-dns" / "tsig.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((store.folder / "demo-dns").stat().st_mode) == 0o700
        secret = key_file.read_text(encoding="ascii").strip()
        assert len(base64.b64decode(secret)) == 32

        # Use it, rightly and wrongly, so the log has something to say.
        good = signed_update(running, secret)
        good.add("logged", 300, "A", "192.0.2.5")
        assert dns.query.udp(good, "127.0.0.1", port=running.port, timeout=3).rcode() == 0
        bad = signed_update(running, WRONG_SECRET)
        bad.add("logged2", 300, "A", "192.0.2.5")
        with pytest.raises(dns.tsig.PeerBadSignature):
            dns.query.udp(bad, "127.0.0.1", port=running.port, timeout=3)

        toml = store.path.read_text(encoding="utf-8")
        assert f"demo_dns_port = {running.port}" in toml
        assert f'update_secret = "file:{key_file.resolve()}"' in toml
        assert secret not in toml
        assert "BADSIG" in caplog.text
        assert secret not in caplog.text
        assert WRONG_SECRET not in caplog.text
        domain = store.data.domain("renovations.com")
        assert domain is not None and domain.subdomains == ["west.renovations.com"]
        assert domain.update is not None and domain.update.port == running.port
    finally:
        running.stop()

    # The same folder again: the same key, the same port.
    again = start_demo_dns(store)
    try:
        assert again.port == running.port
        assert again.files.read_secret() == secret
        assert len(store.data.domains) == 1
    finally:
        again.stop()
