"""The cloud client's failures: problem+json, one sentence per error, Retry-After, retry ceilings.

The HTTP side is httpx's own MockTransport, and every wait goes through an injected clock
that records it, so nothing here sleeps for real.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud import (
    USER_AGENT,
    CloudBadResponse,
    CloudBusy,
    CloudClient,
    CloudConflict,
    CloudError,
    CloudLogon,
    CloudRejected,
    CloudServerError,
    CloudUnauthorised,
    CloudUnreachable,
    Registration,
)
from onboard_tui.cloud.problem import MAX_TEXT, clean_text, read_problem, sentence
from onboard_tui.cloud.retry import MAX_TOTAL_WAIT, RetryBudget, parse_retry_after
from onboard_tui.session.secrets import Secret

BASE = "https://api.notes.na.collabserv.com"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PASSWORD = "Secr3t\tPassw0rd"  # a tab inside, to prove redaction runs before cleaning


class RecordingClock(FrozenClock):
    """A frozen clock that remembers every sleep asked of it."""

    def __init__(self) -> None:
        super().__init__(NOW)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


Answer = Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler that plays answers in order and keeps the requests."""

    def __init__(self, *answers: httpx.Response | Exception | Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


def problem(
    status: int, detail: str = "", headers: dict[str, str] | None = None, **extra: object
) -> httpx.Response:
    body: dict[str, object] = {"type": "about:blank", "title": "T", "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/problem+json", **(headers or {})},
    )


def ok(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


GEOS = ok(
    {
        "geographies": [
            {
                "id": "na",
                "name": "North America",
                "api_url": BASE,
                "smtp_host": "smtp.notes.na.collabserv.com",
            }
        ]
    }
)


def client(script: Script, clock: RecordingClock, **kwargs: object) -> CloudClient:
    return CloudClient(
        BASE,
        clock=clock,
        transport=httpx.MockTransport(script),
        **kwargs,  # type: ignore[arg-type]
    )


def registration() -> Registration:
    return Registration(
        admin_email="admin@renovations.com",
        password=Secret(PASSWORD),
        country="US",
        language="en",
        timezone="America/New_York",
        geography="na",
        terms_accepted=True,
    )


@pytest.fixture
def clock() -> RecordingClock:  # overrides the shared one: this one records sleeps
    return RecordingClock()


# --- problem+json -------------------------------------------------------------------------


def test_problem_document_is_decoded() -> None:
    response = problem(
        422,
        "2 fields of the registration were not accepted",
        errors=[
            {"field": "country", "detail": "Use an ISO code such as US"},
            {"field": "timezone", "detail": "Use an IANA name."},
            {"field": "country", "detail": "a second complaint is ignored"},
            "not an object",
        ],
        type="urn:onboard-tui:problem:validation",
    )
    found = read_problem(response)
    assert found.status == 422
    assert found.title == "T"
    assert found.detail == "2 fields of the registration were not accepted"
    assert found.type == "urn:onboard-tui:problem:validation"
    assert found.field_errors == {
        "country": "Use an ISO code such as US.",
        "timezone": "Use an IANA name.",
    }


def test_problem_field_errors_as_an_object() -> None:
    found = read_problem(problem(400, errors={"admin_email": "Not an address", "x": 5}))
    assert found.field_errors == {"admin_email": "Not an address."}


@pytest.mark.parametrize(
    "content", [b"<html><body>Bad gateway</body></html>", b"[1, 2]", b"", b"\xff\xfe"]
)
def test_answer_without_a_problem_document(content: bytes) -> None:
    found = read_problem(httpx.Response(502, content=content))
    assert found.status == 502
    assert found.title == "Bad Gateway"
    assert found.detail == ""
    assert found.type == "about:blank"
    assert found.field_errors == {}


def test_server_text_is_cleaned_capped_and_redacted() -> None:
    secret = Secret(PASSWORD)
    text = f"bad\x1b[31m password {PASSWORD} \x07 here\n\nnext line"
    assert clean_text(text, [secret]) == "bad [31m password ******** here next line"
    assert clean_text(12) == ""
    assert clean_text(None) == ""
    long = clean_text("x" * 1000)
    assert len(long) == MAX_TEXT
    assert long.endswith("…")
    assert sentence("done") == "done."
    assert sentence("done?") == "done?"
    assert sentence("") == ""


# --- each failure as a sentence ------------------------------------------------------------


def test_401_on_logon(clock: RecordingClock) -> None:
    script = Script(problem(401, f"The logon name or password {PASSWORD} is wrong."))
    with client(script, clock) as c, pytest.raises(CloudUnauthorised) as caught:
        c.logon("admin@renovations.com", Secret(PASSWORD))
    error = caught.value
    assert error.message == "The logon name or password ******** is wrong."
    assert error.hint.startswith("Check the logon name (the administrator's email)")
    assert error.status == 401
    assert error.url == f"{BASE}/v1/sessions"
    assert "Passw0rd" not in str(error)
    assert "Passw0rd" not in repr(error)
    sent = json.loads(script.requests[0].content)
    assert sent == {"email": "admin@renovations.com", "password": PASSWORD}
    assert clock.sleeps == []


def test_401_without_detail_and_token_never_shown(clock: RecordingClock) -> None:
    token = Secret("tok-123456789")
    logon = CloudLogon(token, NOW + timedelta(hours=1))
    script = Script(problem(401, "Token tok-123456789 has expired"))
    with client(script, clock) as c, pytest.raises(CloudUnauthorised) as caught:
        c.organisation(logon)
    assert caught.value.message == "Token ******** has expired."
    assert script.requests[0].headers["Authorization"] == "Bearer tok-123456789"

    bare = Script(httpx.Response(401))
    with client(bare, clock) as c, pytest.raises(CloudUnauthorised) as caught:
        c.organisation(logon)
    assert caught.value.message == "The cloud service did not accept the logon."


def test_409_on_registration_says_to_log_on(clock: RecordingClock) -> None:
    script = Script(
        problem(409, "An organisation is already registered with the administrator a@b.com")
    )
    with client(script, clock) as c, pytest.raises(CloudConflict) as caught:
        c.register(registration())
    assert str(caught.value) == (
        "An organisation is already registered with the administrator a@b.com. "
        "Log on with that email address instead, or register with another one."
    )
    assert isinstance(caught.value, CloudRejected)


def test_422_names_each_field(clock: RecordingClock) -> None:
    script = Script(
        problem(
            422,
            "2 fields of the registration were not accepted.",
            errors=[
                {"field": "country", "detail": "Use an ISO 3166-1 alpha-2 country code."},
                {"field": "password", "detail": f"{PASSWORD} is too weak"},
            ],
        )
    )
    with client(script, clock) as c, pytest.raises(CloudRejected) as caught:
        c.register(registration())
    error = caught.value
    assert error.message == "2 fields of the registration were not accepted."
    assert error.field_errors == {
        "country": "Use an ISO 3166-1 alpha-2 country code.",
        "password": "******** is too weak.",
    }
    assert error.hint == (
        "country: Use an ISO 3166-1 alpha-2 country code. password: ******** is too weak."
    )
    assert error.status == 422


@pytest.mark.parametrize(
    ("status", "kind", "message", "hint"),
    [
        (
            400,
            CloudRejected,
            f"The cloud service at {BASE}/v1/geographies refused the request (HTTP 400 T).",
            "Correct the request as the message says and try again.",
        ),
        (
            403,
            CloudRejected,
            f"The cloud service at {BASE}/v1/geographies refused the request (HTTP 403 T).",
            "Log on with an account that has the administrator role.",
        ),
        (
            404,
            CloudRejected,
            f"The cloud service at {BASE}/v1/geographies refused the request (HTTP 404 T).",
            "Check that the API URL points at the cloud API (v1).",
        ),
        (
            409,
            CloudConflict,
            "The request conflicts with what the cloud service already holds.",
            "Look at what the service holds now before trying again.",
        ),
        (
            500,
            CloudServerError,
            f"The cloud service at {BASE}/v1/geographies had an internal error (HTTP 500).",
            "This is not caused by what you entered; try again later, and tell your provider "
            "if it keeps happening.",
        ),
        (
            501,
            CloudServerError,
            f"The cloud service at {BASE}/v1/geographies does not implement this request "
            "(HTTP 501).",
            "This is not caused by what you entered; try again later, and tell your provider "
            "if it keeps happening.",
        ),
        (
            502,
            CloudServerError,
            f"The cloud service at {BASE}/v1/geographies had an internal error (HTTP 502).",
            "This is not caused by what you entered; try again later, and tell your provider "
            "if it keeps happening.",
        ),
    ],
)
def test_status_without_detail(
    clock: RecordingClock, status: int, kind: type[CloudError], message: str, hint: str
) -> None:
    script = Script(problem(status))
    with client(script, clock) as c, pytest.raises(kind) as caught:
        c.geographies()
    assert type(caught.value) is kind
    assert caught.value.message == message
    assert caught.value.hint == hint
    assert caught.value.status == status
    assert len(script.requests) == 1  # none of these is retried
    assert clock.sleeps == []


def test_redirect_is_not_followed(clock: RecordingClock) -> None:
    script = Script(httpx.Response(302, headers={"Location": "https://login.proxy.example"}))
    with client(script, clock) as c, pytest.raises(CloudBadResponse) as caught:
        c.geographies()
    assert caught.value.message == (
        f"The cloud service at {BASE}/v1/geographies sent an answer that is a redirect to "
        "https://login.proxy.example."
    )
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (
            httpx.Response(
                200, content=b"<html>Sign in</html>", headers={"Content-Type": "text/html"}
            ),
            "a web page, not JSON",
        ),
        (httpx.Response(200, content=b"nonsense"), "not JSON"),
        (ok([1, 2]), "JSON but not an object"),
        (ok({"geographies": "na"}), 'missing "geographies" (a list of objects)'),
        (ok({"geographies": [{"id": "na"}]}), 'missing "name" (a text)'),
    ],
)
def test_answer_of_the_wrong_shape(
    clock: RecordingClock, answer: httpx.Response, what: str
) -> None:
    with client(Script(answer), clock) as c, pytest.raises(CloudBadResponse) as caught:
        c.geographies()
    assert caught.value.message == (
        f"The cloud service at {BASE}/v1/geographies sent an answer that is {what}."
    )
    assert "docs/cloud-api.md" in caught.value.hint


def test_registration_answer_is_read(clock: RecordingClock) -> None:
    answer = ok(
        {
            "org_id": "org-1",
            "logon_name": "admin@renovations.com",
            "home_url": None,
            "registered_at": "2026-11-25T09:00:00Z",
        },
        201,
    )
    script = Script(answer)
    with client(script, clock) as c:
        result = c.register(registration())
    assert result.org_id == "org-1"
    assert result.logon_name == "admin@renovations.com"
    assert result.home_url == ""
    assert result.registered_at == NOW
    request = script.requests[0]
    assert request.method == "POST"
    assert request.url == f"{BASE}/v1/organisations"
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept"] == "application/json, application/problem+json"
    body = json.loads(request.content)
    assert body["password"] == PASSWORD
    assert body["terms_accepted"] is True


def test_bad_time_in_an_answer(clock: RecordingClock) -> None:
    answer = ok({"token": "t", "expires_at": "tomorrow"}, 201)
    with client(Script(answer), clock) as c, pytest.raises(CloudBadResponse) as caught:
        c.logon("a@b.com", Secret("x"))
    assert 'missing "expires_at" (an RFC 3339 time)' in caught.value.message


# --- no answer at all -----------------------------------------------------------------------


def _chained(outer: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    outer.__cause__ = cause
    return outer


def test_refused_is_retried_with_backoff_then_explained(clock: RecordingClock) -> None:
    refused = _chained(httpx.ConnectError("[Errno 111]"), ConnectionRefusedError(111, "refused"))
    script = Script(refused)
    with client(script, clock) as c, pytest.raises(CloudUnreachable) as caught:
        c.geographies()
    assert caught.value.reason == "refused"
    assert caught.value.message == (
        f"Nothing answers at {BASE}/v1/geographies: the connection was refused."
    )
    assert "sandbox" in caught.value.hint
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(script.requests) == 4


def test_refused_once_then_answered(clock: RecordingClock) -> None:
    refused = _chained(httpx.ConnectError("boom"), ConnectionRefusedError(111, "refused"))
    script = Script(refused, GEOS)
    with client(script, clock) as c:
        assert [g.id for g in c.geographies()] == ["na"]
    assert clock.sleeps == [0.5]


@pytest.mark.parametrize(
    ("error", "reason", "message"),
    [
        (
            _chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")),
            "dns",
            "The host name api.notes.na.collabserv.com of the cloud API cannot be found in DNS.",
        ),
        (
            httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
            "dns",
            "The host name api.notes.na.collabserv.com of the cloud API cannot be found in DNS.",
        ),
        (
            httpx.ReadTimeout("timed out"),
            "timeout",
            f"The cloud service at {BASE}/v1/geographies did not answer within 4 seconds.",
        ),
        (
            httpx.ConnectTimeout("timed out"),
            "timeout",
            f"The cloud service at {BASE}/v1/geographies did not answer within 4 seconds.",
        ),
        (
            _chained(
                httpx.ConnectError("x"),
                ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED]"),
            ),
            "tls",
            "The TLS certificate of api.notes.na.collabserv.com could not be verified "
            "(certificate verify failed).",
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "network",
            f"The connection to {BASE}/v1/geographies failed (Server disconnected without "
            "sending a response.).",
        ),
    ],
)
def test_no_answer_is_explained_without_retrying(
    clock: RecordingClock, error: httpx.TransportError, reason: str, message: str
) -> None:
    script = Script(error)
    with client(script, clock, timeout=4.0) as c, pytest.raises(CloudUnreachable) as caught:
        c.geographies()
    assert caught.value.reason == reason
    assert caught.value.message == message
    assert caught.value.hint
    assert len(script.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "api.notes.na.collabserv.com",
        "ftp://api.notes.na.collabserv.com",
        "http://[::1",
        "http://127.0.0.1:99999",
        "http://a b.example.com",
        "https://api.example.com/?token=1",
    ],
)
def test_base_url_that_is_not_an_api_address(url: str) -> None:
    with pytest.raises(CloudError) as caught:
        CloudClient(url)
    assert caught.value.message == f'"{url}" is not a cloud API address.'


def test_password_in_a_base_url_is_not_echoed() -> None:
    with pytest.raises(CloudError) as caught:
        CloudClient("https://admin:hunter22@api.example.com")
    assert "hunter22" not in str(caught.value)
    assert '"https://...@api.example.com"' in caught.value.message


@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.8:8080/"])
def test_plain_http_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(CloudError) as caught:
        CloudClient(url)
    assert caught.value.message == (
        f'"{url}" uses plain http:// to another machine, so the password and the logon token '
        "would travel unencrypted."
    )
    assert caught.value.hint == (
        "Use https:// (plain http:// is accepted only for 127.0.0.1 or localhost)."
    )


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1/", "http://[::1]:2"])
def test_plain_http_to_this_machine_is_accepted(url: str) -> None:
    with CloudClient(url) as c:
        assert c.base_url == url.rstrip("/")


def test_loopback_ignores_proxy_settings() -> None:
    with CloudClient("http://127.0.0.1:8080/") as local, CloudClient(BASE) as remote:
        assert local.base_url == "http://127.0.0.1:8080"
        assert local._http.trust_env is False
        assert remote._http.trust_env is True


# --- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Wed, 25 Nov 2026 09:02:00 GMT", 120.0),
        ("Wed, 25 Nov 2026 09:00:30 -0000", 30.0),  # "-0000": a naive date, taken as UTC
        ("Wed, 25 Nov 2026 10:01:00 +0100", 60.0),
        ("Wed, 25 Nov 2026 08:00:00 GMT", 0.0),  # already past
        ("Tue, 24 Nov 2026 09:00:00 GMT", 0.0),
    ],
)
def test_retry_after_is_parsed(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "inf", "nan", "12 apples"])
def test_retry_after_that_means_nothing(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


# --- the retry budget ----------------------------------------------------------------------


def test_budget_backs_off_and_stops_at_max_retries() -> None:
    budget = RetryBudget(max_retries=3)
    assert [budget.next_wait(None) for _ in range(4)] == [0.5, 1.0, 2.0, None]
    assert budget.retries == 3
    assert budget.waited == 3.5


def test_budget_stops_at_the_ceiling() -> None:
    budget = RetryBudget(max_retries=10)
    assert budget.next_wait(MAX_TOTAL_WAIT + 1) is None
    assert budget.retries == 0
    assert budget.next_wait(20.0) == 20.0
    assert budget.next_wait(10.0) == 10.0  # exactly the ceiling is allowed
    assert budget.next_wait(0.1) is None
    assert budget.waited == MAX_TOTAL_WAIT


def test_budget_with_no_retries() -> None:
    assert RetryBudget(max_retries=0).next_wait(1.0) is None


def busy(status: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return problem(status, "Slow down.", headers=headers)


@pytest.mark.parametrize("status", [429, 503])
def test_busy_answers_are_retried_as_asked(clock: RecordingClock, status: int) -> None:
    script = Script(busy(status, "2"), busy(status, "3"), GEOS)
    with client(script, clock) as c:
        geos = c.geographies()
    assert [g.smtp_host for g in geos] == ["smtp.notes.na.collabserv.com"]
    assert clock.sleeps == [2.0, 3.0]
    assert len(script.requests) == 3
    assert clock.now() == NOW + timedelta(seconds=5)


def test_busy_with_an_http_date(clock: RecordingClock) -> None:
    when = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    script = Script(busy(503, when), GEOS)
    with client(script, clock) as c:
        c.geographies()
    assert clock.sleeps == [12.0]


def test_busy_without_retry_after_backs_off(clock: RecordingClock) -> None:
    script = Script(busy(503))
    with client(script, clock) as c, pytest.raises(CloudBusy) as caught:
        c.geographies()
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(script.requests) == 4
    assert caught.value.retry_after is None
    assert str(caught.value) == (
        f"The cloud service at {BASE}/v1/geographies is busy (HTTP 503) and asked to be "
        "called later. Try again in a minute."
    )


def test_busy_that_persists_says_when_to_come_back(clock: RecordingClock) -> None:
    script = Script(busy(429, "5"))
    with client(script, clock) as c, pytest.raises(CloudBusy) as caught:
        c.register(registration())
    assert clock.sleeps == [5.0, 5.0, 5.0]
    assert len(script.requests) == 4
    assert caught.value.status == 429
    assert caught.value.retry_after == 5.0
    assert caught.value.hint == "Try again in 5 s."


def test_busy_for_too_long_is_not_waited_for(clock: RecordingClock) -> None:
    script = Script(busy(503, "600"))
    with client(script, clock) as c, pytest.raises(CloudBusy) as caught:
        c.geographies()
    assert clock.sleeps == []
    assert len(script.requests) == 1
    assert caught.value.hint == "Try again in 10 min."


def test_total_wait_never_passes_the_ceiling(clock: RecordingClock) -> None:
    script = Script(busy(503, "20"))
    with client(script, clock, max_retries=10) as c, pytest.raises(CloudBusy):
        c.geographies()
    assert clock.sleeps == [20.0]
    assert sum(clock.sleeps) <= MAX_TOTAL_WAIT


def test_max_retries_zero_fails_at_once(clock: RecordingClock) -> None:
    script = Script(busy(429, "1"))
    with client(script, clock, max_retries=0) as c, pytest.raises(CloudBusy):
        c.geographies()
    assert clock.sleeps == []
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("seconds", "words"), [(0.2, "1 s"), (59, "59 s"), (119, "119 s"), (120, "2 min")]
)
def test_busy_hint_rounds_sensibly(seconds: float, words: str) -> None:
    assert CloudBusy.after("u", 429, seconds).hint == f"Try again in {words}."
