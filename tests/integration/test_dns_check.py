"""Every verification status and MX status from real answers of private knotd servers.

Two knotd instances serve `renovations.com` on 127.0.0.1: `knot_a` holds every case,
`knot_b` is a stale copy (no `key-propagating`, the old MX of `mx-moving`) for servers
that disagree. A UDP socket that never answers stands in for a dead server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.flags
import dns.name
import dns.rdatatype
import dns.resolver
import pytest

import onboard_tui.dns.checker as checker_module
from onboard_tui.dns import DnsChecker, Mx, Verification
from onboard_tui.dns.nameservers import Server
from onboard_tui.dns.transport import ask

from .servers.knot import KnotServer, start_knot

pytestmark = pytest.mark.integration

BIG_TXT = " ".join(f'"{i:02d}{"x" * 200}"' for i in range(10))

ZONE_A = f"""\
$ORIGIN renovations.com.
$TTL 300
@                   SOA   ns1 hostmaster 2026112501 3600 900 604800 300
@                   NS    ns1
ns1                 A     127.0.0.1
@                   A     192.0.2.10
@                   MX    10 mail
mail                A     192.0.2.25
mail                AAAA  2001:db8::25
smtp                A     192.0.2.30
west                A     192.0.2.20
key-verified        CNAME Collabserv.COM.
key-verified.west   CNAME collabserv.com.
key-propagating     CNAME collabserv.com.
key-wrong-target    CNAME collabserv.example.
key-doubled.renovations.com CNAME collabserv.com.
key-doubled-target  CNAME collabserv.com.renovations.com.
key-wrong-type      TXT   "collabserv.com"
key-previous        CNAME collabserv.com.
*.wild              CNAME collabserv.com.
key-idn.xn--bcher-kva CNAME collabserv.com.
big                 TXT   {BIG_TXT}
mx-ok               MX    10 mail
mx-ok               MX    20 smtp
mx-moving           MX    10 smtp
mx-cname            MX    10 alias
alias               CNAME mail
mx-noaddr           MX    10 ghost
mx-null             MX    0 .
mx-null             MX    10 mail
mx-dup              MX    10 mail
mx-dup              MX    20 mail
mx-none             A     192.0.2.40
"""

ZONE_B = (
    ZONE_A.replace("key-propagating     CNAME collabserv.com.\n", "")
    .replace("mx-moving           MX    10 smtp", "mx-moving           MX    10 mail")
    .replace("mx-ok               MX    20 smtp\n", "")
)


@pytest.fixture(scope="module")
def knot_a(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    with start_knot(tmp_path_factory.mktemp("knot-a"), ZONE_A) as server:
        yield server


@pytest.fixture(scope="module")
def knot_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    with start_knot(tmp_path_factory.mktemp("knot-b"), ZONE_B) as server:
        yield server


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    """`127.0.0.1:PORT` of a UDP socket that reads nothing and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def resolver_for(server: KnotServer) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.cache = None
    return resolver


@pytest.fixture(scope="module")
def checker(knot_a: KnotServer) -> DnsChecker:
    """Discovers through knot_a (also the "system" resolver) and asks servers on its port."""
    return DnsChecker(resolver=resolver_for(knot_a), port=knot_a.port, timeout=1.0)


def ns(server: KnotServer) -> str:
    return f"{server.host}:{server.port}"


# -- verification, one status each ---------------------------------------------------------


def test_verified_through_discovery(checker: DnsChecker) -> None:
    report = checker.check_domain("Renovations.COM.", "KEY-verified")
    assert report.status == Verification.VERIFIED
    assert report.zone == "renovations.com"
    (server,) = report.servers
    assert (server.server, server.address, server.status) == (
        "ns1.renovations.com",
        "127.0.0.1",
        "verified",
    )
    assert server.answer == "CNAME collabserv.com."  # knotd lowercases record data
    assert report.resolver is not None and report.resolver.status == Verification.VERIFIED
    assert report.warnings == ()
    assert report.exit_code == 0


def test_verified_subdomain_in_the_parent_zone(checker: DnsChecker) -> None:
    report = checker.check_domain("west.renovations.com", "key-verified")
    assert (report.status, report.zone, report.record) == (
        "verified",
        "renovations.com",
        "key-verified.west.renovations.com",
    )


def test_idn_domain(checker: DnsChecker) -> None:
    report = checker.check_domain("Bücher.renovations.com", "key-idn")
    assert report.status == Verification.VERIFIED
    assert report.domain == "bücher.renovations.com"


@pytest.mark.parametrize(
    ("key", "status", "answer", "words"),
    [
        ("key-missing", "missing", "NXDOMAIN", "create one with alias/prefix key-missing"),
        ("key-wrong-target", "wrong_target", "CNAME collabserv.example.", "collabserv.example"),
        (
            "key-doubled",
            "doubled_name",
            "key-doubled.renovations.com.renovations.com. CNAME collabserv.com.",
            "enter only key-doubled",
        ),
        (
            "key-doubled-target",
            "doubled_target",
            "CNAME collabserv.com.renovations.com.",
            "with a final dot",
        ),
        ("key-wrong-type", "wrong_type", 'TXT "collabserv.com"', "has a TXT record"),
    ],
)
def test_each_mistake(checker: DnsChecker, key: str, status: str, answer: str, words: str) -> None:
    report = checker.check_domain("renovations.com", key)
    assert report.status == status
    assert report.servers[0].answer == answer
    assert words in report.message
    assert report.exit_code == 1


def test_old_key(checker: DnsChecker) -> None:
    report = checker.check_domain("renovations.com", "key-current", previous_key="key-previous")
    assert report.status == Verification.OLD_KEY
    assert "do not restart" in report.message


def test_wildcard_is_a_warning(checker: DnsChecker) -> None:
    report = checker.check_domain("wild.renovations.com", "any-key-at-all")
    assert report.status == Verification.VERIFIED
    assert len(report.warnings) == 1 and "wildcard" in report.warnings[0]
    plain = checker.check_domain("renovations.com", "key-verified")
    assert not any("wildcard" in w for w in plain.warnings)


# -- given servers, disagreeing servers, unreachable ones --------------------------------


def test_given_nameservers_instead_of_discovery(knot_a: KnotServer) -> None:
    lonely = DnsChecker(resolver=resolver_for(knot_a), ask_system_resolver=False, timeout=1.0)
    report = lonely.check_domain("renovations.com", "key-verified", nameservers=[ns(knot_a)])
    assert report.status == Verification.VERIFIED
    assert report.zone == "renovations.com"  # asked of the server itself
    assert [(s.server, s.port) for s in report.servers] == [(ns(knot_a), knot_a.port)]
    assert report.resolver is None


def test_two_servers_disagree_propagating(
    checker: DnsChecker, knot_a: KnotServer, knot_b: KnotServer
) -> None:
    report = checker.check_domain(
        "renovations.com", "key-propagating", nameservers=[ns(knot_a), ns(knot_b)]
    )
    assert report.status == Verification.PROPAGATING
    assert (report.agreeing, report.total) == (1, 2)
    assert report.message.startswith("1 of 2 authoritative name servers")
    assert [s.status for s in report.servers] == ["verified", "missing"]
    assert report.exit_code == 1


def test_silent_server_is_unreachable(checker: DnsChecker, silent: str) -> None:
    quick = DnsChecker(resolver=checker.resolver, timeout=0.4)
    report = quick.check_domain("renovations.com", "key-verified", nameservers=[silent])
    assert report.status == Verification.UNREACHABLE
    assert report.servers[0].error == "no answer within 0.4 s"
    assert silent in report.message
    assert report.exit_code == 2


def test_good_server_plus_silent_one_is_unreachable(
    checker: DnsChecker, knot_a: KnotServer, silent: str
) -> None:
    quick = DnsChecker(resolver=checker.resolver, timeout=0.4)
    report = quick.check_domain("renovations.com", "key-verified", nameservers=[ns(knot_a), silent])
    assert report.status == Verification.UNREACHABLE
    assert report.message.startswith("1 of 2 name servers answer correctly, but " + silent)


def test_server_that_does_not_serve_the_zone(checker: DnsChecker, knot_a: KnotServer) -> None:
    report = checker.check_domain("example.org", "key-verified", nameservers=[ns(knot_a)])
    assert report.status == Verification.UNREACHABLE
    assert "REFUSED" in report.servers[0].error


def test_checks_run_concurrently(
    checker: DnsChecker,
    knot_a: KnotServer,
    knot_b: KnotServer,
    silent: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three silent servers are waited for at the same time, not one after the other."""
    in_flight, most = 0, 0
    lock = threading.Lock()
    real_ask = checker_module.ask

    def counting_ask(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            return real_ask(*args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(checker_module, "ask", counting_ask)
    quick = DnsChecker(resolver=checker.resolver, timeout=0.5, ask_system_resolver=False)
    port = silent.rpartition(":")[2]
    many = [silent, f"127.0.0.2:{port}", f"127.0.0.3:{port}", ns(knot_a), ns(knot_b)]
    report = quick.check_domain("renovations.com", "key-verified", nameservers=many)
    assert report.status == Verification.UNREACHABLE
    assert [s.error for s in report.servers[:3]] == ["no answer within 0.5 s"] * 3
    assert most >= 3  # the three silent ones overlapped


def test_check_many_keeps_the_order(checker: DnsChecker) -> None:
    from onboard_tui.dns import VerificationRequest

    keys = ["key-verified", "key-missing", "key-wrong-type", "key-verified"]
    reports = checker.check_many([VerificationRequest("renovations.com", k) for k in keys])
    assert [r.status for r in reports] == ["verified", "missing", "wrong_type", "verified"]


def test_truncated_answer_comes_over_tcp(knot_a: KnotServer) -> None:
    server = Server("knot", knot_a.host, knot_a.port)
    reply = ask(server, dns.name.from_text("big.renovations.com"), dns.rdatatype.TXT, 2)
    assert reply.via_tcp
    assert reply.message is not None and reply.message.flags & dns.flags.AA
    assert len(reply.message.answer[0][0].strings) == 10  # one record of 2 kB


# -- MX -------------------------------------------------------------------------------


def test_mx_ok_with_addresses(checker: DnsChecker) -> None:
    report = checker.check_mx("mx-ok.renovations.com")
    assert report.status == Mx.OK
    assert report.servers[0].answer == "10 mail.renovations.com., 20 smtp.renovations.com."
    assert {t.name: t.addresses for t in report.targets} == {
        "mail.renovations.com.": ("192.0.2.25", "2001:db8::25"),
        "smtp.renovations.com.": ("192.0.2.30",),
    }
    assert report.current is not None and len(report.current) == 2
    assert report.current_ttl == 300


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("mx-cname.renovations.com", "mx_to_cname"),
        ("mx-noaddr.renovations.com", "no_address"),
        ("mx-null.renovations.com", "null_mx_mixed"),
        ("mx-dup.renovations.com", "duplicate"),
    ],
)
def test_mx_problems(checker: DnsChecker, domain: str, kind: str) -> None:
    report = checker.check_mx(domain)
    assert report.status == Mx.PROBLEMS
    assert [p.kind for p in report.problems] == [kind]
    assert report.exit_code == 1


def test_mx_none(checker: DnsChecker) -> None:
    report = checker.check_mx("mx-none.renovations.com", expect="smtp.renovations.com")
    assert report.status == Mx.NO_MX
    assert report.servers[0].answer == "no MX (NODATA)"


def test_mx_as_expected_and_not_switched(checker: DnsChecker) -> None:
    done = checker.check_mx("mx-moving.renovations.com", expect="SMTP.renovations.com.")
    assert done.status == Mx.AS_EXPECTED and done.exit_code == 0
    assert "no longer reaches the old system" in done.message
    old = checker.check_mx("renovations.com", expect="smtp.renovations.com")
    assert old.status == Mx.NOT_SWITCHED and old.exit_code == 1


def test_mx_servers_disagree(checker: DnsChecker, knot_a: KnotServer, knot_b: KnotServer) -> None:
    both = [ns(knot_a), ns(knot_b)]
    watch = checker.check_mx(
        "mx-moving.renovations.com", expect="smtp.renovations.com", nameservers=both
    )
    assert (watch.status, watch.agreeing, watch.total) == (Mx.PROPAGATING, 1, 2)
    plain = checker.check_mx("mx-ok.renovations.com", nameservers=both)
    assert plain.status == Mx.DISAGREE
    assert plain.current is None
    assert "servers_disagree" in [p.kind for p in plain.problems]
    assert [s.answer for s in plain.servers] == [
        "10 mail.renovations.com., 20 smtp.renovations.com.",
        "10 mail.renovations.com.",
    ]


def test_mx_unreachable(checker: DnsChecker, silent: str) -> None:
    quick = DnsChecker(resolver=checker.resolver, timeout=0.4)
    report = quick.check_mx("renovations.com", nameservers=[silent])
    assert report.status == Mx.UNREACHABLE and report.exit_code == 2
    assert report.to_json()["servers"][0]["error"] == "no answer within 0.4 s"


def test_zone_not_found_is_a_report_not_a_crash(tmp_path: Path, silent: str) -> None:
    dead = dns.resolver.Resolver(configure=False)
    host, _, port = silent.rpartition(":")
    dead.nameservers = [host]
    dead.port = int(port)
    checker = DnsChecker(resolver=dead, timeout=0.3, resolver_lifetime=0.5)
    report = checker.check_domain("renovations.com", "k1")
    assert report.status == Verification.UNREACHABLE
    assert report.servers == ()
    assert "could not be found" in report.message
