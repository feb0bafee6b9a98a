"""Snapshots of Step 3's Staging, pre-flight, Dashboard and Complete at 80x24 and 120x40
(frozen clock, fixed seed, recorded progress)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.scenes import SIZES, Scene
from tests.ui.scenes_staging import SCENES, staging_app


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(
    scene: Scene, size: tuple[int, int], tmp_path: Path, snap_compare: Callable[..., Any]
) -> None:
    app = staging_app(tmp_path / "s", show_tour=scene.show_tour)
    assert snap_compare(app, terminal_size=size, run_before=scene.drive)
