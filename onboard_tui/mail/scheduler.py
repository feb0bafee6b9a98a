"""Start a Transfer Group at a time: `[migration.schedule]` in session.toml, fired on the Clock.

```toml
[migration.schedule]
Pilot = 2026-11-28T22:00:00Z     # start the Pilot group at this time (UTC)
```

The schedule is plain data in the session (hand-editable); whoever runs the engine (the
wizard, or `onboard-tui run --watch`) asks `due()` at a steady pace and starts what it
names. A fired entry is removed, so a group starts once per schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import tomlkit

from onboard_tui.clock import Clock
from onboard_tui.mail.errors import MailError
from onboard_tui.session.store import SessionStore


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_when(text: str, now: datetime) -> datetime:
    """`YYYY-MM-DD HH:MM` (UTC, or with an offset); the time must be in the future."""
    cleaned = text.strip().replace("T", " ")
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        when = _aware(datetime.fromisoformat(cleaned))
    except ValueError:
        raise MailError(
            f"'{text}' is not a date and time.",
            hint="Write it as YYYY-MM-DD HH:MM (UTC), e.g. 2026-11-28 22:00.",
        ) from None
    if when <= now:
        raise MailError(f"{when:%Y-%m-%d %H:%M} UTC is already past.", hint="Choose a later time.")
    return when.astimezone(UTC)


class Scheduler:
    """Reads and writes `[migration.schedule]`; says which groups are due on the Clock."""

    def __init__(self, store: SessionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _table(self) -> Mapping[str, Any]:
        migration = self.store.doc.get("migration")
        table = migration.get("schedule") if migration is not None else None
        return table if isinstance(table, Mapping) else {}

    def schedules(self) -> dict[str, datetime]:
        """Group name -> start time (UTC)."""
        found = {}
        for name, value in self._table().items():
            if isinstance(value, datetime):
                found[str(name)] = _aware(value).astimezone(UTC)
        return found

    def when(self, group: str) -> datetime | None:
        for name, when in self.schedules().items():
            if name.casefold() == group.casefold():
                return when
        return None

    def set(self, group: str, when: datetime | None) -> None:
        """Schedule `group` at `when` (None: remove its schedule); saved at once."""
        doc = self.store.doc

        def change(_data: object) -> None:
            migration = doc.get("migration")
            if migration is None:
                migration = tomlkit.table()
                doc["migration"] = migration
            table = migration.get("schedule")
            if table is None:
                table = tomlkit.table()
                migration["schedule"] = table
            for name in [n for n in table if str(n).casefold() == group.casefold()]:
                del table[name]
            if when is not None:
                table[group] = _aware(when).astimezone(UTC).replace(microsecond=0)

        self.store.update(change)

    def due(self, now: datetime | None = None) -> list[str]:
        """Groups whose time has come, earliest first."""
        now = now or self.clock.now()
        ready = [(when, name) for name, when in self.schedules().items() if when <= now]
        return [name for _, name in sorted(ready)]

    def take_due(self) -> list[str]:
        """The due groups, removed from the schedule (so each fires once)."""
        names = self.due()
        for name in names:
            self.set(name, None)
        return names
