"""End-to-end tests: the real wizard in a terminal (tmux). They need the tmux binary, so
they carry the ``integration`` marker: skipped when it is missing, failed under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
