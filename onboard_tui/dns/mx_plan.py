"""The MX switch as data: which records to delete and add, the set it assumes, its inverse.

The update built from a plan is ONE message whose prerequisite is that the MX set is still
exactly the one shown; if anybody changed it meanwhile the server applies nothing. The plan
serialises to a dict so the session can keep the previous set for Undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update

from .errors import DnsError
from .names import parse_domain, parse_host
from .report import MxRecord, MxReport, mx_set_text

DEFAULT_TTL = 3600


@dataclass(frozen=True)
class MxPlan:
    """Delete every record of `current` (the set shown), add `add`; names ASCII, absolute."""

    domain: str
    zone: str
    current: tuple[MxRecord, ...]
    add: tuple[MxRecord, ...]
    ttl: int = DEFAULT_TTL
    current_ttl: int = DEFAULT_TTL

    @property
    def delete(self) -> tuple[MxRecord, ...]:
        return self.current

    @property
    def is_noop(self) -> bool:
        return self.current == self.add

    def inverse(self) -> MxPlan:
        """The plan that puts the previous set back (Undo), assuming the new set is in place."""
        return MxPlan(self.domain, self.zone, self.add, self.current, self.current_ttl, self.ttl)

    def describe(self) -> list[str]:
        """`delete 10 old.example.` / `add 10 new.example.` lines for a confirmation screen."""
        return [f"delete {self.domain} MX {r.to_text()}" for r in self.delete] + [
            f"add {self.domain} {self.ttl} MX {r.to_text()}" for r in self.add
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "zone": self.zone,
            "current": [r.to_text() for r in self.current],
            "add": [r.to_text() for r in self.add],
            "ttl": self.ttl,
            "current_ttl": self.current_ttl,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MxPlan:
        return cls(
            domain=str(data["domain"]),
            zone=str(data["zone"]),
            current=tuple(_record(text) for text in data.get("current", [])),
            add=tuple(_record(text) for text in data.get("add", [])),
            ttl=int(data.get("ttl", DEFAULT_TTL)),
            current_ttl=int(data.get("current_ttl", DEFAULT_TTL)),
        )


def plan_mx_switch(
    report: MxReport, new_host: str, *, preference: int = 10, ttl: int | None = None
) -> MxPlan:
    """Replace the set every server agreed on in `report` by one MX to `new_host`."""
    if report.current is None:
        raise DnsError(
            f"The MX set of {report.domain} is not known for certain: {report.message}",
            hint="Wait until every authoritative server answers the same set, then check again.",
        )
    if not 0 <= preference <= 65535:
        raise DnsError(f"The MX preference {preference} is not between 0 and 65535.")
    host = parse_host(new_host, what="SMTP host").canonicalize().to_text()
    domain = parse_domain(report.domain).to_text()
    zone = parse_domain(report.zone or report.domain, min_labels=1).to_text()
    return MxPlan(
        domain=domain,
        zone=zone,
        current=report.current,
        add=(MxRecord(preference, host),),
        ttl=ttl if ttl is not None else (report.current_ttl or DEFAULT_TTL),
        current_ttl=report.current_ttl or DEFAULT_TTL,
    )


def build_mx_update(plan: MxPlan, key: dns.tsig.Key | None = None) -> dns.update.UpdateMessage:
    """One UPDATE: prerequisite "the MX set is exactly `current`", deletes, then adds."""
    zone = dns.name.from_text(plan.zone)
    domain = dns.name.from_text(plan.domain)
    update = dns.update.UpdateMessage(zone, keyring=key)
    if plan.current:
        update.present(domain, *(_rdata(r) for r in plan.current))
    else:
        update.absent(domain, dns.rdatatype.MX)
    for record in plan.delete:
        update.delete(domain, _rdata(record))
    for record in plan.add:
        update.add(domain, plan.ttl, _rdata(record))
    return update


def plan_text(plan: MxPlan) -> str:
    """`10 old. -> 10 new.`, for a log line or a banner."""
    return f"{mx_set_text(plan.current)} -> {mx_set_text(plan.add)}"


def _rdata(record: MxRecord) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.MX, record.to_text())


def _record(text: str) -> MxRecord:
    preference, _, exchange = str(text).strip().partition(" ")
    return MxRecord(int(preference), dns.name.from_text(exchange.strip()).to_text())
