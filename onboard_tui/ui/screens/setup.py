"""Step 1 Setup: the cloud Registration page, then its registered state, read-only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events, on, work
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Checkbox, ContentSwitcher, Input, Select, Static
from textual.worker import Worker, WorkerState

from onboard_tui.cloud.models import Geography
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import Step, StepId
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.model import Organisation
from onboard_tui.session.secrets import Secret
from onboard_tui.setup import catalogue
from onboard_tui.setup.service import SetupForm, SetupInvalid, SetupService
from onboard_tui.setup.validation import password_strength
from onboard_tui.ui.dialogs.registered import RegisteredDialog
from onboard_tui.ui.messages import (
    GeographiesLoaded,
    GoToStep,
    Registered,
    RegistrationRejected,
    RoadmapChanged,
)
from onboard_tui.ui.screens.step_screen import StepScreen
from onboard_tui.ui.widgets.field import Field

FIELDS = (
    "admin_email",
    "company",
    "password",
    "confirm",
    "country",
    "language",
    "timezone",
    "geography",
    "terms_accepted",
)


class SetupScreen(StepScreen):
    """The Registration form; after Submit, the registered organisation."""

    CSS_PATH = "setup.tcss"

    def __init__(self, step: Step, roadmap: RoadmapService, setup: SetupService) -> None:
        super().__init__(step, roadmap)
        self.setup = setup
        self._touched: set[str] = set()
        self._submitted = False
        self._geographies: dict[str, Geography] = {
            g.id: g for g in setup.cloud.profile_geographies()
        }

    # --- layout --------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        registered = self.setup.organisation is not None
        with ContentSwitcher(initial="setup-done" if registered else "setup-form"):
            with VerticalScroll(id="setup-form"):
                yield from self._compose_form()
            with VerticalScroll(id="setup-done"):
                yield Static(id="done-summary", markup=False)
                yield Button("Continue to Step 2: Verify domain", id="continue")

    def _compose_form(self) -> Iterable[Widget]:
        yield Static("Step 1 Setup: register your organisation", classes="step-title")
        yield Static(
            "You are the first company administrator. The email address below is your "
            "logon name: record it, with the password you create here.",
            classes="intro",
        )
        yield Field(
            "Company administrator email",
            Input(placeholder="admin@renovations.com", id="admin_email", compact=True),
            help_text="This is your logon name.",
        )
        yield Field("Company name (optional)", Input(id="company", compact=True))
        yield Field(
            "Create service logon password",
            Input(password=True, id="password", compact=True),
            help_text="At least 8 characters with letters and digits.",
        )
        yield Field("Confirm password", Input(password=True, id="confirm", compact=True))
        yield Field(
            "Country",
            _select("country", catalogue.countries()),
            help_text="Type to search.",
        )
        yield Field("Language", _select("language", catalogue.languages()))
        yield Field("Time zone", _select("timezone", catalogue.timezones()))
        yield Field(
            "Geography (where your data is hosted)",
            Select(
                self._geography_options(),
                id="geography",
                prompt="Select a geography",
                compact=True,
            ),
            help_text="Decides the API URL and the SMTP host of your MX record.",
        )
        yield Static("Terms of Use and privacy practices", classes="field-label-like")
        with VerticalScroll(id="terms"):
            yield Static(self.setup.terms_text, markup=False)
        yield Field("", Checkbox("I accept the Terms of Use", id="terms_accepted", compact=True))
        yield Static("", id="form-status", markup=False)
        yield Button("Submit", id="submit", variant="primary")

    def _geography_options(self) -> list[tuple[str, str]]:
        return [(f"{g.name} ({g.id})", g.id) for g in self._geographies.values()]

    def on_mount(self) -> None:
        if self.setup.organisation is not None:
            self._show_registered(self.setup.organisation)
        else:
            self.query_one("#admin_email", Input).focus()
            self.load_geographies()

    # --- geographies from the cloud ------------------------------------------------------

    @work(thread=True, exclusive=True, group="geographies", exit_on_error=False)
    def load_geographies(self) -> None:
        self.post_message(GeographiesLoaded(self.setup.geographies()))

    def on_geographies_loaded(self, message: GeographiesLoaded) -> None:
        if not message.geographies:
            return
        self._geographies = {g.id: g for g in message.geographies}
        select = self.query_one("#geography", Select)
        current = select.value
        select.set_options(self._geography_options())
        if current in self._geographies:
            select.value = current
        self._show_smtp_host()

    def _show_smtp_host(self) -> None:
        geo = self._geographies.get(_value(self.query_one("#geography", Select)))
        field = self.query_one("#field-geography", Field)
        field.set_help(
            f"SMTP host for your MX record: {geo.smtp_host}"
            if geo
            else "Decides the API URL and the SMTP host of your MX record."
        )

    # --- live checks ---------------------------------------------------------------------

    def read_form(self) -> SetupForm:
        return SetupForm(
            admin_email=self.query_one("#admin_email", Input).value.strip(),
            company=self.query_one("#company", Input).value,
            password=Secret(self.query_one("#password", Input).value),
            confirm=Secret(self.query_one("#confirm", Input).value),
            country=_value(self.query_one("#country", Select)),
            language=_value(self.query_one("#language", Select)),
            timezone=_value(self.query_one("#timezone", Select)),
            geography=_value(self.query_one("#geography", Select)),
            terms_accepted=self.query_one("#terms_accepted", Checkbox).value,
        )

    def _show_problems(self, problems: dict[str, str]) -> None:
        for name in FIELDS:
            show = self._submitted or name in self._touched
            self.query_one(f"#field-{name}", Field).set_error(problems.get(name) if show else None)

    def _recheck(self) -> None:
        self._show_problems(self.setup.validate(self.read_form()))

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        control_id = event.widget.id or ""
        if control_id in FIELDS and self.setup.organisation is None:
            self._touched.add(control_id)
            self._recheck()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "password":
            self._show_strength(event.value)
        if event.input.id in self._touched or self._submitted:
            self._recheck()

    def _show_strength(self, password: str) -> None:
        field = self.query_one("#field-password", Field)
        if not password:
            field.set_help("At least 8 characters with letters and digits.")
            return
        email = self.query_one("#admin_email", Input).value
        strength = password_strength(password, email=email)
        advice = f": {'; '.join(strength.hints)}" if strength.hints else ""
        field.set_help(f"Strength: {strength.label}{advice}")

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        name = event.select.id or ""
        self._touched.add(name)
        if name == "country":
            self._suggest_timezone(_value(event.select))
        if name == "geography":
            self._show_smtp_host()
        self._recheck()

    def _suggest_timezone(self, country: str) -> None:
        zones = catalogue.zones_for_country(country)
        timezone = self.query_one("#timezone", Select)
        if zones and not _value(timezone):
            timezone.value = zones[0]

    @on(Checkbox.Changed)
    def _terms_changed(self) -> None:
        self._touched.add("terms_accepted")
        self._recheck()

    # --- submit --------------------------------------------------------------------------

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        self._submitted = True
        form = self.read_form()
        problems = self.setup.validate(form)
        self._show_problems(problems)
        status = self.query_one("#form-status", Static)
        if problems:
            status.update(f"Fix the {len(problems)} field(s) marked in red, then Submit.")
            self._focus_first_problem(problems)
            return
        status.update("Registering with the cloud service…")
        self.query_one("#submit", Button).disabled = True
        self.register(form)

    def _focus_first_problem(self, problems: dict[str, str]) -> None:
        first = next((name for name in FIELDS if name in problems), None)
        if first:
            self.query_one(f"#{first}").focus()

    @work(thread=True, exclusive=True, group="register", exit_on_error=False)
    def register(self, form: SetupForm) -> None:
        try:
            organisation = self.setup.submit(form)
        except SetupInvalid as exc:
            self.post_message(RegistrationRejected(exc.fields, str(exc)))
        except OnboardError as exc:
            self.post_message(RegistrationRejected({}, str(exc)))
        else:
            self.post_message(Registered(organisation))

    def on_registration_rejected(self, message: RegistrationRejected) -> None:
        self.query_one("#submit", Button).disabled = False
        self.query_one("#form-status", Static).update(message.error)
        if message.fields:
            self._show_problems(message.fields)
            self._focus_first_problem(message.fields)
        self.post_message(RoadmapChanged())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "register" and event.state is WorkerState.ERROR:
            self.query_one("#submit", Button).disabled = False
            self.query_one("#form-status", Static).update("Registration failed; see the log.")

    def on_registered(self, message: Registered) -> None:
        for secret in ("#password", "#confirm"):
            self.query_one(secret, Input).value = ""
        self._show_registered(message.organisation)
        self.post_message(RoadmapChanged())
        org = message.organisation
        self.app.push_screen(RegisteredDialog(org.logon_name, org.company))

    def _show_registered(self, org: Organisation) -> None:
        self.query_one(ContentSwitcher).current = "setup-done"
        geography = self.setup.store.data.geography
        geo = self._geographies.get(geography)
        when = f"{org.registered_at:%Y-%m-%d %H:%M} UTC" if org.registered_at else "unknown"
        lines: list[tuple[str, Any]] = [
            ("Logon name", org.logon_name),
            ("", "(record it with your password)"),
            ("Company", org.company or "—"),
            ("Country", catalogue.label(catalogue.countries(), org.country)),
            ("Language", catalogue.label(catalogue.languages(), org.language)),
            ("Time zone", org.timezone),
            ("Geography", f"{geo.name} ({geography})" if geo else geography),
            ("SMTP host", geo.smtp_host if geo else "—"),
            ("Registered", when),
            ("Organisation id", org.org_id or "—"),
        ]
        body = "\n".join(f"{k:<16} {v}" for k, v in lines)
        self.query_one("#done-summary", Static).update(
            "Your organisation is registered. This is the location to use when you log on "
            f"to the service in the future:\n{org.home_url or '—'}\n\n{body}"
        )
        self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.post_message(GoToStep(StepId.VERIFY))


def _select(select_id: str, choices: Iterable[catalogue.Choice]) -> Select[str]:
    return Select(
        [(c.label, c.code) for c in choices],
        id=select_id,
        prompt="Type to search, Enter to choose",
        type_to_search=True,
        compact=True,
    )


def _value(select: Select[Any]) -> str:
    value = select.value
    return value if isinstance(value, str) else ""
