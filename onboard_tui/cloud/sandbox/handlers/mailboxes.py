"""`/v1/mailboxes`: Step 3's imports (docs/cloud-api.md 4.3) and usage against quota (4.4).

`PUT .../items/{source_id}` is idempotent: the same source id stores one item, replaced
when its bytes or metadata changed. The body is stored as it came. The sandbox accepts
any mailbox address of the organisation's users until users are provisioned (4.2).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import quote, unquote

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext, rfc3339
from onboard_tui.cloud.sandbox.handlers.sessions import authenticate
from onboard_tui.cloud.sandbox.store import MailboxItemRow

#: The largest item body (the rest of the API keeps 1 MiB).
MAX_ITEM_BODY = 64 * 1024 * 1024
KINDS = ("mail", "contact", "event", "task")
FLAGS = ("seen", "answered", "flagged", "draft", "forwarded")
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
_HEADER_SECTION = re.compile(rb"^[!-9;-~]+:", re.M)


def _email(request: Request) -> str:
    email = request.params.get("email", "").strip().lower()
    if not _EMAIL.match(email):
        raise ApiProblem(404, f"{email or 'This'} is not a mailbox address.", kind="user-not-found")
    return email


def _source_id(request: Request) -> str:
    source_id = request.params.get("source_id", "")
    if not 1 <= len(source_id) <= 512:
        raise ApiProblem(
            422,
            "source_id must be 1 to 512 characters.",
            kind="validation",
            field_errors={"source_id": "1 to 512 characters"},
        )
    return source_id


def _kind(request: Request) -> str:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "message/rfc822":
        return "mail"
    if ctype == "text/vcard":
        return "contact"
    if ctype == "text/calendar":
        return "task" if b"BEGIN:VTODO" in request.body else "event"
    raise ApiProblem(
        415,
        f"Content-Type {ctype or '(none)'} is not an item kind; "
        "use message/rfc822, text/vcard or text/calendar.",
        kind="unsupported-media-type",
    )


def _json(row: MailboxItemRow) -> dict[str, object]:
    return {
        "source_id": row.source_id,
        "kind": row.kind,
        "folder": row.folder,
        "flags": [f for f in row.flags.split(",") if f],
        "received_at": row.received_at,
        "size": row.size,
        "sha256": row.sha256,
        "stored_at": row.stored_at,
    }


def _metadata(request: Request, kind: str) -> tuple[str, str, str]:
    """(folder, flags, received_at) from the Item-* headers, or a 422 naming the header."""
    errors: dict[str, str] = {}
    default_folder = {"contact": "Contacts", "event": "Calendar", "task": "Tasks"}.get(kind, "")
    folder = request.headers.get("item-folder", "").strip() or default_folder
    segments = folder.split("/")
    if not folder or any(not unquote(s).strip() for s in segments):
        errors["Item-Folder"] = "a folder path such as Inbox/Projects"
    else:
        folder = "/".join(quote(unquote(s), safe="") for s in segments)
    flags = [f.strip().lower() for f in request.headers.get("item-flags", "").split(",")]
    flags = [f for f in flags if f]
    if any(f not in FLAGS for f in flags):
        errors["Item-Flags"] = f"flags among {', '.join(FLAGS)}"
    received = request.headers.get("item-received", "").strip()
    if kind == "mail":
        try:
            when = datetime.fromisoformat(received.replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError(received)
            received = rfc3339(when)
        except ValueError:
            errors["Item-Received"] = "an RFC 3339 timestamp such as 2024-11-02T08:41:07Z"
    else:
        received, flags = "", []
    body = request.body
    bad_body = {
        "mail": lambda: not _HEADER_SECTION.search(body[:65536]),
        "contact": lambda: not body.lstrip().upper().startswith(b"BEGIN:VCARD"),
        "event": lambda: body.count(b"BEGIN:VEVENT") != 1,
        "task": lambda: body.count(b"BEGIN:VTODO") != 1,
    }[kind]()
    if bad_body:
        errors["body"] = f"not a {kind} item"
    if errors:
        raise ApiProblem(
            422, "The item cannot be stored as sent.", kind="validation", field_errors=errors
        )
    return folder, ",".join(dict.fromkeys(flags)), received


def put_item(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    email, source_id = _email(request), _source_id(request)
    kind = _kind(request)
    folder, flags, received = _metadata(request, kind)
    body = request.body
    digest = hashlib.sha256(body).hexdigest()
    old = ctx.store.item(org_id, email, source_id)
    if old is not None and (old.sha256, old.folder, old.flags, old.received_at, old.kind) == (
        digest,
        folder,
        flags,
        received,
        kind,
    ):
        return Response(200, _json(old))
    used = sum(b for _, b in ctx.store.usage(org_id, email).values())
    used -= old.size if old is not None else 0
    quota = ctx.profile.quota_bytes
    if used + len(body) > quota:
        raise ApiProblem(
            409,
            f"Storing this item would pass the mailbox quota of {quota} bytes.",
            kind="quota-exceeded",
            extensions={"quota_bytes": quota, "used_bytes": used},
        )
    row = MailboxItemRow(
        source_id, kind, folder, flags, received, len(body), digest, rfc3339(ctx.clock.now())
    )
    ctx.store.put_item(org_id, email, row, body)
    return Response(201 if old is None else 200, _json(row))


def show_item(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    email, source_id = _email(request), _source_id(request)
    row = ctx.store.item(org_id, email, source_id)
    if row is None:
        raise ApiProblem(404, f"No item {source_id} in {email}.", kind="item-not-found")
    return Response(200, _json(row))


def usage(ctx: SandboxContext, request: Request) -> Response:
    org_id = authenticate(ctx, request)
    email = _email(request)
    by_kind = ctx.store.usage(org_id, email)
    return Response(
        200,
        {
            "email": email,
            "quota_bytes": ctx.profile.quota_bytes,
            "used_bytes": sum(b for _, b in by_kind.values()),
            "items": sum(n for n, _ in by_kind.values()),
            "by_kind": {
                k: {"items": by_kind.get(k, (0, 0))[0], "bytes": by_kind.get(k, (0, 0))[1]}
                for k in KINDS
            },
            "max_item_bytes": MAX_ITEM_BODY,
        },
    )
