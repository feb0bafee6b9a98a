"""Session failures that name the file and line, and say what the administrator can do."""

from __future__ import annotations

from pathlib import Path

from onboard_tui.errors import OnboardError


class SessionFileError(OnboardError):
    """session.toml cannot be used as it is; it is left untouched."""

    def __init__(
        self,
        path: Path,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        backup: Path | None = None,
        hint: str = "",
    ) -> None:
        where = f"{path}, line {line}" if line else str(path)
        if line and column:
            where += f", column {column}"
        if not hint:
            hint = (
                f"A backup of the previous version exists ({backup.name}); you can open it "
                "instead, and the damaged file is kept beside it."
                if backup
                else "Fix the file in an editor, or start a new session."
            )
        super().__init__(f"{where}: {problem}", hint=hint)
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column
        self.backup = backup


class SessionWriteError(OnboardError):
    """The session could not be saved; the file on disk is still the previous version."""


class SessionLockedError(OnboardError):
    """Another onboard-tui process holds the session."""

    def __init__(self, path: Path, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{path} is in use by {who}.",
            hint="Close the other onboard-tui, or open this session as an observer.",
        )
        self.pid = pid
