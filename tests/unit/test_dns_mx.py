"""MX sets per server, the named problems, and the domain's MX status."""

from __future__ import annotations

from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.resolver
import dns.rrset
import pytest

from onboard_tui.dns.mx import lookup_target, mx_overall, mx_problems, read_mx, server_status
from onboard_tui.dns.nameservers import Server
from onboard_tui.dns.report import MxRecord, MxTarget, ServerResult
from onboard_tui.dns.statuses import Mx
from onboard_tui.dns.transport import Reply

DOMAIN = dns.name.from_text("renovations.com")
OLD = MxRecord(10, "mail.renovations.com.")
BACKUP = MxRecord(20, "backup.renovations.com.")
NEW = "smtp.notes.na.collabserv.com."
NEW_SET = (MxRecord(10, NEW),)


def mx_reply(*data: str, rcode: int = dns.rcode.NOERROR, aa: bool = True) -> Reply:
    message = dns.message.make_response(dns.message.make_query(DOMAIN, "MX"))
    message.set_rcode(dns.rcode.Rcode(rcode))
    if aa:
        message.flags |= dns.flags.AA
    if data:
        message.answer.append(dns.rrset.from_text_list(DOMAIN, 600, "IN", "MX", list(data)))
    return Reply(Server("ns1", "192.0.2.1"), message)


def test_read_mx_sorts_and_lowercases() -> None:
    mx = read_mx(mx_reply("20 Backup.Renovations.COM.", "10 mail.renovations.com."), DOMAIN)
    assert mx.records == (OLD, BACKUP)
    assert mx.ttl == 600
    assert mx.answer == "10 mail.renovations.com., 20 backup.renovations.com."


def test_read_mx_empty_nxdomain_and_unusable() -> None:
    assert read_mx(mx_reply(), DOMAIN).records == ()
    assert read_mx(mx_reply(rcode=dns.rcode.NXDOMAIN), DOMAIN).answer == "NXDOMAIN"
    refused = read_mx(mx_reply(rcode=dns.rcode.REFUSED), DOMAIN)
    assert refused.records is None and "REFUSED" in refused.error
    assert read_mx(mx_reply("10 a.example.", aa=False), DOMAIN).records is None
    silent = read_mx(Reply(Server("ns1", "192.0.2.1"), None, "no answer within 3 s"), DOMAIN)
    assert (silent.records, silent.error) == (None, "no answer within 3 s")


def kinds(problems: list[Any]) -> list[str]:
    return [p.kind for p in problems]


def test_problem_null_mx_mixed() -> None:
    problems = mx_problems([("ns1", (MxRecord(0, "."), OLD))], [])
    assert kinds(problems) == ["null_mx_mixed"]
    assert mx_problems([("ns1", (MxRecord(0, "."),))], []) == []


def test_problem_duplicate() -> None:
    problems = mx_problems([("ns1", (OLD, MxRecord(20, OLD.exchange)))], [])
    assert kinds(problems) == ["duplicate"]
    assert "listed 2 times (preferences 10, 20)" in problems[0].message


def test_problem_mx_to_cname_and_no_address() -> None:
    targets = [
        MxTarget("alias.renovations.com.", ("192.0.2.25",), alias_of="mail.renovations.com."),
        MxTarget("ghost.renovations.com."),
        MxTarget("far.example.", error="address lookup failed: timeout"),
    ]
    problems = mx_problems([("ns1", (OLD,))], targets)
    assert kinds(problems) == ["mx_to_cname", "no_address"]
    assert problems[0].target == "alias.renovations.com."
    assert "point it at mail.renovations.com" in problems[0].message


def test_problem_servers_disagree() -> None:
    problems = mx_problems([("ns1", (OLD,)), ("ns2", (OLD, BACKUP))], [])
    assert kinds(problems) == ["servers_disagree"]
    assert (
        "ns1: 10 mail.renovations.com; ns2: 10 mail.renovations.com, 20 backup"
        in problems[0].message
    )


def test_server_status() -> None:
    assert server_status(None, "") == Mx.UNREACHABLE
    assert server_status((), NEW) == Mx.NO_MX
    assert server_status((OLD,), "") == Mx.OK
    assert server_status(NEW_SET, NEW) == Mx.AS_EXPECTED
    assert server_status((MxRecord(5, NEW),), NEW) == Mx.AS_EXPECTED  # preference is free
    assert server_status((*NEW_SET, OLD), NEW) == Mx.NOT_SWITCHED


def results(*sets: tuple[MxRecord, ...] | None, expect: str = "") -> list[ServerResult]:
    return [
        ServerResult(
            f"ns{i}",
            f"192.0.2.{i}",
            server_status(s, expect),
            error="" if s is not None else "no answer",
        )
        for i, s in enumerate(sets, 1)
    ]


def overall(*sets: tuple[MxRecord, ...] | None, expect: str = "", problems: Any = ()) -> Any:
    return mx_overall(results(*sets, expect=expect), list(sets), list(problems), DOMAIN, expect)


def test_overall_ok_no_mx_problems_disagree() -> None:
    assert overall((OLD,), (OLD,)).status == Mx.OK
    assert overall((), ()).status == Mx.NO_MX
    found = overall((OLD,), problems=mx_problems([("ns1", (OLD, MxRecord(20, OLD.exchange)))], []))
    assert found.status == Mx.PROBLEMS
    assert overall((OLD,), (BACKUP,)).status == Mx.DISAGREE


def test_overall_against_the_expected_host() -> None:
    done = overall(NEW_SET, NEW_SET, expect=NEW)
    assert (done.status, done.agreeing, done.total) == (Mx.AS_EXPECTED, 2, 2)
    assert "no longer reaches the old system" in done.message
    half = overall(NEW_SET, (OLD,), expect=NEW)
    assert (half.status, half.agreeing) == (Mx.PROPAGATING, 1)
    assert half.message.startswith("1 of 2")
    still = overall((OLD,), (OLD,), expect=NEW)
    assert still.status == Mx.NOT_SWITCHED
    assert "still 10 mail.renovations.com:" in still.message
    assert overall((), (), expect=NEW).status == Mx.NO_MX
    homeless = [MxTarget(NEW)]
    bad = overall(NEW_SET, expect=NEW, problems=mx_problems([("ns1", NEW_SET)], homeless))
    assert bad.status == Mx.PROBLEMS and "no address" in bad.message


def test_overall_unreachable() -> None:
    assert overall(None, None).status == Mx.UNREACHABLE
    assert overall(NEW_SET, None, expect=NEW).status == Mx.UNREACHABLE
    assert overall((OLD,), None).status == Mx.UNREACHABLE
    mixed = overall(NEW_SET, (OLD,), None, expect=NEW)
    assert mixed.status == Mx.PROPAGATING and "Not counted" in mixed.warnings[0]


class FakeResolver:
    """Answers A/AAAA from hand-built messages, as dns.resolver.Resolver.resolve would."""

    def __init__(self, zone_text: str) -> None:
        self.rrsets = []
        for line in zone_text.strip().splitlines():
            owner, kind, data = line.split(maxsplit=2)
            self.rrsets.append(dns.rrset.from_text(owner, 300, "IN", kind, data))

    def resolve(self, name: dns.name.Name, rdtype: Any, **_: Any) -> dns.resolver.Answer:
        query = dns.message.make_query(name, rdtype)
        response = dns.message.make_response(query)
        qname = name
        for rrset in self.rrsets:
            if rrset.name == qname and rrset.rdtype == dns.rdatatype.CNAME:
                response.answer.append(rrset)
                qname = rrset[0].target
        found = [r for r in self.rrsets if r.name == qname and r.rdtype == rdtype]
        response.answer.extend(found)
        if not found and not any(r.name == qname for r in self.rrsets):
            response.set_rcode(dns.rcode.NXDOMAIN)
            raise dns.resolver.NXDOMAIN(qnames=[name], responses={name: response})
        wire = dns.message.from_wire(response.to_wire())  # as a resolver would get it
        return dns.resolver.Answer(name, rdtype, dns.rdataclass.IN, wire)  # type: ignore[arg-type]


ZONE = """
mail.renovations.com. A 192.0.2.25
mail.renovations.com. AAAA 2001:db8::25
alias.renovations.com. CNAME mail.renovations.com.
text.renovations.com. TXT "no address here"
"""


@pytest.mark.parametrize(
    ("host", "addresses", "alias"),
    [
        ("mail.renovations.com.", ("192.0.2.25", "2001:db8::25"), ""),
        ("alias.renovations.com.", ("192.0.2.25", "2001:db8::25"), "mail.renovations.com."),
        ("text.renovations.com.", (), ""),
        ("ghost.renovations.com.", (), ""),
    ],
)
def test_lookup_target(host: str, addresses: tuple[str, ...], alias: str) -> None:
    target = lookup_target(FakeResolver(ZONE), host, 1.0)  # type: ignore[arg-type]
    assert (target.addresses, target.alias_of, target.error) == (addresses, alias, "")


def test_lookup_target_failure_is_an_error_not_a_missing_address() -> None:
    class Broken:
        def resolve(self, *_: Any, **__: Any) -> None:
            raise dns.resolver.NoNameservers()

    target = lookup_target(Broken(), "mail.renovations.com.", 1.0)  # type: ignore[arg-type]
    assert target.error.startswith("address lookup failed")
    assert mx_problems([("ns1", (OLD,))], [target]) == []
