"""The embedded cloud sandbox over HTTP on 127.0.0.1, with a registered organisation:
the fixtures every migration-into-the-cloud test starts from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.models import CloudLogon, Registration
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.providers import load_profile
from onboard_tui.session.secrets import Secret

ADMIN = "admin@renovations.com"
PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path / "sandbox.db", load_profile("sandbox"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def logon(sandbox: SandboxServer) -> CloudLogon:
    with CloudClient(sandbox.url) as client:
        client.register(
            Registration(ADMIN, Secret(PASSWORD), "US", "en-US", "America/New_York", "na", True)
        )
        return client.logon(ADMIN, Secret(PASSWORD))
