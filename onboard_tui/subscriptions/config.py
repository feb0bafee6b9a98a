"""The `[subscriptions]` section of session.toml: the subscription type and the deadline.

```toml
[subscriptions]
type = "SmartCloud Notes"   # the subscription the solution provider assigns
deadline_days = 60          # users must be provisioned this many days after becoming ready
warn_days = 14              # the wizard warns this many days before a deadline
poll_seconds = 60           # how often Step 4 asks the cloud who has activated
```

Read from the parsed document as it is (the session codec keeps tables it does not know);
a wrong value is reported with the file, the line and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onboard_tui.errors import OnboardError

DEFAULT_TYPE = "SmartCloud Notes"


class SubscriptionError(OnboardError):
    """A Step 4 action that cannot be done, with the sentence saying why."""


@dataclass(frozen=True)
class SubscriptionConfig:
    """`[subscriptions]` as plain data."""

    type: str = DEFAULT_TYPE
    deadline_days: int = 60
    warn_days: int = 14
    poll_seconds: int = 60


def _line_of(text: str, key: str) -> int:
    """The line of `key = ` inside `[subscriptions]` (0 when it cannot be found)."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        bare = line.strip()
        if bare.startswith("["):
            inside = bare.split("#")[0].strip() == "[subscriptions]"
        elif inside and bare.split("=")[0].strip() == key:
            return number
    return 0


def read_config(doc: Mapping[str, Any], path: Path, text: str = "") -> SubscriptionConfig:
    """The section from the parsed session.toml; SubscriptionError names the line and key."""
    table = doc.get("subscriptions")
    if table is None:
        return SubscriptionConfig()
    if hasattr(table, "unwrap"):
        table = table.unwrap()
    base = SubscriptionConfig()

    def fail(key: str, problem: str) -> SubscriptionError:
        line = _line_of(text, key)
        where = f"{path}, line {line}" if line else str(path)
        return SubscriptionError(
            f"{where}: [subscriptions] {key} {problem}",
            hint="Correct it in session.toml, or delete the line to use the default.",
        )

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise fail(key, f"must be a whole number from {low} to {high}, not {value!r}.")
        return value

    kind = table.get("type", base.type)
    if not isinstance(kind, str) or not kind.strip() or len(kind.strip()) > 64:
        raise fail("type", "must be the subscription's name (1 to 64 characters).")
    deadline = whole("deadline_days", base.deadline_days, 1, 3650)
    warn = whole("warn_days", base.warn_days, 0, 3650)
    if warn >= deadline:
        raise fail("warn_days", f"must be smaller than deadline_days ({deadline}).")
    return SubscriptionConfig(
        type=kind.strip(),
        deadline_days=deadline,
        warn_days=warn,
        poll_seconds=whole("poll_seconds", base.poll_seconds, 5, 86400),
    )
