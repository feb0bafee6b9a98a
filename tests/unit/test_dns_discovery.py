"""Finding a zone and its servers through a resolver: glue, lookups, names without address."""

from __future__ import annotations

from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from onboard_tui.dns.discovery import Discovery
from onboard_tui.dns.errors import DnsError

N = dns.name.from_text


class TableResolver:
    """`resolve()` from a table of rrsets; NS answers carry `glue` in the additional section."""

    def __init__(self, lines: str, glue: str = "") -> None:
        self.rrsets = [self._rrset(line) for line in lines.strip().splitlines()]
        self.glue = [self._rrset(line) for line in glue.strip().splitlines()]
        self.asked: list[tuple[str, str]] = []

    @staticmethod
    def _rrset(line: str) -> dns.rrset.RRset:
        owner, kind, data = line.split(maxsplit=2)
        return dns.rrset.from_text(owner, 300, "IN", kind, data)

    def resolve(self, name: Any, rdtype: Any, *args: Any, **kwargs: Any) -> dns.resolver.Answer:
        name = N(name) if isinstance(name, str) else name
        rdtype = dns.rdatatype.RdataType.make(rdtype)
        self.asked.append((name.to_text(), dns.rdatatype.to_text(rdtype)))
        response = dns.message.make_response(dns.message.make_query(name, rdtype))
        found = [r for r in self.rrsets if r.name == name and r.rdtype == rdtype]
        response.answer.extend(found)
        if rdtype == dns.rdatatype.NS:
            response.additional.extend(self.glue)
        known = any(name == r.name or r.name.is_subdomain(name) for r in self.rrsets)
        if not known:
            response.set_rcode(dns.rcode.NXDOMAIN)
            soa = [
                r
                for r in self.rrsets
                if r.rdtype == dns.rdatatype.SOA and name.is_subdomain(r.name)
            ]
            response.authority.extend(soa)
            wire = dns.message.from_wire(response.to_wire())
            raise dns.resolver.NXDOMAIN(qnames=[name], responses={name: wire})
        wire = dns.message.from_wire(response.to_wire())
        if not found and kwargs.get("raise_on_no_answer", True) is not False:
            raise dns.resolver.NoAnswer(response=wire)
        return dns.resolver.Answer(name, rdtype, dns.rdataclass.IN, wire)  # type: ignore[arg-type]


ZONE = """
renovations.com. SOA ns1.renovations.com. hostmaster.renovations.com. 1 3600 900 604800 300
renovations.com. NS ns1.renovations.com.
renovations.com. NS ns2.renovations.com.
renovations.com. NS ns3.renovations.com.
ns1.renovations.com. A 192.0.2.1
ns1.renovations.com. AAAA 2001:db8::1
ns2.renovations.com. A 192.0.2.2
west.renovations.com. A 192.0.2.20
"""


def discovery(resolver: TableResolver) -> Discovery:
    return Discovery(resolver, lifetime=1.0, port=5353)  # type: ignore[arg-type]


def test_zone_of_a_subdomain_is_its_parent() -> None:
    assert discovery(TableResolver(ZONE)).zone_for(N("west.renovations.com")) == N(
        "renovations.com"
    )


def test_every_address_of_every_server_and_names_without_address() -> None:
    found = discovery(TableResolver(ZONE)).servers(N("renovations.com"))
    assert [(s.name, s.address, s.port) for s in found.servers] == [
        ("ns1.renovations.com", "192.0.2.1", 5353),
        ("ns1.renovations.com", "2001:db8::1", 5353),
        ("ns2.renovations.com", "192.0.2.2", 5353),
    ]
    assert [(u.name, u.error) for u in found.unresolved] == [
        ("ns3.renovations.com", "does not exist (NXDOMAIN)")
    ]


def test_glue_saves_the_lookups() -> None:
    glue = """
ns1.renovations.com. A 192.0.2.1
ns2.renovations.com. A 192.0.2.2
ns2.renovations.com. AAAA 2001:db8::2
"""
    resolver = TableResolver(ZONE, glue)
    found = discovery(resolver).servers(N("renovations.com"))
    assert [s.address for s in found.servers] == ["192.0.2.1", "192.0.2.2", "2001:db8::2"]
    looked_up = {name for name, kind in resolver.asked if kind in ("A", "AAAA")}
    assert looked_up == {"ns3.renovations.com."}


def test_undelegated_domain_is_an_error() -> None:
    tld = TableResolver(
        "com. SOA a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400"
    )
    with pytest.raises(DnsError, match="not delegated"):
        discovery(tld).zone_for(N("renovations.com"))


def test_resolver_failure_is_a_sentence() -> None:
    class Down:
        def resolve(self, *args: Any, **kwargs: Any) -> None:
            raise dns.resolver.LifetimeTimeout(timeout=1.0, errors=[])

    with pytest.raises(DnsError) as caught:
        Discovery(Down(), lifetime=1.0, port=53).zone_for(N("renovations.com"))  # type: ignore[arg-type]
    assert "the resolver did not answer in time" in caught.value.message
    assert "--nameserver" in caught.value.hint
