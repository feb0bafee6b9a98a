"""`/v1/users`: provisioning, the subscription, and the user's own activation (4.2).

The subscription endpoints stand in for the solution provider's portal, and activation
for the user's first logon on the service's web page, so the demo can take users through
Step 4. With an `ActivationSchedule` (the demo) assigned users also activate by
themselves over time, driven by the sandbox's clock.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext, rfc3339
from onboard_tui.cloud.sandbox.checks import email_problem, password_problem
from onboard_tui.cloud.sandbox.handlers.domains import domain_name
from onboard_tui.cloud.sandbox.handlers.sessions import authenticate
from onboard_tui.cloud.sandbox.passwords import hash_password
from onboard_tui.cloud.sandbox.users import (
    ACTIVE,
    ASSIGNED,
    PENDING,
    UNASSIGNED,
    ActivationRefused,
    SandboxUsers,
    UserRecord,
    UserTaken,
    decode_cursor,
    encode_cursor,
)

log = logging.getLogger(__name__)

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_TYPE = 64


def user_json(user: UserRecord) -> dict[str, object]:
    def when(value: object) -> str:
        return rfc3339(value) if value else ""  # type: ignore[arg-type]

    return {
        "email": user.email,
        "display_name": user.display_name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "provisioned_at": when(user.provisioned_at),
        "subscription": {
            "state": user.subscription,
            "type": user.subscription_type,
            "assigned_at": when(user.assigned_at),
        },
        "activation": {"state": user.activation, "activated_at": when(user.activated_at)},
    }


def _users(ctx: SandboxContext) -> SandboxUsers:
    return SandboxUsers(ctx.store)


def _email(request: Request) -> str:
    email = request.params.get("email", "").strip().lower()
    if email_problem(email) is not None:
        raise ApiProblem(404, f"{email or 'This'} is not a user address.", kind="not-found")
    return email


def _find(ctx: SandboxContext, org_id: str, email: str) -> UserRecord:
    _users(ctx).activate_due(ctx.clock.now(), org_id)
    user = _users(ctx).get(org_id, email)
    if user is None:
        raise ApiProblem(404, f"{email} is not a provisioned user.", kind="not-found")
    return user


def list_users(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    query = request.query
    problems: dict[str, str] = {}
    limit = DEFAULT_LIMIT
    text = query.get("limit", "")
    if text:
        if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
            problems["limit"] = f"A whole number from 1 to {MAX_LIMIT}."
        else:
            limit = int(text)
    subscription = query.get("subscription", "")
    if subscription not in ("", UNASSIGNED, ASSIGNED):
        problems["subscription"] = f"One of {UNASSIGNED}, {ASSIGNED}."
    activation = query.get("activation", "")
    if activation not in ("", PENDING, ACTIVE):
        problems["activation"] = f"One of {PENDING}, {ACTIVE}."
    after = decode_cursor(query.get("cursor", "")) if query.get("cursor") else ""
    if after is None:
        problems["cursor"] = "Pass next_cursor exactly as a previous page gave it."
    if problems:
        raise ApiProblem(422, "The query is not valid.", kind="validation", field_errors=problems)
    _users(ctx).activate_due(ctx.clock.now(), org_id)
    page, more = _users(ctx).page(
        org_id,
        after=after or "",
        limit=limit,
        subscription=subscription,
        activation=activation,
    )
    cursor = encode_cursor(page[-1].email) if more and page else ""
    return Response(200, {"users": [user_json(u) for u in page], "next_cursor": cursor})


def show_user(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    return Response(200, user_json(_find(ctx, org_id, _email(request))))


def _text(body: dict[str, object], name: str, most: int, *, required: bool) -> tuple[str, str]:
    value = body.get(name)
    if value is None and not required:
        return "", ""
    if not isinstance(value, str):
        return "", "This field must be a JSON string." if value is not None else "Required."
    value = value.strip()
    if required and not value:
        return "", "Required."
    if len(value) > most:
        return "", f"At most {most} characters."
    return value, ""


def provision(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    email = _email(request)
    body = request.json()
    fields = {
        "display_name": _text(body, "display_name", 256, required=True),
        "given_name": _text(body, "given_name", 128, required=False),
        "family_name": _text(body, "family_name", 128, required=False),
    }
    problems = {k: why for k, (_, why) in fields.items() if why}
    if problems:
        raise ApiProblem(
            422, "The user was not accepted.", kind="validation", field_errors=problems
        )
    domain = domain_name(email.rpartition("@")[2]) or ""
    listed = {d.name for d in ctx.store.domains(org_id)}
    labels = domain.split(".")
    covering = {".".join(labels[i:]) for i in range(len(labels) - 1)}  # it, or a parent
    if not covering & listed:
        raise ApiProblem(
            409,
            f"{domain} is not a domain of this organisation: add it in Step 2 first.",
            kind="domain-not-listed",
        )
    name, given, family = (fields[k][0] for k in ("display_name", "given_name", "family_name"))
    existing = _users(ctx).get(org_id, email)
    if existing is not None:
        user = replace(existing, display_name=name, given_name=given, family_name=family)
        status = 200
    else:
        user = UserRecord(org_id, email, name, given, family, ctx.clock.now())
        status = 201
    try:
        _users(ctx).save(user)
    except UserTaken:
        raise ApiProblem(
            409, f"{email} is provisioned by another organisation.", kind="user-taken"
        ) from None
    return Response(status, user_json(user))


def assign(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    user = _find(ctx, org_id, _email(request))
    body = request.json() if request.body else {}
    kind, why = _text(body, "type", MAX_TYPE, required=False)
    if why:
        raise ApiProblem(
            422, "The subscription was not accepted.", kind="validation", field_errors={"type": why}
        )
    if user.subscription == ASSIGNED and (not kind or kind == user.subscription_type):
        return Response(200, user_json(user))
    now = ctx.clock.now()
    assigned_at = user.assigned_at if user.subscription == ASSIGNED else now
    due = None
    if ctx.activation is not None and user.activation == PENDING and assigned_at is not None:
        due = ctx.activation.due(user.email, assigned_at)
    user = replace(
        user,
        subscription=ASSIGNED,
        subscription_type=kind or user.subscription_type or "standard",
        assigned_at=assigned_at,
        activate_due=due,
    )
    _users(ctx).save(user)
    log.info("sandbox: subscription %s assigned to %s", user.subscription_type, user.email)
    return Response(200, user_json(user))


def unassign(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    user = _find(ctx, org_id, _email(request))
    user = replace(
        user, subscription=UNASSIGNED, subscription_type="", assigned_at=None, activate_due=None
    )
    _users(ctx).save(user)
    return Response(200, user_json(user))


def activate(ctx: SandboxContext, request: Request) -> Response:
    """The user's first logon: no bearer; the new permanent password is the proof."""
    email = _email(request)
    body = request.json()
    password = body.get("password")
    why = (
        "This field must be a JSON string."
        if not isinstance(password, str)
        else password_problem(password)
    )
    if why is not None or not isinstance(password, str):
        raise ApiProblem(
            422,
            "The new password was not accepted.",
            kind="validation",
            field_errors={"password": why or "Required."},
        )
    user = activate_user(ctx, email)
    SandboxUsers(ctx.store).save(user, hash_password(password))
    return Response(200, user_json(user))


def activate_user(ctx: SandboxContext, email: str) -> UserRecord:
    """The activated user (not yet saved), or the 404/409 problem that stops it."""
    try:
        return _users(ctx).activation(email, ctx.clock.now())
    except ActivationRefused as refused:
        raise ApiProblem(refused.status, str(refused), kind=refused.kind) from None
