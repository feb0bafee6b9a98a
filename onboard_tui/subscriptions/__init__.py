"""Step 4 Assign subscriptions: who needs one, the provider's CSV, activation, reminders."""

from onboard_tui.subscriptions.config import SubscriptionConfig, SubscriptionError
from onboard_tui.subscriptions.model import (
    AT_RISK,
    AT_RISK_WARNING,
    EVERYONE,
    FILTERS,
    NOT_ACTIVATED,
    NOT_ASSIGNED,
    AssignReport,
    Counters,
    Deadline,
    ImportProblem,
    ImportReport,
    PollReport,
    SubscriptionPage,
    SubscriptionUser,
)
from onboard_tui.subscriptions.service import (
    LogonNeeded,
    Overview,
    Reminders,
    SubscriptionService,
)

__all__ = [
    "AT_RISK",
    "AT_RISK_WARNING",
    "EVERYONE",
    "FILTERS",
    "NOT_ACTIVATED",
    "NOT_ASSIGNED",
    "AssignReport",
    "Counters",
    "Deadline",
    "ImportProblem",
    "ImportReport",
    "LogonNeeded",
    "Overview",
    "PollReport",
    "Reminders",
    "SubscriptionConfig",
    "SubscriptionError",
    "SubscriptionPage",
    "SubscriptionService",
    "SubscriptionUser",
]
