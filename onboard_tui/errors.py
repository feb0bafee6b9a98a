"""The one exception family the UI and CLI show to an administrator.

Every failure that can reach a person carries a sentence written for them (what went
wrong and what to do), so no caller ever has to format a traceback.
"""

from __future__ import annotations


class OnboardError(Exception):
    """A failure with a message an administrator can act on."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()
