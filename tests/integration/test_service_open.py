"""Opening a sandbox session: the embedded cloud keeps its address across runs."""

from __future__ import annotations

import socket
from pathlib import Path

from onboard_tui.clock import FrozenClock
from onboard_tui.service import NewSession, OnboardingService


def test_the_sandbox_port_is_chosen_once_and_kept(tmp_path: Path, clock: FrozenClock) -> None:
    folder = tmp_path / "demo"
    first = OnboardingService.create(folder, NewSession("demo", "sandbox"), clock=clock)
    url = first.cloud.api_url()
    port = first.session.cloud.sandbox_port
    first.close()
    assert port > 0 and url.endswith(f":{port}")
    assert f"sandbox_port = {port}" in (folder / "session.toml").read_text()

    again = OnboardingService.open(folder, clock=clock)
    try:
        assert again.cloud.api_url() == url
        assert again.cloud.geographies()  # really answering there
    finally:
        again.close()


def test_a_taken_port_moves_the_sandbox_and_is_remembered(
    tmp_path: Path, clock: FrozenClock
) -> None:
    folder = tmp_path / "demo"
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        service = OnboardingService.create(
            folder, NewSession("demo", "sandbox", sandbox_port=taken), clock=clock
        )
        try:
            moved = service.session.cloud.sandbox_port
            assert moved not in (0, taken)
            assert service.cloud.api_url().endswith(f":{moved}")
        finally:
            service.close()
