"""Step 1's service against the embedded sandbox over HTTP: submit, and a lost answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud import CloudConflict, Registration
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.service import NewSession, OnboardingService
from onboard_tui.session.secrets import Secret
from onboard_tui.setup.service import SetupForm

PASSWORD = "Lakeside-Harbour-42"


@pytest.fixture
def service(tmp_path: Path, clock: FrozenClock) -> Iterator[OnboardingService]:
    svc = OnboardingService.create(
        tmp_path / "demo", NewSession(name="demo", provider="sandbox"), clock=clock
    )
    yield svc
    svc.close()


def form(password: str = PASSWORD) -> SetupForm:
    return SetupForm(
        admin_email="admin@renovations.com",
        password=Secret(password),
        confirm=Secret(password),
        country="US",
        language="en",
        timezone="America/New_York",
        geography="na",
        company="Renovations Inc",
        terms_accepted=True,
    )


def register_behind_our_back(service: OnboardingService, company: str) -> str:
    """What the cloud holds when an earlier Submit registered but its answer was lost."""
    with service.cloud.client("na") as client:
        result = client.register(
            Registration(
                admin_email="admin@renovations.com",
                password=Secret(PASSWORD),
                country="CA",
                language="fr",
                timezone="America/Toronto",
                geography="na",
                terms_accepted=True,
                company=company,
            )
        )
    return result.org_id


def test_submit_registers_logs_on_and_records_the_step(service: OnboardingService) -> None:
    org = service.setup.submit(form())
    assert org.logon_name == "admin@renovations.com" and org.org_id.startswith("org-")
    assert service.cloud.logon is not None
    data = service.session
    assert data.organisation == org and data.geography == "na"
    assert data.steps[StepId.SETUP].state is StepState.DONE
    assert data.current_step is StepId.VERIFY
    text = service.store.path.read_text()
    assert PASSWORD not in text and org.org_id in text


def test_a_registration_whose_answer_was_lost_is_taken_over(service: OnboardingService) -> None:
    org_id = register_behind_our_back(service, "Renovations Québec")
    assert service.session.organisation is None
    org = service.setup.submit(form())
    # The cloud's record wins over what was typed the second time.
    assert (org.org_id, org.company, org.country, org.timezone) == (
        org_id,
        "Renovations Québec",
        "CA",
        "America/Toronto",
    )
    assert service.session.steps[StepId.SETUP].state is StepState.DONE


def test_someone_elses_registration_is_refused_and_remembered(service: OnboardingService) -> None:
    register_behind_our_back(service, "Another Company")
    with pytest.raises(CloudConflict) as caught:
        service.setup.submit(form("Other-Password-99"))
    assert "already registered" in caught.value.message
    assert "Submit again with that password" in caught.value.hint
    assert service.session.organisation is None
    record = service.session.steps[StepId.SETUP]
    assert record.state is StepState.ATTENTION and "already registered" in record.reason
