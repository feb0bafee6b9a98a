"""What Step 4 shows, as plain data: users, counters, the deadline, reports of actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

UNASSIGNED, ASSIGNED = "unassigned", "assigned"
PENDING, ACTIVE = "pending", "active"

#: Table filters.
EVERYONE, AT_RISK, NOT_ASSIGNED, NOT_ACTIVATED = "all", "at_risk", "unassigned", "not_activated"
FILTERS = (EVERYONE, AT_RISK, NOT_ASSIGNED, NOT_ACTIVATED)

#: The seed's warning, shown with the at-risk filter.
AT_RISK_WARNING = (
    "Migrated users who have not activated get no new mail: after their mail is migrated "
    "to the cloud, no new mail is delivered to their old mail file. Remind them to log in "
    "once and create their permanent password."
)


@dataclass(frozen=True)
class SubscriptionUser:
    """One user who needs a subscription, as the Step 4 table shows them."""

    email: str
    name: str
    group: str
    migration: str  # the Step 3 job state ("" when staged only)
    state: str  # UNASSIGNED or ASSIGNED
    type: str
    assigned_at: datetime | None
    assigned_by: str
    activation: str  # PENDING or ACTIVE
    activated_at: datetime | None
    ready_at: datetime
    deadline: datetime

    @property
    def migrated(self) -> bool:
        return self.migration == "done"

    @property
    def at_risk(self) -> bool:
        """Migrated but not activated: new mail does not reach them."""
        return self.migrated and self.activation != ACTIVE


@dataclass(frozen=True)
class SubscriptionPage:
    """A page of the table; `after` continues it (None at the end)."""

    users: list[SubscriptionUser]
    after: str | None


@dataclass(frozen=True)
class Counters:
    """The figures above the table."""

    needing: int = 0
    assigned: int = 0
    activated: int = 0
    at_risk: int = 0
    migrated: int = 0

    @property
    def unassigned(self) -> int:
        return self.needing - self.assigned


@dataclass(frozen=True)
class Deadline:
    """Where the provisioning deadline stands for the users still unassigned.

    `level` is "none" (nobody waits), "ok", "near" (within warn_days) or "overdue".
    """

    level: str
    next_at: datetime | None = None
    days_left: int = 0
    waiting: int = 0
    near: int = 0
    overdue: int = 0
    days: int = 60

    @property
    def sentence(self) -> str:
        if self.level == "none" or self.next_at is None:
            return ""
        when = f"{self.next_at:%Y-%m-%d}"
        if self.level == "overdue":
            return (
                f"{self.overdue} user(s) passed the provisioning deadline ({self.days} days "
                f"after becoming ready, first on {when}): assign their subscriptions now."
            )
        if self.level == "near":
            return (
                f"{self.near} user(s) must be provisioned within {self.days_left} day(s) "
                f"(first deadline {when}): assign their subscriptions."
            )
        return (
            f"{self.waiting} user(s) still need a subscription; the first deadline is "
            f"{when} ({self.days_left} days left)."
        )


@dataclass(frozen=True)
class AssignReport:
    """What marking users assigned (or importing the provider's CSV) did."""

    assigned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    provider_only: bool = False  # the cloud answered that only the provider assigns

    @property
    def summary(self) -> str:
        text = f"{len(self.assigned)} subscription(s) assigned"
        if self.failed:
            email, why = self.failed[0]
            text += f", {len(self.failed)} failed (first: {email}: {why})"
        return text + "."


@dataclass(frozen=True)
class ImportProblem:
    """One row of the provider's CSV that was not used: where, which field, what to do."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """The provider's CSV read back: rows used, rows refused (with line and field)."""

    path: str
    rows: int
    report: AssignReport
    problems: list[ImportProblem] = field(default_factory=list)


@dataclass(frozen=True)
class PollReport:
    """What asking the cloud changed."""

    checked: int
    newly_activated: list[str]
    newly_assigned: list[str]
    at: datetime
