"""`DnsChecker`: the blocking entry point the UI (from thread workers) and the CLI call.

A check finds the servers (or takes the given ones), asks every one of them concurrently,
classifies each answer, asks the system resolver apart, and returns a `Report`. It never
raises for what the servers do (that is the report's business), only `DnsInputError` for
input that is wrong. Instances hold no mutable state and are safe to share between threads.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from .discovery import Discovery, ServerSet, Unresolved, first_zone
from .errors import DnsError
from .mx import MxAnswer, lookup_target, mx_overall, mx_problems, read_mx, server_status
from .names import parse_domain, parse_host, parse_key, show
from .nameservers import NameserverSpec, Server, parse_nameserver
from .report import MxRecord, MxReport, MxTarget, ServerResult, VerificationReport
from .statuses import Mx, Verification
from .transport import Reply, ask
from .verdict import discount_ipv6, verification_overall, who
from .verification import Verdict, VerificationNames, classify, cname_status

DEFAULT_TARGET = "collabserv.com"
DEFAULT_TIMEOUT = 3.0

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class VerificationRequest:
    """What to check: `key.domain` CNAME `target`, optionally on the given servers only."""

    domain: str
    key: str
    target: str = DEFAULT_TARGET
    previous_key: str | None = None
    nameservers: tuple[str | NameserverSpec, ...] = ()


class DnsChecker:
    """Authoritative checks of verification CNAMEs and MX sets.

    `resolver` finds zones, name servers and host addresses (default: the system's);
    `system_resolver` is asked for the record as the rest of the world would see it
    (default: `resolver`). `port` is where discovered servers are asked (53 in real life),
    `timeout` is per server and per query.
    """

    def __init__(
        self,
        *,
        resolver: dns.resolver.Resolver | None = None,
        system_resolver: dns.resolver.Resolver | None = None,
        ask_system_resolver: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        port: int = 53,
        resolver_lifetime: float = 5.0,
        max_parallel: int = 16,
    ) -> None:
        self._resolver = resolver
        self._system_resolver = system_resolver
        self.ask_system_resolver = ask_system_resolver
        self.timeout = timeout
        self.port = port
        self.resolver_lifetime = resolver_lifetime
        self.max_parallel = max_parallel
        self._lock = threading.Lock()

    # -- the resolvers ------------------------------------------------------------------

    @property
    def resolver(self) -> dns.resolver.Resolver:
        """The discovery resolver; the system's is read from /etc/resolv.conf when first used."""
        with self._lock:
            if self._resolver is None:
                try:
                    self._resolver = dns.resolver.Resolver()
                except dns.exception.DNSException:
                    raise DnsError(
                        "This machine has no DNS resolver configured (/etc/resolv.conf).",
                        hint="Configure one, or name the servers to check with --nameserver.",
                    ) from None
            return self._resolver

    @property
    def system_resolver(self) -> dns.resolver.Resolver:
        return self._system_resolver if self._system_resolver is not None else self.resolver

    @property
    def discovery(self) -> Discovery:
        return Discovery(self.resolver, lifetime=self.resolver_lifetime, port=self.port)

    # -- servers ------------------------------------------------------------------------

    def find_zone(self, domain: str | dns.name.Name) -> dns.name.Name:
        """The zone holding `domain`, through the discovery resolver."""
        name = domain if isinstance(domain, dns.name.Name) else parse_domain(domain)
        return self.discovery.zone_for(name)

    def server_set(
        self,
        domain: dns.name.Name,
        nameservers: Sequence[str | NameserverSpec] = (),
    ) -> ServerSet:
        """The given servers (their zone asked of them), or the discovered ones."""
        if not nameservers:
            discovery = self.discovery
            return discovery.servers(discovery.zone_for(domain))
        specs = [s if isinstance(s, NameserverSpec) else parse_nameserver(s) for s in nameservers]
        servers: list[Server] = []
        unresolved: list[Unresolved] = []
        for spec in specs:
            if spec.address is not None:
                servers.append(Server(spec.text, spec.address, spec.port))
                continue
            addresses, error = self.discovery.addresses(dns.name.from_text(spec.host))
            if not addresses:
                unresolved.append(Unresolved(spec.text, error or "has no address (A or AAAA)"))
            servers.extend(Server(spec.text, address, spec.port) for address in addresses)
        zone = first_zone(tuple(servers), domain, self.timeout) or domain
        return ServerSet(zone, tuple(servers), tuple(unresolved), discovered=False)

    # -- verification -------------------------------------------------------------------

    def check_domain(
        self,
        domain: str,
        key: str,
        target: str = DEFAULT_TARGET,
        *,
        previous_key: str | None = None,
        nameservers: Sequence[str | NameserverSpec] = (),
    ) -> VerificationReport:
        """Check `key.domain` CNAME `target` on every authoritative server."""
        return self.check_verification(
            VerificationRequest(domain, key, target, previous_key, tuple(nameservers))
        )

    def check_many(self, requests: Sequence[VerificationRequest]) -> list[VerificationReport]:
        """Check several domains at once (in order); input errors are raised before any query."""
        for request in requests:
            _names_without_zone(request)
        return _parallel(self.check_verification, requests, self.max_parallel)

    def check_verification(self, request: VerificationRequest) -> VerificationReport:
        """One domain's verification report; `DnsInputError` only for bad input."""
        domain, key, target, previous = _names_without_zone(request)
        try:
            found = self.server_set(domain, request.nameservers)
        except DnsError as exc:
            names = VerificationNames(domain, domain, key, target, previous)
            return _failed_verification(names, request, exc)
        names = VerificationNames(domain, found.zone, key, target, previous)

        def probe(server: Server) -> ServerResult:
            def follow_up(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Reply:
                return ask(server, qname, rdtype, self.timeout)

            reply = ask(server, names.record, dns.rdatatype.CNAME, self.timeout)
            return _result(reply, classify(reply, names, follow_up))

        tasks: list[Callable[[], ServerResult]] = [
            functools.partial(probe, server) for server in found.servers
        ]
        if self.ask_system_resolver:
            tasks.append(lambda: self._resolver_view(names))
        done = _parallel(lambda task: task(), tasks, self.max_parallel)
        view = done.pop() if self.ask_system_resolver else None
        results, warnings = discount_ipv6(done + _unresolved(found.unresolved))
        overall = verification_overall(results, names)
        warnings = [*warnings, *overall.warnings, *self._wildcard(names, results, found)]
        if view is not None:
            warnings.extend(_resolver_warning(view, overall.status))
        return VerificationReport(
            domain=show(domain),
            status=overall.status,
            message=overall.message,
            servers=tuple(results),
            warnings=tuple(warnings),
            resolver=view,
            zone=show(found.zone),
            agreeing=overall.agreeing,
            total=overall.total,
            key=key.to_text(),
            record=show(names.record),
            target=show(target),
            previous_key=previous.to_text() if previous else "",
        )

    def _resolver_view(self, names: VerificationNames) -> ServerResult:
        resolver = self.system_resolver
        address = _resolver_address(resolver)
        label = "system resolver"
        try:
            answer = resolver.resolve(
                names.record,
                dns.rdatatype.CNAME,
                lifetime=self.resolver_lifetime,
                raise_on_no_answer=False,
            )
        except dns.resolver.NXDOMAIN:
            return ServerResult(label, address, Verification.MISSING, "NXDOMAIN")
        except dns.exception.DNSException as exc:
            return ServerResult(
                label, address, Verification.UNREACHABLE, error=_resolver_error(exc)
            )
        if answer.rrset is None:
            return ServerResult(label, address, Verification.MISSING, "no CNAME (NODATA)")
        found = answer.rrset[0].target
        return ServerResult(
            label, address, cname_status(found, names), f"CNAME {found}", detail=found.to_text()
        )

    def _wildcard(
        self, names: VerificationNames, results: Sequence[ServerResult], found: ServerSet
    ) -> list[str]:
        """Ask one server for a random name under the domain: an answer means a wildcard."""
        answering = {
            (r.address, r.port)
            for r in results
            if r.status != Verification.UNREACHABLE and r.answer != "NXDOMAIN"
        }
        server = next((s for s in found.servers if (s.address, s.port) in answering), None)
        if server is None:
            return []
        probe = dns.name.Name([f"_onboard-{secrets.token_hex(6)}".encode()]).concatenate(
            names.domain
        )
        reply = ask(server, probe, dns.rdatatype.CNAME, self.timeout)
        if reply.message is None or not reply.message.answer:
            return []
        shown = reply.message.answer[0]
        what = " ".join(rdata.to_text() for rdata in shown)
        return [
            f"A wildcard record (*.{show(names.domain)}) answers for any name "
            f"({dns.rdatatype.to_text(shown.rdtype)} {what}), so an answer here proves "
            "little: the service may be seeing the wildcard, not your record."
        ]

    # -- MX -----------------------------------------------------------------------------

    def check_mx(
        self,
        domain: str,
        *,
        expect: str | None = None,
        nameservers: Sequence[str | NameserverSpec] = (),
    ) -> MxReport:
        """The MX set on every authoritative server, its problems, and one status."""
        name = parse_domain(domain)
        wanted = ""
        if expect:
            wanted = parse_host(expect, what="expected MX host").canonicalize().to_text()
        try:
            found = self.server_set(name, nameservers)
        except DnsError as exc:
            return MxReport(
                domain=show(name),
                status=Mx.UNREACHABLE,
                message=str(exc),
                servers=(),
                expect=wanted,
            )

        def probe(server: Server) -> tuple[Reply, MxAnswer]:
            reply = ask(server, name, dns.rdatatype.MX, self.timeout)
            return reply, read_mx(reply, name)

        answers = _parallel(probe, found.servers, self.max_parallel)
        results = [
            ServerResult(
                server=reply.server.name,
                address=reply.server.address,
                status=server_status(mx.records, wanted),
                answer=mx.answer,
                error=mx.error,
                port=reply.server.port,
                via_tcp=reply.via_tcp,
                elapsed=reply.elapsed,
                transport_failure=reply.transport_failure,
            )
            for reply, mx in answers
        ]
        sets: list[tuple[MxRecord, ...] | None] = [mx.records for _, mx in answers]
        lost = _unresolved(found.unresolved, Mx.UNREACHABLE)
        results, warnings = discount_ipv6(results + lost)
        sets += [None] * len(lost)
        listed = [
            (who(r), s) for r, s in zip(results, sets, strict=True) if r.counted and s is not None
        ]
        hosts = sorted({rec.exchange for _, s in listed for rec in s if not rec.is_null})
        targets = self.lookup_targets(hosts)
        warnings += [f"{t.name.rstrip('.')}: {t.error}." for t in targets if t.error]
        problems = mx_problems(listed, targets)
        overall = mx_overall(results, sets, problems, name, wanted)
        distinct = {s for _, s in listed}
        current = next(iter(distinct)) if len(distinct) == 1 else None
        ttl = next((mx.ttl for _, mx in answers if mx.records), 0)
        return MxReport(
            domain=show(name),
            status=overall.status,
            message=overall.message,
            servers=tuple(results),
            warnings=tuple([*warnings, *overall.warnings]),
            zone=show(found.zone),
            agreeing=overall.agreeing,
            total=overall.total,
            expect=wanted,
            sets=tuple(sets),
            current=current,
            current_ttl=ttl,
            targets=tuple(targets),
            problems=tuple(problems),
        )

    def lookup_targets(self, hosts: Sequence[str]) -> list[MxTarget]:
        """Addresses (and alias status) of MX hosts, looked up concurrently."""
        resolver, lifetime = self.resolver, self.resolver_lifetime
        return _parallel(lambda h: lookup_target(resolver, h, lifetime), hosts, self.max_parallel)


# -- helpers ------------------------------------------------------------------------------


def _names_without_zone(
    request: VerificationRequest,
) -> tuple[dns.name.Name, dns.name.Name, dns.name.Name, dns.name.Name | None]:
    domain = parse_domain(request.domain)
    key = parse_key(request.key)
    target = parse_host(request.target, what="CNAME target")
    previous = parse_key(request.previous_key) if request.previous_key else None
    for spec in request.nameservers:
        if not isinstance(spec, NameserverSpec):
            parse_nameserver(spec)
    return domain, key, target, previous


def _parallel(work: Callable[[T], R], items: Sequence[T], limit: int) -> list[R]:
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=max(1, min(limit, len(items)))) as pool:
        return list(pool.map(work, items))


def _result(reply: Reply, verdict: Verdict) -> ServerResult:
    return ServerResult(
        server=reply.server.name,
        address=reply.server.address,
        status=verdict.status,
        answer=verdict.answer,
        error=verdict.error,
        port=reply.server.port,
        via_tcp=reply.via_tcp,
        elapsed=reply.elapsed,
        transport_failure=reply.transport_failure,
        detail=verdict.detail,
    )


def _unresolved(
    items: Sequence[Unresolved], status: str = Verification.UNREACHABLE
) -> list[ServerResult]:
    return [ServerResult(u.name, "", status, error=u.error) for u in items]


def _failed_verification(
    names: VerificationNames, request: VerificationRequest, exc: DnsError
) -> VerificationReport:
    return VerificationReport(
        domain=show(names.domain),
        status=Verification.UNREACHABLE,
        message=str(exc),
        servers=(),
        key=names.key.to_text(),
        record=show(names.record),
        target=show(names.target),
        previous_key=request.previous_key or "",
    )


def _resolver_address(resolver: dns.resolver.Resolver) -> str:
    if not resolver.nameservers:
        return ""
    first = resolver.nameservers[0]
    return str(getattr(first, "address", first))


def _resolver_error(exc: Exception) -> str:
    if isinstance(exc, dns.resolver.LifetimeTimeout | dns.exception.Timeout):
        return "did not answer in time"
    if isinstance(exc, dns.resolver.NoNameservers):
        return "gave no usable answer (SERVFAIL or REFUSED)"
    return str(exc) or type(exc).__name__


#: Authoritative statuses under which a resolver, which sees only `key.domain`, sees nothing.
_NOTHING_AT_RECORD = {
    Verification.MISSING,
    Verification.DOUBLED_NAME,
    Verification.OLD_KEY,
    Verification.WRONG_TYPE,
}


def _resolver_warning(view: ServerResult, status: str) -> list[str]:
    """A warning when the system resolver sees something else than the servers say."""
    if status in _NOTHING_AT_RECORD:
        status = Verification.MISSING
    if view.status == status or status == Verification.PROPAGATING:
        return []
    if view.status == Verification.UNREACHABLE:
        return [f"The system resolver ({view.address}) {view.error}."]
    return [
        f"The system resolver ({view.address}) sees '{view.status}' ({view.answer}): it may "
        "still be caching an older answer, for up to the record's TTL."
    ]
