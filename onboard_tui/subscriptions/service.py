"""SubscriptionService: Step 4 Assign subscriptions, blocking, for thread workers and tests.

Who needs a subscription comes from Step 3 (a migration job, or a scheduled Transfer
Group); what the cloud says (assigned, activated) is polled and kept in state.db, so the
screen, the counters and Step 5's gate read it without the network. Reminders go through
the communications service: its SMTP sending, rate limit and per-user sent state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from onboard_tui.clock import Clock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.errors import CloudError, CloudUnauthorised
from onboard_tui.cloud.models import CloudLogon, CloudUser
from onboard_tui.comms import ALL, Audience, CommsService, SendPlan, SendProgress, SendReport
from onboard_tui.comms.ledger import SENDING, SENT
from onboard_tui.mail.scheduler import Scheduler
from onboard_tui.mx.gate import UsersOfDomain
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import DomainRecord, SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore
from onboard_tui.subscriptions.config import SubscriptionConfig, SubscriptionError, read_config
from onboard_tui.subscriptions.deadline import deadline
from onboard_tui.subscriptions.model import (
    EVERYONE,
    NOT_ACTIVATED,
    NOT_ASSIGNED,
    AssignReport,
    Counters,
    Deadline,
    ImportReport,
    PollReport,
    SubscriptionPage,
)
from onboard_tui.subscriptions.provider_csv import read_provider_csv, write_export
from onboard_tui.subscriptions.reminders import TEMPLATE, ensure_template
from onboard_tui.subscriptions.table import SubscriptionTable

log = logging.getLogger(__name__)

#: Called after each user with (done, total, email).
Progress = Callable[[int, int, str], None]


class LogonNeeded(SubscriptionError):
    """The cloud needs the administrator's password again (it is never stored)."""


@dataclass(frozen=True)
class Overview:
    """Everything above Step 4's table, read in one call."""

    counters: Counters
    deadline: Deadline
    config: SubscriptionConfig
    last_poll: str


@dataclass(frozen=True)
class Reminders:
    """The reminder ready to send: the comms plan for the users not activated yet."""

    plan: SendPlan
    targets: int
    confirmation: str


class SubscriptionService:
    """Step 4 of one session (`service.subscriptions`)."""

    def __init__(
        self,
        store: SessionStore,
        cloud: CloudAccess,
        clock: Clock,
        comms: CommsService,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.cloud = cloud
        self.clock = clock
        self.comms = comms
        self.environ = environ
        self.table = SubscriptionTable(store.db)

    # --- what is known locally ---------------------------------------------------------

    def config(self) -> SubscriptionConfig:
        text = self.store.path.read_text(encoding="utf-8") if self.store.path.exists() else ""
        return read_config(self.store.doc, self.store.path, text)

    def refresh(self) -> int:
        """Take in users who became ready (Step 3) since the last look; how many."""
        if self.store.read_only:
            return 0
        groups = list(Scheduler(self.store, self.clock).schedules())
        return self.table.sync_needed(self.clock.now(), groups)

    def overview(self) -> Overview:
        config = self.config()
        self.refresh()
        last = self.table.last_poll()
        return Overview(
            counters=self.table.counters(),
            deadline=deadline(self.table.waiting_ready_times(), self.clock.now(), config),
            config=config,
            last_poll=f"{last:%Y-%m-%d %H:%M:%S} UTC" if last else "",
        )

    def page(
        self, which: str = EVERYONE, *, search: str = "", after: str = "", limit: int = 200
    ) -> SubscriptionPage:
        return self.table.users(
            self.config().deadline_days, which=which, search=search, after=after, limit=limit
        )

    # --- the provider's spreadsheet ----------------------------------------------------

    def export(self, path: Path | None = None, which: str = NOT_ASSIGNED) -> tuple[Path, int]:
        """The CSV for the solution provider's portal (default: users not yet assigned)."""
        config = self.config()
        self.refresh()
        users = []
        after = ""
        while True:
            page = self.table.users(config.deadline_days, which=which, after=after, limit=2000)
            users.extend(page.users)
            if page.after is None:
                break
            after = page.after
        stamp = self.clock.now().strftime("%Y%m%d-%H%M%S")
        target = path or self.store.folder / f"subscriptions-for-provider-{stamp}.csv"
        count = write_export(target, users, config.type)
        self._event("exported", f"{count} user(s) exported for the solution provider to {target}")
        return target, count

    def import_provider_csv(
        self, path: Path, *, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> ImportReport:
        """Read the provider's CSV back: each usable row is assigned (in the cloud when it
        allows it), each refused row is reported with its line and field."""
        self._writable()
        self.refresh()
        rows, problems, count = read_provider_csv(path, self.table.known(self.table.emails()))
        types = {r.email: r.type for r in rows}
        report = self._assign(
            [r.email for r in rows], types, by="provider-csv", progress=progress, stop=stop
        )
        self._event(
            "imported",
            f"provider CSV {path.name}: {len(report.assigned)} assigned, "
            f"{len(problems)} row(s) refused",
        )
        return ImportReport(str(path), count, report, problems)

    # --- the cloud ---------------------------------------------------------------------

    def mark_assigned(
        self,
        emails: Sequence[str],
        *,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> AssignReport:
        """Provision each user and assign the configured subscription through the cloud API."""
        self._writable()
        return self._assign(list(emails), {}, by="wizard", progress=progress, stop=stop)

    def _assign(
        self,
        emails: list[str],
        types: Mapping[str, str],
        *,
        by: str,
        progress: Progress | None,
        stop: threading.Event | None,
    ) -> AssignReport:
        config = self.config()
        if not emails:
            return AssignReport()
        logon = self._logon()
        names = self._names(emails)
        assigned: list[str] = []
        failed: list[tuple[str, str]] = []
        provider_only = False
        with self.cloud.client(self.store.data.geography) as client:
            for done, email in enumerate(emails, 1):
                if stop is not None and stop.is_set():
                    break
                kind = types.get(email) or config.type
                display, given, family = names.get(email.casefold(), (email, "", ""))
                try:
                    client.provision_user(logon, email, display or email, given, family)
                    user = client.assign_subscription(logon, email, kind)
                except CloudUnauthorised:
                    self.cloud.logon = None
                    raise LogonNeeded(
                        "The cloud logon has expired.", hint="Log on again with your password."
                    ) from None
                except CloudError as exc:
                    if exc.kind == "assigned-at-provider" and by == "provider-csv":
                        provider_only = True  # the provider's CSV is the record then
                        self.table.mark_assigned(email, kind, self.clock.now(), by)
                        assigned.append(email)
                    elif exc.kind == "assigned-at-provider":
                        raise SubscriptionError(
                            "This cloud service assigns subscriptions only in the solution "
                            "provider's portal.",
                            hint="Export the CSV (e), assign there, then import the "
                            "provider's CSV back (i).",
                        ) from None
                    else:
                        failed.append((email, str(exc)))
                else:
                    at = user.assigned_at or self.clock.now()
                    self.table.mark_assigned(email, user.subscription_type or kind, at, by)
                    self.table.apply_cloud([user], self.clock.now())
                    assigned.append(email)
                if progress is not None:
                    progress(done, len(emails), email)
        report = AssignReport(assigned, failed, provider_only)
        self._event("assigned", report.summary)
        self._update_step()
        return report

    def poll(self) -> PollReport:
        """Ask the cloud who is assigned and activated; keep it in state.db."""
        self.refresh()
        logon = self._logon()
        try:
            with self.cloud.client(self.store.data.geography) as client:
                users: list[CloudUser] = client.all_users(logon)
        except CloudUnauthorised:
            self.cloud.logon = None
            raise LogonNeeded(
                "The cloud logon has expired.", hint="Log on again with your password."
            ) from None
        now = self.clock.now()
        if self.store.read_only:
            return PollReport(len(users), [], [], now)
        activated, assigned = self.table.apply_cloud(users, now)
        if activated:
            self._event(
                "activated", f"{len(activated)} user(s) activated: {', '.join(activated[:5])}"
            )
        self._update_step()
        return PollReport(len(users), activated, assigned, now)

    # --- reminders ---------------------------------------------------------------------

    def reminders(self, *, force: bool = False) -> Reminders:
        """The activation reminder for every assigned user who has not activated; users
        who already received it are left out unless `force` (the admin asks again)."""
        ensure_template(self.comms.folder)
        targets = {e.casefold() for e in self.table.emails(NOT_ACTIVATED)}
        full = self.comms.plan(TEMPLATE, Audience(ALL), force=True)
        records = self.comms.ledger.records(TEMPLATE)
        recipients = []
        already = uncertain = 0
        for r in full.recipients:
            if r.email.casefold() not in targets:
                continue
            record = records.get(r.email.casefold())
            if record is not None and record.status == SENT and not force:
                already += 1
            elif record is not None and record.status == SENDING and not force:
                uncertain += 1
            else:
                recipients.append(r)
        left_out = {
            email
            for email, record in records.items()
            if record.status in (SENT, SENDING) and not force
        }
        problems = [
            p
            for p in full.problems
            if p[0].casefold() in targets and p[0].casefold() not in left_out
        ]
        plan = replace(
            full,
            audience=Audience(ALL),
            force=force,
            recipients=recipients,
            already_sent=already,
            uncertain=uncertain,
            problems=problems,
        )
        text = self.comms.confirmation(plan).replace(
            "to all users", "to users who have not activated"
        )
        return Reminders(plan, len(targets), text)

    def send_reminders(
        self,
        reminders: Reminders,
        *,
        password: Secret | None = None,
        progress: Callable[[SendProgress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> SendReport:
        report = self.comms.send(reminders.plan, password=password, progress=progress, stop=stop)
        self._event(
            "reminded", f"activation reminder: {report.sent} sent, {len(report.failed)} failed"
        )
        return report

    # --- Step 5's gate -----------------------------------------------------------------

    def users_of_domain(self, record: DomainRecord) -> UsersOfDomain:
        """The gate's user conditions for a domain and its listed subdomains."""
        names = [record.name, *record.subdomains]
        total, not_migrated, no_delta, not_active = self.table.domain_facts(names)
        return UsersOfDomain(total, tuple(not_migrated), tuple(no_delta), tuple(not_active))

    # --- the logon ---------------------------------------------------------------------

    def needs_logon(self) -> bool:
        return self._logon_or_none() is None

    def log_on(self, password: Secret) -> None:
        """Log on as the company administrator; the token lives in memory only."""
        self.cloud.log_on(self.store.data, password, SubscriptionError)

    def _logon_or_none(self) -> CloudLogon | None:
        return self.cloud.valid_logon(self.store.data, self.environ, SubscriptionError)

    def _logon(self) -> CloudLogon:
        return self.cloud.require_logon(
            self.store.data, self.environ, SubscriptionError, LogonNeeded
        )

    # --- small parts -------------------------------------------------------------------

    def _names(self, emails: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        marks = ",".join("?" * len(emails))
        rows = self.store.db.query(
            f"SELECT email, display_name, first_name, last_name FROM users "  # noqa: S608
            f"WHERE email IN ({marks})",
            list(emails),
        )
        return {str(r[0]).casefold(): (str(r[1]), str(r[2]), str(r[3])) for r in rows}

    def _writable(self) -> None:
        if self.store.read_only:
            raise SubscriptionError("This session is open read-only: another onboard-tui has it.")

    def _event(self, kind: str, message: str) -> None:
        if not self.store.read_only:
            self.store.db.add_event(self.clock.now(), StepId.SUBSCRIBE, kind, message)
        log.info("subscriptions: %s", message)

    def _update_step(self) -> None:
        """Step 4 is done when everyone who needs a subscription has one and is active;
        it needs attention when a provisioning deadline has passed."""
        if self.store.read_only:
            return
        counters = self.table.counters()
        late = deadline(self.table.waiting_ready_times(), self.clock.now(), self.config())
        now = self.clock.now()

        def change(data: SessionData) -> None:
            step = data.step_record(StepId.SUBSCRIBE)
            if late.level == "overdue":
                step.state, step.reason = StepState.ATTENTION, late.sentence
            elif counters.needing and counters.activated == counters.needing:
                step.state, step.reason = StepState.DONE, ""
            else:
                step.state, step.reason = StepState.IN_PROGRESS, ""
            step.updated = now
            data.last_activity = (
                f"Assign subscriptions: {counters.assigned} of {counters.needing} assigned, "
                f"{counters.activated} activated."
            )

        self.store.update(change)
