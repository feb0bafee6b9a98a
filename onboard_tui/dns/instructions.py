"""The records to create, in the forms DNS hosts ask for: a zone-file line, an nsupdate
script (never with a secret: nsupdate reads the key from its own file with -k) and the
two fields of a web form, "alias / prefix" and "destination / target host"."""

from __future__ import annotations

from dataclasses import dataclass

import dns.name

from .mx_plan import MxPlan
from .names import ascii_text, parse_domain, parse_host, parse_key, relative_text, show, under

DEFAULT_TTL = 3600


@dataclass(frozen=True)
class RecordInstructions:
    """Everything to copy for one verification CNAME."""

    domain: str
    record: str  # key.domain., ASCII
    alias: str  # the alias/prefix field: the record relative to the zone
    target: str  # the destination/target host field
    ttl: int
    zone_line: str
    nsupdate: str
    nsupdate_remove: str

    def fields(self) -> list[tuple[str, str]]:
        """The two web-form fields, labelled as DNS hosts label them."""
        return [("alias / prefix", self.alias), ("destination / target host", self.target)]


def verification_instructions(
    domain: str,
    key: str,
    target: str = "collabserv.com",
    *,
    zone: str | None = None,
    ttl: int = DEFAULT_TTL,
    server: str = "",
    port: int = 53,
) -> RecordInstructions:
    """The verification CNAME for `key.domain` -> `target`; `zone` when it is not `domain`."""
    name = parse_domain(domain)
    origin = parse_domain(zone, what="zone", min_labels=1) if zone else name
    record = under(parse_key(key), name)
    host = parse_host(target, what="CNAME target")
    what = f"the verification record of {show(name)}"
    create = [
        *_header(f"Create {what}", server, port, origin),
        f"update delete {ascii_text(record)} CNAME",
        f"update add {ascii_text(record)} {ttl} IN CNAME {ascii_text(host)}",
        "send",
        "",
    ]
    remove = [
        *_header(f"Remove {what}", server, port, origin),
        f"update delete {ascii_text(record)} CNAME",
        "send",
        "",
    ]
    return RecordInstructions(
        domain=show(name),
        record=ascii_text(record),
        alias=relative_text(record, origin).rstrip("."),
        target=host.to_text(omit_final_dot=True),
        ttl=ttl,
        zone_line=f"{ascii_text(record)} {ttl} IN CNAME {ascii_text(host)}",
        nsupdate="\n".join(create),
        nsupdate_remove="\n".join(remove),
    )


@dataclass(frozen=True)
class MxInstructions:
    """The MX switch to copy: what to delete, the zone-file lines to add, an nsupdate script."""

    delete: tuple[str, ...]
    zone_lines: tuple[str, ...]
    nsupdate: str


def mx_instructions(plan: MxPlan, *, server: str = "", port: int = 53) -> MxInstructions:
    """The plan as records to delete and add, and as one nsupdate script with a prerequisite."""
    origin = parse_domain(plan.zone, what="zone", min_labels=1)
    head = _header(f"Switch the MX records of {plan.domain.rstrip('.')}", server, port, origin)
    if plan.current:
        prereq = [f"prereq yxrrset {plan.domain} IN MX {r.to_text()}" for r in plan.current]
    else:
        prereq = [f"prereq nxrrset {plan.domain} IN MX"]
    lines = [
        *head,
        "; Applied only if the MX set is still exactly the one shown:",
        *prereq,
        *(f"update delete {plan.domain} IN MX {r.to_text()}" for r in plan.delete),
        *(f"update add {plan.domain} {plan.ttl} IN MX {r.to_text()}" for r in plan.add),
        "send",
        "",
    ]
    return MxInstructions(
        delete=tuple(f"{plan.domain} IN MX {r.to_text()}" for r in plan.delete),
        zone_lines=tuple(f"{plan.domain} {plan.ttl} IN MX {r.to_text()}" for r in plan.add),
        nsupdate="\n".join(lines),
    )


def _header(what: str, server: str, port: int, origin: dns.name.Name) -> list[str]:
    lines = [
        f"; {what}.",
        "; Run: nsupdate -k /path/to/tsig.key this-file",
        "; (the key file holds the TSIG secret; this script does not)",
    ]
    if server:
        lines.append(f"server {server} {port}")
    lines.append(f"zone {origin}")
    return lines
