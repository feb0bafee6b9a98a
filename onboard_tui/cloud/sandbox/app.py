"""The sandbox without sockets: faults first, then routing, then the handler.

Every failure becomes a problem document, so a bug in a handler answers 500 with a
sentence instead of a dropped connection.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext
from onboard_tui.cloud.sandbox.faults import FaultInjector
from onboard_tui.cloud.sandbox.handlers import PLANNED, ROUTES
from onboard_tui.cloud.sandbox.router import Router

log = logging.getLogger(__name__)


class SandboxApp:
    """Answers one request at a time; safe to call from many threads."""

    def __init__(self, context: SandboxContext, faults: FaultInjector) -> None:
        self.context = context
        self.faults = faults
        self.router = Router(ROUTES, PLANNED)

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        query: Mapping[str, str] | None = None,
    ) -> Response:
        fault = self.faults.take(path)
        if fault is not None:
            return fault.problem().response()
        try:
            handler, params = self.router.resolve(method, path)
            request = Request(method, path, headers, body, params, dict(query or {}))
            return handler(self.context, request)
        except ApiProblem as problem:
            return problem.response()
        except Exception:
            log.exception("sandbox: %s %s failed", method, path)
            return ApiProblem(
                500, "The sandbox had an internal error; see the log.", kind="internal"
            ).response()
