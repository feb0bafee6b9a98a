"""The real httpx client against the real sandbox, over HTTP on 127.0.0.1.

The sandbox and the client share a recording frozen clock: Retry-After waits and logon
expiry happen instantly and can be checked exactly, and nothing sleeps for real.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud import (
    CloudBusy,
    CloudClient,
    CloudConflict,
    CloudLogon,
    CloudRejected,
    CloudServerError,
    CloudUnauthorised,
    CloudUnreachable,
    Registration,
)
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.errors import OnboardError
from onboard_tui.providers import load_profile
from onboard_tui.session.secrets import Secret

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
EMAIL = "admin@renovations.com"
PASSWORD = "Corr3ct-Horse-Battery"


class RecordingClock(FrozenClock):
    """A frozen clock that remembers every sleep asked of it."""

    def __init__(self) -> None:
        super().__init__(NOW)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "session" / "sandbox.db"


@pytest.fixture
def sandbox(db_path: Path, clock: RecordingClock) -> Iterator[SandboxServer]:
    server = SandboxServer(db_path, load_profile("sandbox"), clock=clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cloud(sandbox: SandboxServer, clock: RecordingClock) -> Iterator[CloudClient]:
    with CloudClient(sandbox.url, clock=clock, timeout=10.0) as client:
        yield client


def registration(email: str = EMAIL, password: str = PASSWORD) -> Registration:
    return Registration(
        admin_email=email,
        password=Secret(password),
        country="US",
        language="en-US",
        timezone="America/New_York",
        geography="na",
        terms_accepted=True,
        company="Renovations",
    )


# --- the contract --------------------------------------------------------------------------


def test_sandbox_listens_on_loopback_only(sandbox: SandboxServer, db_path: Path) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    with pytest.raises(OnboardError, match="listens only on this machine"):
        # Refused before any socket is made (192.0.2.0/24 is the documentation range).
        SandboxServer(db_path, load_profile("sandbox"), host="192.0.2.10")


def test_geographies(cloud: CloudClient, sandbox: SandboxServer) -> None:
    geos = cloud.geographies()
    assert [(g.id, g.name) for g in geos] == [
        ("na", "North America"),
        ("ap", "Asia Pacific"),
        ("ce", "Europe"),
    ]
    assert {g.api_url for g in geos} == {sandbox.url}
    assert [g.smtp_host for g in geos] == [
        "smtp.na.sandbox.onboard.test",
        "smtp.ap.sandbox.onboard.test",
        "smtp.ce.sandbox.onboard.test",
    ]


def test_register_then_log_on(cloud: CloudClient, sandbox: SandboxServer) -> None:
    result = cloud.register(registration())
    assert result.logon_name == EMAIL
    assert result.org_id.startswith("org-")
    assert result.home_url == f"{sandbox.url}/"
    assert result.registered_at == NOW

    logon = cloud.logon(EMAIL, Secret(PASSWORD))
    assert logon.expires_at == NOW + timedelta(hours=8)
    assert logon.token.reveal()
    org = cloud.organisation(logon)
    assert org.org_id == result.org_id
    assert org.admin_email == EMAIL
    assert org.logon_name == EMAIL
    assert org.company == "Renovations"
    assert (org.country, org.language, org.timezone, org.geography) == (
        "US",
        "en-US",
        "America/New_York",
        "na",
    )
    assert org.registered_at == NOW


def test_logon_name_is_not_case_sensitive(cloud: CloudClient) -> None:
    cloud.register(registration())
    assert cloud.logon(" Admin@Renovations.COM ", Secret(PASSWORD)).token


@pytest.mark.parametrize(
    ("email", "password"),
    [(EMAIL, "Wr0ng-password"), (EMAIL, PASSWORD.lower()), ("nobody@renovations.com", PASSWORD)],
)
def test_logon_with_the_wrong_password(cloud: CloudClient, email: str, password: str) -> None:
    cloud.register(registration())
    with pytest.raises(CloudUnauthorised) as caught:
        cloud.logon(email, Secret(password))
    error = caught.value
    assert error.status == 401
    assert error.message == "The logon name or password is wrong."
    assert error.hint == (
        "Check the logon name (the administrator's email) and the password, then log on again."
    )
    assert password not in str(error)


def test_logon_expires(cloud: CloudClient, clock: RecordingClock) -> None:
    cloud.register(registration())
    logon = cloud.logon(EMAIL, Secret(PASSWORD))
    clock.advance(timedelta(hours=8, seconds=1))
    assert logon.expired(clock.now())
    with pytest.raises(CloudUnauthorised) as caught:
        cloud.organisation(logon)
    assert caught.value.message == "The logon has expired or is not known; log on again."


def test_unknown_token(cloud: CloudClient) -> None:
    forged = CloudLogon(Secret("not-a-token"), NOW + timedelta(hours=1))
    with pytest.raises(CloudUnauthorised) as caught:
        cloud.organisation(forged)
    assert "not-a-token" not in str(caught.value)
    assert caught.value.message == "The logon has expired or is not known; log on again."


def test_duplicate_registration(cloud: CloudClient) -> None:
    cloud.register(registration())
    for email in (EMAIL, "ADMIN@renovations.com"):
        with pytest.raises(CloudConflict) as caught:
            cloud.register(registration(email=email, password="An0ther-password"))
        assert caught.value.status == 409
        assert caught.value.message == (
            f"An organisation is already registered with the administrator {email}."
        )
        assert caught.value.hint == (
            "Log on with that email address instead, or register with another one."
        )
    # The first password still works; the second attempt changed nothing.
    assert cloud.logon(EMAIL, Secret(PASSWORD)).token
    with pytest.raises(CloudUnauthorised):
        cloud.logon(EMAIL, Secret("An0ther-password"))


def test_registration_checked_field_by_field(cloud: CloudClient) -> None:
    bad = Registration(
        admin_email="admin@",
        password=Secret("short"),
        country="XX",
        language="en",
        timezone="Mars/Olympus",
        geography="eu",
        terms_accepted=False,
    )
    with pytest.raises(CloudRejected) as caught:
        cloud.register(bad)
    error = caught.value
    assert error.status == 422
    assert error.message == "6 fields of the registration were not accepted."
    assert set(error.field_errors) == {
        "admin_email",
        "password",
        "country",
        "timezone",
        "geography",
        "terms_accepted",
    }
    assert error.field_errors["geography"] == "Choose one of: na, ap, ce."
    assert error.field_errors["password"] == "The password must have at least 8 characters."
    assert "short" not in str(error)


def test_company_is_optional(cloud: CloudClient, sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.url, trust_env=False) as raw:
        answer = raw.post(
            "/v1/organisations",
            json={
                "admin_email": EMAIL,
                "password": PASSWORD,
                "country": "us",
                "language": "en",
                "timezone": "Europe/Paris",
                "geography": "ce",
                "terms_accepted": True,
                "company": None,
            },
        )
    assert answer.status_code == 201, answer.text
    org = cloud.organisation(cloud.logon(EMAIL, Secret(PASSWORD)))
    assert org.company == ""
    assert org.country == "US"


def test_logon_fields_of_the_wrong_type(sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.url, trust_env=False) as raw:
        answer = raw.post("/v1/sessions", json={"email": 5, "password": ""})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "email", "detail": "This field must be a JSON string."},
        {"field": "password", "detail": "This field is required."},
    ]


def test_head_is_get_without_a_body(sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.url, trust_env=False) as raw:
        head = raw.head("/v1/geographies")
        get = raw.get("/v1/geographies")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert get.json()["geographies"][0]["id"] == "na"


def test_errors_are_problem_json(sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.url, trust_env=False) as raw:
        missing = raw.get("/v1/nothing")
        anonymous = raw.get("/v1/users")
        wrong = raw.delete("/v1/geographies")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json; charset=utf-8"
    assert missing.json() == {
        "type": "urn:onboard-tui:problem:not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no resource at /v1/nothing.",
    }
    assert anonymous.status_code == 401  # implemented now (issue 7): needs a logon
    assert anonymous.json()["type"] == "urn:onboard-tui:problem:logon-required"
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET"


# --- injected faults -----------------------------------------------------------------------


def test_injected_500_is_a_clear_error_and_not_retried(
    cloud: CloudClient, sandbox: SandboxServer, clock: RecordingClock
) -> None:
    sandbox.inject_fault("/v1/geographies", 500, count=2)
    with pytest.raises(CloudServerError) as caught:
        cloud.geographies()
    assert caught.value.message == (
        f"The cloud service at {sandbox.url}/v1/geographies had an internal error (HTTP 500)."
    )
    assert "not caused by what you entered" in caught.value.hint
    assert clock.sleeps == []
    with pytest.raises(CloudServerError):  # the second injected answer was still there
        cloud.geographies()
    assert len(cloud.geographies()) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_busy_then_answered(
    cloud: CloudClient, sandbox: SandboxServer, clock: RecordingClock, status: int
) -> None:
    sandbox.inject_fault("/v1/geographies", status, count=2, retry_after=1.5)
    assert [g.id for g in cloud.geographies()] == ["na", "ap", "ce"]
    assert clock.sleeps == [2.0, 2.0]  # the sandbox rounds Retry-After up to whole seconds


def test_busy_registration_is_retried_once_only(
    cloud: CloudClient, sandbox: SandboxServer, clock: RecordingClock
) -> None:
    sandbox.inject_fault("/v1/organisations", 503, count=1, retry_after=3)
    result = cloud.register(registration())
    assert result.logon_name == EMAIL
    assert clock.sleeps == [3.0]
    with pytest.raises(CloudConflict):
        cloud.register(registration())


@pytest.mark.parametrize("status", [429, 503])
def test_busy_that_persists(
    cloud: CloudClient, sandbox: SandboxServer, clock: RecordingClock, status: int
) -> None:
    sandbox.inject_fault("/v1/sessions", status, count=10, retry_after=4)
    with pytest.raises(CloudBusy) as caught:
        cloud.logon(EMAIL, Secret(PASSWORD))
    error = caught.value
    assert error.status == status
    assert error.retry_after == 4.0
    assert error.message == (
        f"The cloud service at {sandbox.url}/v1/sessions is busy (HTTP {status}) and asked "
        "to be called later."
    )
    assert error.hint == "Try again in 4 s."
    assert clock.sleeps == [4.0, 4.0, 4.0]
    # Four requests used four of the ten injected answers.
    sandbox.inject_fault("/v1/sessions", 418, count=1)  # queued behind the six left
    with httpx.Client(base_url=sandbox.url, trust_env=False) as raw:
        statuses = [raw.post("/v1/sessions", json={}).status_code for _ in range(8)]
    assert statuses == [status] * 6 + [418, 422]


def test_busy_longer_than_the_ceiling_is_not_waited_for(
    cloud: CloudClient, sandbox: SandboxServer, clock: RecordingClock
) -> None:
    sandbox.inject_fault("/v1/geographies", 503, count=1, retry_after=300)
    with pytest.raises(CloudBusy) as caught:
        cloud.geographies()
    assert caught.value.hint == "Try again in 5 min."
    assert clock.sleeps == []


def test_retry_after_header_on_the_wire(sandbox: SandboxServer) -> None:
    sandbox.inject_fault("/v1/geographies", 429, count=1, retry_after=1.2)
    with httpx.Client(base_url=sandbox.url, trust_env=False) as raw:
        first = raw.get("/v1/geographies")
        second = raw.get("/v1/geographies")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert first.json()["type"] == "urn:onboard-tui:problem:injected-fault"
    assert second.status_code == 200


def test_inject_fault_refuses_a_success_status(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="needs an HTTP error status"):
        sandbox.inject_fault("/v1/geographies", 200)
    with pytest.raises(ValueError, match="count must be at least 1"):
        sandbox.inject_fault("/v1/geographies", 503, count=0)


# --- no answer -----------------------------------------------------------------------------


def test_sandbox_stopped(sandbox: SandboxServer, clock: RecordingClock) -> None:
    url = sandbox.url
    with CloudClient(url, clock=clock) as client:
        assert len(client.geographies()) == 3  # a keep-alive connection is now open
        sandbox.stop()
        assert not sandbox.running
        with pytest.raises(CloudUnreachable) as caught:
            client.geographies()
    error = caught.value
    assert error.reason == "refused"
    assert error.message == f"Nothing answers at {url}/v1/geographies: the connection was refused."
    assert error.hint == (
        "Check that the cloud service (or the sandbox) is running and that the API URL is right."
    )
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_timeout() -> None:
    """A server that accepts the connection and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        clock = RecordingClock()
        with (
            CloudClient(f"http://127.0.0.1:{port}", clock=clock, timeout=0.25) as client,
            pytest.raises(CloudUnreachable) as caught,
        ):
            client.logon(EMAIL, Secret(PASSWORD))
    error = caught.value
    assert error.reason == "timeout"
    assert error.message == (
        f"The cloud service at http://127.0.0.1:{port}/v1/sessions did not answer within "
        "0.25 seconds."
    )
    assert clock.sleeps == []  # a request that may have arrived is never sent twice


# --- what the sandbox keeps ----------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_is_private_and_holds_no_password(
    cloud: CloudClient, sandbox: SandboxServer, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cloud.register(registration())
    logon = cloud.logon(EMAIL, Secret(PASSWORD))
    with pytest.raises(CloudUnauthorised):
        cloud.logon(EMAIL, Secret("Wr0ng-password"))
    token = logon.token.reveal()

    files = [db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))]
    present = [f for f in files if f.exists()]
    assert db_path in present
    assert {f.name: _mode(f) for f in present} == {f.name: 0o600 for f in present}

    sandbox.stop()  # checkpoints the WAL into the main file
    assert _mode(db_path) == 0o600
    data = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (PASSWORD, "Wr0ng-password", token):
        assert secret.encode() not in data
    assert EMAIL.encode() in data  # the file is readable text where it should be

    with sqlite3.connect(db_path) as db:
        [(stored,)] = db.execute("SELECT password_hash FROM organisations").fetchall()
        digests = [row[0] for row in db.execute("SELECT token_digest FROM sessions")]
    db.close()
    assert stored.startswith("pbkdf2_sha256$200000$")
    assert len(digests) == 1
    assert len(digests[0]) == 64
    for secret in (PASSWORD, "Wr0ng-password", token):
        assert secret not in caplog.text


def test_existing_database_with_loose_mode_is_made_private(
    db_path: Path, clock: RecordingClock
) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()
    os.chmod(db_path, 0o644)
    with SandboxServer(db_path, load_profile("sandbox"), clock=clock) as server:
        assert server.running
        assert _mode(db_path) == 0o600


def test_state_survives_a_restart(db_path: Path, clock: RecordingClock) -> None:
    profile = load_profile("sandbox")
    with SandboxServer(db_path, profile, clock=clock) as first:
        url = first.url
        with CloudClient(url, clock=clock) as client:
            org_id = client.register(registration()).org_id
    assert not first.running
    second = SandboxServer(db_path, profile, clock=clock)
    try:
        with CloudClient(second.start(), clock=clock) as client:
            logon = client.logon(EMAIL, Secret(PASSWORD))
            assert client.organisation(logon).org_id == org_id
    finally:
        second.stop()
