"""Step 1: register the organisation with the cloud, as its first company administrator.

The password goes from the form to the registration request and the confirming logon,
and nowhere else: it is never stored, logged or kept after Submit returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from onboard_tui.clock import Clock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.errors import CloudConflict, CloudError, CloudUnauthorised
from onboard_tui.cloud.models import Geography, Registration, RegistrationResult
from onboard_tui.errors import OnboardError
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import Organisation, SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore
from onboard_tui.setup import catalogue
from onboard_tui.setup.validation import email_problem, password_strength

log = logging.getLogger(__name__)


@dataclass
class SetupForm:
    """What the administrator typed on the Registration page."""

    admin_email: str = ""
    password: Secret = Secret("")  # noqa: RUF009 - immutable value object
    confirm: Secret = Secret("")  # noqa: RUF009
    country: str = ""
    language: str = ""
    timezone: str = ""
    geography: str = ""
    company: str = ""
    terms_accepted: bool = False


class SetupInvalid(OnboardError):
    """The form has problems; `fields` maps each field to what to fix."""

    def __init__(self, fields: dict[str, str]) -> None:
        count = len(fields)
        super().__init__(
            f"{count} field{'s' if count > 1 else ''} need{'s' if count == 1 else ''} "
            "attention before Submit.",
            hint=" ".join(fields.values()),
        )
        self.fields = fields


class SetupService:
    """Validation, registration and the registered state of Step 1."""

    def __init__(self, store: SessionStore, cloud: CloudAccess, clock: Clock) -> None:
        self.store = store
        self.cloud = cloud
        self.clock = clock

    @property
    def organisation(self) -> Organisation | None:
        return self.store.data.organisation

    @property
    def terms_text(self) -> str:
        return self.cloud.profile.terms_text

    def geographies(self) -> list[Geography]:
        """The cloud's list of geographies; the profile's when the cloud cannot be asked."""
        try:
            return self.cloud.geographies()
        except CloudError:
            return self.cloud.profile_geographies()

    def validate(self, form: SetupForm) -> dict[str, str]:
        """Every problem in the form, by field name; empty when Submit may go ahead."""
        problems: dict[str, str] = {}
        email = email_problem(form.admin_email)
        if email:
            problems["admin_email"] = email
        strength = password_strength(form.password.reveal(), email=form.admin_email)
        if not form.password:
            problems["password"] = "Create a service logon password."  # noqa: S105
        elif not strength.acceptable:
            problems["password"] = f"The password is too weak: {'; '.join(strength.hints)}."
        if form.password and form.confirm != form.password:
            problems["confirm"] = "The two passwords do not match; type the same password twice."
        if not catalogue.is_country(form.country):
            problems["country"] = "Select a country."
        if not catalogue.is_language(form.language):
            problems["language"] = "Select a language."
        if not catalogue.is_timezone(form.timezone):
            problems["timezone"] = "Select a time zone."
        if form.geography not in self.cloud.profile.geographies:
            problems["geography"] = "Select the geography of your data center."
        if not form.terms_accepted:
            problems["terms_accepted"] = "Read the Terms of Use and select I accept to continue."
        return problems

    def submit(self, form: SetupForm) -> Organisation:
        """Register, log on once to prove the credentials (the seed's step 5), then record it."""
        problems = self.validate(form)
        if problems:
            raise SetupInvalid(problems)
        registration = Registration(
            admin_email=form.admin_email.strip(),
            password=form.password,
            country=form.country,
            language=form.language,
            timezone=form.timezone,
            geography=form.geography,
            terms_accepted=True,
            company=form.company.strip(),
        )
        try:
            org = self._register_or_take_over(registration)
        except CloudError as exc:
            if exc.field_errors:
                raise SetupInvalid(dict(exc.field_errors)) from None
            self._record_failure(exc)
            raise
        now = self.clock.now()

        def record(data: SessionData) -> None:
            data.organisation = org
            data.geography = form.geography
            step = data.step_record(StepId.SETUP)
            step.state, step.reason, step.updated = StepState.DONE, "", now
            data.current_step = StepId.VERIFY
            data.last_activity = f"Registered {org.logon_name} with the cloud."

        self.store.update(record)
        self.store.db.add_event(now, StepId.SETUP, "registered", f"Registered {org.logon_name}.")
        return org

    def _register_or_take_over(self, registration: Registration) -> Organisation:
        """Register, then log on; an earlier Submit that reached the cloud is taken over.

        Registration and logon are two requests: when the first succeeded but its answer or
        the logon was lost (dropped link, killed process), the cloud already holds the
        organisation and a new registration gets 409. Logging on with the same credentials
        proves it is ours, and the cloud's record of it is used instead.
        """
        email = registration.admin_email
        with self.cloud.client(registration.geography) as client:
            try:
                result: RegistrationResult | None = client.register(registration)
            except CloudConflict as conflict:
                result = None
                log.info("%s is already registered; trying to take it over", email)
                try:
                    self.cloud.logon = client.logon(email, registration.password)
                except CloudUnauthorised:
                    raise CloudConflict(
                        conflict.message,
                        hint="If you registered it earlier, Submit again with that password; "
                        "otherwise use another administrator email.",
                        url=conflict.url,
                        status=conflict.status,
                    ) from None
            else:
                self.cloud.logon = client.logon(email, registration.password)
            if result is not None:
                return Organisation(
                    admin_email=result.logon_name or email,
                    country=registration.country,
                    language=registration.language,
                    timezone=registration.timezone,
                    company=registration.company,
                    org_id=result.org_id,
                    home_url=result.home_url,
                    registered_at=result.registered_at,
                )
            held = client.organisation(self.cloud.logon)
        return Organisation(
            admin_email=held.logon_name or email,
            country=held.country,
            language=held.language,
            timezone=held.timezone,
            company=held.company,
            org_id=held.org_id,
            home_url=held.home_url,
            registered_at=held.registered_at,
        )

    def _record_failure(self, exc: CloudError) -> None:
        """A failed Submit is remembered so the roadmap shows it needs attention."""
        now = self.clock.now()

        def record(data: SessionData) -> None:
            step = data.step_record(StepId.SETUP)
            step.state, step.reason, step.updated = StepState.ATTENTION, exc.message, now

        try:
            self.store.update(record)
            self.store.db.add_event(now, StepId.SETUP, "register_failed", exc.message)
        except OnboardError:
            pass  # the registration error is the one worth showing
