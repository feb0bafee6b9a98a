"""`POST /v1/organisations` (Step 1's registration) and `GET /v1/organisation`."""

from __future__ import annotations

import hashlib
import logging

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext, rfc3339
from onboard_tui.cloud.sandbox.checks import check_registration
from onboard_tui.cloud.sandbox.handlers.sessions import authenticate
from onboard_tui.cloud.sandbox.passwords import hash_password
from onboard_tui.cloud.sandbox.store import AdminExists, OrganisationRow

log = logging.getLogger(__name__)


def _home_url(ctx: SandboxContext) -> str:
    return ctx.profile.login_url or f"{ctx.base_url}/"


def _taken(email: str) -> ApiProblem:
    return ApiProblem(
        409,
        f"An organisation is already registered with the administrator {email}.",
        kind="already-registered",
    )


def _org_id(admin_email: str, ctx: SandboxContext) -> str:
    """Unique (one organisation per administrator) and reproducible under a frozen clock."""
    seed = f"{admin_email.casefold()}|{ctx.clock.now().isoformat()}".encode()
    return f"org-{hashlib.sha256(seed).hexdigest()[:16]}"


def register(ctx: SandboxContext, request: Request) -> Response:
    checked = check_registration(request.json(), ctx.profile.geographies)
    if isinstance(checked, dict):
        count = len(checked)
        raise ApiProblem(
            422,
            f"{count} field{'s' if count > 1 else ''} of the registration "
            f"{'were' if count > 1 else 'was'} not accepted.",
            kind="validation",
            field_errors=checked,
        )
    if ctx.store.admin_exists(checked.admin_email):
        raise _taken(checked.admin_email)
    org = OrganisationRow(
        org_id=_org_id(checked.admin_email, ctx),
        admin_email=checked.admin_email,
        company=checked.company,
        country=checked.country,
        language=checked.language,
        timezone=checked.timezone,
        geography=checked.geography,
        registered_at=ctx.clock.now(),
    )
    try:
        ctx.store.add_organisation(org, hash_password(checked.password))
    except AdminExists:
        raise _taken(checked.admin_email) from None
    log.info("registered organisation %s for %s", org.org_id, org.admin_email)
    return Response(
        201,
        {
            "org_id": org.org_id,
            "logon_name": org.admin_email,
            "home_url": _home_url(ctx),
            "registered_at": rfc3339(org.registered_at),
        },
        headers={"Location": f"{ctx.base_url}/v1/organisation"},
    )


def show(ctx: SandboxContext, request: Request) -> Response:
    org = ctx.store.organisation(authenticate(ctx, request))
    if org is None:
        raise ApiProblem(404, "The organisation of this logon no longer exists.", kind="not-found")
    return Response(
        200,
        {
            "org_id": org.org_id,
            "company": org.company,
            "admin_email": org.admin_email,
            "logon_name": org.admin_email,
            "country": org.country,
            "language": org.language,
            "timezone": org.timezone,
            "geography": org.geography,
            "home_url": _home_url(ctx),
            "registered_at": rfc3339(org.registered_at),
        },
    )
