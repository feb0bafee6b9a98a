"""`DomainService`: Step 2 for the screen and the CLI, on the session, the cloud and DNS.

Each domain lives in session.toml as a `DomainRecord` (key, previous key, Begin time,
verified time, latest status and message, name servers, RFC 2136 settings); every change
is also an event in state.db. The cloud issues keys, starts verification and restarts it;
this service checks every authoritative server itself (the `DnsChecker`) and keeps the
roadmap's Step 2 state. Every method may block (HTTP, DNS, fsync): call it from a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from onboard_tui.clock import Clock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.errors import CloudError, CloudUnauthorised
from onboard_tui.cloud.models import CloudDomain, CloudLogon
from onboard_tui.dns import (
    ADVICE,
    DnsChecker,
    DnsUpdater,
    RecordInstructions,
    UpdateResult,
    UpdateSettings,
    Verification,
    VerificationReport,
    parse_domain,
    parse_nameserver,
    read_back_verification,
    show,
    verification_instructions,
)
from onboard_tui.dns.tsig import parse_algorithm
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import DnsUpdateConfig, DomainRecord, SessionData
from onboard_tui.session.secrets import Secret, SecretRef
from onboard_tui.session.store import SessionStore

from .schedule import RestartRule, duration, next_check_at, restart_rule

log = logging.getLogger(__name__)

_CloudCall = Callable[[CloudClient, CloudLogon], CloudDomain]
_Change = Callable[[SessionData], None]

#: Statuses that need the admin to change something (the step needs attention).
PROBLEMS = {
    Verification.WRONG_TARGET,
    Verification.DOUBLED_NAME,
    Verification.DOUBLED_TARGET,
    Verification.WRONG_TYPE,
    Verification.OLD_KEY,
    Verification.UNREACHABLE,
}


class DomainError(OnboardError):
    """A Step 2 action that cannot be done, with the sentence saying why."""


class LogonNeeded(DomainError):
    """The cloud needs the administrator's password again (it is never stored)."""


@dataclass(frozen=True)
class DomainView:
    """One row of the Step 2 table, computed at `now`."""

    name: str
    subdomains: tuple[str, ...]
    key: str
    state: str  # what the Status column shows
    message: str
    agreeing: int
    total: int
    begun_at: datetime | None
    since_begin: str
    next_check: str
    next_check_at: datetime | None
    verified: bool
    restart: RestartRule
    has_update: bool


@dataclass(frozen=True)
class CheckOutcome:
    """A check of one domain: the local report and what the cloud said (when asked)."""

    domain: DomainRecord
    report: VerificationReport | None
    cloud: CloudDomain | None
    cloud_note: str = ""
    newly_verified: bool = False


@dataclass(frozen=True)
class RestartOutcome:
    """Restart Verification: the key changed from `old_key` to `new_key`."""

    domain: DomainRecord
    old_key: str
    new_key: str
    change: str  # the record change, old -> new, as zone-file lines


@dataclass(frozen=True)
class UnreachableUsers:
    """Users who cannot receive mail because their domain is not verified."""

    total: int
    by_domain: dict[str, int]


class DomainService:
    """The domains of the session through Step 2."""

    def __init__(
        self,
        store: SessionStore,
        cloud: CloudAccess,
        clock: Clock,
        *,
        checker: DnsChecker | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.store = store
        self.cloud = cloud
        self.clock = clock
        self.checker = checker or DnsChecker()
        self.environ = environ
        self.target = cloud.profile.cname_target
        self.reports: dict[str, VerificationReport] = {}
        self._lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------

    @property
    def domains(self) -> list[DomainRecord]:
        return self.store.data.domains

    def get(self, name: str) -> DomainRecord:
        found = self.store.data.domain(name)
        if found is None:
            # The cloud names a domain by its A-labels (xn--...); the list keeps Unicode.
            try:
                found = self.store.data.domain(show(parse_domain(name)).lower())
            except OnboardError:
                found = None
        if found is None:
            raise DomainError(f"{name} is not in the list of domains.")
        return found

    def views(self) -> list[DomainView]:
        now = self.clock.now()
        return [self.view(d, now) for d in self.domains]

    def view(self, record: DomainRecord, now: datetime | None = None) -> DomainView:
        now = now or self.clock.now()
        report = self.reports.get(record.name)
        due = next_check_at(record.begun_at, record.checked_at, verified=record.verified)
        if record.verified:
            state = "verified"
        elif not record.key:
            state = "no key yet"
        elif record.begun_at is None:
            state = "key issued"
        else:
            state = record.status or "pending"
        return DomainView(
            name=record.name,
            subdomains=tuple(record.subdomains),
            key=record.key,
            state=state,
            message=record.message,
            agreeing=report.agreeing if report else 0,
            total=report.total if report else 0,
            begun_at=record.begun_at,
            since_begin=duration(now - record.begun_at) if record.begun_at else "",
            next_check=_next_text(due, now, record),
            next_check_at=due,
            verified=record.verified,
            restart=restart_rule(record.begun_at, record.verified, now),
            has_update=record.update is not None,
        )

    def instructions(self, name: str) -> RecordInstructions:
        """The CNAME to create, in the forms DNS hosts ask for."""
        record = self.get(name)
        if not record.key:
            raise DomainError(
                f"{record.name} has no key yet: choose Verify Ownership to get it from the cloud."
            )
        update = record.update
        return verification_instructions(
            record.name,
            record.key,
            self.target,
            zone=update.zone if update and update.zone else None,
            server=update.server if update else "",
            port=update.port if update else 53,
        )

    # --- the list of domains -----------------------------------------------------------------

    def add_domain(self, name: str) -> DomainRecord:
        """List a domain (validated); a name under a listed root becomes its subdomain."""
        text = mail_domain(name)
        if self.store.data.domain(text) is not None or self._root_listing(text):
            raise DomainError(f"{text} is already listed.")
        root = next((d for d in self.domains if text.endswith("." + d.name)), None)
        if root is not None:
            return self.add_subdomain(root.name, text)
        # Listed domains below it that have not begun are verified with it, as the cloud
        # does: they become its subdomains instead of roots needing a Begin of their own.
        below = {
            d.name: d.subdomains
            for d in self.domains
            if d.name.endswith("." + text) and d.begun_at is None and not d.verified
        }
        record = DomainRecord(
            name=text, subdomains=sorted({*below, *(s for subs in below.values() for s in subs)})
        )

        def change(data: SessionData) -> None:
            data.domains = [d for d in data.domains if d.name not in below]
            data.domains.append(record)
            data.last_activity = f"Listed the domain {text}."

        self._save(change, "domain_added", f"Listed {text}.")
        return self.get(text)

    def add_subdomain(self, root: str, name: str) -> DomainRecord:
        """List `name` under the root it belongs to: verifying the root verifies it too."""
        record = self.get(root)
        text = mail_domain(name)
        if not text.endswith("." + record.name):
            raise DomainError(f"{text} is not under {record.name}.")
        if text in record.subdomains or self.store.data.domain(text) is not None:
            raise DomainError(f"{text} is already listed.")

        def change(data: SessionData) -> None:
            found = data.domain(record.name)
            assert found is not None
            found.subdomains = sorted([*found.subdomains, text])

        self._save(change, "subdomain_added", f"Listed {text} under {record.name}.")
        if record.key and self._logon_or_none() is not None:
            self._cloud(lambda c, logon: c.add_domain(logon, text))
        return self.get(record.name)

    def remove_domain(self, name: str) -> None:
        """Forget a domain (or a subdomain) here; the cloud keeps what it has verified."""
        text = name.strip().rstrip(".").lower()
        root = self._root_listing(text)
        if root is not None:

            def drop_sub(data: SessionData) -> None:
                found = data.domain(root.name)
                assert found is not None
                found.subdomains = [s for s in found.subdomains if s != text]

            self._save(drop_sub, "subdomain_removed", f"Removed {text} from {root.name}.")
            return
        record = self.get(text)

        def drop(data: SessionData) -> None:
            data.domains = [d for d in data.domains if d.name != record.name]

        self._save(drop, "domain_removed", f"Removed {record.name} from the list.")
        self.reports.pop(record.name, None)

    def _root_listing(self, name: str) -> DomainRecord | None:
        return next((d for d in self.domains if name in d.subdomains), None)

    # --- the cloud ---------------------------------------------------------------------

    def needs_logon(self) -> bool:
        return self._logon_or_none() is None

    def log_on(self, password: Secret) -> None:
        """Log on as the company administrator; the token lives in memory only."""
        self.cloud.log_on(self.store.data, password, DomainError)

    def _logon_or_none(self) -> CloudLogon | None:
        return self.cloud.valid_logon(self.store.data, self.environ, DomainError)

    def _logon(self) -> CloudLogon:
        return self.cloud.require_logon(self.store.data, self.environ, DomainError, LogonNeeded)

    def _cloud(self, call: _CloudCall) -> CloudDomain:
        logon = self._logon()
        try:
            with self.cloud.client(self.store.data.geography) as client:
                return call(client, logon)
        except CloudUnauthorised:
            self.cloud.logon = None
            raise LogonNeeded(
                "The cloud logon has expired.", hint="Log on again with your password."
            ) from None

    def verify_ownership(self, name: str) -> DomainRecord:
        """The seed's Verify Ownership: the cloud issues (or shows) the domain's unique key."""
        record = self.get(name)
        found = self._cloud(lambda c, logon: c.add_domain(logon, record.name))
        for sub in record.subdomains:
            self._cloud(lambda c, logon, s=sub: c.add_domain(logon, s))  # type: ignore[misc]
        self._adopt(found, "key_issued", f"The key of {record.name} is {found.key}.")
        return self.get(record.name)

    def begin(self, name: str) -> CheckOutcome:
        """Begin Verification in the cloud, after a check of every authoritative server."""
        record = self.get(name)
        if not record.key:
            record = self.verify_ownership(record.name)
        report = self._local_check(record)
        found = self._cloud(lambda c, logon: c.begin_verification(logon, record.name))
        newly = self._adopt(found, "begun", f"Began verification of {record.name}.", report)
        return CheckOutcome(self.get(record.name), report, found, newly_verified=newly)

    def check(self, name: str) -> CheckOutcome:
        """Check every authoritative server now, and ask the cloud how it stands."""
        record = self.get(name)
        if not record.key:
            raise DomainError(f"{record.name} has no key yet: choose Verify Ownership first.")
        report = self._local_check(record)
        found: CloudDomain | None = None
        note = ""
        if record.begun_at is not None and not record.verified:
            try:
                found = self._cloud(lambda c, logon: c.domain(logon, record.name))
            except LogonNeeded as exc:
                note = exc.message
            except CloudError as exc:
                note = f"The cloud could not be asked: {exc.message}"
        newly = False
        if found is not None:
            newly = self._adopt(found, "checked", "", report)
        else:
            self._record_report(record.name, report)
        return CheckOutcome(self.get(record.name), report, found, note, newly)

    def restart(self, name: str) -> RestartOutcome:
        """Restart Verification: a new key, allowed only 48 hours after Begin."""
        record = self.get(name)
        rule = restart_rule(record.begun_at, record.verified, self.clock.now())
        if not rule.allowed:
            raise DomainError(rule.reason)
        try:
            found = self._cloud(lambda c, logon: c.restart_verification(logon, record.name))
        except CloudError as exc:
            if exc.kind == "restart-too-early":
                when = exc.extensions.get("restart_allowed_at", "")
                raise DomainError(
                    exc.message,
                    hint=f"The cloud allows Restart from {when}." if when else "",
                ) from None
            raise
        old = record.key
        instructions_old = self.instructions(record.name)
        self._adopt(found, "restarted", f"Restarted verification of {record.name}: new key.")
        new = self.instructions(record.name)
        change = f"- {instructions_old.zone_line}\n+ {new.zone_line}"
        return RestartOutcome(self.get(record.name), old, found.key, change)

    def due(self) -> list[str]:
        """Domains whose automatic check is due now."""
        now = self.clock.now()
        return [
            d.name
            for d in self.domains
            if (at := next_check_at(d.begun_at, d.checked_at, verified=d.verified)) is not None
            and at <= now
        ]

    def next_due(self) -> datetime | None:
        """The earliest next automatic check of any domain."""
        times = [
            at
            for d in self.domains
            if (at := next_check_at(d.begun_at, d.checked_at, verified=d.verified)) is not None
        ]
        return min(times) if times else None

    # --- RFC 2136 --------------------------------------------------------------------------

    def set_update_settings(self, name: str, config: DnsUpdateConfig | None) -> DomainRecord:
        """Store (or clear) a domain's RFC 2136 settings, checked; never a secret value."""
        record = self.get(name)
        if config is not None:
            config = check_update_config(config)

        def change(data: SessionData) -> None:
            found = data.domain(record.name)
            assert found is not None
            found.update = config

        what = "cleared" if config is None else f"set to {config.server}:{config.port}"
        self._save(change, "update_settings", f"DNS update settings of {record.name} {what}.")
        return self.get(record.name)

    def create_record(self, name: str) -> tuple[UpdateResult, VerificationReport]:
        """Create the verification CNAME by RFC 2136, then read it back from every server."""
        record = self.get(name)
        if not record.key:
            raise DomainError(f"{record.name} has no key yet: choose Verify Ownership first.")
        updater = self._updater(record)
        result = updater.create_verification_record(record.name, record.key, self.target)
        report = read_back_verification(
            self.checker,
            record.name,
            record.key,
            self.target,
            nameservers=record.nameservers,
            clock=None,
        )
        self._record_report(record.name, report)
        self._event("record_created", f"Created {record.key}.{record.name} CNAME {self.target}.")
        return result, report

    def remove_record(self, name: str) -> tuple[UpdateResult, VerificationReport]:
        """Remove the CNAME once verified (the seed: you can now remove it), read back."""
        record = self.get(name)
        if not record.verified:
            raise DomainError(
                f"{record.name} is not verified yet: keep the CNAME record until it is."
            )
        updater = self._updater(record)
        result = updater.remove_verification_record(record.name, record.key)
        report = read_back_verification(
            self.checker,
            record.name,
            record.key,
            self.target,
            present=False,
            nameservers=record.nameservers,
        )
        self._event("record_removed", f"Removed {record.key}.{record.name} CNAME.")
        return result, report

    def _updater(self, record: DomainRecord) -> DnsUpdater:
        config = record.update
        if config is None:
            raise DomainError(
                f"{record.name} has no DNS update settings.",
                hint="Enter the server, zone and TSIG key, or create the record at your DNS host.",
            )
        settings = UpdateSettings(
            server=config.server,
            port=config.port,
            zone=config.zone,
            key_name=config.key_name,
            algorithm=config.algorithm,
            secret=SecretRef.parse(config.secret, field="secret") if config.secret else None,
        )
        return DnsUpdater(settings, checker=self.checker, environ=self.environ)

    def save_instructions(self, name: str, path: Path) -> Path:
        """Write the record in every form (no secret in it) to a file, for SSH sessions."""
        text = instructions_text(self.instructions(name))
        path = path.expanduser()
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DomainError(f"Cannot write {path}: {exc.strerror or exc}.") from None
        self._event("saved", f"Saved the record of {name} to {path}.")
        return path

    # --- users ---------------------------------------------------------------------------

    def verified_names(self) -> set[str]:
        names: set[str] = set()
        for d in self.domains:
            if d.verified:
                names.add(d.name)
                names.update(d.subdomains)
        return names

    def users_unable_to_receive(self) -> UnreachableUsers:
        """Users whose address is on a domain that is not verified (they get no mail)."""
        rows = self.store.db.query(
            "SELECT lower(substr(email, instr(email, '@') + 1)) AS d, count(*) "
            "FROM users GROUP BY d"
        )
        verified = self.verified_names()
        by_domain = {str(d): int(n) for d, n in rows if str(d) not in verified}
        return UnreachableUsers(sum(by_domain.values()), by_domain)

    def unable_to_receive(self, email: str) -> bool:
        """True when mail to `email` cannot reach the user yet (its domain is not verified)."""
        return email.rpartition("@")[2].lower() not in self.verified_names()

    # --- plumbing --------------------------------------------------------------------------

    def _local_check(self, record: DomainRecord) -> VerificationReport:
        return self.checker.check_domain(
            record.name,
            record.key,
            self.target,
            previous_key=record.previous_key or None,
            nameservers=record.nameservers,
        )

    def _record_report(self, name: str, report: VerificationReport) -> None:
        self.reports[name] = report
        now = self.clock.now()
        before = self.get(name).status

        def change(data: SessionData) -> None:
            found = data.domain(name)
            assert found is not None
            found.status, found.message, found.checked_at = report.status, report.message, now
            _step_state(data, now)

        self.store.update(change)
        if before != report.status:
            self._event("status", f"{name}: {report.status} ({report.agreeing}/{report.total}).")

    def _adopt(
        self,
        found: CloudDomain,
        kind: str,
        message: str,
        report: VerificationReport | None = None,
    ) -> bool:
        """Take the cloud's key, Begin time and verification; True when newly verified."""
        now = self.clock.now()
        record = self.get(found.name)
        if report is not None:
            self.reports[record.name] = report
        newly = found.status == "verified" and not record.verified

        def change(data: SessionData) -> None:
            d = data.domain(record.name)
            assert d is not None
            if found.key and found.key != d.key:
                d.previous_key = d.key
                d.key = found.key
            d.begun_at = found.begun_at or d.begun_at
            if found.status == "verified":
                d.verified_at = d.verified_at or found.verified_at or now
            if report is not None:
                d.status, d.message, d.checked_at = report.status, report.message, now
            if newly:
                d.message = (
                    f"{d.name} is verified"
                    + (f" with {', '.join(d.subdomains)}" if d.subdomains else "")
                    + ": you may now remove the CNAME record."
                )
            data.last_activity = message or data.last_activity
            _step_state(data, now)

        self.store.update(change)
        if message:
            self._event(kind, message)
        if newly:
            self._event("verified", f"{record.name} is verified.")
        return newly

    def _save(self, change: _Change, kind: str, message: str) -> None:
        now = self.clock.now()

        def apply(data: SessionData) -> None:
            change(data)
            _step_state(data, now)

        self.store.update(apply)
        self._event(kind, message)

    def _event(self, kind: str, message: str) -> None:
        self.store.db.add_event(self.clock.now(), StepId.VERIFY, kind, message)


def _step_state(data: SessionData, now: datetime) -> None:
    """Step 2 is done when every domain is verified; attention (with why) on problems."""
    step = data.step_record(StepId.VERIFY)
    state, reason = StepState.IN_PROGRESS, ""
    if not data.domains:
        state = StepState.IN_PROGRESS if data.current_step is StepId.VERIFY else step.state
    elif all(d.verified for d in data.domains):
        state = StepState.DONE
    else:
        for d in data.domains:
            if d.verified:
                continue
            if d.status in PROBLEMS:
                state = StepState.ATTENTION
                reason = f"{d.name}: {ADVICE.get(d.status, d.message)}"
                break
            rule = restart_rule(d.begun_at, False, now)
            if rule.allowed:
                state = StepState.ATTENTION
                reason = f"{d.name} is not verified 48 hours after Begin: restart verification."
                break
    if (step.state, step.reason) != (state, reason):
        step.state, step.reason, step.updated = state, reason, now


def instructions_text(ins: RecordInstructions) -> str:
    """The record as copy-ready text: web-form fields, zone-file line, nsupdate script."""
    return "\n".join(
        [
            f"Verification record of {ins.domain}",
            "",
            *(f"{label}: {value}" for label, value in ins.fields()),
            "",
            "Zone-file line:",
            ins.zone_line,
            "",
            "nsupdate script:",
            ins.nsupdate,
        ]
    )


def _next_text(due: datetime | None, now: datetime, record: DomainRecord) -> str:
    if record.verified:
        return "done"
    if record.begun_at is None:
        return "after Begin"
    if due is None:
        return "stopped (48 h)"
    if due <= now:
        return "now"
    return "in " + duration(due - now)


def mail_domain(text: str) -> str:
    """A mail domain as listed (Unicode, lower case), or an error saying what is wrong.

    DNS names may hold underscores (`_dmarc`), host and mail domains may not: the cloud
    refuses them, so they are refused here before anything is stored.
    """
    name = parse_domain(text)
    shown = show(name).lower()
    if name.labels[-2].isdigit():
        raise DomainError(
            f"'{shown}' is not a mail domain: its last part is a number.",
            hint="Type a name such as renovations.com, not an address.",
        )
    bad = next((label for label in name.labels if b"_" in label), None)
    if bad is not None:
        raise DomainError(
            f"'{shown}' is not a mail domain: '{bad.decode('ascii')}' has an underscore.",
            hint="Use letters, digits and hyphens only.",
        )
    return shown


def check_update_config(config: DnsUpdateConfig) -> DnsUpdateConfig:
    """The settings cleaned up, or a DomainError saying what to fix (no I/O)."""
    server = config.server.strip()
    if not server:
        raise DomainError("Give the DNS server that accepts updates (its name or address).")
    try:
        parse_nameserver(server)
    except OnboardError as exc:
        raise DomainError(f"The update server: {exc.message}") from None
    if not 1 <= config.port <= 65535:
        raise DomainError("The port must be between 1 and 65535.")
    zone = config.zone.strip().rstrip(".").lower()
    if zone:
        parse_domain(zone, what="zone", min_labels=1)
    algorithm = parse_algorithm(config.algorithm or "hmac-sha256")
    secret = config.secret.strip()
    key_name = config.key_name.strip().rstrip(".")
    if key_name and not secret:
        raise DomainError(
            "Give where the TSIG secret is: env:VARIABLE or file:/path/to/file (mode 0600)."
        )
    if secret:
        ref = SecretRef.parse(secret, field="TSIG secret")
        if ref.needs_prompt:
            raise DomainError("Give the TSIG secret as env:VARIABLE or file:/path (mode 0600).")
        secret = str(ref)
    return replace(
        config, server=server, zone=zone, key_name=key_name, algorithm=algorithm, secret=secret
    )
