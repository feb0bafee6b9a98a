"""Step 4's typed messages: worker results coming back to the Assign subscriptions screen.

Kept beside ui/messages.py rather than in it, so Step 4 can change without touching the
messages of every other step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from onboard_tui.comms import SendProgress, SendReport
from onboard_tui.errors import OnboardError
from onboard_tui.subscriptions import (
    AssignReport,
    ImportReport,
    Overview,
    PollReport,
    Reminders,
    SubscriptionPage,
)


@dataclass
class SubscriptionsLoaded(Message):
    """The counters, the deadline and a page of the table (`reset`: the first page)."""

    generation: int
    overview: Overview
    page: SubscriptionPage
    reset: bool


@dataclass
class SubscriptionsPolled(Message):
    """The cloud was asked who is assigned and activated (`automatic`: the timer)."""

    report: PollReport
    automatic: bool


@dataclass
class SubscriptionsAssigned(Message):
    """Marking users assigned finished (or the provider's CSV was read back)."""

    report: AssignReport
    imported: ImportReport | None = None


@dataclass
class SubscriptionsExported(Message):
    """The CSV for the solution provider was written."""

    path: Path
    count: int


@dataclass
class AssignProgress(Message):
    """One more user done while assigning."""

    done: int
    total: int
    email: str


@dataclass
class RemindersReady(Message):
    """The reminder's plan, waiting for the administrator's confirmation."""

    reminders: Reminders


@dataclass
class ReminderProgress(Message):
    progress: SendProgress


@dataclass
class RemindersSent(Message):
    report: SendReport


@dataclass
class SubscriptionsFailed(Message):
    """An action failed with a sentence; `logon`: the cloud wants the password again."""

    action: str
    error: OnboardError
    logon: bool = False
