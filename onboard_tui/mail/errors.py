"""Failures of the migration, each a sentence a person can act on."""

from __future__ import annotations

from onboard_tui.errors import OnboardError


class MailError(OnboardError):
    """A migration step failed; the user's job fails with this message as its reason."""


class LoginFailed(MailError):
    """The source or target refused the credentials (not retried: it will not get better)."""


class Throttled(MailError):
    """The server asked us to slow down (HTTP 429/503, IMAP NO [INUSE]/[LIMIT], BYE...).

    The engine lowers its concurrency, waits `retry_after` (or a jittered back-off) and
    tries the same batch again.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, kind: str = "") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.kind = kind


class Stopped(Exception):
    """The engine was asked to pause or stop; the job ends at a clean point."""
