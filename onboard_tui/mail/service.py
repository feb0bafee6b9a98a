"""`MigrationService`: what the wizard's Staging/Dashboard/Complete tabs and `run` call.

It turns the session (Transfer Groups and their settings, members in state.db, the
`[migration]` section) into engine plans, runs one engine in this process when it holds
the session lock, and otherwise reads progress from state.db as an observer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from onboard_tui.clock import Clock
from onboard_tui.directory.settings import settings_for
from onboard_tui.mail.config import MigrationConfig, make_imap_target, make_source
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.mail.errors import MailError
from onboard_tui.mail.ledger import FAILED, QUEUED, RUNNING, JobRow, Ledger
from onboard_tui.mail.preflight import PreflightReport, run_preflight
from onboard_tui.mail.progress import ProgressSnapshot, combine, read_snapshot
from onboard_tui.mail.reports import FolderRow, UserReport, reconcile, user_reports
from onboard_tui.mail.scheduler import Scheduler
from onboard_tui.mail.source import MailSource
from onboard_tui.mail.status import user_migration_facts
from onboard_tui.mail.target import MailTarget
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

log = logging.getLogger(__name__)

#: Builds the cloud target when `[migration.target] kind = "cloud"` (the caller knows the
#: session's cloud access and logon; see onboard_tui.mail.cloud_target).
TargetFactory = Callable[[], MailTarget]


@dataclass(frozen=True)
class SkippedRow:
    """One item not copied, for the Complete tab and its CSV export."""

    user: str
    folder: str
    item_type: str
    reason: str
    detail: str
    size: int


class MigrationService:
    """Step 3's engine for one session: start, pause, resume, retry, delta, progress."""

    def __init__(
        self,
        store: SessionStore,
        clock: Clock,
        *,
        source: MailSource | None = None,
        target: MailTarget | None = None,
        cloud_target: TargetFactory | None = None,
        environ: Mapping[str, str] | None = None,
        batch_items: int | None = None,
        quota_bytes: int = 50 * 1024**3,
    ) -> None:
        self.store = store
        self.clock = clock
        self._source = source
        self._target = target
        self._cloud_target = cloud_target
        self.environ = environ
        self.batch_items = batch_items
        self.engine: MigrationEngine | None = None
        self.scheduler = Scheduler(store, clock)
        #: The mailbox quota the pre-flight measures against (the profile's).
        self.quota_bytes = quota_bytes
        self._earlier: tuple[tuple[str, ...], ProgressSnapshot | None] | None = None
        self._was_busy = False

    @property
    def observer(self) -> bool:
        """True when another process runs the migration and this one only watches."""
        return self.store.read_only

    def config(self) -> MigrationConfig:
        return MigrationConfig.from_document(self.store.doc)

    def source(self) -> MailSource:
        if self._source is None:
            self._source = make_source(self.config().source, self.environ)
        return self._source

    def target(self) -> MailTarget:
        if self._target is None:
            table = self.config().target
            kind = table.get("kind", "cloud")
            if kind == "imap":
                self._target = make_imap_target(table, self.environ)
            elif kind == "cloud":
                if self._cloud_target is None:
                    raise MailError(
                        "The cloud target needs the session's cloud logon.",
                        hint="Open the session in the wizard, or run onboard-tui run.",
                    )
                self._target = self._cloud_target()
            else:
                raise MailError(f"[migration.target] kind must be cloud or imap, not '{kind}'.")
        return self._target

    def group_names(self) -> list[str]:
        return [g.name for g in self.store.data.transfer_groups]

    def plans(self, groups: Sequence[str] | None = None) -> list[GroupPlan]:
        """The named groups (all when None) with their members and settings."""
        config = self.config()
        wanted = {g.casefold() for g in groups} if groups else None
        plans = []
        known = {g.name.casefold(): g.name for g in self.store.data.transfer_groups}
        for name in groups or self.group_names():
            if name.casefold() not in known:
                raise MailError(f"There is no Transfer Group named '{name}'.")
        for group in self.store.data.transfer_groups:
            if wanted is not None and group.name.casefold() not in wanted:
                continue
            users = [
                r[0]
                for r in self.store.db.query(
                    "SELECT email FROM users WHERE group_name = ? COLLATE NOCASE ORDER BY email",
                    (group.name,),
                )
            ]
            plans.append(
                GroupPlan(
                    group.name,
                    users,
                    settings_for(self.store.data, group.name),
                    config.concurrency_of(group.name),
                )
            )
        return plans

    def _engine(self) -> MigrationEngine:
        if self.observer:
            raise MailError(
                "Another onboard-tui runs this session's migration; this one only watches.",
                hint="Stop the other one (or the onboard-tui run service) to control it here.",
            )
        if self.engine is None:
            batch = self.batch_items or self.config().batch_items
            kwargs = {"batch_items": batch} if batch else {}
            self.engine = MigrationEngine(
                self.store.db,
                self.source(),
                self.target(),
                self.clock,
                workers=self.config().concurrency,
                **kwargs,  # type: ignore[arg-type]
            )
        return self.engine

    # --- control (Staging tab, run) ----------------------------------------------------

    def start(self, groups: Sequence[str] | None = None) -> None:
        """Start (or continue) the groups now; users already done are left alone."""
        self._engine().start(self.plans(groups))
        self.update_step()

    def update_step(self) -> None:
        """Step 3 on the roadmap, from state.db: in progress once a user has a job, done
        when every member of every Transfer Group is migrated, attention when one failed."""
        if self.store.read_only:
            return
        facts = user_migration_facts(self.store.db)
        if not facts:
            return
        members = [u for plan in self.plans() for u in plan.users]
        failed = sorted(f.email for f in facts.values() if f.state == FAILED)
        pending = [u for u in members if not (u in facts and facts[u].migrated)]
        if failed:
            state = StepState.ATTENTION
            reason = (
                f"{len(failed)} user(s) failed, first {failed[0]}: see the Dashboard, then "
                "Retry failed on the Staging tab."
            )
        elif members and not pending:
            state, reason = StepState.DONE, ""
        else:
            state, reason = StepState.IN_PROGRESS, ""
        record = self.store.data.steps.get(StepId.MIGRATE)
        if record is not None and (record.state, record.reason) == (state, reason):
            return
        now = self.clock.now()

        def change(data: SessionData) -> None:
            step = data.step_record(StepId.MIGRATE)
            step.state, step.reason, step.updated = state, reason, now

        self.store.update(change)

    def delta_pass(self, groups: Sequence[str] | None = None) -> None:
        """Copy only what arrived since the last pass, for every user of the groups."""
        self._engine().start(self.plans(groups), delta=True)

    def pause(self, group: str | None = None) -> None:
        if self.engine is not None:
            self.engine.pause(group)

    def resume(self, group: str | None = None) -> None:
        engine = self._engine()
        if not engine.started:  # a fresh process: paused jobs are in state.db
            engine.start(self.plans([group] if group else None))
        engine.resume(group)

    def retry_failed(self, group: str | None = None) -> int:
        engine = self._engine()
        if not engine.started:
            engine.start(self.plans([group] if group else None))
        return engine.retry_failed(group)

    def wait(self, timeout: float | None = None) -> bool:
        return self.engine.wait(timeout) if self.engine is not None else True

    def stop(self) -> None:
        """Checkpoint and stop (the runner calls this on SIGTERM/SIGHUP)."""
        if self.engine is not None:
            self.engine.stop()

    # --- the admin password, when the session says `prompt` ----------------------------

    def needs_password(self) -> bool:
        """True when starting needs the cloud admin password typed in (asked once)."""
        if self._target is not None or self.observer:
            return False
        needs = getattr(self._cloud_target, "needs_password", None)
        return bool(needs()) if callable(needs) else False

    def provide_password(self, password: Secret) -> None:
        provide = getattr(self._cloud_target, "provide", None)
        if callable(provide):
            provide(password)

    # --- schedules and the pre-flight ----------------------------------------------------

    def schedule(self, group: str, when: datetime | None) -> None:
        """Start `group` at `when` (None: unschedule); kept in session.toml."""
        self.plans([group])  # the group must exist
        self.scheduler.set(group, when)

    def start_due(self) -> list[str]:
        """Start the groups whose scheduled time has come; their names."""
        if self.observer:
            return []
        due = self.scheduler.take_due()
        known = {g.casefold() for g in self.group_names()}
        due = [g for g in due if g.casefold() in known]
        if due:
            log.info("schedule: starting %s", ", ".join(due))
            self.start(due)
        return due

    def preflight(self, group: str) -> PreflightReport:
        """The checks that must pass before `group` may start (blocking: a thread)."""
        plan = self.plans([group])[0]
        source = target = None
        source_error = target_error = ""
        try:
            source = self.source()
        except Exception as exc:
            source_error = str(exc)
        try:
            target = self.target()
        except Exception as exc:
            target_error = str(exc)
        return run_preflight(
            plan,
            source,
            target,
            source_error=source_error,
            target_error=target_error,
            domains=self.store.data.domains,
            quota_bytes=self.quota_bytes,
            now=self.clock.now(),
        )

    # --- the Complete tab ----------------------------------------------------------------

    def user_reports(self, group: str | None = None) -> list[UserReport]:
        return user_reports(self.store.db, group)

    def reconciliation(self, users: Sequence[str] | None = None) -> list[FolderRow]:
        """Per folder: a fresh source scan against what the target confirmed (slow)."""
        if users is None:
            users = [r.user for r in self.user_reports()]
        return reconcile(self.store.db, self.source(), users)

    # --- reading (Dashboard, Complete) -------------------------------------------------

    def snapshot(self) -> ProgressSnapshot:
        """From the engine when it runs here, else from state.db (observer)."""
        names = self.group_names()
        if self.engine is not None:
            live = self.engine.snapshot()
            busy = any(g.users.get(RUNNING, 0) or g.users.get(QUEUED, 0) for g in live.groups)
            if self._was_busy and not busy:  # a pass just ended: Step 3's state may change
                self.update_step()
            self._was_busy = busy
            # Groups of earlier runs, read once per set of groups this engine runs: while
            # this process holds the lock, nothing else changes their rows.
            others = tuple(n for n in names if live.group(n) is None)
            if self._earlier is None or self._earlier[0] != others:
                stored = read_snapshot(self.store.db, live.at, list(others)) if others else None
                self._earlier = (others, stored)
            return combine(live, self._earlier[1], names)
        return read_snapshot(self.store.db, self.clock.now(), names or None)

    def jobs(self, group: str | None = None) -> list[JobRow]:
        return Ledger(self.store.db, self.clock).jobs(group)

    def skipped(self, user: str | None = None) -> list[SkippedRow]:
        sql = "SELECT user, folder, item_type, reason, detail, size FROM mail_skipped"
        params: tuple[str, ...] = ()
        if user is not None:
            sql += " WHERE user = ?"
            params = (user,)
        return [SkippedRow(*r) for r in self.store.db.query(sql + " ORDER BY user, folder", params)]
