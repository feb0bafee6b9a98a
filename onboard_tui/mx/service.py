"""`MxService`: Step 5 for every domain of the session, blocking, for thread workers.

The switch is ONE RFC 2136 update whose prerequisite is the MX set the administrator was
shown. The previous set is written to session.toml *before* the update is sent, so an
Undo is possible even if this process dies right after the server applied it. Every
action leaves an event in state.db and moves Step 5's roadmap state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from onboard_tui.clock import Clock
from onboard_tui.dns import (
    DnsChecker,
    DnsError,
    DnsUpdater,
    MxPlan,
    MxRecord,
    MxReport,
    UpdateError,
    UpdateSettings,
    mx_instructions,
    plan_mx_switch,
    probe_smtp,
    read_back_mx,
)
from onboard_tui.providers import Profile
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.atomic import write_atomic
from onboard_tui.session.model import DomainRecord, SessionData
from onboard_tui.session.secrets import Secret, SecretRef
from onboard_tui.session.store import SessionStore

from .demo_smtp import DemoMailServer
from .gate import UsersOfDomain, name_matches, readiness
from .model import DomainMx, MxError, MxOutcome, SmtpCheck, absolute, records

log = logging.getLogger(__name__)

#: Update outcomes after which the server may have applied the change: keep mx_previous.
_OUTCOME_UNKNOWN = {"TIMEOUT", "UNREACHABLE", "UNSIGNED", "FORMERR"}


class MxService:
    """The MX set per domain, the gate, the SMTP probe, the switch, Undo and the watch.

    `checker` asks the name servers (the demo passes one pointed at its own server);
    `smtp_port` is where the SMTP host is probed (25 in real life). `demo_smtp` is the
    demo's own mail server (started and stopped by the facade): the probe goes there.
    """

    def __init__(
        self,
        store: SessionStore,
        profile: Profile,
        clock: Clock,
        *,
        checker: DnsChecker | None = None,
        smtp_port: int = 25,
        probe_timeout: float = 10.0,
        settle: float = 5.0,
        environ: Mapping[str, str] | None = None,
        demo_smtp: DemoMailServer | None = None,
        users: Callable[[DomainRecord], UsersOfDomain] | None = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.clock = clock
        self.checker = checker or DnsChecker()
        self.smtp_port = smtp_port
        self.probe_timeout = probe_timeout
        self.settle = settle
        self._environ = dict(environ) if environ is not None else None
        self._lock = threading.Lock()
        self._probe: SmtpCheck | None = None
        self._demo = demo_smtp
        #: The state of a domain's users (Steps 3 and 4) for the gate; None: not readable.
        self._users = users

    @property
    def probe_note(self) -> str:
        """What the screen must say about where the probe really goes (the demo)."""
        if self._demo is None:
            return ""
        return (
            "Demo: the sandbox's SMTP host exists nowhere, so the probe connects to the "
            "demo's own mail server on 127.0.0.1. Its certificate is signed by a CA made "
            "for this demo, which no real sending server trusts."
        )

    def close(self) -> None:
        """Nothing to stop: the demo mail server belongs to the facade."""

    # -- what is known without asking anybody ------------------------------------------

    @property
    def smtp_host(self) -> str:
        """The SMTP host of the session's geography, absolute ("" when none is chosen)."""
        geography = self.profile.geographies.get(self.store.data.geography)
        return geography.smtp_host.rstrip(".") + "." if geography else ""

    @property
    def geography_name(self) -> str:
        geography = self.profile.geographies.get(self.store.data.geography)
        return geography.name if geography else ""

    def domains(self) -> list[str]:
        """The session's domains (added in Step 2), in order."""
        return [d.name for d in self.store.data.domains]

    def record(self, domain: str) -> DomainRecord:
        found = self.store.data.domain(domain)
        if found is None:
            raise MxError(
                f"{domain} is not a domain of this session.",
                hint="Add it in Step 2 Verify domain first.",
            )
        return found

    def needs_secret(self, domain: str) -> bool:
        """The domain's TSIG secret must be typed in (`prompt`) before an update."""
        update = self.record(domain).update
        return bool(update and update.key_name and update.secret.strip() == "prompt")

    @property
    def last_probe(self) -> SmtpCheck | None:
        with self._lock:
            return self._probe

    def users_of(self, record: DomainRecord) -> UsersOfDomain | None:
        """The domain's users as Steps 3 and 4 left them (reads state.db)."""
        return self._users(record) if self._users is not None else None

    # -- looking ------------------------------------------------------------------------

    def inspect(self, domain: str) -> DomainMx:
        """Ask every authoritative server for the MX set; plan, records and the gate."""
        record = self.record(domain)
        host = self.smtp_host
        report = self.checker.check_mx(
            record.name, expect=host or None, nameservers=record.nameservers
        )
        return self._view(record, report)

    def inspect_all(self) -> list[DomainMx]:
        return [self.inspect(name) for name in self.domains()]

    def probe_smtp(self) -> SmtpCheck:
        """Look up the SMTP host's addresses (through DNS) and probe the first that answers."""
        host = self.smtp_host
        now = self.clock.now()
        if not host:
            check = SmtpCheck("", self.smtp_port, (), None, now, "is not known (no geography)")
        elif self._demo is not None:
            self._demo.name = host.rstrip(".")  # it greets as the geography's SMTP host
            port = self._demo.port
            probe = probe_smtp(self._demo.host, port, timeout=self.probe_timeout)
            check = SmtpCheck(host.rstrip("."), port, (self._demo.host,), probe, now)
        else:
            (target,) = self.checker.lookup_targets([host])
            shown = host.rstrip(".")
            if not target.addresses:
                check = SmtpCheck(shown, self.smtp_port, (), None, now, target.error)
            else:
                probe = None
                for address in target.addresses:
                    probe = probe_smtp(address, self.smtp_port, timeout=self.probe_timeout)
                    if probe.connected:
                        break
                check = SmtpCheck(shown, self.smtp_port, target.addresses, probe, now)
        with self._lock:
            self._probe = check
        log.info("SMTP probe: %s", check.message)
        return check

    # -- the switch ---------------------------------------------------------------------

    def apply(
        self, domain: str, plan: MxPlan, typed: str, *, secret: Secret | None = None
    ) -> MxOutcome:
        """Save the current set, send the switch as ONE guarded update, read it back.

        `typed` must be the domain name (the gate's confirmation). Raises `MxError` when
        the gate stops the switch, `UpdateError` when the server refused (with
        `prerequisite_failed` when the MX set changed since it was shown).
        """
        record = self.record(domain)
        if not name_matches(typed, record.name):
            raise MxError(
                f"Type the domain name {record.name} exactly to confirm the switch.",
                hint="Nothing was changed.",
            )
        host = self.smtp_host
        gate = readiness(record, None, self.last_probe, host, self.users_of(record))
        stops = [c for c in gate.stopping if c.key != "mx_known"]
        if stops:
            raise MxError(f"The switch cannot go ahead: {stops[0].reason}")
        if plan.is_noop:
            raise MxError(f"The MX set of {record.name} is already the new one: nothing to do.")
        if [r.exchange for r in plan.add] != [host]:
            raise MxError(f"The plan does not point to {host.rstrip('.')}: check again.")
        updater = self._updater(record, secret)
        now = self.clock.now()
        saved = (list(record.mx_previous), list(record.mx_applied), record.mx_switched_at)

        def remember(data: SessionData) -> None:
            found = _domain(data, record.name)
            found.mx_previous = _texts(plan.current)
            found.mx_applied = []
            found.mx_switched_at = None

        self.store.update(remember)
        self._event(now, "mx_apply", f"{record.name}: applying MX {_arrow(plan)}.")
        try:
            result = updater.apply_mx_plan(plan)
        except UpdateError as exc:
            if exc.code not in _OUTCOME_UNKNOWN:
                self._restore(record.name, saved)
            self._failed(record.name, exc)
            raise
        switched = self.clock.now()

        def done(data: SessionData) -> None:
            found = _domain(data, record.name)
            found.mx_applied = _texts(plan.add)
            found.mx_switched_at = switched

        self.store.update(done)
        report = self._read_back(record, plan)
        outcome = MxOutcome(record.name, False, plan, result, report, switched)
        self._event(
            switched,
            "mx_switched",
            f"{record.name}: MX switched to {_set(plan.add)}; "
            + ("every name server shows it." if outcome.confirmed else report.message),
        )
        self._update_step()
        return outcome

    def undo(self, domain: str, *, secret: Secret | None = None) -> MxOutcome:
        """Put the saved previous set back: the inverse update, guarded the same way."""
        record = self.record(domain)
        if not record.mx_applied or record.mx_switched_at is None:
            raise MxError(f"No MX switch of {record.name} is recorded: nothing to undo.")
        updater = self._updater(record, secret)
        zone = record.update.zone if record.update and record.update.zone else ""
        if not zone:
            zone = self.checker.find_zone(record.name).to_text()
        previous = records(record.mx_previous)
        plan = MxPlan(absolute(record.name), absolute(zone), records(record.mx_applied), previous)
        now = self.clock.now()
        self._event(now, "mx_undo", f"{record.name}: undoing the MX switch ({_arrow(plan)}).")
        try:
            result = updater.apply_mx_plan(plan)
        except UpdateError as exc:
            self._failed(record.name, exc)
            raise
        undone = self.clock.now()

        def clear(data: SessionData) -> None:
            found = _domain(data, record.name)
            found.mx_previous, found.mx_applied, found.mx_switched_at = [], [], None

        self.store.update(clear)
        report = self._read_back(record, plan)
        self._event(undone, "mx_undone", f"{record.name}: MX set back to {_set(previous)} (Undo).")
        self._update_step()
        return MxOutcome(record.name, True, plan, result, report, undone)

    # -- manual mode --------------------------------------------------------------------

    def begin_manual(self, domain: str, plan: MxPlan) -> None:
        """Keep the set shown as the previous one before the admin edits the records."""
        record = self.record(domain)
        if record.mx_switched_at is not None:
            return

        def remember(data: SessionData) -> None:
            _domain(data, record.name).mx_previous = _texts(plan.current)

        self.store.update(remember)
        self._event(
            self.clock.now(),
            "mx_manual",
            f"{record.name}: manual MX change started ({_arrow(plan)}).",
        )
        self._update_step()

    def watch(self, domain: str) -> DomainMx:
        """Check again; the first time every server shows only the new MX, record the switch."""
        view = self.inspect(domain)
        record = self.record(domain)
        if view.complete and record.mx_switched_at is None:
            at = self.clock.now()
            applied = view.report.current or ()

            def done(data: SessionData) -> None:
                found = _domain(data, record.name)
                found.mx_applied = _texts(applied)
                found.mx_switched_at = at

            self.store.update(done)
            self._event(
                at,
                "mx_switched",
                f"{record.name}: every name server lists only {self.smtp_host.rstrip('.')}.",
            )
            self._update_step()
            view = self._view(self.record(domain), view.report)
        return view

    def save_records(self, domain: str, plan: MxPlan, path: Path) -> Path:
        """Write the copy-ready records (and the nsupdate script, no secret) to a file."""
        text = self.records_text(domain, plan)
        target = path.expanduser()
        write_atomic(target, text.encode("utf-8"))
        self._event(self.clock.now(), "mx_saved", f"{domain}: MX records saved to {target}.")
        return target

    def records_text(self, domain: str, plan: MxPlan) -> str:
        """The switch as text to give a DNS host: delete these, add this, or run nsupdate."""
        record = self.record(domain)
        update = record.update
        steps = mx_instructions(
            plan, server=update.server if update else "", port=update.port if update else 53
        )
        lines = [
            f"; MX switch for {record.name}: after it, no mail is delivered to the old system.",
            "; Delete every one of these MX records:",
            *(f";   {line}" for line in steps.delete),
            "; Add:",
            *steps.zone_lines,
            "",
            steps.nsupdate,
        ]
        return "\n".join(lines)

    # -- the parts ----------------------------------------------------------------------

    def _view(self, record: DomainRecord, report: MxReport) -> DomainMx:
        host = self.smtp_host
        plan = None
        plan_error = ""
        if not host:
            plan_error = "No geography is chosen (Step 1): the SMTP host is not known."
        else:
            try:
                plan = plan_mx_switch(report, host)
            except DnsError as exc:
                plan_error = str(exc)
        steps = None
        if plan is not None:
            update = record.update
            steps = mx_instructions(
                plan, server=update.server if update else "", port=update.port if update else 53
            )
        return DomainMx(
            domain=record.name,
            smtp_host=host,
            report=report,
            plan=plan,
            plan_error=plan_error,
            instructions=steps,
            gate=readiness(record, report, self.last_probe, host, self.users_of(record)),
            can_update=record.update is not None,
            previous=tuple(record.mx_previous),
            applied=tuple(record.mx_applied),
            switched_at=record.mx_switched_at,
            checked_at=self.clock.now(),
            warnings=report.warnings,
        )

    def _updater(self, record: DomainRecord, secret: Secret | None) -> DnsUpdater:
        config = record.update
        if config is None:
            raise MxError(
                f"{record.name} has no DNS update settings (RFC 2136).",
                hint="Use the manual mode: give the records to your DNS host.",
            )
        ref = SecretRef.parse(config.secret, field="update_secret") if config.secret else None
        settings = UpdateSettings(
            server=config.server,
            port=config.port,
            zone=config.zone,
            key_name=config.key_name,
            algorithm=config.algorithm,
            secret=ref,
        )
        if ref is not None and ref.needs_prompt and secret is None:
            raise MxError(f"Type the TSIG secret of {config.key_name} to send the update.")
        return DnsUpdater(settings, checker=self.checker, secret=secret, environ=self._environ)

    def _read_back(self, record: DomainRecord, plan: MxPlan) -> MxReport:
        return read_back_mx(
            self.checker,
            plan,
            nameservers=record.nameservers,
            settle=self.settle,
            clock=self.clock,
        )

    def _restore(self, name: str, saved: tuple[list[str], list[str], datetime | None]) -> None:
        previous, applied, switched_at = saved

        def put_back(data: SessionData) -> None:
            found = _domain(data, name)
            found.mx_previous, found.mx_applied = previous, applied
            found.mx_switched_at = switched_at

        self.store.update(put_back)

    def _failed(self, name: str, exc: UpdateError) -> None:
        what = "nothing was applied" if exc.code not in _OUTCOME_UNKNOWN else "outcome unknown"
        self._event(self.clock.now(), "mx_failed", f"{name}: {exc.message} ({what}).")
        now = self.clock.now()

        def attention(data: SessionData) -> None:
            step = data.step_record(StepId.MX)
            step.state, step.reason, step.updated = StepState.ATTENTION, exc.message, now

        self.store.update(attention)

    def _update_step(self) -> None:
        data = self.store.data
        total = len(data.domains)
        switched = sum(1 for d in data.domains if d.mx_switched_at is not None)
        now = self.clock.now()
        if total and switched == total:
            state, reason = StepState.DONE, ""
        else:
            state = StepState.IN_PROGRESS
            reason = f"{switched} of {total} domains switched."

        def change(data: SessionData) -> None:
            step = data.step_record(StepId.MX)
            step.state, step.reason, step.updated = state, reason, now
            if state is StepState.DONE:
                data.last_activity = "MX switched: no mail reaches the old system any more."

        self.store.update(change)

    def _event(self, at: datetime, kind: str, message: str) -> None:
        self.store.db.add_event(at, StepId.MX, kind, message)
        log.info("%s", message)


def _domain(data: SessionData, name: str) -> DomainRecord:
    found = data.domain(name)
    if found is None:
        raise MxError(f"{name} is no longer a domain of this session.")
    return found


def _texts(records: Sequence[MxRecord]) -> list[str]:
    return [r.to_text() for r in records]


def _set(records: Sequence[MxRecord]) -> str:
    return ", ".join(f"{r.preference} {r.exchange.rstrip('.') or '.'}" for r in records) or (
        "(none)"
    )


def _arrow(plan: MxPlan) -> str:
    return f"{_set(plan.current)} -> {_set(plan.add)}"
