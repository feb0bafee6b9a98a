"""Run every bench/bench_*.py in turn and write their output to bench/RESULTS.md."""

from __future__ import annotations

import platform
import re
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
    machine += f"Python {platform.python_version()}, {_cpus()} CPUs ({_machine()})"
    header = (
        "# Benchmark results\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, by `make bench`.\n\n"
    )
    summary = _summary(sections)
    (HERE / "RESULTS.md").write_text(header + summary + "\n".join(sections))
    return 1 if failed else 0


def _summary(sections: list[str]) -> str:
    """Every line that states a goal, gathered in one table at the top."""
    rows = []
    for section in sections:
        name = section.splitlines()[0].removeprefix("## ")
        for line in section.splitlines()[1:]:
            if re.search(r"\b(goals?|ratio)\b", line, re.IGNORECASE):
                rows.append(f"| {name} | {line.strip().replace('|', '/')} |")
    if not rows:
        return ""
    head = "## Goals at a glance\n\n| benchmark | figure (goal) |\n|---|---|\n"
    return head + "\n".join(rows) + "\n\n"


def _machine() -> str:
    """CPU model and memory, so figures from different machines are not compared blindly."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        return model
    return f"{model}, {mem_kb / 1024 / 1024:.0f} GiB RAM"


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
