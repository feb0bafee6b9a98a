"""The MX set as each authoritative server lists it, the problems in it, and one status.

Pure functions over replies and looked-up targets, so every problem and status has a
unit test with hand-built answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from .names import show
from .report import MxProblem, MxRecord, MxTarget, ServerResult, mx_set_text
from .statuses import Mx
from .transport import Reply, authority_problem
from .verdict import Overall, unreachable_text


@dataclass(frozen=True)
class MxAnswer:
    """One server's MX set (None when its reply could not be used) and its TTL."""

    records: tuple[MxRecord, ...] | None
    ttl: int = 0
    answer: str = ""
    error: str = ""


def read_mx(reply: Reply, domain: dns.name.Name) -> MxAnswer:
    """The MX set in a server's reply to `domain MX`."""
    message = reply.message
    if message is None:
        return MxAnswer(None, error=reply.error)
    problem = authority_problem(message)
    if problem:
        return MxAnswer(None, answer=dns.rcode.to_text(message.rcode()), error=problem)
    if message.rcode() == dns.rcode.NXDOMAIN:
        return MxAnswer((), answer="NXDOMAIN")
    for rrset in message.answer:
        if rrset.name == domain and rrset.rdtype == dns.rdatatype.MX and len(rrset):
            records = tuple(
                sorted(
                    MxRecord(int(rdata.preference), rdata.exchange.canonicalize().to_text())
                    for rdata in rrset
                )
            )
            return MxAnswer(records, int(rrset.ttl), mx_set_text(records))
    return MxAnswer((), answer="no MX (NODATA)")


def lookup_target(resolver: dns.resolver.Resolver, host: str, lifetime: float) -> MxTarget:
    """A target's addresses, and the name it is an alias of when it is a CNAME."""
    name = dns.name.from_text(host)
    addresses: list[str] = []
    alias = ""
    errors: list[str] = []
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        try:
            answer = resolver.resolve(name, rdtype, lifetime=lifetime, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as exc:
            canonical = exc.canonical_name
            if canonical != name:
                alias = canonical.canonicalize().to_text()
            break
        except dns.exception.DNSException as exc:
            errors.append(type(exc).__name__ if not str(exc) else str(exc))
            continue
        if answer.canonical_name != name:
            alias = answer.canonical_name.canonicalize().to_text()
        if answer.rrset is not None:
            addresses.extend(sorted(rdata.to_text() for rdata in answer.rrset))
    error = "" if addresses or not errors else f"address lookup failed: {errors[0]}"
    return MxTarget(host, tuple(addresses), alias, error)


def mx_problems(
    sets: Sequence[tuple[str, tuple[MxRecord, ...]]], targets: Sequence[MxTarget]
) -> list[MxProblem]:
    """Problems in the sets the answering servers list: (server, set) pairs."""
    problems: list[MxProblem] = []
    distinct: list[tuple[MxRecord, ...]] = []
    for _, records in sets:
        if records not in distinct:
            distinct.append(records)
    for records in distinct:
        if any(r.is_null for r in records) and len(records) > 1:
            problems.append(
                MxProblem(
                    "null_mx_mixed",
                    "A null MX (0 .), which says the domain takes no mail, is listed with other "
                    "MX records: remove one or the other (RFC 7505).",
                )
            )
        counts = Counter(r.exchange for r in records)
        for host, count in sorted(counts.items()):
            if count > 1:
                prefs = ", ".join(str(r.preference) for r in records if r.exchange == host)
                problems.append(
                    MxProblem(
                        "duplicate",
                        f"{host.rstrip('.')} is listed {count} times (preferences {prefs}): "
                        "keep one record.",
                        host,
                    )
                )
    for target in targets:
        if target.alias_of:
            problems.append(
                MxProblem(
                    "mx_to_cname",
                    f"{target.name.rstrip('.')} is an alias (CNAME) of "
                    f"{target.alias_of.rstrip('.')}: an MX must name the host itself, so point "
                    f"it at {target.alias_of.rstrip('.')}.",
                    target.name,
                )
            )
        if not target.addresses and not target.error:
            problems.append(
                MxProblem(
                    "no_address",
                    f"{target.name.rstrip('.')} has no address (no A or AAAA record): mail "
                    "sent to it cannot be delivered.",
                    target.name,
                )
            )
    if len(distinct) > 1:
        views = "; ".join(
            f"{server}: {mx_set_text(records, dots=False)}" for server, records in sets
        )
        problems.append(
            MxProblem("servers_disagree", f"The name servers list different MX sets: {views}.")
        )
    return problems


def server_status(records: tuple[MxRecord, ...] | None, expect: str) -> Mx:
    """One server's status: what its set means against the expected host, if any."""
    if records is None:
        return Mx.UNREACHABLE
    if not records:
        return Mx.NO_MX
    if expect:
        only = len(records) == 1 and records[0].exchange == expect
        return Mx.AS_EXPECTED if only else Mx.NOT_SWITCHED
    return Mx.OK


def mx_overall(
    results: Sequence[ServerResult],
    sets: Sequence[tuple[MxRecord, ...] | None],
    problems: Sequence[MxProblem],
    domain: dns.name.Name,
    expect: str,
) -> Overall:
    """The domain's MX status from the counted servers."""
    pairs = [(r, s) for r, s in zip(results, sets, strict=True) if r.counted]
    total = len(pairs)
    down = [r for r, s in pairs if s is None]
    up = [(r, s) for r, s in pairs if s is not None]
    name = show(domain)
    if not up:
        what = unreachable_text(down) if down else f"no name server of {name} could be asked"
        return Overall(
            Mx.UNREACHABLE,
            f"{what}: check that the server is running and serves {name}, or name the servers "
            "to check with --nameserver.",
            0,
            total,
        )
    distinct = {s for _, s in up}
    warnings = [f"Not counted as an answer: {unreachable_text(down)}."] if down else []
    if expect:
        return _against(expect, up, down, problems, total, name, warnings)
    if len(distinct) > 1:
        return Overall(
            Mx.DISAGREE,
            "The authoritative name servers list different MX sets: wait until they agree "
            "(a secondary may be stale) before changing anything.",
            0,
            total,
            tuple(warnings),
        )
    (records,) = distinct
    if down:
        return _unreachable(down, len(up), total, name)
    if not records:
        return Overall(
            Mx.NO_MX,
            f"{name} has no MX record: add one pointing to the SMTP host for your geography.",
            total,
            total,
        )
    if problems:
        return Overall(
            Mx.PROBLEMS,
            f"The MX set ({mx_set_text(records, dots=False)}) has problems: {problems[0].message}",
            0,
            total,
        )
    return Overall(
        Mx.OK,
        f"Every authoritative name server ({total}) lists the same MX set: "
        f"{mx_set_text(records, dots=False)}.",
        total,
        total,
    )


def _against(
    expect: str,
    up: Sequence[tuple[ServerResult, tuple[MxRecord, ...]]],
    down: list[ServerResult],
    problems: Sequence[MxProblem],
    total: int,
    name: str,
    warnings: list[str],
) -> Overall:
    host = expect.rstrip(".")
    k = sum(1 for _, s in up if server_status(s, expect) == Mx.AS_EXPECTED)
    if k == len(up) and down:
        return _unreachable(down, k, total, name)
    if k == total:
        mine = [p for p in problems if p.target == expect]
        if mine:
            return Overall(
                Mx.PROBLEMS,
                f"Every name server lists only {host}, but: {mine[0].message}",
                k,
                total,
            )
        return Overall(
            Mx.AS_EXPECTED,
            f"Every authoritative name server ({total}) lists only {host} as MX: mail for "
            f"{name} goes to the new service and no longer reaches the old system.",
            k,
            total,
        )
    if k:
        return Overall(
            Mx.PROPAGATING,
            f"{k} of {total} authoritative name servers list only {host}; the others still "
            "show the old MX set: wait and check again.",
            k,
            total,
            tuple(warnings),
        )
    if all(not s for _, s in up):
        return Overall(
            Mx.NO_MX,
            f"{name} has no MX record: add one pointing to {host}.",
            0,
            total,
            tuple(warnings),
        )
    shown = mx_set_text(up[0][1], dots=False)
    return Overall(
        Mx.NOT_SWITCHED,
        f"The MX set is still {shown}: delete every old MX record and add {host} "
        "(or apply the switch).",
        0,
        total,
        tuple(warnings),
    )


def _unreachable(down: list[ServerResult], k: int, total: int, name: str) -> Overall:
    return Overall(
        Mx.UNREACHABLE,
        f"{k} of {total} name servers answer, but {unreachable_text(down)}: check that the "
        f"server is running and serves {name}, or name the servers to check with --nameserver.",
        k,
        total,
    )
