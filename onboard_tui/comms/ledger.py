"""Per-user sent state in state.db (`comms_sent`): one row per template and user.

A row is written as "sending" with its Message-ID before the message leaves, then turned
into "sent" or "failed". A row left at "sending" (the process died in between) may or may
not have been delivered, so it is never sent again without the administrator's say-so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onboard_tui.session.statedb import StateDB

SENT = "sent"
FAILED = "failed"
SENDING = "sending"
NOT_SENT = "not sent"


@dataclass(frozen=True)
class SentRecord:
    """The last attempt of one template for one user."""

    template: str
    user: str
    status: str
    sent_at: datetime | None
    message_id: str
    error: str
    attempts: int


class SentLedger:
    """Reads and writes `comms_sent`."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def begin(self, template: str, user: str, message_id: str, at: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO comms_sent(template, user, status, message_id, error, attempts,
                       updated) VALUES (?, ?, ?, ?, '', 1, ?)
                   ON CONFLICT(template, user) DO UPDATE SET status=excluded.status,
                       message_id=excluded.message_id, error='', attempts=attempts + 1,
                       updated=excluded.updated""",
                (template, user, SENDING, message_id, at.isoformat()),
            )

    def sent(self, template: str, user: str, at: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE comms_sent SET status=?, sent_at=?, error='', updated=? "
                "WHERE template=? AND user=?",
                (SENT, at.isoformat(), at.isoformat(), template, user),
            )

    def failed(self, template: str, user: str, error: str, at: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE comms_sent SET status=?, error=?, updated=? WHERE template=? AND user=?",
                (FAILED, error[:500], at.isoformat(), template, user),
            )

    def records(self, template: str) -> dict[str, SentRecord]:
        """Every row of a template, keyed by the casefolded email."""
        rows = self.db.query(
            "SELECT template, user, status, sent_at, message_id, error, attempts "
            "FROM comms_sent WHERE template=?",
            (template,),
        )
        return {r[1].casefold(): _record(r) for r in rows}

    def record(self, template: str, user: str) -> SentRecord | None:
        rows = self.db.query(
            "SELECT template, user, status, sent_at, message_id, error, attempts "
            "FROM comms_sent WHERE template=? AND user=?",
            (template, user),
        )
        return _record(rows[0]) if rows else None

    def counts(self, template: str) -> dict[str, int]:
        rows = self.db.query(
            "SELECT status, count(*) FROM comms_sent WHERE template=? GROUP BY status",
            (template,),
        )
        return {str(s): int(n) for s, n in rows}


def _record(row: tuple[object, ...]) -> SentRecord:
    template, user, status, sent_at, message_id, error, attempts = row
    return SentRecord(
        template=str(template),
        user=str(user),
        status=str(status),
        sent_at=datetime.fromisoformat(str(sent_at)) if sent_at else None,
        message_id=str(message_id),
        error=str(error),
        attempts=int(str(attempts)),
    )
