"""Snapshots of every Step 4 scene at 80x24 and 120x40 (demo, frozen clock)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.scenes import SIZES, Scene
from tests.ui.scenes_subscribe import SCENES, subscribe_app


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(
    scene: Scene, size: tuple[int, int], tmp_path: Path, snap_compare: Callable[..., Any]
) -> None:
    assert snap_compare(
        subscribe_app(tmp_path / "demo"), terminal_size=size, run_before=scene.drive
    )
