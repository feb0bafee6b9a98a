"""The migration's memory in state.db: jobs, copied items, skipped items, checkpoints.

One writer thread owns every write of the engine: the workers hand it rows, and it
commits them in batches (hundreds of rows, or every quarter second), in the order given,
so a job's "done" never lands before its last ledger row. A crash loses at most the
last uncommitted batch; those items are in the target already and are recognised there
on the next run (the IMAP target's lookup, the cloud API's idempotent PUT).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from onboard_tui.clock import Clock
from onboard_tui.mail.items import SkippedItem, folder_name
from onboard_tui.session.statedb import StateDB

log = logging.getLogger(__name__)

BATCH_ROWS = 500
BATCH_SECONDS = 0.25

# Per-user job states.
QUEUED = "queued"
RUNNING = "running"
PAUSED = "paused"
DONE = "done"
FAILED = "failed"
JOB_STATES = (QUEUED, RUNNING, PAUSED, DONE, FAILED)


@dataclass(frozen=True)
class CopiedRow:
    """An item stored in the target."""

    user: str
    source_id: str
    folder: str
    size: int
    target_ref: str
    target_uid: int | None


@dataclass
class JobRow:
    """One user's job as stored."""

    user: str
    group_name: str
    state: str = QUEUED
    reason: str = ""
    passes: int = 0
    items_total: int = 0
    bytes_total: int = 0
    items_done: int = 0
    bytes_done: int = 0
    items_skipped: int = 0
    attempts: int = 0
    started: str = ""
    finished: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """Where a folder stands: complete passes start the next (delta) scan at high_water."""

    validity: str = ""
    high_water: int = 0
    complete: bool = False


_JOB_COLUMNS = (
    "user, group_name, state, reason, passes, items_total, bytes_total, items_done, "
    "bytes_done, items_skipped, attempts, started, finished"
)


class Ledger:
    """Reads of the ledger (any thread) and the one writer thread."""

    def __init__(self, db: StateDB, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._queue: queue.Queue[tuple[str, object] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._flushed = threading.Condition()
        self._submitted = 0
        self._committed = 0
        self.error: Exception | None = None

    # --- reads ---------------------------------------------------------------------------

    def copied_ids(self, user: str, folder: str) -> set[str]:
        rows = self.db.query(
            "SELECT source_id FROM mail_ledger WHERE user = ? AND folder = ?", (user, folder)
        )
        return {r[0] for r in rows}

    def skipped_ids(self, user: str, folder: str) -> set[str]:
        rows = self.db.query(
            "SELECT source_id FROM mail_skipped WHERE user = ? AND folder = ?", (user, folder)
        )
        return {r[0] for r in rows}

    def high_target_uid(self, user: str, folder: str) -> int | None:
        row = self.db.query(
            "SELECT max(target_uid) FROM mail_ledger WHERE user = ? AND folder = ?", (user, folder)
        )
        return int(row[0][0]) if row and row[0][0] is not None else None

    def totals(self, user: str) -> tuple[int, int, int]:
        """(items copied, their bytes, items skipped) for a user."""
        copied = self.db.query(
            "SELECT count(*), coalesce(sum(size), 0) FROM mail_ledger WHERE user = ?", (user,)
        )[0]
        skipped = self.db.query("SELECT count(*) FROM mail_skipped WHERE user = ?", (user,))[0]
        return int(copied[0]), int(copied[1]), int(skipped[0])

    def checkpoint(self, user: str, folder: str) -> Checkpoint:
        rows = self.db.query(
            "SELECT validity, high_water, complete FROM mail_checkpoints "
            "WHERE user = ? AND folder = ?",
            (user, folder),
        )
        if not rows:
            return Checkpoint()
        return Checkpoint(str(rows[0][0]), int(rows[0][1]), bool(rows[0][2]))

    def job(self, user: str) -> JobRow | None:
        rows = self.db.query(
            f"SELECT {_JOB_COLUMNS} FROM mail_jobs WHERE user = ?",  # noqa: S608
            (user,),
        )
        return JobRow(*rows[0]) if rows else None

    def jobs(self, group: str | None = None) -> list[JobRow]:
        sql = f"SELECT {_JOB_COLUMNS} FROM mail_jobs"  # noqa: S608
        params: tuple[str, ...] = ()
        if group is not None:
            sql += " WHERE group_name = ? COLLATE NOCASE"
            params = (group,)
        return [JobRow(*r) for r in self.db.query(sql + " ORDER BY user", params)]

    # --- the writer ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mail-ledger", daemon=True)
            self._thread.start()

    def _put(self, kind: str, payload: object) -> None:
        if self.error is not None:
            raise self.error
        with self._flushed:
            self._submitted += 1
        self._queue.put((kind, payload))

    def copied(self, rows: Sequence[CopiedRow]) -> None:
        if rows:
            self._put("copied", list(rows))

    def skipped(self, user: str, items: Sequence[SkippedItem]) -> None:
        if items:
            self._put("skipped", (user, list(items)))

    def save_checkpoint(
        self, user: str, folder: str, cp: Checkpoint, items: int, size: int
    ) -> None:
        self._put("checkpoint", (user, folder, cp, items, size))

    def save_job(self, job: JobRow) -> None:
        self._put("job", JobRow(**vars(job)))

    def runtime(self, rows: Sequence[tuple[str, int, int, float, float, bool]]) -> None:
        self._put("runtime", list(rows))

    def add_error(self, user: str, group: str, message: str) -> None:
        self._put("error", (user, group, message))

    def call(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the writer thread, in order with the writes."""
        self._put("call", fn)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything handed over so far is committed."""
        if self._thread is None:
            return True
        with self._flushed:
            target = self._submitted
            return self._flushed.wait_for(
                lambda: self._committed >= target or self.error is not None, timeout
            )

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        batch: list[tuple[str, object]] = []
        rows = 0
        stop = False
        while not stop:
            deadline = self.clock.monotonic() + BATCH_SECONDS
            try:
                entry = self._queue.get(timeout=BATCH_SECONDS)
            except queue.Empty:
                entry = ("", None)
            while True:
                if entry is None:
                    stop = True
                    break
                if entry[0]:
                    batch.append(entry)
                    payload = entry[1]
                    rows += len(payload) if isinstance(payload, list) else 1
                if rows >= BATCH_ROWS or self.clock.monotonic() >= deadline:
                    break
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch and (stop or rows >= BATCH_ROWS or self._queue.empty()):
                self._commit(batch)
                batch, rows = [], 0

    def _commit(self, batch: list[tuple[str, object]]) -> None:
        stamp = self.clock.now().isoformat()
        try:
            with self.db.transaction() as conn:
                for kind, payload in batch:
                    _WRITERS[kind](conn, payload, stamp)
        except Exception as exc:  # the engine stops at its next write
            log.exception("state.db write failed")
            self.error = exc
        with self._flushed:
            self._committed += len(batch)
            self._flushed.notify_all()


def _copied(conn: object, payload: object, stamp: str) -> None:
    rows = payload if isinstance(payload, list) else []
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO mail_ledger VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(r.user, r.source_id, r.folder, r.size, r.target_ref, r.target_uid, stamp) for r in rows],
    )


def _skipped(conn: object, payload: object, stamp: str) -> None:
    user: str
    items: list[SkippedItem]
    user, items = payload  # type: ignore[misc]
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO mail_skipped VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                user,
                s.source_id,
                folder_name(s.folder),
                s.item_type,
                s.reason,
                s.detail,
                s.size,
                stamp,
            )
            for s in items
        ],
    )


def _checkpoint(conn: object, payload: object, stamp: str) -> None:
    user: str
    folder: str
    cp: Checkpoint
    items: int
    size: int
    user, folder, cp, items, size = payload  # type: ignore[misc]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO mail_checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (user, folder, cp.validity, cp.high_water, items, size, int(cp.complete), stamp),
    )


def _job(conn: object, payload: object, stamp: str) -> None:
    j = payload
    assert isinstance(j, JobRow)
    conn.execute(  # type: ignore[attr-defined]
        f"INSERT OR REPLACE INTO mail_jobs ({_JOB_COLUMNS}, updated) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            j.user,
            j.group_name,
            j.state,
            j.reason,
            j.passes,
            j.items_total,
            j.bytes_total,
            j.items_done,
            j.bytes_done,
            j.items_skipped,
            j.attempts,
            j.started,
            j.finished,
            stamp,
        ),
    )


def _runtime(conn: object, payload: object, stamp: str) -> None:
    rows = payload if isinstance(payload, list) else []
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT OR REPLACE INTO mail_runtime VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(s, c, t, i, b, int(r), stamp) for s, c, t, i, b, r in rows],
    )


def _error(conn: object, payload: object, stamp: str) -> None:
    user: str
    group: str
    message: str
    user, group, message = payload  # type: ignore[misc]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO mail_errors(at, user, group_name, message) VALUES (?, ?, ?, ?)",
        (stamp, user, group, message),
    )
    conn.execute(  # type: ignore[attr-defined]
        "DELETE FROM mail_errors WHERE id <= (SELECT max(id) - 200 FROM mail_errors)"
    )


def _call(conn: object, payload: object, stamp: str) -> None:
    if callable(payload):
        payload()


_WRITERS: dict[str, Callable[[object, object, str], None]] = {
    "copied": _copied,
    "skipped": _skipped,
    "checkpoint": _checkpoint,
    "job": _job,
    "runtime": _runtime,
    "error": _error,
    "call": _call,
}


def iso(when: datetime) -> str:
    return when.isoformat()
