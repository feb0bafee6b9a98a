"""The sandbox's request, response and problem types, free of any HTTP server plumbing.

Handlers are plain functions from a `Request` to a `Response`, so they read like the
contract in docs/cloud-api.md and can be tested without sockets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from onboard_tui.clock import Clock
from onboard_tui.cloud.sandbox.store import SandboxStore
from onboard_tui.cloud.sandbox.users import ActivationSchedule
from onboard_tui.providers import Profile

PROBLEM_TYPE = "urn:onboard-tui:problem:"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Request:
    """One HTTP request as the handlers see it; header names are lower-case."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""
    params: Mapping[str, str] = field(default_factory=dict)
    #: The query string's parameters (the last value of each name); only /v1/users reads it.
    query: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, object]:
        """The body as a JSON object, or a 400 problem that says what is wrong with it."""
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiProblem(400, "The request body is not valid JSON.", kind="bad-json") from None
        if not isinstance(value, dict):
            raise ApiProblem(400, "The request body must be a JSON object.", kind="bad-json")
        return value

    def bearer(self) -> str:
        """The token of `Authorization: Bearer <token>`, or "" when there is none."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""


@dataclass
class Response:
    """What a handler answers; `body` is anything json.dumps accepts."""

    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ApiProblem(Exception):
    """Raised by a handler to answer with an `application/problem+json` document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str = "",
        field_errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.extensions = dict(extensions or {})
        self.status = status
        self.detail = detail
        self.kind = kind
        self.field_errors = dict(field_errors or {})
        self.headers = dict(headers or {})

    def response(self) -> Response:
        body: dict[str, object] = {
            "type": PROBLEM_TYPE + self.kind if self.kind else "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extensions)
        if self.field_errors:
            body["errors"] = [{"field": k, "detail": v} for k, v in self.field_errors.items()]
        return Response(self.status, body, dict(self.headers), PROBLEM_JSON)


@dataclass
class SandboxContext:
    """What every handler may use: the state, the profile it serves, time, its own URL, and
    the DNS server (`host:port`, "" for the system resolver) it verifies domains through.
    `activation` is when users activate by themselves (the demo), None: only by hand."""

    store: SandboxStore
    profile: Profile
    clock: Clock
    base_url: str = ""
    dns_server: str = ""
    activation: ActivationSchedule | None = None


def rfc3339(when: datetime) -> str:
    """Timestamps on the wire: UTC, seconds, with a Z."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
