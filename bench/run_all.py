"""Run every bench/bench_*.py in turn and write their output to bench/RESULTS.md."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    sections = []
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        run = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        output = (run.stdout + run.stderr).strip()
        print(output, flush=True)
        failed += run.returncode != 0
        sections.append(f"## {script.stem}\n\n```\n{output}\n```\n")
    machine = f"{platform.machine()}, {platform.system()} {platform.release()}, "
    machine += f"Python {platform.python_version()}, {_cpus()} CPUs"
    header = (
        "# Benchmark results\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, by `make bench`.\n\n"
    )
    (HERE / "RESULTS.md").write_text(header + "\n".join(sections))
    return 1 if failed else 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
