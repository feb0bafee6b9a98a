"""A provider profile that cannot be used, named by file, field and line."""

from __future__ import annotations

from pathlib import Path

from onboard_tui.errors import OnboardError


class ProfileError(OnboardError):
    """A bad or missing profile; `path`, `field` and `line` say where, when known."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | None = None,
        field: str = "",
        line: int | None = None,
        hint: str = "",
    ) -> None:
        where = str(path) if path else ""
        if where and line:
            where += f", line {line}"
        super().__init__(f"{where}: {problem}" if where else problem, hint=hint)
        self.path = path
        self.field = field
        self.line = line
        self.problem = problem
