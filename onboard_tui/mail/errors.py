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


class Unreachable(MailError):
    """No connection could be made (refused, reset, timed out while connecting).

    On a job's first open this fails the job at once with the sentence (a wrong host or
    port will not get better); when a link that worked is reopened mid-job, the engine
    treats it as transient (a server restarting) and retries with its back-off.
    """


class ItemRefused(MailError):
    """The target refused one item for what it is, not for load or the link.

    The cloud API's 4xx for the item (422: a message with no header at all, random
    bytes), or an IMAP NO to the APPEND of that one message that is not about load.
    The engine records the item as skipped ("refused by the target") with `detail`, the
    server's sentence, and goes on with the job. Not retried by later runs or delta
    passes: the same bytes would be refused again (the skip record is the user's to see
    in the Complete tab and the CSV report).
    """

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


class Stopped(Exception):
    """The engine was asked to pause or stop; the job ends at a clean point."""
