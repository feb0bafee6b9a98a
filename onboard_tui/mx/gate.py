"""The readiness gate before the MX switch: every condition, passed or not, and why.

Pure functions over the session's domain record, the MX report, the SMTP probe and the
state of the domain's users (Steps 3 and 4, read from state.db by the caller), so every
line of the gate has a unit test.

A check is PASSED, BLOCKED or UNKNOWN. A *hard* block (no SMTP host for the geography,
the MX set not known for certain, the domain not verified) stops the switch. Everything
else that is not passed is listed, and the administrator continues past it only by typing
the domain name: a deliberate act, never a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from onboard_tui.dns import MxReport
from onboard_tui.session.model import DomainRecord

if TYPE_CHECKING:
    from .model import SmtpCheck

PASSED = "passed"
BLOCKED = "blocked"
UNKNOWN = "unknown"

#: How many addresses a blocker names before it says "and N more".
SHOWN = 3


@dataclass(frozen=True)
class UsersOfDomain:
    """The users whose address is at the domain (or a listed subdomain), and who of them
    is not migrated (Step 3 job not done), has no final delta pass (done with at least
    one pass after the first), or has not activated (Step 4, as last polled)."""

    total: int
    not_migrated: tuple[str, ...] = ()
    no_final_delta: tuple[str, ...] = ()
    not_activated: tuple[str, ...] = ()


def who(emails: tuple[str, ...]) -> str:
    """The first few addresses and how many more: "a@x, b@x, c@x and 4 more"."""
    shown = ", ".join(emails[:SHOWN])
    rest = len(emails) - SHOWN
    return f"{shown} and {rest} more" if rest > 0 else shown


@dataclass(frozen=True)
class GateCheck:
    """One condition of the gate."""

    key: str
    title: str
    state: str
    reason: str
    hard: bool = False

    @property
    def passed(self) -> bool:
        return self.state == PASSED

    @property
    def stops(self) -> bool:
        """Not even typing the domain name goes past this one."""
        return self.state == BLOCKED and self.hard


@dataclass(frozen=True)
class Readiness:
    """Every check of the gate for one domain, in the order shown."""

    domain: str
    checks: tuple[GateCheck, ...]

    @property
    def ready(self) -> bool:
        """Every condition is known to be met."""
        return all(c.passed for c in self.checks)

    @property
    def can_continue(self) -> bool:
        """No hard block: the switch may go ahead once the domain name is typed."""
        return not any(c.stops for c in self.checks)

    @property
    def open_items(self) -> tuple[GateCheck, ...]:
        """The conditions not known to be met (what the confirmation lists)."""
        return tuple(c for c in self.checks if not c.passed)

    @property
    def stopping(self) -> tuple[GateCheck, ...]:
        return tuple(c for c in self.checks if c.stops)

    def check(self, key: str) -> GateCheck:
        return next(c for c in self.checks if c.key == key)


def readiness(
    domain: DomainRecord,
    report: MxReport | None,
    smtp: SmtpCheck | None,
    smtp_host: str,
    users: UsersOfDomain | None = None,
) -> Readiness:
    """The gate for `domain` from what is known now (`users` None: not readable)."""
    host = smtp_host.rstrip(".")
    return Readiness(
        domain.name,
        (
            _geography(host),
            _verified(domain),
            _mx_known(report),
            *_user_checks(domain.name, users),
            _smtp(host, smtp),
        ),
    )


def name_matches(typed: str, domain: str) -> bool:
    """The typed confirmation names the domain (case and a final dot do not matter)."""
    want = domain.strip().rstrip(".").casefold()
    got = typed.strip().rstrip(".").casefold()
    return bool(want) and got == want


def _geography(host: str) -> GateCheck:
    title = "The SMTP host for your geography is known"
    if not host:
        return GateCheck(
            "smtp_host",
            title,
            BLOCKED,
            "No geography is chosen: choose it in Step 1 (it decides the SMTP host).",
            hard=True,
        )
    return GateCheck("smtp_host", title, PASSED, f"The MX record must point to {host}.")


def _verified(domain: DomainRecord) -> GateCheck:
    title = "The domain is verified (Step 2)"
    if domain.verified_at is None:
        return GateCheck(
            "verified",
            title,
            BLOCKED,
            f"{domain.name} is not verified: users cannot receive mail addressed to it. "
            "Finish Step 2 first.",
            hard=True,
        )
    return GateCheck(
        "verified", title, PASSED, f"Verified on {domain.verified_at:%Y-%m-%d %H:%M} UTC."
    )


def _mx_known(report: MxReport | None) -> GateCheck:
    title = "Every name server lists the same MX set"
    if report is None:
        return GateCheck("mx_known", title, BLOCKED, "Not checked yet.", hard=True)
    if report.current is None:
        return GateCheck("mx_known", title, BLOCKED, report.message, hard=True)
    count = report.total
    return GateCheck(
        "mx_known",
        title,
        PASSED,
        f"{count} authoritative name server{'s agree' if count != 1 else ' answers'} with it.",
    )


_USER_CHECKS = (
    ("migrated", "Every user's mail is migrated (Step 3)", "not_migrated", "not migrated yet"),
    (
        "activated",
        "Every user has logged in once (activated, Step 4)",
        "not_activated",
        "not activated: after the switch they get no new mail",
    ),
    (
        "final_delta",
        "The final delta pass is done (Step 3)",
        "no_final_delta",
        "without a delta pass after the first copy",
    ),
)


def _user_checks(domain: str, users: UsersOfDomain | None) -> tuple[GateCheck, ...]:
    """Migrated, final delta pass, activated: each lists the users it waits for."""
    found = []
    for key, title, attr, what in _USER_CHECKS:
        if users is None:
            found.append(GateCheck(key, title, UNKNOWN, "Not readable: the users are not known."))
            continue
        if users.total == 0:
            found.append(
                GateCheck(
                    key,
                    title,
                    UNKNOWN,
                    f"No user with an address at {domain} is imported yet (Step 3).",
                )
            )
            continue
        waiting: tuple[str, ...] = getattr(users, attr)
        if not waiting:
            found.append(GateCheck(key, title, PASSED, f"All {users.total} user(s) of {domain}."))
            continue
        found.append(
            GateCheck(
                key,
                title,
                BLOCKED,
                f"{len(waiting)} of {users.total} user(s) {what}: {who(waiting)}.",
            )
        )
    return tuple(found)


def _smtp(host: str, smtp: SmtpCheck | None) -> GateCheck:
    title = f"{host or 'The SMTP host'} answers SMTP with STARTTLS"
    if smtp is None:
        return GateCheck("smtp", title, UNKNOWN, "Not probed yet: run the SMTP probe.")
    if smtp.ok:
        return GateCheck("smtp", title, PASSED, smtp.message)
    if smtp.answered:
        return GateCheck("smtp", title, UNKNOWN, smtp.message)
    return GateCheck(
        "smtp",
        title,
        BLOCKED,
        smtp.message + " Switching the MX to a host that does not answer loses mail.",
    )
