"""The DNS area's failures, each a sentence and a hint an administrator can act on."""

from __future__ import annotations

from onboard_tui.errors import OnboardError


class DnsError(OnboardError):
    """A DNS check or update that could not be carried out."""


class DnsInputError(DnsError):
    """A domain, key, host or setting that was typed wrong (the CLI exits 2)."""


class UpdateError(DnsError):
    """An RFC 2136 update the server did not apply.

    `code` is the DNS word for what happened (``NXRRSET``, ``BADKEY``, ``TIMEOUT``...), so
    callers can react to a failed prerequisite without parsing the sentence.
    """

    def __init__(self, message: str, *, hint: str = "", code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code

    @property
    def prerequisite_failed(self) -> bool:
        """True when the records changed since they were shown; nothing was applied."""
        return self.code in {"NXRRSET", "YXRRSET", "NXDOMAIN", "YXDOMAIN"}
