"""`POST /v1/sessions` (logon) and the bearer check every protected resource makes.

Tokens are random and stored only as SHA-256 digests; an unknown logon name and a wrong
password get the same answer, in about the same time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext, rfc3339
from onboard_tui.cloud.sandbox.passwords import burn_time, verify_password

log = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(hours=8)
_REALM = 'Bearer realm="onboard-tui sandbox"'
_CHALLENGE = {"WWW-Authenticate": _REALM}
_EXPIRED = {"WWW-Authenticate": f'{_REALM}, error="invalid_token"'}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def logon(ctx: SandboxContext, request: Request) -> Response:
    body = request.json()
    email, password = body.get("email"), body.get("password")
    problems = {
        name: "This field must be a JSON string."
        if value is not None and not isinstance(value, str)
        else "This field is required."
        for name, value in (("email", email), ("password", password))
        if not isinstance(value, str) or not value
    }
    if problems or not isinstance(email, str) or not isinstance(password, str):
        raise ApiProblem(
            422, "A logon needs an email and a password.", kind="validation", field_errors=problems
        )
    found = ctx.store.credentials(email.strip())
    if found is None:
        burn_time(password)
    if found is None or not verify_password(password, found[1]):
        log.info("logon refused for %s", email.strip())
        raise ApiProblem(
            401, "The logon name or password is wrong.", kind="bad-credentials", headers=_CHALLENGE
        )
    token = secrets.token_urlsafe(32)
    expires_at = ctx.clock.now() + SESSION_LIFETIME
    ctx.store.add_session(_digest(token), found[0], expires_at)
    log.info("logon for %s (organisation %s)", email.strip(), found[0])
    return Response(
        201,
        {"token": token, "token_type": "Bearer", "expires_at": rfc3339(expires_at)},
        headers={"Cache-Control": "no-store"},
    )


def authenticate(ctx: SandboxContext, request: Request) -> str:
    """The organisation whose administrator sent this bearer token, or a 401 problem."""
    token = request.bearer()
    if not token:
        raise ApiProblem(
            401,
            "This request needs a logon: send the token from POST /v1/sessions as "
            "Authorization: Bearer <token>.",
            kind="logon-required",
            headers=_CHALLENGE,
        )
    org_id = ctx.store.session_org(_digest(token), ctx.clock.now())
    if org_id is None:
        raise ApiProblem(
            401,
            "The logon has expired or is not known; log on again.",
            kind="logon-expired",
            headers=_EXPIRED,
        )
    return org_id
