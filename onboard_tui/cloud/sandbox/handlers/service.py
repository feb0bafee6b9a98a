"""`GET /`: what this server is, for an admin who opens the sandbox URL in a browser."""

from __future__ import annotations

from onboard_tui import __version__
from onboard_tui.cloud.sandbox.api import Request, Response, SandboxContext


def index(ctx: SandboxContext, request: Request) -> Response:
    return Response(
        200,
        {
            "service": "onboard-tui sandbox",
            "version": __version__,
            "api": "v1",
            "profile": ctx.profile.id,
            "contract": "docs/cloud-api.md",
            "geographies": f"{ctx.base_url}/v1/geographies",
        },
    )
