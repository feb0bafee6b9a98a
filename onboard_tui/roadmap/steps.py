"""The roadmap's steps, in the seed's order and words.

The wizard, the CLI's `status` and the tour all read this one list, so a step is named
and explained the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StepId(StrEnum):
    """Stable identifiers, used as keys in session.toml."""

    SETUP = "setup"
    VERIFY = "verify"
    MIGRATE = "migrate"
    SUBSCRIBE = "subscribe"
    MX = "mx"
    COMMUNICATE = "communicate"


class StepState(StrEnum):
    """Where a step stands; ATTENTION always comes with a reason."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ATTENTION = "attention"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Step:
    """One step of the roadmap as the administrator sees it."""

    id: StepId
    number: int  # 0 for Communicate, which runs alongside the numbered steps
    title: str
    where: str
    summary: str
    available: bool

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


STEPS: tuple[Step, ...] = (
    Step(
        StepId.SETUP,
        1,
        "Setup",
        "Cloud account registration",
        "Register your organisation as its first company administrator: create the service "
        "logon password, choose country, language and time zone, and accept the Terms of Use.",
        True,
    ),
    Step(
        StepId.VERIFY,
        2,
        "Verify domain",
        "Domain hosting service and cloud admin",
        "Prove that you own each mail domain by creating a temporary CNAME record with a "
        "unique key. Verification can take up to 48 hours; users cannot receive mail "
        "addressed to a domain until it is verified.",
        True,
    ),
    Step(
        StepId.MIGRATE,
        3,
        "Migrate users",
        "Mail Onboarding Manager",
        "Import your users, split them into Transfer Groups, choose how much data each group "
        "takes, then stage, run and watch the migration of mail, contacts, calendar entries "
        "and tasks.",
        True,
    ),
    Step(
        StepId.SUBSCRIBE,
        4,
        "Assign subscriptions",
        "Solution provider",
        "Assign a mail subscription to every user, then have each user log in once to "
        "activate the account: after migration no new mail reaches the old mail file.",
        True,
    ),
    Step(
        StepId.MX,
        5,
        "Configure MX",
        "Domain hosting service",
        "Point the domain's MX record to the SMTP host of your geography and delete the old "
        "MX records. After this, no mail is delivered to the old system.",
        True,
    ),
    Step(
        StepId.COMMUNICATE,
        0,
        "Communicate",
        "Mail to your users",
        "Tell users when their mail moves, that new mail stops arriving in the old system, "
        "and that they must log in to activate their account.",
        True,
    ),
)


def step(step_id: StepId | str) -> Step:
    """The step with this id."""
    wanted = StepId(step_id)
    return next(s for s in STEPS if s.id is wanted)
