"""How Step 4's data reads on screen: table cells, the counters line, the deadline banner.

Plain functions from the service's dataclasses to Rich `Text`, so the screen module only
wires widgets and workers.
"""

from __future__ import annotations

from rich.text import Text

from onboard_tui.subscriptions import (
    AT_RISK,
    EVERYONE,
    NOT_ACTIVATED,
    NOT_ASSIGNED,
    Overview,
    SubscriptionUser,
)
from onboard_tui.ui.widgets.literal import DASH, literal

COLUMNS = (
    ("✓", "mark", 1),
    ("Email", "email", 26),
    ("Migrated", "migration", 8),
    ("Subscription", "state", 12),
    ("Activated", "activation", 10),
    ("Deadline", "deadline", 10),
    ("Name", "name", 18),
    ("Group", "group", 10),
)
FILTER_NAMES = {
    EVERYONE: "everyone",
    AT_RISK: "at risk",
    NOT_ASSIGNED: "not assigned",
    NOT_ACTIVATED: "not activated",
}
MARK = Text("●", style="bold cyan")


def cells(user: SubscriptionUser, marked: bool) -> list[Text]:
    migrated = Text("yes") if user.migrated else literal(user.migration or "staged", "dim")
    if user.state == "assigned":
        state = literal(user.type or "assigned")
    else:
        state = Text("not yet", style="yellow")
    if user.activation == "active":
        active = Text(f"{user.activated_at:%m-%d %H:%M}" if user.activated_at else "yes")
    else:
        active = Text(
            "AT RISK" if user.at_risk else "not yet", style="bold red" if user.at_risk else "yellow"
        )
    deadline = Text(DASH) if user.state == "assigned" else Text(f"{user.deadline:%Y-%m-%d}")
    return [
        MARK if marked else Text(" "),
        literal(user.email),
        migrated,
        state,
        active,
        deadline,
        literal(user.name or DASH),
        literal(user.group or DASH),
    ]


def counters_text(overview: Overview, which: str) -> Text:
    c = overview.counters
    text = Text()
    text.append(f"{c.needing} need a subscription · ")
    text.append(f"{c.assigned} assigned · ", style="green" if c.assigned == c.needing else "")
    text.append(f"{c.activated} activated · ")
    text.append(
        f"{c.at_risk} migrated, not activated",
        style="bold red" if c.at_risk else "",
    )
    text.append(f"\nShowing: {FILTER_NAMES[which]} (f)")
    text.append(f" · last poll {overview.last_poll}" if overview.last_poll else " · not polled yet")
    return text


def deadline_text(overview: Overview) -> tuple[str, str]:
    """(sentence, css class) of the deadline banner; "" when nobody is waiting."""
    d = overview.deadline
    return d.sentence, {"overdue": "-overdue", "near": "-near"}.get(d.level, "")
