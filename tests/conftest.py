"""Shared fixtures: a frozen clock and a fresh session folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path: Path, clock: FrozenClock) -> Iterator[SessionStore]:
    data = SessionData(name="test", created=clock.now(), provider="sandbox")
    s = SessionStore.create(tmp_path / "session", data)
    yield s
    s.close()
