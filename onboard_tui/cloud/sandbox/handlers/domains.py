"""`/v1/domains`: the seed's Internet Domain Verification (docs/cloud-api.md 4.1).

A domain gets a unique key; Begin Verification makes it `pending`; the sandbox then looks
up `<key>.<domain>` CNAME through its DNS server (on Begin, and on a GET at most every 5 s)
and, when it points at the profile's target, verifies the domain and every listed domain
it covers. Restart issues a new key, but only 48 hours after Begin.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import replace
from datetime import timedelta

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext, rfc3339
from onboard_tui.cloud.sandbox.dnscheck import check_cname
from onboard_tui.cloud.sandbox.handlers.sessions import authenticate
from onboard_tui.cloud.sandbox.store import DomainRow

log = logging.getLogger(__name__)

RESTART_AFTER = timedelta(hours=48)
CHECK_EVERY = timedelta(seconds=5)
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def domain_name(text: str) -> str | None:
    """The name in IDNA A-label form, lower case, no final dot; None when it is not one."""
    text = text.strip().rstrip(".")
    try:
        name = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None
    return name


def _ancestors(name: str) -> list[str]:
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]


def _new_key(ctx: SandboxContext, org_id: str, name: str, previous: str) -> str:
    """A DNS label like the seed's `domino-1jkkiaojd-rules`, reproducible under a frozen clock."""
    seed = f"{org_id}|{name}|{ctx.clock.now().isoformat()}|{previous}".encode()
    number = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big")
    middle = ""
    for _ in range(9):
        number, digit = divmod(number, len(_ALPHABET))
        middle += _ALPHABET[digit]
    return f"domino-{middle}-rules"


def _json(ctx: SandboxContext, row: DomainRow) -> dict[str, object]:
    def when(value: object) -> str:
        return rfc3339(value) if value else ""  # type: ignore[arg-type]

    return {
        "name": row.name,
        "parent": row.parent,
        "status": row.status,
        "key": row.key,
        "cname": {
            "name": f"{row.key}.{row.name}" if row.key else "",
            "target": ctx.profile.cname_target,
        },
        "begun_at": when(row.begun_at),
        "restart_allowed_at": when(row.begun_at + RESTART_AFTER if row.begun_at else None),
        "verified_at": when(row.verified_at),
        "last_check": {
            "at": when(row.check_at),
            "result": row.check_result,
            "seen": row.check_seen,
        },
    }


def _name_param(request: Request) -> str:
    name = domain_name(request.params.get("domain", ""))
    if name is None:
        raise ApiProblem(
            422,
            "This is not a domain name.",
            kind="validation",
            field_errors={"domain": "Give a domain such as renovations.com."},
        )
    return name


def _find(ctx: SandboxContext, org_id: str, name: str) -> DomainRow:
    row = ctx.store.domain(org_id, name)
    if row is None:
        raise ApiProblem(404, f"{name} is not a domain of this organisation.", kind="not-found")
    return row


def _check(ctx: SandboxContext, row: DomainRow, *, force: bool = False) -> DomainRow:
    """Look the CNAME up (at most every 5 s unless forced); verify on success."""
    if row.status != "pending" or not row.key:
        return row
    now = ctx.clock.now()
    if not force and row.check_at is not None and now - row.check_at < CHECK_EVERY:
        return row
    found = check_cname(f"{row.key}.{row.name}", ctx.profile.cname_target, ctx.dns_server)
    row = replace(row, check_at=now, check_result=found.result, check_seen=found.seen)
    if found.result == "found":
        row = replace(row, status="verified", verified_at=now)
        for other in ctx.store.domains(row.org_id):
            if other.name.endswith("." + row.name) and other.status != "verified":
                ctx.store.save_domain(replace(other, status="verified", verified_at=now))
        log.info("sandbox: %s verified for %s", row.name, row.org_id)
    ctx.store.save_domain(row)
    return row


def list_domains(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    rows = [_check(ctx, row) for row in ctx.store.domains(org_id)]
    return Response(200, {"domains": [_json(ctx, r) for r in rows]})


def add_domain(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    name = _name_param(request)
    if request.body:
        request.json()
    existing = ctx.store.domain(org_id, name)
    if existing is not None:
        return Response(200, _json(ctx, existing))
    if ctx.store.verified_elsewhere(org_id, [name, *_ancestors(name)]):
        raise ApiProblem(
            409,
            f"{name} (or a domain above it) is verified by another organisation.",
            kind="domain-taken",
        )
    listed = {row.name: row for row in ctx.store.domains(org_id)}
    parent = next((a for a in _ancestors(name) if a in listed), "")
    if parent:
        above = listed[parent]
        status = "verified" if above.status == "verified" else "unverified"
        row = DomainRow(org_id, name, parent, "", status, verified_at=above.verified_at)
    else:
        row = DomainRow(org_id, name, "", _new_key(ctx, org_id, name, ""), "unverified")
        for below in listed.values():
            if below.name.endswith("." + name) and below.status == "unverified":
                ctx.store.save_domain(replace(below, parent=name, key=""))
    ctx.store.save_domain(row)
    return Response(201, _json(ctx, row), headers={"Location": f"{ctx.base_url}/v1/domains/{name}"})


def show_domain(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    return Response(200, _json(ctx, _check(ctx, _find(ctx, org_id, _name_param(request)))))


def begin(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    row = _find(ctx, org_id, _name_param(request))
    if row.parent:
        raise ApiProblem(
            409,
            f"{row.name} is verified with {row.parent}: begin verification of {row.parent}.",
            kind="covered-by-parent",
        )
    if row.status != "unverified":
        return Response(200, _json(ctx, _check(ctx, row)))
    row = replace(row, status="pending", begun_at=ctx.clock.now())
    ctx.store.save_domain(row)
    return Response(202, _json(ctx, _check(ctx, row, force=True)))


def restart(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    row = _find(ctx, org_id, _name_param(request))
    if row.status == "unverified" or row.begun_at is None:
        raise ApiProblem(409, f"Verification of {row.name} has not begun yet.", kind="not-begun")
    if row.status == "verified":
        raise ApiProblem(409, f"{row.name} is already verified.", kind="already-verified")
    allowed = row.begun_at + RESTART_AFTER
    now = ctx.clock.now()
    if now < allowed:
        raise ApiProblem(
            409,
            f"Verification of {row.name} began less than 48 hours ago; fix the CNAME record "
            "and wait instead of restarting.",
            kind="restart-too-early",
            extensions={"restart_allowed_at": rfc3339(allowed)},
        )
    key = _new_key(ctx, org_id, row.name, row.key)
    row = replace(row, key=key, begun_at=now, check_at=None, check_result="", check_seen="")
    ctx.store.save_domain(row)
    return Response(200, _json(ctx, _check(ctx, row, force=True)))
