"""Directory failures, each a sentence an administrator can act on."""

from __future__ import annotations

from pathlib import Path

from onboard_tui.errors import OnboardError


class DirectoryError(OnboardError):
    """A directory source (CSV file or LDAP server) cannot be used as it is."""


class CsvFileError(DirectoryError):
    """A CSV file that cannot be read at all; the message names the file."""

    def __init__(self, path: Path, problem: str, *, hint: str = "") -> None:
        super().__init__(f"{path}: {problem}", hint=hint)
        self.path = path


class ImportAborted(DirectoryError):
    """The admin chose to abort on problems; nothing was changed."""
