"""`templates/values.toml`: the values that are not in the directory (dates, the login URL).

A user's `{migration_date}` comes first from their Transfer Group's start time in
`[migration.schedule]` of session.toml (the schedule the engine really follows, so the
message cannot promise another day), shown in the organisation's time zone; values.toml
is the fallback for groups without a schedule.

```toml
migration_date = "Saturday 5 December 2026"   # for everyone, unless their group says
login_url = "https://mail.renovations.com"

[groups."Pilot"]
migration_date = "Saturday 28 November 2026"
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from onboard_tui.clock import Clock
from onboard_tui.comms.templates import TemplateError
from onboard_tui.mail.scheduler import Scheduler
from onboard_tui.session.atomic import write_atomic
from onboard_tui.session.store import SessionStore

FILE_NAME = "values.toml"

DEFAULT_TEXT = """\
# Values for the message templates that the directory does not know.
# migration_date is printed as written ("Saturday 5 December 2026", "next week").
# A Transfer Group may have its own date:  [groups."Pilot"]  migration_date = "..."
# login_url: where users log in to activate (empty: the provider profile's).
# company and admin_email come from Step 1; set them here to say something else.
migration_date = ""
login_url = ""
company = ""
admin_email = ""
"""


@dataclass(frozen=True)
class TemplateValues:
    """What values.toml says, as plain data."""

    migration_date: str = ""
    login_url: str = ""
    company: str = ""
    admin_email: str = ""
    group_dates: dict[str, str] = field(default_factory=dict)
    #: Group -> its scheduled start, as text; wins over values.toml (see `session_values`).
    scheduled: dict[str, str] = field(default_factory=dict)

    def date_for(self, group: str | None) -> str:
        if group:
            for dates in (self.scheduled, self.group_dates):
                for name, value in dates.items():
                    if name.casefold() == group.casefold() and value:
                        return value
        return self.migration_date


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_text(when: datetime, timezone: str) -> str:
    """Like "Saturday 28 November 2026, 17:00 EST": English whatever the locale, in the
    organisation's time zone (UTC when it has none or an unknown one)."""
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone)
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M} {local.tzname() or 'UTC'}"
    )


def with_schedules(
    values: TemplateValues, schedules: Mapping[str, datetime], timezone: str
) -> TemplateValues:
    """`values` with each scheduled group's start time as its migration date."""
    scheduled = {name: date_text(when, timezone) for name, when in schedules.items()}
    return replace(values, scheduled=scheduled)


def session_values(folder: Path, store: SessionStore, clock: Clock) -> TemplateValues:
    """values.toml in `folder`, with the groups' start times from `[migration.schedule]`."""
    org = store.data.organisation
    schedules = Scheduler(store, clock).schedules()
    return with_schedules(load_values(folder), schedules, org.timezone if org else "")


def ensure_values(folder: Path) -> Path:
    path = folder / FILE_NAME
    if not path.exists():
        write_atomic(path, DEFAULT_TEXT.encode("utf-8"))
    return path


def load_values(folder: Path) -> TemplateValues:
    """Read values.toml; a mistake is a TemplateError with the file and line."""
    path = folder / FILE_NAME
    if not path.exists():
        return TemplateValues()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path, 1, f"cannot be read: {exc}.") from None
    return parse_values(path, text)


def parse_values(path: Path, text: str) -> TemplateValues:
    """Check and read the text of values.toml (`path` is named in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from(str(exc))
        raise TemplateError(path, line, f"not valid TOML: {str(exc).split(' (at')[0]}.") from None

    def text_of(table: dict[str, object], key: str, where: str) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            raise TemplateError(path, _line_of(text, key), f"{where} must be text in quotes.")
        return value.strip()

    groups: dict[str, str] = {}
    raw_groups = data.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise TemplateError(path, _line_of(text, "groups"), "'groups' must be a table.")
    for name, table in raw_groups.items():
        if not isinstance(table, dict):
            raise TemplateError(path, _line_of(text, name), f"groups.{name} must be a table.")
        groups[name] = text_of(table, "migration_date", f"groups.{name}.migration_date")
    return TemplateValues(
        migration_date=text_of(data, "migration_date", "migration_date"),
        login_url=text_of(data, "login_url", "login_url"),
        company=text_of(data, "company", "company"),
        admin_email=text_of(data, "admin_email", "admin_email"),
        group_dates=groups,
    )


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(key) or f'"{key}"' in line:
            return number
    return 1


def _line_from(message: str) -> int:
    marker = "line "
    if marker in message:
        digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0]
        if digits.isdigit():
            return int(digits)
    return 1
