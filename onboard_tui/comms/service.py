"""CommsService: templates, preview, recipients, sending (SMTP) and the .eml dry run.

Everything here is blocking and plain Python: the wizard calls it from thread workers,
the tests directly. Progress goes to a callback; a `threading.Event` stops a run between
two messages (what was sent stays recorded).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from onboard_tui.clock import Clock
from onboard_tui.comms.ledger import FAILED, NOT_SENT, SENDING, SENT, SentLedger, SentRecord
from onboard_tui.comms.message import (
    AddressError,
    build_message,
    new_message_id,
    parse_address,
)
from onboard_tui.comms.ratelimit import RateLimiter
from onboard_tui.comms.smtp import Rejected, SmtpError, SmtpSender, Unconfirmed, describe
from onboard_tui.comms.templates import (
    SUFFIX,
    Template,
    TemplateError,
    ensure_defaults,
    load_template,
    parse_template,
    save_template_text,
    template_paths,
)
from onboard_tui.comms.values import (
    TemplateValues,
    ensure_values,
    parse_values,
    session_values,
)
from onboard_tui.directory.users import UserView, iter_users, page_users
from onboard_tui.errors import OnboardError
from onboard_tui.providers import Profile
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.atomic import write_atomic
from onboard_tui.session.model import SessionData, SmtpSettings
from onboard_tui.session.secrets import Secret, SecretRef
from onboard_tui.session.store import SessionStore

log = logging.getLogger(__name__)

#: Who a message goes to.
ALL, GROUP, NOT_YET, FAILED_ONLY = "all", "group", "not_sent", "failed"


class CommsError(OnboardError):
    """A communication that cannot be prepared or sent."""


class PasswordNeeded(CommsError):
    """`[smtp] password = "prompt"`: the caller must ask for it and call again."""


@dataclass(frozen=True)
class Audience:
    """`kind` is ALL, GROUP (with `group`), NOT_YET (never sent or failed) or FAILED_ONLY."""

    kind: str = NOT_YET
    group: str = ""

    def describe(self) -> str:
        return {
            ALL: "all users",
            GROUP: f"Transfer Group {self.group}",
            NOT_YET: "users not sent this message yet",
            FAILED_ONLY: "users whose last attempt failed",
        }[self.kind]


@dataclass(frozen=True)
class Preview:
    """A template rendered for one user, or the problem that stops it."""

    template: str
    email: str
    to: str
    sender: str
    subject: str
    body: str
    status: SentRecord | None
    problem: str = ""


@dataclass(frozen=True)
class Recipient:
    """A user whose message is rendered and ready to go."""

    email: str
    name: str
    subject: str
    body: str


@dataclass(frozen=True)
class SendPlan:
    """Who gets a template, and who is left out and why; what the confirmation shows."""

    template: str
    audience: Audience
    force: bool
    recipients: list[Recipient]
    already_sent: int = 0
    uncertain: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.recipients)


@dataclass(frozen=True)
class SendProgress:
    """Where a run stands, for the progress line."""

    template: str
    total: int
    sent: int
    failed: int
    per_minute: float
    current: str = ""

    @property
    def remaining(self) -> int:
        return self.total - self.sent - self.failed


@dataclass(frozen=True)
class SendReport:
    """What a run did; `stopped` if it was cancelled, `error` if the server failed it."""

    template: str
    total: int
    sent: int
    failed: list[tuple[str, str]]
    stopped: bool = False
    error: str = ""
    seconds: float = 0.0

    @property
    def remaining(self) -> int:
        return self.total - self.sent - len(self.failed)


@dataclass(frozen=True)
class ExportReport:
    """The dry run: where the .eml files are."""

    template: str
    folder: Path
    written: int


@dataclass(frozen=True)
class StatusRow:
    """One user's state for a template (the status table)."""

    email: str
    name: str
    group: str
    status: str
    sent_at: str
    error: str


@dataclass(frozen=True)
class TemplateInfo:
    """A template as the list shows it; `problem` when the file cannot be used."""

    name: str
    path: Path
    subject: str
    counts: Mapping[str, int]
    problem: str = ""


Progress = Callable[[SendProgress], None]


class CommsService:
    """Communications of one session (`service.comms`)."""

    def __init__(self, store: SessionStore, profile: Profile, clock: Clock) -> None:
        self.store = store
        self.profile = profile
        self.clock = clock
        self.folder = store.folder / "templates"
        self.ledger = SentLedger(store.db)

    # --- templates -----------------------------------------------------------------------

    def ensure_files(self) -> None:
        """Write the default templates and values.toml if missing (never overwrites)."""
        if self.store.read_only:
            return
        written = ensure_defaults(self.folder)
        ensure_values(self.folder)
        if written:
            log.info("wrote %d default template(s) in %s", len(written), self.folder)

    def templates(self) -> list[TemplateInfo]:
        self.ensure_files()
        result = []
        for path in template_paths(self.folder):
            name = path.name.removesuffix(SUFFIX)
            counts = self.ledger.counts(name)
            try:
                t = load_template(path)
            except TemplateError as exc:
                result.append(TemplateInfo(name, path, "", counts, problem=str(exc)))
            else:
                result.append(TemplateInfo(name, path, t.subject, counts))
        return result

    def template(self, name: str) -> Template:
        return load_template(self._path(name))

    def template_text(self, name: str) -> str:
        return self._path(name).read_text(encoding="utf-8")

    def check_template_text(self, name: str, text: str) -> Template:
        """TemplateError (file and line) if `text` cannot be saved as `name`."""
        return parse_template(self._path(name), text)

    def save_template(self, name: str, text: str) -> Template:
        self._writable()
        return save_template_text(self._path(name), text)

    @property
    def values_path(self) -> Path:
        return self.folder / "values.toml"

    def values_text(self) -> str:
        self.ensure_files()
        return self.values_path.read_text(encoding="utf-8")

    def save_values(self, text: str) -> None:
        """Check values.toml text (TemplateError with the line), then write it."""
        self._writable()
        parse_values(self.values_path, text)
        write_atomic(self.values_path, text.encode("utf-8"))

    def _path(self, name: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name):
            raise CommsError(f"'{name[:40]}' is not a template name (letters, digits, - and _).")
        return self.folder / (name + SUFFIX)

    def _writable(self) -> None:
        if self.store.read_only:
            raise CommsError("This session is open read-only: another onboard-tui has it.")

    # --- users and values ----------------------------------------------------------------

    def find_users(self, search: str, limit: int = 20) -> list[UserView]:
        return page_users(self.store.db, search=search, limit=limit, with_total=False).users

    def groups(self) -> list[str]:
        return [g.name for g in self.store.data.transfer_groups]

    def user_values(self, user: UserView, values: TemplateValues) -> dict[str, str]:
        data = self.store.data
        org = data.organisation
        first = user.first_name or user.display_name.split(" ")[0] or user.email.split("@")[0]
        return {
            "first_name": first,
            "last_name": user.last_name,
            "display_name": user.display_name or user.email,
            "email": user.email,
            "logon_name": user.email,
            "migration_date": values.date_for(user.group),
            "login_url": values.login_url
            or self.profile.login_url
            or (org.home_url if org else ""),
            "group": user.group or "",
            "company": values.company or (org.company if org else ""),
            "admin_email": values.admin_email or (org.admin_email if org else ""),
            "service_name": self.profile.name,
        }

    def preview(self, name: str, email: str) -> Preview:
        template = self.template(name)
        user = self._user(email)
        status = self.ledger.record(name, user.email)
        sender = self._sender_text()
        try:
            values = session_values(self.folder, self.store, self.clock)
            subject, body = template.render(self.user_values(user, values))
            to = str(parse_address(user.email, user.display_name, what="user address"))
        except OnboardError as exc:
            return Preview(name, user.email, user.email, sender, "", "", status, problem=str(exc))
        return Preview(name, user.email, to, sender, subject, body, status)

    def _user(self, email: str) -> UserView:
        found = [u for u in self.find_users(email, 50) if u.email.casefold() == email.casefold()]
        if not found:
            raise CommsError(f"No user {email} in this session.")
        return found[0]

    def _sender_text(self) -> str:
        smtp = self.store.data.smtp
        if smtp is None or not smtp.from_address:
            return "(set the From address in the SMTP settings)"
        try:
            return str(parse_address(smtp.from_address, smtp.from_name))
        except AddressError:
            return smtp.from_address

    # --- who gets it ---------------------------------------------------------------------

    def plan(self, name: str, audience: Audience, *, force: bool = False) -> SendPlan:
        """Render the template for every user of the audience; sent users are left out
        unless `force`; a user who cannot be rendered is listed with the reason."""
        template = self.template(name)
        values = session_values(self.folder, self.store, self.clock)
        records = self.ledger.records(name)
        if audience.kind == GROUP:
            if not audience.group:
                raise CommsError("Choose a Transfer Group.")
            users = iter_users(self.store.db, group=audience.group)
        else:
            users = iter_users(self.store.db)
        recipients: list[Recipient] = []
        problems: list[tuple[str, str]] = []
        already = uncertain = 0
        for user in users:
            record = records.get(user.email.casefold())
            status = record.status if record else NOT_SENT
            if audience.kind == FAILED_ONLY and status != FAILED:
                continue
            if status == SENT and not force:
                already += 1
                continue
            if status == SENDING and not force:
                uncertain += 1
                continue
            try:
                parse_address(user.email, what="user address")
                subject, body = template.render(self.user_values(user, values))
            except OnboardError as exc:
                problems.append(
                    (user.email, exc.message if isinstance(exc, TemplateError) else str(exc))
                )
                continue
            recipients.append(Recipient(user.email, user.display_name, subject, body))
        return SendPlan(name, audience, force, recipients, already, uncertain, problems)

    def confirmation(self, plan: SendPlan, *, export_to: Path | None = None) -> str:
        """The sentence the administrator confirms: how many messages go where."""
        smtp = self.store.data.smtp
        if export_to is not None:
            lines = [
                f"Write {plan.count} .eml file(s) of '{plan.template}' for "
                f"{plan.audience.describe()} to {export_to}/ in the session folder."
            ]
            lines.append("Nothing is sent and nothing is marked as sent.")
        else:
            where = describe(smtp) if smtp and smtp.host else "(no SMTP server set)"
            sender = smtp.from_address if smtp else ""
            rate = smtp.rate_per_minute if smtp else 0
            minutes = plan.count / rate if rate else 0
            lines = [
                f"Send {plan.count} message(s) of '{plan.template}' to "
                f"{plan.audience.describe()} through {where}, from {sender},",
                f"at most {rate} a minute (about {max(1, round(minutes))} minute(s)).",
            ]
        if plan.already_sent:
            lines.append(f"{plan.already_sent} user(s) already received it and are left out.")
        if plan.uncertain:
            lines.append(
                f"{plan.uncertain} user(s) were being sent it when onboard-tui stopped: "
                "left out (they may have it); send again with Force to include them."
            )
        if plan.force:
            lines.append("Force: users who already received it get it AGAIN.")
        if plan.problems:
            email, why = plan.problems[0]
            lines.append(
                f"{len(plan.problems)} user(s) cannot be written and are left out; "
                f"first: {email}: {why}"
            )
        return "\n".join(lines)

    # --- sending -------------------------------------------------------------------------

    def smtp_settings(self) -> SmtpSettings:
        return self.store.data.smtp or SmtpSettings()

    def _for_sending(self) -> SmtpSettings:
        """The settings with a relative `ca_file` taken from the session folder."""
        s = self.smtp_settings()
        if s.ca_file and not Path(s.ca_file).expanduser().is_absolute():
            return replace(s, ca_file=str(self.store.folder / s.ca_file))
        return s

    @property
    def demo_mail_folder(self) -> Path | None:
        """Where the demo's mail server delivers, when `[smtp]` points at it (else None)."""
        s, port = self.store.data.smtp, self.store.data.cloud.demo_smtp_port
        if s is None or not port or s.host != "127.0.0.1" or s.port != port:
            return None
        return self.store.folder / "demo-mail"

    def save_smtp(self, settings: SmtpSettings) -> None:
        self._writable()
        SecretRef.parse(settings.password, field="SMTP password") if settings.password else None
        if settings.from_address:
            parse_address(settings.from_address, what="From address")

        def change(data: SessionData) -> None:
            data.smtp = settings

        self.store.update(change)

    def password_needed(self) -> bool:
        s = self.smtp_settings()
        return bool(s.username) and s.password.strip() == "prompt"

    def _password(self, typed: Secret | None) -> Secret | None:
        s = self.smtp_settings()
        if not s.username:
            return None
        if not s.password:
            raise CommsError(
                f"[smtp] username is {s.username} but no password reference is set.",
                hint="Set the password to env:NAME, file:PATH or prompt in the SMTP settings.",
            )
        ref = SecretRef.parse(s.password, field="[smtp] password")
        if ref.needs_prompt:
            if typed is None:
                raise PasswordNeeded(f"The SMTP password of {s.username} is needed.")
            return typed
        return ref.resolve()

    def check_smtp(self, password: Secret | None = None) -> str:
        return SmtpSender(self._for_sending(), self._password(password)).check()

    def send(
        self,
        plan: SendPlan,
        *,
        password: Secret | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> SendReport:
        """Send the plan's messages at the configured pace, recording each outcome."""
        self._writable()
        settings = self.smtp_settings()
        if not settings.from_address:
            raise CommsError("No From address is set.", hint="Open the SMTP settings (m).")
        sender_addr = parse_address(settings.from_address, settings.from_name, what="From address")
        reply_to = (
            parse_address(settings.reply_to, what="Reply-To address") if settings.reply_to else None
        )
        secret = self._password(password)
        stop = stop or threading.Event()
        limiter = RateLimiter(self.clock, settings.rate_per_minute, stop=stop)
        started = self.clock.monotonic()
        sent = 0
        failed: list[tuple[str, str]] = []
        total = plan.count

        def report(current: str = "") -> None:
            if progress is None:
                return
            minutes = (self.clock.monotonic() - started) / 60
            rate = sent / minutes if minutes > 0 else 0.0
            progress(SendProgress(plan.template, total, sent, len(failed), rate, current))

        report()
        error = ""
        stopped = False
        with SmtpSender(self._for_sending(), secret) as smtp:
            for r in plan.recipients:
                if not limiter.acquire():
                    stopped = True
                    break
                if not plan.force and self._already_sent(plan.template, r.email):
                    continue  # another run sent it meanwhile
                at = self.clock.now()
                message_id = new_message_id(settings.from_address)
                message = build_message(
                    sender=sender_addr,
                    recipient=parse_address(r.email, r.name),
                    subject=r.subject,
                    body=r.body,
                    at=at,
                    message_id=message_id,
                    template=plan.template,
                    reply_to=reply_to,
                )
                self.ledger.begin(plan.template, r.email, message_id, at)
                try:
                    smtp.send(message, r.email)
                except Rejected as exc:
                    self.ledger.failed(plan.template, r.email, str(exc), self.clock.now())
                    failed.append((r.email, str(exc)))
                except Unconfirmed as exc:
                    # Left "sending": never sent again without force (see comms.ledger).
                    failed.append((r.email, exc.message))
                    error = str(exc)
                    break
                except SmtpError as exc:
                    self.ledger.failed(plan.template, r.email, exc.message, self.clock.now())
                    failed.append((r.email, exc.message))
                    error = str(exc)
                    break
                else:
                    self.ledger.sent(plan.template, r.email, self.clock.now())
                    sent += 1
                report(r.email)
        seconds = self.clock.monotonic() - started
        result = SendReport(plan.template, total, sent, failed, stopped, error, seconds)
        self._record(result)
        return result

    def _already_sent(self, template: str, email: str) -> bool:
        record = self.ledger.record(template, email)
        return record is not None and record.status in (SENT, SENDING)

    def _record(self, result: SendReport) -> None:
        now = self.clock.now()
        text = f"'{result.template}': {result.sent} sent, {len(result.failed)} failed"
        if result.remaining:
            why = "stopped" if result.stopped else "the server failed"
            text += f", {result.remaining} not sent ({why})"
        self.store.db.add_event(now, StepId.COMMUNICATE, "sent", text)
        log.info("communication %s", text)

        def change(data: SessionData) -> None:
            step = data.step_record(StepId.COMMUNICATE)
            if result.error or result.failed:
                step.state, step.reason = StepState.ATTENTION, text
            else:
                step.state, step.reason = StepState.IN_PROGRESS, ""
            step.updated = now
            data.last_activity = f"Communicate: {text}."

        self.store.update(change)

    def export(self, plan: SendPlan, folder: Path | None = None) -> ExportReport:
        """The dry run: one .eml file per recipient, nothing sent, nothing recorded."""
        settings = self.smtp_settings()
        sender = parse_address(
            settings.from_address or "comms@onboard-tui.invalid", settings.from_name
        )
        reply_to = parse_address(settings.reply_to) if settings.reply_to else None
        stamp = self.clock.now().strftime("%Y%m%d-%H%M%S")
        target = folder or self.store.folder / "outbox" / f"{plan.template}-{stamp}"
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        written = 0
        for r in plan.recipients:
            message = build_message(
                sender=sender,
                recipient=parse_address(r.email, r.name),
                subject=r.subject,
                body=r.body,
                at=self.clock.now(),
                message_id=new_message_id(sender.addr_spec),
                template=plan.template,
                reply_to=reply_to,
            )
            write_atomic(target / _file_name(r.email), bytes(message))
            written += 1
        self.store.db.add_event(
            self.clock.now(),
            StepId.COMMUNICATE,
            "exported",
            f"'{plan.template}': {written} .eml file(s) written to {target}",
        )
        return ExportReport(plan.template, target, written)

    # --- status --------------------------------------------------------------------------

    def status(self, name: str, *, search: str = "", limit: int = 500) -> list[StatusRow]:
        """Per-user state of a template: sent (when), failed (why), or not sent."""
        records = self.ledger.records(name)
        users = page_users(self.store.db, search=search, limit=limit, with_total=False).users
        rows = []
        for u in users:
            r = records.get(u.email.casefold())
            rows.append(
                StatusRow(
                    email=u.email,
                    name=u.display_name,
                    group=u.group or "",
                    status=r.status if r else NOT_SENT,
                    sent_at=r.sent_at.strftime("%Y-%m-%d %H:%M") if r and r.sent_at else "",
                    error=r.error if r else "",
                )
            )
        return rows

    def counts(self, name: str) -> dict[str, int]:
        counts = dict(self.ledger.counts(name))
        counts[NOT_SENT] = self.store.db.count_users() - sum(counts.values())
        return counts


def _file_name(email: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", email)[:200] + ".eml"
