"""The solution provider's spreadsheet: out (who needs a subscription), and back in.

The export goes through the directory's formula-neutralising writer, so a name such as
`=HYPERLINK(...)` stays text in Excel. The import reads any delimiter and encoding Excel
writes (the directory's sniffing) and reports each refused row with its line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from onboard_tui.directory.csvfile import header_and_rows
from onboard_tui.directory.exports import write_csv
from onboard_tui.subscriptions.model import ImportProblem, SubscriptionUser

HEADER = ("Email", "Name", "Subscription type", "Transfer Group", "Ready since", "Deadline")

_EMAIL = ("email", "e-mail", "email address", "mail", "user", "user email", "logon name")
_TYPE = ("subscription type", "subscription", "type", "offering", "product")
_STATUS = ("status", "state", "assignment", "assigned")
_YES = ("assigned", "active", "activated", "yes", "y", "true", "1", "done", "ok", "provisioned")


def export_rows(users: Sequence[SubscriptionUser], kind: str) -> list[tuple[str, ...]]:
    return [
        (
            u.email,
            u.name,
            u.type or kind,
            u.group,
            f"{u.ready_at:%Y-%m-%d}",
            f"{u.deadline:%Y-%m-%d}",
        )
        for u in users
    ]


def write_export(path: Path, users: Sequence[SubscriptionUser], kind: str) -> int:
    """Write the provider's CSV (UTF-8 with BOM, atomically); how many users."""
    return write_csv(path, HEADER, export_rows(users, kind))


@dataclass(frozen=True)
class ProviderRow:
    """One usable row: who, and the subscription type the provider gave (or "")."""

    line: int
    email: str
    type: str


def _column(headers: list[str], names: tuple[str, ...]) -> int | None:
    folded = [h.strip().casefold() for h in headers]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def read_provider_csv(
    path: Path, known: dict[str, str]
) -> tuple[list[ProviderRow], list[ImportProblem], int]:
    """(rows to assign, refused rows, data rows read). `known` maps casefolded addresses of
    users who need a subscription to their stored spelling."""
    _, headers, rows = header_and_rows(path)
    email_at = _column(headers, _EMAIL)
    if email_at is None:
        return [], [ImportProblem(1, "header", _no_email_column(headers))], 0
    type_at = _column(headers, _TYPE)
    status_at = _column(headers, _STATUS)
    found: list[ProviderRow] = []
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    count = 0
    for line, cells in rows:
        count += 1

        def cell(at: int | None, row: list[str] = cells) -> str:
            return row[at].strip() if at is not None and at < len(row) else ""

        email = cell(email_at).strip("<>").strip()
        head = headers[email_at]
        if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
            what = f"'{email[:60]}' is not an email address" if email else "is empty"
            problems.append(ImportProblem(line, head, what + "; give the user's address."))
            continue
        user = known.get(email.casefold())
        if user is None:
            problems.append(
                ImportProblem(
                    line,
                    head,
                    f"{email} is not a user who needs a subscription in this session "
                    "(import them in Step 3 and stage their migration first).",
                )
            )
            continue
        if user.casefold() in seen:
            problems.append(
                ImportProblem(
                    line, head, f"{email} is listed again (first on line {seen[user.casefold()]})."
                )
            )
            continue
        status = cell(status_at)
        if status_at is not None and status.casefold() not in _YES:
            problems.append(
                ImportProblem(
                    line,
                    headers[status_at],
                    f"says '{status[:40]}', not assigned: the provider has not assigned it yet.",
                )
            )
            continue
        kind = cell(type_at)
        if len(kind) > 64:
            problems.append(
                ImportProblem(line, headers[type_at or 0], "is longer than 64 characters.")
            )
            continue
        seen[user.casefold()] = line
        found.append(ProviderRow(line, user, kind))
    return found, problems, count


def _no_email_column(headers: list[str]) -> str:
    shown = ", ".join(h for h in headers if h)[:120] or "(none)"
    return (
        f"no column holds the users' email addresses (columns: {shown}); "
        "name one 'Email' and import again."
    )
