"""Feed an answers file to the real wizard, screen by screen, as an administrator would.

The driver presses the same keys and buttons a person uses (through Textual's Pilot), so
an automated run proves the screens themselves. It is idempotent: a step already done
(registered, domain verified, group complete, MX switched) is passed over, so running the
answers again after an interruption carries on where the session stands. When something
does not happen in time, the driver stops with a sentence and leaves the wizard to the
administrator.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import tomlkit
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Select, Static, TabbedContent, TextArea

from onboard_tui.answers import (
    Answers,
    CommunicateAnswers,
    MigrateAnswers,
    MxAnswers,
    SetupAnswers,
    SubscribeAnswers,
    UsersAnswers,
    VerifyAnswers,
)
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import StepId
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.secret_prompt import SecretPrompt

if TYPE_CHECKING:
    from onboard_tui.service import OnboardingService
    from onboard_tui.ui.app import OnboardApp

log = logging.getLogger(__name__)
W = TypeVar("W", bound=Widget)


class DriverStop(OnboardError):
    """The answers could not be carried out; the wizard is left to the administrator."""


@dataclass
class Outcome:
    """What the run did, for the notification and the exit status."""

    done: list[str] = field(default_factory=list)
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not self.stopped

    def summary(self) -> str:
        lines = [f"Answers: {line}" for line in self.done]
        if self.stopped:
            lines.append(f"Answers stopped: {self.stopped}")
        return "\n".join(lines) or "Answers: nothing to do."


class AnswersDriver:
    """Carries out one answers file on a running wizard."""

    def __init__(
        self, app: OnboardApp, answers: Answers, secrets: dict[str, Secret] | None = None
    ) -> None:
        self.app = app
        self.answers = answers
        self.secrets = secrets or {}
        self.pilot: Pilot[int] = Pilot(app)
        self.outcome = Outcome()

    @property
    def service(self) -> OnboardingService:
        assert self.app.service is not None
        return self.app.service

    async def run(self) -> Outcome:
        a = self.answers
        try:
            for name in a.steps:  # in the file's order: an announcement may come first
                await getattr(self, name)(getattr(a, name))
        except OnboardError as exc:
            self.outcome.stopped = str(exc)
        except Exception as exc:  # the wizard must stay usable whatever happened
            log.exception("answers driver failed")
            self.outcome.stopped = f"unexpected {type(exc).__name__}: {exc}"
        log.info("answers: %s", self.outcome.summary())
        return self.outcome

    # --- primitives ------------------------------------------------------------------------

    async def settle(self, seconds: float = 30.0) -> None:
        """Until the workers the last key started are done (bounded: some run for long)."""
        for _ in range(3):
            await self.pilot.pause()
            try:
                await asyncio.wait_for(self.app.workers.wait_for_complete(), seconds)
            except TimeoutError:
                return
        await self.pilot.pause()

    async def until(self, check: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.answer_prompts()
            if check():
                return
            await asyncio.sleep(0.1)
        raise DriverStop(f"{what} did not happen within {_duration(seconds)}.")

    async def answer_prompts(self) -> None:
        """The cloud asks for the administrator's password again (logon expired)."""
        screen = self.app.screen
        if not isinstance(screen, SecretPrompt) or getattr(screen, "_answered", False):
            return
        secret = self.secrets.get("cloud")
        if secret is None:
            raise DriverStop(
                "the wizard asks for a password the answers do not give "
                "(set admin_password at the top of the file, or [setup] password)."
            )
        screen._answered = True  # type: ignore[attr-defined]
        field_ = screen.query_one(Input)
        field_.focus()
        field_.value = secret.reveal()
        await self.pilot.press("enter")
        await self.settle()

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()
        await self.answer_prompts()

    def widget(self, selector: str, kind: type[W]) -> W:
        return self.app.screen.query_one(selector, kind)

    def text(self, selector: str) -> str:
        try:
            return str(self.widget(selector, Static).render())
        except Exception:
            return ""

    async def fill(self, selector: str, value: str) -> None:
        box = self.widget(selector, Input)
        box.focus()
        box.value = value
        await self.pilot.pause()

    async def choose(self, selector: str, search: str) -> None:
        """Open a Select, type to find the option, Enter: as the keyboard user does."""
        select = self.widget(selector, Select)
        select.focus()
        await self.pilot.press("enter", *search, "enter")
        await self.pilot.pause()

    async def click(self, selector: str) -> None:
        button = self.widget(selector, Button)
        if button.disabled:
            raise DriverStop(f"the button '{button.label}' is disabled.")
        button.press()
        await self.settle()

    async def go_to(self, step: StepId) -> None:
        self.app.go_to_step(step)
        await self.until(lambda: self.app.screen.name == step.value, 20, f"opening {step.value}")
        await self.settle()

    def cursor_to(self, table: DataTable[object], key: str) -> None:
        table.focus()
        table.move_cursor(row=table.get_row_index(key))

    def busy(self, group: str) -> bool:
        return any(w.group == group and w.is_running for w in self.app.workers)

    def note(self, line: str) -> None:
        self.outcome.done.append(line)
        self.app.notify(f"Answers: {line}", timeout=4, markup=False)

    # --- Step 1 ----------------------------------------------------------------------------

    async def setup(self, a: SetupAnswers) -> None:
        if self.service.session.organisation is not None:
            self.note("Step 1 already done: the organisation is registered.")
            return
        await self.go_to(StepId.SETUP)
        password = self.secrets["setup"].reveal()
        await self.fill("#admin_email", a.admin_email)
        await self.fill("#company", a.company)
        await self.fill("#password", password)
        await self.fill("#confirm", password)
        for select, search in (
            ("#country", a.country),
            ("#language", a.language),
            ("#timezone", a.timezone),
            ("#geography", a.geography),
        ):
            await self.choose(select, search.lower())
        terms = self.app.screen.query_one("#terms_accepted")
        if not getattr(terms, "value", False):
            terms.focus()
            await self.pilot.press("space")
        await self.click("#submit")
        await self.until(
            lambda: self.app.screen.name != "setup" or bool(self.text("#form-status")),
            60,
            "the registration",
        )
        if self.service.session.organisation is None:
            raise DriverStop(f"Step 1: {self.text('#form-status') or 'not registered.'}")
        await self.press("enter")  # "I have recorded them"
        self.note(f"Step 1 registered {a.admin_email}.")

    # --- Step 2 ----------------------------------------------------------------------------

    async def verify(self, a: VerifyAnswers) -> None:
        await self.go_to(StepId.VERIFY)
        table = self.widget("#domains", DataTable)
        for domain in a.domains:
            if domain not in {str(k.value) for k in table.rows}:
                table.focus()
                await self.prompt_key("a", domain)
                if domain not in {str(k.value) for k in table.rows}:
                    raise DriverStop(f"Step 2: {self.text('#verify-status')}")
        for sub in a.subdomains:
            parent = next((d for d in a.domains if sub.endswith("." + d)), "")
            record = self.service.session.domain(parent) if parent else None
            if record is None:
                raise DriverStop(f"Step 2: no domain in [verify] domains is the parent of {sub}.")
            if sub not in record.subdomains:
                self.cursor_to(table, parent)
                await self.prompt_key("s", sub)
        for domain in a.domains:
            await self.verify_one(table, domain, a)

    async def prompt_key(self, key: str, text: str) -> None:
        await self.pilot.press(key)
        await self.until(lambda: bool(self.app.screen.query("#prompt-input")), 10, "the prompt")
        await self.fill("#prompt-input", text)
        await self.press("enter")

    async def verify_one(self, table: DataTable[object], domain: str, a: VerifyAnswers) -> None:
        def record_verified() -> bool:
            record = self.service.session.domain(domain)
            return bool(record and record.verified)

        if record_verified():
            self.note(f"Step 2: {domain} was already verified.")
            return
        self.cursor_to(table, domain)
        await self.settle()
        for _ in range(2):  # again after the logon the cloud may ask for first
            if not str(table.get_cell(domain, "key")).strip(" -—"):
                self.cursor_to(table, domain)
                await self.press("o")
        if a.create_records:
            await self.press("c")
            status = self.text("#verify-status")
            if "read back" not in status:
                raise DriverStop(f"Step 2: creating the CNAME of {domain}: {status}")
        await self.press("b")
        deadline = time.monotonic() + a.wait_minutes * 60
        while not record_verified():
            if time.monotonic() > deadline:
                raise DriverStop(
                    f"Step 2: {domain} is not verified after {a.wait_minutes} min: "
                    f"{table.get_cell(domain, 'status')}."
                )
            await asyncio.sleep(5)
            self.cursor_to(table, domain)
            await self.press("n")
        if a.remove_records:
            await self.press("x")
        self.note(f"Step 2: {domain} verified.")

    # --- Step 3 ----------------------------------------------------------------------------

    async def users(self, a: UsersAnswers) -> None:
        await self.go_to(StepId.MIGRATE)
        if a.csv is not None:
            await self.import_csv(a)
        directory = self.service.directory
        if a.settings:
            await self.show_tab("settings")
            for setting in a.settings:
                if setting.name not in {s.name for s in directory.settings()}:
                    await self.new_setting(setting.name, setting.last_months, setting.max_item_mb)
        if a.groups:
            await self.show_tab("users")
            for group in a.groups:
                await self.make_group(group.name, group.rule, group.value)
            await self.show_tab("settings")
            for group in a.groups:
                if group.setting:
                    await self.assign(group.name, group.setting)

    async def migrate(self, a: MigrateAnswers) -> None:
        await self.go_to(StepId.MIGRATE)
        for name in a.start:
            await self.run_group(name, a)

    async def show_tab(self, tab: str) -> None:
        tabs = self.widget("#migrate-tabs", TabbedContent)
        tabs.active = tab
        await self.settle()

    async def import_csv(self, a: UsersAnswers) -> None:
        assert a.csv is not None
        await self.show_tab("users")
        await self.pilot.press("i")
        await self.until(lambda: bool(self.app.screen.query("#csv-path")), 10, "the import dialog")
        await self.fill("#csv-path", str(a.csv))
        await self.press("enter")
        await self.until(
            lambda: bool(self.text("#csv-format")) or bool(self.text("#csv-hint")),
            60,
            "reading the CSV file",
        )
        problems = self.widget("#csv-problems", DataTable).row_count
        if not self.text("#csv-format") or self.widget("#csv-import", Button).disabled:
            hint = self.text("#csv-hint")
            await self.press("escape")
            raise DriverStop(f"Step 3 import of {a.csv}: {hint or 'nothing to import.'}")
        if problems and not a.skip_rejected:
            await self.press("escape")
            raise DriverStop(
                f"Step 3 import of {a.csv}: {problems} rows have problems and "
                "[migrate] skip_rejected is false; nothing was imported."
            )
        difference = self.text("#csv-difference")
        await self.click("#csv-import")
        await self.until(lambda: not self.app.screen.query("#csv-path"), 60, "the import")
        self.note(f"Step 3 imported {a.csv.name}: {difference}")

    async def new_setting(self, name: str, months: int, max_mb: int) -> None:
        await self.click("#settings-new")
        await self.fill("#set-name", name)
        if months or max_mb:
            await self.choose("#set-mode", "sel")
        if months:
            await self.choose("#set-range", "the last")
            await self.fill("#set-range-value", str(months))
        if max_mb:
            await self.fill("#set-max", str(max_mb))
        await self.click("#settings-save")
        if name not in {s.name for s in self.service.directory.settings()}:
            raise DriverStop(f"Step 3: the setting '{name}' was not saved.")

    async def make_group(self, name: str, rule: str, value: str) -> None:
        directory = self.service.directory
        table = self.widget("#groups-table", DataTable)
        if name not in {g.name for g in directory.groups()}:
            table.focus()
            await self.prompt_key("n", name)
            if name not in {g.name for g in directory.groups()}:
                raise DriverStop(f"Step 3: the group '{name}' was not made.")
        if not rule:
            return
        self.cursor_to(table, name)
        await self.pilot.press("f")
        await self.until(lambda: bool(self.app.screen.query("#filter-rule")), 10, "the filter")
        self.widget("#filter-rule", Select).value = rule
        await self.fill("#filter-value", value)
        await self.click("#filter-run")
        await self.until(lambda: bool(self.text("#filter-preview")), 30, "the preview")
        if self.widget("#filter-save", Button).disabled:  # nobody joins or leaves
            await self.click("#filter-cancel")
            return
        await self.click("#filter-save")
        members = {g.name: g.members for g in directory.groups()}.get(name, 0)
        self.note(f"Step 3 group '{name}': {members} users ({rule} {value}).")

    async def assign(self, group: str, setting: str) -> None:
        self.cursor_to(self.widget("#assign-table", DataTable), group)
        await self.pilot.pause()
        self.widget("#assign-setting", Select).value = setting
        await self.click("#assign")
        chosen = {g.name: g.setting for g in self.service.directory.groups()}.get(group)
        if chosen != setting:
            raise DriverStop(f"Step 3: '{setting}' was not assigned to '{group}'.")

    async def run_group(self, name: str, a: MigrateAnswers) -> None:
        migration = self.service.migration
        members = len(next((p.users for p in migration.plans() if p.name == name), []))

        def done_users() -> int:
            group = migration.snapshot().group(name)
            return dict(group.users).get("done", 0) if group else 0

        def idle() -> bool:
            group = migration.snapshot().group(name)
            users = dict(group.users) if group else {}
            return not users.get("running", 0) and not users.get("queued", 0)

        await self.show_tab("staging")
        table = self.widget("#staging-table", DataTable)
        await self.until(lambda: name in {str(k.value) for k in table.rows}, 20, "the groups")
        if done_users() < members or not members:
            self.cursor_to(table, name)
            await self.pilot.press("s")
            await self.until(
                lambda: bool(self.app.screen.query("#preflight-yes, #preflight-no")),
                120,
                f"the pre-flight of '{name}'",
            )
            if not self.app.screen.query("#preflight-yes"):
                checks = self.text("#preflight-checks")
                await self.press("escape")
                raise DriverStop(f"Step 3: the pre-flight of '{name}' failed. {checks}")
            await self.click("#preflight-yes")
            wait = a.wait_minutes * 60
            await self.until(lambda: done_users() >= members and idle(), wait, f"'{name}'")
            failed = migration.snapshot().group(name)
            self.note(f"Step 3 migrated '{name}': {done_users()} of {members} users.")
            if failed and dict(failed.users).get("failed", 0):
                raise DriverStop(f"Step 3: some users of '{name}' failed; see the Dashboard.")
        if a.delta_pass:
            self.cursor_to(table, name)
            await self.press("d")
            await asyncio.sleep(1.0)
            await self.until(idle, a.wait_minutes * 60, f"the delta pass of '{name}'")
            self.note(f"Step 3 delta pass of '{name}' done.")

    # --- Step 4 ----------------------------------------------------------------------------

    async def subscribe(self, a: SubscribeAnswers) -> None:
        await self.go_to(StepId.SUBSCRIBE)
        table = self.service.subscriptions.table
        if a.export:
            await self.press("e")
            await self.until(lambda: not self.busy("subs-export"), 60, "the export")
            self.note(f"Step 4: {self.text('#subs-line')}")
        for _ in range(2):  # a second time after the logon the cloud asked for
            if not (a.assign_all and table.counters().unassigned):
                break
            await self.confirm_key("a", "subs-plan")
            await self.until(lambda: not self.busy("subs-assign"), 600, "assigning")
            await self.settle()
        if a.assign_all:
            counters = table.counters()
            if counters.unassigned:
                raise DriverStop(
                    f"Step 4: {counters.unassigned} user(s) still unassigned: "
                    f"{self.text('#subs-line')}"
                )
            self.note(f"Step 4: {counters.assigned} subscription(s) assigned.")
        if a.wait_activated_minutes:
            deadline = time.monotonic() + a.wait_activated_minutes * 60
            while table.counters().activated < table.counters().assigned:
                if time.monotonic() > deadline:
                    break
                await self.press("p")
                await self.until(lambda: not self.busy("subs-poll"), 60, "the activation poll")
                await asyncio.sleep(5)
            c = table.counters()
            self.note(f"Step 4: {c.activated} of {c.assigned} user(s) activated.")
        if a.remind and table.counters().activated < table.counters().assigned:
            if await self.confirm_key("r", "subs-plan"):
                await self.until(lambda: not self.busy("subs-send"), 600, "the reminders")
                self.note(f"Step 4: {self.text('#subs-line')}")
            else:
                self.note("Step 4: nobody to remind (reminded already).")

    async def confirm_key(self, key: str, planning: str) -> bool:
        """A key that plans in a worker, then asks; yes when it asked (False: nothing to do)."""
        await self.pilot.press(key)
        await asyncio.sleep(0.2)
        await self.until(
            lambda: bool(self.app.screen.query("#confirm-yes")) or not self.busy(planning),
            60,
            "the confirmation",
        )
        await self.settle()
        if not self.app.screen.query("#confirm-yes"):
            return False
        await self.click("#confirm-yes")
        await asyncio.sleep(0.2)
        return True

    # --- Communicate -----------------------------------------------------------------------

    async def communicate(self, a: CommunicateAnswers) -> None:
        await self.go_to(StepId.COMMUNICATE)
        table = self.widget("#comms-templates", DataTable)
        await self.until(lambda: table.row_count > 0, 20, "the templates")
        if a.values:
            await self.edit_values(dict(a.values))
        for name in a.send:
            if name not in {str(k.value) for k in table.rows}:
                raise DriverStop(f"Communicate: there is no template '{name}'.")
            self.cursor_to(table, name)
            await self.settle()
            await self.pilot.press("s")
            await self.until(
                lambda: bool(self.app.screen.query("#recipients-list")), 10, "who gets it"
            )
            await self.pilot.press("enter")  # users who have not received it yet
            await asyncio.sleep(0.2)
            await self.until(
                lambda: bool(self.app.screen.query("#confirm-yes")) or not self.busy("comms-plan"),
                60,
                "the list of recipients",
            )
            await self.settle()
            if not self.app.screen.query("#confirm-yes"):
                if not self.service.directory.users_page().total:
                    raise DriverStop(
                        "Communicate: there are no users yet: import them first "
                        "(a [users] section before [communicate])."
                    )
                why = self.last_notice("Nobody to write to")
                if "cannot be written" in why:
                    raise DriverStop(f"Communicate: '{name}': {why}")
                self.note(f"Communicate: '{name}' had already reached everyone.")
                continue
            await self.click("#confirm-yes")
            await asyncio.sleep(0.2)
            await self.until(lambda: not self.busy("comms-send"), 600, f"sending '{name}'")
            counts = self.service.comms.counts(name)
            self.note(f"Communicate: '{name}' {dict(counts)}.")

    async def edit_values(self, values: dict[str, str]) -> None:
        """Through the "Dates & URL" editor (v), as the administrator would."""
        await self.pilot.press("v")
        await self.until(lambda: bool(self.app.screen.query("#editor-text")), 10, "the editor")
        editor = self.widget("#editor-text", TextArea)
        document = tomlkit.parse(editor.text)
        for key, value in values.items():
            document[key] = value
        editor.text = tomlkit.dumps(document)
        await self.press("ctrl+s")
        if self.app.screen.query("#editor-text"):
            problem = self.text("#editor-problem")
            await self.press("escape")
            raise DriverStop(f"Communicate: the values were not saved: {problem}")
        self.note("Communicate: values set (" + ", ".join(values) + ").")

    def last_notice(self, start: str) -> str:
        notices = [n.message for n in self.app._notifications if n.message.startswith(start)]
        return notices[-1].replace("\n", " ") if notices else ""

    # --- Step 5 ----------------------------------------------------------------------------

    async def mx(self, a: MxAnswers) -> None:
        if not a.switch:
            return
        await self.go_to(StepId.MX)
        for record in self.service.session.domains:
            if record.mx_switched_at is not None:
                self.note(f"Step 5: {record.name} was already switched.")
                continue
            select = self.widget("#mx-domain", Select)
            select.value = record.name
            await self.settle()
            await self.press("p")  # the SMTP probe is one of the conditions
            gate = self.text("#mx-gate")
            if "every condition is met" not in gate and not a.despite_open_conditions:
                raise DriverStop(f"Step 5: {record.name} is not ready. {gate}")
            await self.pilot.press("a")
            await self.until(
                lambda: bool(self.app.screen.query("#typed")) or self.app.screen.name == "mx",
                10,
                "the confirmation",
            )
            if not self.app.screen.query("#typed"):
                raise DriverStop(f"Step 5: {record.name}: {self.text('#mx-gate')}")
            await self.fill("#typed", record.name)
            await self.click("#confirm")
            await self.until(
                lambda: "every name server shows it" in self.text("#mx-result"),
                120,
                f"the MX switch of {record.name}",
            )
            despite = "" if "every condition is met" in gate else " (despite open conditions)"
            self.note(f"Step 5: MX of {record.name} switched{despite}.")


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"
