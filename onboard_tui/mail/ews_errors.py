"""exchangelib's exceptions turned into sentences an Exchange administrator can act on.

The impersonation denial is the one admins meet first: it names the missing
ApplicationImpersonation role and the steps to add it (from the seed, and the
Exchange Management Shell equivalent).
"""

from __future__ import annotations

from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorImpersonationFailed,
    ErrorNonExistentMailbox,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    RateLimitError,
    RedirectError,
    TransportError,
    UnauthorizedError,
)

from onboard_tui.mail.errors import LoginFailed, MailError, Throttled

IMPERSONATION_STEPS = (
    "Give the account the ApplicationImpersonation role: in the Exchange admin center, "
    "permissions > admin roles > + (new role group, e.g. MOM), assign the "
    "ApplicationImpersonation role, add the account as a member, Save. Or in the Exchange "
    'Management Shell: New-ManagementRoleAssignment -Name "onboard-impersonation" '
    "-Role ApplicationImpersonation -User {admin}"
)


class ImpersonationDenied(LoginFailed):
    """The admin account may not act for the user (no ApplicationImpersonation role)."""


def translate(exc: BaseException, *, url: str, admin: str, user: str) -> MailError:
    """The MailError (LoginFailed, Throttled...) that says what `exc` means here."""
    text = str(exc)
    if isinstance(exc, (ErrorImpersonateUserDenied, ErrorImpersonationFailed)):
        return ImpersonationDenied(
            f"Exchange refused to let {admin} act for {user} (impersonation denied): "
            "the account lacks the ApplicationImpersonation role.",
            hint=IMPERSONATION_STEPS.format(admin=admin) + ".",
        )
    if isinstance(exc, UnauthorizedError):
        return LoginFailed(
            f"Exchange at {url} refused the login of {admin}.",
            hint="Check the impersonation_user and the password its secret reference gives.",
        )
    if isinstance(exc, ErrorNonExistentMailbox):
        return MailError(f"Exchange has no mailbox for {user}.")
    if isinstance(exc, ErrorAccessDenied):
        return MailError(f"Exchange denied access to {user}'s mailbox: {text}")
    if isinstance(exc, RateLimitError):
        wait = getattr(exc, "wait", None)
        return Throttled(
            f"Exchange kept asking to wait (back-off {wait or '?'} s beyond the ceiling).",
            retry_after=float(wait) if wait else None,
            kind="ews",
        )
    if isinstance(exc, ErrorServerBusy):
        back_off = getattr(exc, "back_off", None)
        return Throttled(
            "Exchange is busy (ErrorServerBusy).",
            retry_after=float(back_off) if back_off else None,
            kind="ews",
        )
    if isinstance(exc, ErrorTimeoutExpired) or (
        isinstance(exc, OSError) and not isinstance(exc, TransportError)
    ):
        return MailError(
            f"Exchange at {url} cannot be reached: {_short(text)}.",
            hint="Check the url, the port and that this machine may connect to it.",
        )
    if isinstance(exc, RedirectError):
        return MailError(f"Exchange at {url} redirects elsewhere ({_short(text)}); set that url.")
    if isinstance(exc, TransportError):
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            return MailError(
                f"The TLS certificate of {url} is not trusted: {_short(text)}.",
                hint="Set ca_file to the CA that signed it (verify_tls = false only for tests, "
                "and it is shown).",
            )
        return MailError(f"Exchange at {url} failed: {_short(text)}.")
    return MailError(f"Exchange ({url}) failed for {user}: {type(exc).__name__}: {_short(text)}")


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
