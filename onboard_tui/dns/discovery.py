"""Where a name's authoritative servers are: the zone (walking up with SOA), its NS names,
and their A and AAAA addresses, looked up through an injectable resolver.

Tests point the resolver at a private server on 127.0.0.1 and a port; the port used to
query the discovered servers is injected too, since a test server never listens on 53.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from .errors import DnsError
from .names import show
from .nameservers import Server
from .transport import ask


@dataclass(frozen=True)
class Unresolved:
    """A name server whose address could not be found, and why."""

    name: str
    error: str


@dataclass(frozen=True)
class ServerSet:
    """The zone of a name and the addresses to ask; `unresolved` ones are reported as such."""

    zone: dns.name.Name
    servers: tuple[Server, ...]
    unresolved: tuple[Unresolved, ...] = ()
    discovered: bool = True


class Discovery:
    """Looks things up through one resolver; safe to share between threads."""

    def __init__(self, resolver: dns.resolver.Resolver, *, lifetime: float, port: int) -> None:
        self.resolver = resolver
        self.lifetime = lifetime
        self.port = port

    def zone_for(self, name: dns.name.Name) -> dns.name.Name:
        """The zone that holds `name` (the closest enclosing SOA).

        Ask for the domain, not for `key.domain`: a resolver chasing the CNAME there would
        find the SOA of the target's zone instead.
        """
        try:
            zone = dns.resolver.zone_for_name(name, resolver=self.resolver, lifetime=self.lifetime)
        except dns.resolver.NoRootSOA:
            raise DnsError(f"No zone holds {show(name)}.") from None
        except dns.exception.DNSException as exc:
            raise DnsError(
                f"The zone of {show(name)} could not be found: {_lookup_error(exc)}.",
                hint="Check the machine's DNS resolver, or name the servers with --nameserver.",
            ) from None
        if zone == dns.name.root or (len(zone.labels) <= 2 and zone != name):
            raise DnsError(
                f"{show(name)} is not delegated: the closest zone is '{zone.to_text()}'.",
                hint="Check the spelling, or register the domain; new delegations can take "
                "a few hours to appear.",
            )
        return zone

    def servers(self, zone: dns.name.Name) -> ServerSet:
        """Every address of every NS of `zone`: the answer's glue, else looked up concurrently."""
        try:
            answer = self.resolver.resolve(zone, dns.rdatatype.NS, lifetime=self.lifetime)
        except dns.exception.DNSException as exc:
            raise DnsError(
                f"The name servers of {show(zone)} could not be found: {_lookup_error(exc)}."
            ) from None
        names = sorted({rdata.target for rdata in answer})
        glue = _glue(answer.response)
        missing = [name for name in names if name not in glue]
        if len(missing) > 1:
            with ThreadPoolExecutor(max_workers=min(16, len(missing))) as pool:
                looked_up = dict(zip(missing, pool.map(self.addresses, missing), strict=True))
        else:
            looked_up = {name: self.addresses(name) for name in missing}
        found = [(glue[name], "") if name in glue else looked_up[name] for name in names]
        servers: list[Server] = []
        unresolved: list[Unresolved] = []
        seen: set[str] = set()
        for ns, (addresses, error) in zip(names, found, strict=True):
            label = show(ns)
            if not addresses:
                unresolved.append(Unresolved(label, error or "has no address (A or AAAA)"))
            for address in addresses:
                if address not in seen:
                    seen.add(address)
                    servers.append(Server(label, address, self.port))
        return ServerSet(zone, tuple(servers), tuple(unresolved))

    def addresses(self, host: dns.name.Name) -> tuple[list[str], str]:
        """IPv4 then IPv6 addresses of `host`, and the error when there are none."""
        found: list[str] = []
        errors: list[str] = []
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            try:
                answer = self.resolver.resolve(
                    host, rdtype, lifetime=self.lifetime, raise_on_no_answer=False
                )
            except dns.resolver.NXDOMAIN:
                return [], "does not exist (NXDOMAIN)"
            except dns.exception.DNSException as exc:
                errors.append(_lookup_error(exc))
                continue
            if answer.rrset is not None:
                found.extend(sorted(rdata.to_text() for rdata in answer.rrset))
        if found:
            return found, ""
        return [], ("address lookup failed: " + errors[0]) if errors else ""


def _glue(response: dns.message.Message) -> dict[dns.name.Name, list[str]]:
    """Addresses the NS answer already carries (additional section), IPv4 first, per name.

    A name listed there is not looked up again: servers and resolvers give all the
    addresses they have for it, A and AAAA, or none.
    """
    found: dict[dns.name.Name, list[str]] = {}
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        for rrset in response.additional:
            if rrset.rdtype == rdtype:
                found.setdefault(rrset.name, []).extend(sorted(r.to_text() for r in rrset))
    return found


def zone_at_server(server: Server, name: dns.name.Name, timeout: float) -> dns.name.Name | None:
    """The zone `server` says holds `name` (the SOA in its answer or authority section)."""
    reply = ask(server, name, dns.rdatatype.SOA, timeout)
    if reply.message is None:
        return None
    for section in (reply.message.answer, reply.message.authority):
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
                return rrset.name
    return None


def first_zone(
    servers: tuple[Server, ...], name: dns.name.Name, timeout: float
) -> dns.name.Name | None:
    """The zone the first server to answer says holds `name`; a silent one does not wait."""
    if not servers:
        return None
    pool = ThreadPoolExecutor(max_workers=min(16, len(servers)))
    try:
        futures = [pool.submit(zone_at_server, server, name, timeout) for server in servers]
        for future in as_completed(futures):
            found = future.result()
            if found is not None:
                return found
        return None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _lookup_error(exc: Exception) -> str:
    if isinstance(exc, dns.resolver.LifetimeTimeout | dns.exception.Timeout):
        return "the resolver did not answer in time"
    if isinstance(exc, dns.resolver.NoNameservers):
        return "no resolver gave a usable answer"
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return "the name does not exist"
    if isinstance(exc, dns.resolver.NoAnswer):
        return "there is no such record"
    if isinstance(exc, dns.resolver.NoResolverConfiguration):
        return "this machine has no DNS resolver configured"
    return str(exc) or type(exc).__name__
