"""What one authoritative server says about the verification CNAME `key.domain`.

The classification is pure: it receives the server's reply and an `ask` function for the
few follow-up questions a diagnosis needs (is the record at `key.domain.domain`? is there
a TXT instead? is the previous key still there?), so unit tests feed it hand-built
`dns.message` answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from .names import relative_text, show, under
from .statuses import Verification
from .transport import Reply, authority_problem

Ask = Callable[[dns.name.Name, dns.rdatatype.RdataType], Reply]

#: What people create by mistake instead of a CNAME, asked in this order.
OTHER_TYPES = (
    dns.rdatatype.TXT,
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.MX,
)


@dataclass(frozen=True)
class VerificationNames:
    """The names of one verification: `key.domain` -> `target`, in zone `zone`."""

    domain: dns.name.Name
    zone: dns.name.Name
    key: dns.name.Name  # one relative label
    target: dns.name.Name
    previous_key: dns.name.Name | None = None

    @property
    def record(self) -> dns.name.Name:
        return under(self.key, self.domain)

    @property
    def alias(self) -> str:
        """What goes in the DNS host's alias/prefix field: the record relative to the zone."""
        return relative_text(self.record, self.zone)

    @property
    def doubled_records(self) -> tuple[dns.name.Name, ...]:
        """Where a DNS host that appends the zone puts a record typed with its full name."""
        return _joined(self.record, (self.domain, self.zone))

    @property
    def doubled_targets(self) -> tuple[dns.name.Name, ...]:
        """The target with the domain appended, as such a host also makes it."""
        return _joined(self.target, (self.domain, self.zone))

    @property
    def old_record(self) -> dns.name.Name | None:
        if self.previous_key is None or self.previous_key == self.key:
            return None
        return under(self.previous_key, self.domain)


@dataclass(frozen=True)
class Verdict:
    """One server's status, what it answered, and the name or value the status is about."""

    status: Verification
    answer: str
    error: str = ""
    detail: str = ""


def classify(reply: Reply, names: VerificationNames, ask: Ask) -> Verdict:
    """Classify a server's reply to `key.domain CNAME`, asking follow-ups when needed."""
    message = reply.message
    if message is None:
        return Verdict(Verification.UNREACHABLE, "", reply.error)
    problem = authority_problem(message)
    if problem:
        return Verdict(Verification.UNREACHABLE, dns.rcode.to_text(message.rcode()), problem)
    cname = _rrset(message, names.record, dns.rdatatype.CNAME)
    if cname is not None:
        found = cname[0].target
        return Verdict(cname_status(found, names), f"CNAME {found}", detail=found.to_text())
    nxdomain = message.rcode() == dns.rcode.NXDOMAIN
    if not nxdomain:
        other = _other_type(names.record, ask)
        if other is not None:
            return other
    doubled = _first_cname(names.doubled_records, ask)
    if doubled is not None:
        where, rrset = doubled
        return Verdict(
            Verification.DOUBLED_NAME,
            f"{where} CNAME {rrset[0].target}",
            detail=where.to_text(),
        )
    if names.old_record is not None:
        old = _first_cname((names.old_record,), ask)
        if old is not None and old[1][0].target == names.target:
            return Verdict(
                Verification.OLD_KEY,
                f"{names.old_record} CNAME {old[1][0].target}",
                detail=names.old_record.to_text(),
            )
    return Verdict(Verification.MISSING, "NXDOMAIN" if nxdomain else "no CNAME (NODATA)")


def cname_status(found: dns.name.Name, names: VerificationNames) -> Verification:
    """What a CNAME at `key.domain` pointing to `found` means."""
    if found == names.target:
        return Verification.VERIFIED
    if found in names.doubled_targets:
        return Verification.DOUBLED_TARGET
    return Verification.WRONG_TARGET


def _other_type(record: dns.name.Name, ask: Ask) -> Verdict | None:
    for rdtype in OTHER_TYPES:
        reply = ask(record, rdtype)
        if reply.message is None or authority_problem(reply.message):
            continue
        rrset = _rrset(reply.message, record, rdtype)
        if rrset is not None:
            kind = dns.rdatatype.to_text(rdtype)
            values = " ".join(rdata.to_text() for rdata in rrset)
            return Verdict(Verification.WRONG_TYPE, f"{kind} {values}", detail=kind)
    return None


def _first_cname(
    candidates: tuple[dns.name.Name, ...], ask: Ask
) -> tuple[dns.name.Name, dns.rrset.RRset] | None:
    for name in candidates:
        reply = ask(name, dns.rdatatype.CNAME)
        if reply.message is None or authority_problem(reply.message):
            continue
        rrset = _rrset(reply.message, name, dns.rdatatype.CNAME)
        if rrset is not None:
            return name, rrset
    return None


def _rrset(
    message: dns.message.Message, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> dns.rrset.RRset | None:
    for rrset in message.answer:
        if rrset.name == name and rrset.rdtype == rdtype and len(rrset):
            return rrset
    return None


def _joined(child: dns.name.Name, parents: tuple[dns.name.Name, ...]) -> tuple[dns.name.Name, ...]:
    """`child.parent` for each parent, once each, leaving out names too long to exist."""
    found: list[dns.name.Name] = []
    for parent in parents:
        try:
            name = under(child, parent)
        except dns.name.NameTooLong:
            continue
        if name not in found:
            found.append(name)
    return tuple(found)


def describe(names: VerificationNames) -> str:
    """`key.domain CNAME target`, for messages."""
    return f"{show(names.record)} CNAME {show(names.target)}"
