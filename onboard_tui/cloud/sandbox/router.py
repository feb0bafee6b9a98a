"""Which handler answers a method and path: 404 for no such path, 405 for the wrong method."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from onboard_tui.cloud.sandbox.api import ApiProblem, Request, Response, SandboxContext

Handler = Callable[[SandboxContext, Request], Response]


@dataclass(frozen=True)
class Route:
    """`Route("PUT", "/v1/users/{email}", handler)`: braces capture one path segment."""

    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


class Router:
    """The routes of the contract the sandbox implements, and the ones it will (501)."""

    def __init__(self, routes: Sequence[Route], planned: Sequence[str] = ()) -> None:
        self.routes = tuple(routes)
        self.planned = tuple(planned)

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        matches = [
            (route, params) for route in self.routes if (params := route.match(path)) is not None
        ]
        for route, params in matches:
            # HEAD is GET without the body (the server leaves the body out).
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route.handler, params
        if matches:
            allow = ", ".join(sorted({route.method for route, _ in matches}))
            raise ApiProblem(
                405,
                f"{method} is not allowed on {path}; use {allow}.",
                kind="method-not-allowed",
                headers={"Allow": allow},
            )
        if any(path == p or path.startswith(p + "/") for p in self.planned):
            raise ApiProblem(
                501,
                f"The sandbox does not implement {path} yet (see docs/cloud-api.md).",
                kind="not-implemented",
            )
        raise ApiProblem(404, f"There is no resource at {path}.", kind="not-found")
