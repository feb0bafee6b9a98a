"""`GET /v1/geographies`: the profile's regions, all answered by this one sandbox."""

from __future__ import annotations

from onboard_tui.cloud.sandbox.api import Request, Response, SandboxContext


def list_geographies(ctx: SandboxContext, request: Request) -> Response:
    return Response(
        200,
        {
            "geographies": [
                {"id": g.id, "name": g.name, "api_url": ctx.base_url, "smtp_host": g.smtp_host}
                for g in ctx.profile.geographies.values()
            ]
        },
    )
