"""Write screenshots/<scene>-<W>x<H>.svg from the same scenes the snapshot tests use."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ui.scenes import SCENES, SIZES, Scene, demo_app  # noqa: E402
from tests.ui.scenes_communicate import SCENES as COMMS_SCENES  # noqa: E402
from tests.ui.scenes_communicate import comms_app  # noqa: E402
from tests.ui.scenes_migrate import SCENES as MIGRATE_SCENES  # noqa: E402
from tests.ui.scenes_mx import SCENES as MX_SCENES  # noqa: E402
from tests.ui.scenes_mx import mx_app  # noqa: E402
from tests.ui.scenes_staging import SCENES as STAGING_SCENES  # noqa: E402
from tests.ui.scenes_staging import staging_app  # noqa: E402
from tests.ui.scenes_subscribe import SCENES as SUBSCRIBE_SCENES  # noqa: E402
from tests.ui.scenes_subscribe import subscribe_app  # noqa: E402
from tests.ui.scenes_verify import SCENES as VERIFY_SCENES  # noqa: E402
from tests.ui.scenes_verify import verify_app  # noqa: E402


async def shoot(scene: Scene, size: tuple[int, int], out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        make = mx_app if scene in MX_SCENES else demo_app
        make = comms_app if scene in COMMS_SCENES else make
        make = verify_app if scene in VERIFY_SCENES else make
        make = staging_app if scene in STAGING_SCENES else make
        make = subscribe_app if scene in SUBSCRIBE_SCENES else make
        app = make(Path(tmp) / "demo", show_tour=scene.show_tour)
        async with app.run_test(size=size) as pilot:
            await scene.drive(pilot)
            await pilot.pause()
            svg = app.export_screenshot(title=f"onboard-tui: {scene.name}")
    target = out / f"{scene.name}-{size[0]}x{size[1]}.svg"
    target.write_text(svg, encoding="utf-8")
    return target


async def main() -> int:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    every = (
        *SCENES,
        *VERIFY_SCENES,
        *MIGRATE_SCENES,
        *STAGING_SCENES,
        *MX_SCENES,
        *COMMS_SCENES,
        *SUBSCRIBE_SCENES,
    )
    for scene in every:
        for size in SIZES:
            print(await shoot(scene, size, out))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
