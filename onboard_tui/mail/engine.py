"""The migration engine: per-user jobs in a worker pool, resumable at any instant.

A job opens the user's source and target mailbox once (one connection each, reused for
every folder), scans every folder's metadata, records what the Transfer Group Settings
leave out (with the reason), then copies the rest folder by folder in batches (at most
`batch_items` items or `batch_bytes` bytes read at a time, a large item alone). Each
stored batch goes to the ledger; a folder whose pass ends gets a checkpoint, so the next
(delta) pass scans only what is new.

Concurrency: `workers` threads run jobs (at most `group.concurrency` of a group at once);
every batch takes a slot from the ThrottleController, whose limit halves on a throttling
signal and grows back when calm. Pause, stop and SIGTERM are honoured between batches.

An item the target refuses for what it is (`ItemRefused`) is recorded as skipped with
the server's sentence and the job goes on; the skip record keeps later runs and delta
passes from sending it again. A link that breaks mid-job is reopened with the back-off,
and a connection refused while reopening is waited out the same way (`MAX_TRIES`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from onboard_tui.clock import Clock
from onboard_tui.mail.errors import (
    ItemRefused,
    LoginFailed,
    MailError,
    Stopped,
    Throttled,
    Unreachable,
)
from onboard_tui.mail.items import (
    MAIL,
    SKIP_NOT_AVAILABLE,
    ItemRef,
    MailItem,
    SkippedItem,
    folder_name,
)
from onboard_tui.mail.ledger import (
    DONE,
    FAILED,
    PAUSED,
    QUEUED,
    RUNNING,
    Checkpoint,
    CopiedRow,
    JobRow,
    Ledger,
)
from onboard_tui.mail.progress import OVERALL, ProgressSnapshot, RateMeter, aggregate
from onboard_tui.mail.rules import Selection
from onboard_tui.mail.source import MailSource, SourceFolder, SourceMailbox
from onboard_tui.mail.target import SKIP_REFUSED, MailTarget, TargetMailbox, uid_of
from onboard_tui.mail.throttle import ThrottleController
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import StateDB

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
BATCH_ITEMS = 200
BATCH_BYTES = 8 * 1024 * 1024
MAX_TRIES = 8
HEARTBEAT = 1.0


@dataclass
class GroupPlan:
    """A Transfer Group as the engine runs it."""

    name: str
    users: list[str]
    settings: TransferSettings
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass
class _Job:
    row: JobRow
    settings: TransferSettings
    throttle_events: int = 0


@dataclass
class _GroupState:
    plan: GroupPlan
    running: int = 0
    paused: bool = False
    throttle_events: int = 0
    meter: RateMeter = field(default_factory=RateMeter)
    rates: tuple[float, float] = (0.0, 0.0)


def batches(refs: Sequence[ItemRef], max_items: int, max_bytes: int) -> Iterator[list[ItemRef]]:
    """Consecutive runs of refs within both limits; an item over `max_bytes` goes alone."""
    chunk: list[ItemRef] = []
    size = 0
    for ref in refs:
        if chunk and (len(chunk) >= max_items or size + ref.size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(ref)
        size += ref.size
    if chunk:
        yield chunk


def refused_skip(item: MailItem, refusal: ItemRefused) -> SkippedItem:
    """The skip record of an item the target refused, with the server's sentence."""
    ref = item.ref
    return SkippedItem(
        ref.source_id, ref.folder, SKIP_REFUSED, refusal.detail, ref.size, ref.item_type
    )


class MigrationEngine:
    """Runs groups of per-user jobs from a source into a target, with a ledger in state.db."""

    def __init__(
        self,
        db: StateDB,
        source: MailSource,
        target: MailTarget,
        clock: Clock,
        *,
        workers: int = DEFAULT_CONCURRENCY,
        batch_items: int = BATCH_ITEMS,
        batch_bytes: int = BATCH_BYTES,
        throttle: ThrottleController | None = None,
    ) -> None:
        self.db = db
        self.source = source
        self.target = target
        self.clock = clock
        self.workers = max(1, workers)
        self.batch_items = batch_items
        self.batch_bytes = batch_bytes
        self.ledger = Ledger(db, clock)
        self.throttle = throttle or ThrottleController(clock, self.workers)
        # A source that retries busy answers itself (EWS) still reports each one here.
        listen = getattr(source, "listen_throttle", None)
        if callable(listen):
            listen(self.throttle.on_throttle)
        self._groups: dict[str, _GroupState] = {}
        self._jobs: dict[str, _Job] = {}
        self._queue: deque[str] = deque()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._errors: deque[str] = deque(maxlen=20)
        self._meter = RateMeter()
        self._rates = (0.0, 0.0)
        self._heartbeat: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------

    def start(self, groups: Sequence[GroupPlan], *, delta: bool = False) -> None:
        """Queue every user of `groups` whose job is not done (all of them for a delta pass)."""
        self.ledger.start()
        with self._lock:
            for plan in groups:
                state = self._groups.get(plan.name)
                if state is None:
                    state = self._groups[plan.name] = _GroupState(plan)
                state.plan = plan
                state.paused = False
                for user in plan.users:
                    self._enqueue(user, plan, delta=delta)
            self._lock.notify_all()
        self._spawn()

    def _enqueue(self, user: str, plan: GroupPlan, *, delta: bool) -> None:
        job = self._jobs.get(user)
        if job is not None and job.row.state in (RUNNING, QUEUED):
            return
        row = job.row if job is not None else self.ledger.job(user)
        if row is None:
            row = JobRow(user, plan.name)
        if row.state == DONE and not delta:
            self._jobs[user] = _Job(row, plan.settings)
            return
        row.group_name = plan.name
        row.state, row.reason = QUEUED, ""
        self._jobs[user] = _Job(row, plan.settings)
        self._queue.append(user)
        self.ledger.save_job(row)

    def _spawn(self) -> None:
        self._stop.clear()
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers:
            t = threading.Thread(
                target=self._work, name=f"mail-worker-{len(self._threads)}", daemon=True
            )
            self._threads.append(t)
            t.start()
        if self._heartbeat is None or not self._heartbeat.is_alive():
            self._heartbeat = threading.Thread(
                target=self._beat, name="mail-heartbeat", daemon=True
            )
            self._heartbeat.start()

    def pause(self, group: str | None = None) -> None:
        """Running jobs of the group stop after their current batch; queued ones wait."""
        with self._lock:
            for name, state in self._groups.items():
                if group is None or name.casefold() == group.casefold():
                    state.paused = True
            for user in list(self._queue):
                job = self._jobs[user]
                if self._groups[job.row.group_name].paused:
                    self._queue.remove(user)
                    job.row.state = PAUSED
                    self.ledger.save_job(job.row)

    def resume(self, group: str | None = None) -> None:
        with self._lock:
            for name, state in self._groups.items():
                if group is None or name.casefold() == group.casefold():
                    state.paused = False
            for user, job in self._jobs.items():
                if job.row.state == PAUSED and not self._groups[job.row.group_name].paused:
                    job.row.state = QUEUED
                    self._queue.append(user)
                    self.ledger.save_job(job.row)
            self._lock.notify_all()
        self._spawn()

    def retry_failed(self, group: str | None = None) -> int:
        """Queue the failed users again; how many."""
        count = 0
        with self._lock:
            for user, job in self._jobs.items():
                if job.row.state == FAILED and (
                    group is None or job.row.group_name.casefold() == group.casefold()
                ):
                    job.row.state, job.row.reason = QUEUED, ""
                    self._queue.append(user)
                    self.ledger.save_job(job.row)
                    count += 1
            self._lock.notify_all()
        self._spawn()
        return count

    def stop(self, timeout: float = 30.0) -> None:
        """Stop at the next batch boundary, checkpoint, and commit everything."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for t in self._threads:
            t.join(timeout)
        self._write_runtime(running=False)
        self.ledger.flush(timeout)
        self.ledger.stop()

    @property
    def started(self) -> bool:
        """Whether any group was given to this engine yet."""
        return bool(self._groups)

    def idle(self) -> bool:
        with self._lock:
            return not self._queue and not any(g.running for g in self._groups.values())

    def wait(self, timeout: float | None = None, poll: float = 0.05) -> bool:
        """Block until no job is queued or running; True if that happened in time."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.idle():
            if self._stop.is_set():
                return False
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(poll)
        self.ledger.flush()
        return True

    # --- workers -------------------------------------------------------------------------

    def _next(self) -> str | None:
        with self._lock:
            while not self._stop.is_set():
                for user in list(self._queue):
                    state = self._groups[self._jobs[user].row.group_name]
                    if not state.paused and state.running < state.plan.concurrency:
                        self._queue.remove(user)
                        state.running += 1
                        return user
                self._lock.wait(0.2)
            return None

    def _work(self) -> None:
        while True:
            user = self._next()
            if user is None:
                return
            job = self._jobs[user]
            try:
                self._run_job(job)
            finally:
                with self._lock:
                    self._groups[job.row.group_name].running -= 1
                    self._lock.notify_all()

    def _paused(self, job: _Job) -> bool:
        return self._stop.is_set() or self._groups[job.row.group_name].paused

    def _run_job(self, job: _Job) -> None:
        row = job.row
        row.state, row.reason = RUNNING, ""
        row.attempts += 1
        row.started = self.clock.now().isoformat()
        self.ledger.save_job(row)
        try:
            self._copy_user(job)
        except Stopped:
            row.state = PAUSED if not self._stop.is_set() else QUEUED
            row.reason = "paused" if row.state == PAUSED else "stopped; resumes on the next run"
        except LoginFailed as exc:
            self._fail(job, exc.message)
        except MailError as exc:
            self._fail(job, exc.message)
        except Exception as exc:
            log.exception("job of %s failed", row.user)
            self._fail(job, f"unexpected error: {exc}")
        else:
            row.state, row.reason = DONE, ""
            row.passes += 1
            row.finished = self.clock.now().isoformat()
        self.ledger.save_job(row)

    def _fail(self, job: _Job, message: str) -> None:
        job.row.state, job.row.reason = FAILED, message
        self._errors.appendleft(f"{job.row.user}: {message}")
        self.ledger.add_error(job.row.user, job.row.group_name, message)

    def _copy_user(self, job: _Job) -> None:
        user = job.row.user
        selection = Selection(
            job.settings,
            self.clock.now(),
            target_types=self.target.item_types,
            target_max_bytes=self.target.max_item_bytes,
        )
        absent = [
            SkippedItem(f"type:{t}", (), SKIP_NOT_AVAILABLE, f"{self.source.kind} source", 0, t)
            for t in job.settings.item_types
            if t not in self.source.item_types
        ]
        self.ledger.skipped(user, absent)
        src, tgt = self._open_pair(job)
        try:
            tries = 0
            while True:
                try:
                    plans = self._plan(job, src, selection)
                    break
                except Throttled as exc:  # a busy source while scanning: back off, rescan
                    tries += 1
                    self._back_off(job, exc, tries)
                    src.close()
                    tgt.close()
                    src, tgt = self._open_pair(job, reopen=True)
            for folder, validity, high_water, pending in plans:
                if self._paused(job):
                    raise Stopped
                src, tgt = self._copy_folder(job, src, tgt, folder, pending)
                name = folder_name(folder.path)
                self.ledger.save_checkpoint(
                    user, name, Checkpoint(validity, high_water, True), len(pending), 0
                )
        finally:
            src.close()
            tgt.close()

    def _open_pair(self, job: _Job, *, reopen: bool = False) -> tuple[SourceMailbox, TargetMailbox]:
        """Open the user's source and target mailboxes, waiting out busy servers.

        A connection that cannot be made fails a first open at once (a wrong host or
        port will not get better); when `reopen`ing links that worked in this job, it is
        a server restarting or overloaded, retried with the back-off like throttling.
        """
        tries = 0
        while True:
            try:
                src = self.source.open(job.row.user)
                try:
                    tgt = self.target.open(job.row.user)
                except BaseException:
                    src.close()
                    raise
                return src, tgt
            except Throttled as exc:
                tries += 1
                self._back_off(job, exc, tries)
            except Unreachable as exc:
                if not reopen:
                    raise
                tries += 1
                self._back_off(job, Throttled(exc.message, kind="connect"), tries)

    def _back_off(self, job: _Job, exc: Throttled, tries: int) -> None:
        if tries >= MAX_TRIES:
            if exc.kind == "connect":
                raise MailError(f"{exc.message} (still failing after {tries} tries)")
            raise MailError(f"still busy after {tries} tries: {exc.message}")
        delay = self.throttle.on_throttle(exc.retry_after)
        job.throttle_events += 1
        self._groups[job.row.group_name].throttle_events += 1
        log.info("%s: throttled (%s); waiting %.1f s", job.row.user, exc.message, delay)
        self._sleep(job, delay)

    def _sleep(self, job: _Job, seconds: float) -> None:
        end = self.clock.monotonic() + seconds
        while True:
            left = end - self.clock.monotonic()
            if left <= 0:
                return
            if self._paused(job):
                raise Stopped
            self.clock.sleep(min(left, 0.25))

    def _plan(
        self, job: _Job, src: SourceMailbox, selection: Selection
    ) -> list[tuple[SourceFolder, str, int, list[ItemRef]]]:
        """Scan every folder; record the skipped; totals for progress; what is left to copy."""
        user = job.row.user
        # A mail-only source skips whole folders when mail is not wanted; a source with
        # other types (EWS contacts, calendar, tasks) decides item by item.
        mail_only = self.source.item_types <= {MAIL}
        mail_reason = selection.type_reason(MAIL) if mail_only else None
        plans = []
        pending_items = 0
        pending_bytes = 0
        for folder in src.folders():
            name = folder_name(folder.path)
            cp = self.ledger.checkpoint(user, name)
            scan = src.scan(folder, cp.validity, cp.high_water if cp.complete else 0)
            done = self.ledger.copied_ids(user, name)
            skipped = self.ledger.skipped_ids(user, name)
            folder_reason = mail_reason or selection.folder_reason(folder.path, folder.special_use)
            new_skips: list[SkippedItem] = []
            pending: list[ItemRef] = []
            for ref in scan.refs:
                if ref.source_id in done or ref.source_id in skipped:
                    continue
                why = (folder_reason, "") if folder_reason else selection.item_reason(ref)
                if why:
                    new_skips.append(
                        SkippedItem(
                            ref.source_id, ref.folder, why[0], why[1], ref.size, ref.item_type
                        )
                    )
                else:
                    pending.append(ref)
            self.ledger.skipped(user, new_skips)
            plans.append((folder, scan.validity, max(scan.high_water, cp.high_water), pending))
            pending_items += len(pending)
            pending_bytes += sum(r.size for r in pending)
        copied, copied_bytes, skipped_count = self.ledger.totals(user)
        row = job.row
        with self._lock:
            row.items_done, row.bytes_done = copied, copied_bytes
            row.items_total, row.bytes_total = copied + pending_items, copied_bytes + pending_bytes
            row.items_skipped = skipped_count
        self.ledger.save_job(row)
        return plans

    def _copy_folder(
        self,
        job: _Job,
        src: SourceMailbox,
        tgt: TargetMailbox,
        folder: SourceFolder,
        pending: list[ItemRef],
    ) -> tuple[SourceMailbox, TargetMailbox]:
        if not pending:
            return src, tgt
        user = job.row.user
        name = folder_name(folder.path)
        high = self.ledger.high_target_uid(user, name)
        began = False
        for batch in batches(pending, self.batch_items, self.batch_bytes):
            tries = 0
            while True:
                if self._paused(job):
                    raise Stopped
                if not self.throttle.acquire(self._stop):
                    raise Stopped
                try:
                    if not began:
                        tgt.begin_folder(folder.path, folder.special_use, high)
                        began = True
                    items: list[MailItem] = []
                    skips: list[SkippedItem] = []
                    for got in src.read(folder, batch):
                        if isinstance(got, MailItem):
                            items.append(got)
                        else:
                            skips.append(got)
                    refs = list(tgt.store(folder.path, items)) if items else []
                except Throttled as exc:
                    self.throttle.release()
                    tries += 1
                    self._back_off(job, exc, tries)
                    # The connection may be gone and the batch may be half stored: reopen,
                    # and look again beyond what this job knows it stored.
                    src.close()
                    tgt.close()
                    src, tgt = self._open_pair(job, reopen=True)
                    began = False
                    continue
                self.throttle.release()
                self.throttle.on_success()
                break
            rows = []
            stored: list[MailItem] = []
            for item, ref in zip(items, refs, strict=True):
                if isinstance(ref, ItemRefused):
                    log.warning("%s: %s refused: %s", user, item.ref.source_id, ref.detail)
                    skips.append(refused_skip(item, ref))
                    continue
                stored.append(item)
                uid = uid_of(ref)
                if uid is not None:
                    high = max(high or 0, uid)
                rows.append(CopiedRow(user, item.ref.source_id, name, item.ref.size, ref, uid))
            self.ledger.copied(rows)
            self.ledger.skipped(user, skips)
            items = stored
            copied_bytes = sum(i.ref.size for i in items)
            with self._lock:
                job.row.items_done += len(items)
                job.row.bytes_done += copied_bytes
                job.row.items_skipped += len(skips)
                job.row.items_total -= len(skips)
                job.row.bytes_total -= sum(s.size for s in skips)
            self.ledger.save_job(job.row)
            del items
        return src, tgt

    # --- progress ------------------------------------------------------------------------

    def _beat(self) -> None:
        while not self._stop.is_set():
            self._write_runtime(running=True)
            self._stop.wait(HEARTBEAT)

    def _rows(self) -> list[JobRow]:
        with self._lock:
            return [JobRow(**vars(j.row)) for j in self._jobs.values()]

    def _measure(self) -> None:
        now = self.clock.monotonic()
        rows = self._rows()
        self._rates = self._meter.add(
            now, sum(r.items_done for r in rows), sum(r.bytes_done for r in rows)
        )
        for name, state in self._groups.items():
            mine = [r for r in rows if r.group_name == name]
            state.rates = state.meter.add(
                now, sum(r.items_done for r in mine), sum(r.bytes_done for r in mine)
            )

    def _write_runtime(self, *, running: bool) -> None:
        self._measure()
        t = self.throttle.state()
        rows = [(OVERALL, t.limit, t.events, self._rates[0], self._rates[1], running)]
        for name, state in self._groups.items():
            limit = min(t.limit, state.plan.concurrency)
            rows.append((name, limit, state.throttle_events, *state.rates, running))
        try:
            self.ledger.runtime(rows)
        except Exception:  # the writer's own error is reported by the jobs
            log.debug("runtime not written", exc_info=True)

    def snapshot(self) -> ProgressSnapshot:
        """The figures now, from memory (cheap: call it up to 4 times a second)."""
        rows = self._rows()
        t = self.throttle.state()
        groups = tuple(
            aggregate(
                name,
                [r for r in rows if r.group_name == name],
                items_per_s=state.rates[0],
                bytes_per_s=state.rates[1],
                concurrency=min(t.limit, state.plan.concurrency),
                throttle_events=state.throttle_events,
            )
            for name, state in self._groups.items()
        )
        overall = aggregate(
            OVERALL,
            rows,
            items_per_s=self._rates[0],
            bytes_per_s=self._rates[1],
            concurrency=t.limit,
            throttle_events=t.events,
        )
        return ProgressSnapshot(
            at=self.clock.now(),
            overall=overall,
            groups=groups,
            running=not self.idle(),
            throttled=t.throttled,
            concurrency=t.limit,
            max_concurrency=t.maximum,
            throttle_events=t.events,
            recent_errors=tuple(self._errors),
            live=True,
        )
