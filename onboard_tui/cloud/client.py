"""The synchronous client of the cloud API contract (docs/cloud-api.md, v1).

Synchronous on purpose: it runs in the TUI's thread workers and in the CLI. It retries
only what is safe to repeat (429/503 answers and refused connections, where the request
was not processed), waits with the injected clock so tests do not wait, and turns every
failure into a `CloudError` sentence. Passwords travel only in request bodies and tokens
only in the Authorization header; neither is logged or put in a message.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from onboard_tui import __version__
from onboard_tui.clock import Clock, SystemClock
from onboard_tui.cloud.decode import JsonObject
from onboard_tui.cloud.errors import (
    CloudBusy,
    CloudConflict,
    CloudError,
    CloudUnreachable,
)
from onboard_tui.cloud.failures import status_failure, transport_failure
from onboard_tui.cloud.models import (
    CloudDomain,
    CloudItem,
    CloudLogon,
    CloudUser,
    CloudUserPage,
    Geography,
    MailboxUsage,
    Organisation,
    Registration,
    RegistrationResult,
)
from onboard_tui.cloud.problem import read_problem
from onboard_tui.cloud.retry import RetryBudget, parse_retry_after
from onboard_tui.providers.reader import http_url, is_loopback
from onboard_tui.session.secrets import Secret

log = logging.getLogger(__name__)

USER_AGENT = f"onboard-tui/{__version__}"
_BUSY = (429, 503)
_ACCEPT = "application/json, application/problem+json"


class CloudClient:
    """One cloud API base URL; use as a context manager or call close()."""

    def __init__(
        self,
        base_url: str,
        *,
        verify: bool | str = True,
        timeout: float = 10.0,
        max_retries: int = 3,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        on_busy: Callable[[int, float | None], None] | None = None,
    ) -> None:
        self.base_url = _checked_base_url(base_url)
        #: Told of every 429/503 (status, Retry-After), retried or not: the migration
        #: engine lowers its concurrency on it.
        self.on_busy = on_busy
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.clock: Clock = clock or SystemClock()
        if verify is False:
            log.warning("TLS certificate verification is OFF for %s", self.base_url)
        self._http = httpx.Client(
            verify=_tls(verify),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
            follow_redirects=False,
            # A proxy from the environment must never see sandbox traffic on 127.0.0.1.
            trust_env=not is_loopback(urlsplit(self.base_url).hostname or ""),
        )

    def __enter__(self) -> CloudClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"CloudClient({self.base_url!r})"

    # --- the contract ----------------------------------------------------------------

    def geographies(self) -> list[Geography]:
        """`GET /v1/geographies`: where each region's API answers, and its SMTP host."""
        body = self._call("GET", "/v1/geographies")
        return [
            Geography(
                id=g.text("id"),
                name=g.text("name"),
                api_url=g.text("api_url"),
                smtp_host=g.text("smtp_host"),
            )
            for g in body.objects("geographies")
        ]

    def register(self, registration: Registration) -> RegistrationResult:
        """`POST /v1/organisations`: register the organisation and its first administrator."""
        payload = {
            "admin_email": registration.admin_email,
            "password": registration.password.reveal(),
            "country": registration.country,
            "language": registration.language,
            "timezone": registration.timezone,
            "geography": registration.geography,
            "terms_accepted": registration.terms_accepted,
            "company": registration.company,
        }
        try:
            body = self._call(
                "POST", "/v1/organisations", json=payload, redact=[registration.password]
            )
        except CloudConflict as exc:
            exc.hint = "Log on with that email address instead, or register with another one."
            raise
        return RegistrationResult(
            org_id=body.text("org_id"),
            logon_name=body.text("logon_name"),
            home_url=body.text("home_url", optional=True),
            registered_at=body.time("registered_at"),
        )

    def logon(self, email: str, password: Secret) -> CloudLogon:
        """`POST /v1/sessions`: a bearer token for the calls that need one."""
        body = self._call(
            "POST",
            "/v1/sessions",
            json={"email": email, "password": password.reveal()},
            redact=[password],
        )
        return CloudLogon(token=Secret(body.text("token")), expires_at=body.time("expires_at"))

    def organisation(self, logon: CloudLogon) -> Organisation:
        """`GET /v1/organisation`: the organisation the logon belongs to."""
        body = self._call("GET", "/v1/organisation", logon=logon)
        return Organisation(
            org_id=body.text("org_id"),
            company=body.text("company", optional=True),
            admin_email=body.text("admin_email"),
            logon_name=body.text("logon_name"),
            country=body.text("country"),
            language=body.text("language"),
            timezone=body.text("timezone"),
            geography=body.text("geography"),
            home_url=body.text("home_url", optional=True),
            registered_at=body.time("registered_at"),
        )

    # --- domains (Step 2) -------------------------------------------------------------

    def domains(self, logon: CloudLogon) -> list[CloudDomain]:
        """`GET /v1/domains`: every domain of the organisation, sorted by name."""
        body = self._call("GET", "/v1/domains", logon=logon)
        return [_domain(d) for d in body.objects("domains")]

    def add_domain(self, logon: CloudLogon, name: str) -> CloudDomain:
        """`PUT /v1/domains/{domain}`: list a domain (its key is issued); repeating is harmless."""
        return _domain(self._call("PUT", _domain_path(name), json={}, logon=logon))

    def domain(self, logon: CloudLogon, name: str) -> CloudDomain:
        """`GET /v1/domains/{domain}` (the service may check the record on the way)."""
        return _domain(self._call("GET", _domain_path(name), logon=logon))

    def begin_verification(self, logon: CloudLogon, name: str) -> CloudDomain:
        """`POST .../verification`: Begin Verification (repeating it does not move the clock)."""
        path = _domain_path(name) + "/verification"
        return _domain(self._call("POST", path, json={}, logon=logon))

    def restart_verification(self, logon: CloudLogon, name: str) -> CloudDomain:
        """`POST .../verification/restart`: a new key; `409 restart-too-early` before 48 h."""
        path = _domain_path(name) + "/verification/restart"
        return _domain(self._call("POST", path, json={}, logon=logon))

    # --- mailboxes (Step 3) ------------------------------------------------------------

    def put_item(
        self,
        logon: CloudLogon,
        email: str,
        source_id: str,
        body: bytes,
        *,
        content_type: str = "message/rfc822",
        folder: Sequence[str] = (),
        flags: Sequence[str] = (),
        received: datetime | None = None,
    ) -> CloudItem:
        """`PUT /v1/mailboxes/{email}/items/{source_id}`: store one item, idempotently.

        The body is sent as it is; folder segments are percent-encoded and joined by "/".
        """
        headers = {"Content-Type": content_type}
        if folder:
            headers["Item-Folder"] = "/".join(quote(part, safe="") for part in folder)
        if flags:
            headers["Item-Flags"] = ",".join(flags)
        if received is not None:
            headers["Item-Received"] = (
                received.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            )
        path = _item_path(email, source_id)
        body_obj, status = self._call_status(
            "PUT", path, content=body, extra_headers=headers, logon=logon
        )
        return _item(body_obj, created=status == 201)

    def item(self, logon: CloudLogon, email: str, source_id: str) -> CloudItem:
        """`GET /v1/mailboxes/{email}/items/{source_id}` (404 `item-not-found` if absent)."""
        return _item(self._call("GET", _item_path(email, source_id), logon=logon))

    def mailbox_usage(self, logon: CloudLogon, email: str) -> MailboxUsage:
        """`GET /v1/mailboxes/{email}/usage`: stored bytes and items against the quota."""
        path = "/v1/mailboxes/" + quote(email.strip().lower(), safe="") + "/usage"
        body = self._call("GET", path, logon=logon)
        kinds = body.object("by_kind")
        return MailboxUsage(
            email=body.text("email"),
            quota_bytes=_whole(body, "quota_bytes"),
            used_bytes=_whole(body, "used_bytes"),
            items=_whole(body, "items"),
            max_item_bytes=_whole(body, "max_item_bytes"),
            by_kind={
                k: (_whole(kinds.object(k), "items"), _whole(kinds.object(k), "bytes"))
                for k in kinds.data
            },
        )

    # --- users (Steps 3 and 4) -----------------------------------------------------------

    def users_page(
        self,
        logon: CloudLogon,
        *,
        cursor: str = "",
        limit: int = 500,
        subscription: str = "",
        activation: str = "",
    ) -> CloudUserPage:
        """`GET /v1/users`: one page, by email; filters take the contract's state values."""
        query = {"limit": str(limit)}
        for key, value in (
            ("cursor", cursor),
            ("subscription", subscription),
            ("activation", activation),
        ):
            if value:
                query[key] = value
        body = self._call("GET", "/v1/users?" + urlencode(query), logon=logon)
        return CloudUserPage(
            [_user(u) for u in body.objects("users")], body.text("next_cursor", optional=True)
        )

    def all_users(
        self, logon: CloudLogon, *, subscription: str = "", activation: str = ""
    ) -> list[CloudUser]:
        """Every page of `GET /v1/users` (same filters as `users_page`)."""
        found: list[CloudUser] = []
        cursor = ""
        while True:
            page = self.users_page(
                logon, cursor=cursor, subscription=subscription, activation=activation
            )
            found.extend(page.users)
            if not page.next_cursor or page.next_cursor == cursor:
                return found
            cursor = page.next_cursor

    def user(self, logon: CloudLogon, email: str) -> CloudUser:
        """`GET /v1/users/{email}` (404 `not-found` when not provisioned)."""
        return _user(self._call("GET", _user_path(email), logon=logon))

    def provision_user(
        self, logon: CloudLogon, email: str, display_name: str, given: str = "", family: str = ""
    ) -> CloudUser:
        """`PUT /v1/users/{email}`: create the user (or update the names); repeatable."""
        payload = {"display_name": display_name, "given_name": given, "family_name": family}
        return _user(self._call("PUT", _user_path(email), json=payload, logon=logon))

    def assign_subscription(self, logon: CloudLogon, email: str, kind: str = "") -> CloudUser:
        """`PUT /v1/users/{email}/subscription`; repeating keeps `assigned_at`.

        `403 assigned-at-provider` means only the solution provider's portal assigns.
        """
        payload = {"type": kind} if kind else {}
        path = _user_path(email) + "/subscription"
        return _user(self._call("PUT", path, json=payload, logon=logon))

    def unassign_subscription(self, logon: CloudLogon, email: str) -> CloudUser:
        """`DELETE /v1/users/{email}/subscription`."""
        return _user(self._call("DELETE", _user_path(email) + "/subscription", logon=logon))

    def activate_user(self, email: str, password: Secret) -> CloudUser:
        """`POST /v1/users/{email}/activation`: the user's own first logon (no bearer)."""
        path = _user_path(email) + "/activation"
        body = self._call("POST", path, json={"password": password.reveal()}, redact=[password])
        return _user(body)

    # --- plumbing --------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        logon: CloudLogon | None = None,
        redact: Sequence[Secret] = (),
    ) -> JsonObject:
        """One request with its retries; the 2xx body as a JSON object, else a CloudError."""
        return self._call_status(method, path, json=json, logon=logon, redact=redact)[0]

    def _call_status(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        content: bytes | None = None,
        extra_headers: dict[str, str] | None = None,
        logon: CloudLogon | None = None,
        redact: Sequence[Secret] = (),
    ) -> tuple[JsonObject, int]:
        """As `_call`, with a raw body and headers allowed, and the 2xx status too."""
        url = self.base_url + path
        headers: dict[str, str] = dict(extra_headers or {})
        if logon is not None:
            headers["Authorization"] = f"Bearer {logon.token.reveal()}"
            redact = [*redact, logon.token]
        budget = RetryBudget(self.max_retries)
        while True:
            try:
                response = self._http.request(
                    method, url, json=json, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                failure = transport_failure(exc, url, self.timeout)
                if self._wait_after_connect_failure(exc, failure, budget, method, url):
                    continue
                raise failure from exc
            log.debug("%s %s -> %s", method, url, response.status_code)
            if response.status_code in _BUSY:
                self._wait_while_busy(response, budget, method, url)
                continue
            if response.is_success:
                return JsonObject.of(response, url), response.status_code
            problem = read_problem(response, redact)
            error = status_failure(response, url, problem)
            error.kind, error.extensions = problem.kind, problem.extensions
            log.info("%s %s failed: %s", method, url, error.message)
            raise error

    def _wait_after_connect_failure(
        self,
        exc: httpx.TransportError,
        failure: CloudUnreachable,
        budget: RetryBudget,
        method: str,
        url: str,
    ) -> bool:
        """Sleep and return True when a connection that never carried the request may be retried."""
        if not isinstance(exc, httpx.ConnectError) or failure.reason not in ("refused", "network"):
            return False
        delay = budget.next_wait(None)
        if delay is None:
            return False
        log.info("%s %s: %s; retrying in %.1f s", method, url, failure.reason, delay)
        self.clock.sleep(delay)
        return True

    def _wait_while_busy(
        self, response: httpx.Response, budget: RetryBudget, method: str, url: str
    ) -> None:
        """Sleep as long as Retry-After asks, or raise CloudBusy when that is too long."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
        if self.on_busy is not None:
            self.on_busy(status, retry_after)
        delay = budget.next_wait(retry_after)
        if delay is None:
            log.info("%s %s: busy (HTTP %s), giving up", method, url, status)
            raise CloudBusy.after(url, status, retry_after)
        log.info("%s %s: busy (HTTP %s); retrying in %.1f s", method, url, status, delay)
        response.close()
        self.clock.sleep(delay)


def _item_path(email: str, source_id: str) -> str:
    return (
        "/v1/mailboxes/"
        + quote(email.strip().lower(), safe="")
        + "/items/"
        + quote(source_id, safe="")
    )


def _whole(body: JsonObject, key: str) -> int:
    value = body.data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise CloudError(f'The cloud API answered without a whole number "{key}" ({body.url}).')
    return value


def _item(body: JsonObject, *, created: bool = False) -> CloudItem:
    flags = body.data.get("flags")
    return CloudItem(
        source_id=body.text("source_id"),
        kind=body.text("kind"),
        folder=body.text("folder", optional=True),
        flags=tuple(str(f) for f in flags) if isinstance(flags, list) else (),
        received_at=body.optional_time("received_at"),
        size=_whole(body, "size"),
        sha256=body.text("sha256"),
        stored_at=body.optional_time("stored_at"),
        created=created,
    )


def _user_path(email: str) -> str:
    return "/v1/users/" + quote(email.strip().lower(), safe="")


def _user(body: JsonObject) -> CloudUser:
    subscription = body.object("subscription")
    activation = body.object("activation")
    return CloudUser(
        email=body.text("email"),
        display_name=body.text("display_name", optional=True),
        given_name=body.text("given_name", optional=True),
        family_name=body.text("family_name", optional=True),
        provisioned_at=body.optional_time("provisioned_at"),
        subscription=subscription.text("state"),
        subscription_type=subscription.text("type", optional=True),
        assigned_at=subscription.optional_time("assigned_at"),
        activation=activation.text("state"),
        activated_at=activation.optional_time("activated_at"),
    )


def _domain_path(name: str) -> str:
    return "/v1/domains/" + quote(name.strip().rstrip(".").lower(), safe="")


def _domain(body: JsonObject) -> CloudDomain:
    cname = body.object("cname")
    check = body.object("last_check")
    return CloudDomain(
        name=body.text("name"),
        parent=body.text("parent", optional=True),
        status=body.text("status"),
        key=body.text("key", optional=True),
        record=cname.text("name", optional=True),
        target=cname.text("target", optional=True),
        begun_at=body.optional_time("begun_at"),
        restart_allowed_at=body.optional_time("restart_allowed_at"),
        verified_at=body.optional_time("verified_at"),
        checked_at=check.optional_time("at"),
        check_result=check.text("result", optional=True),
        check_seen=check.text("seen", optional=True),
    )


def _checked_base_url(base_url: str) -> str:
    parts = http_url(base_url.strip())
    shown = re.sub(r"//[^/@]*@", "//...@", base_url)  # never echo a password in a URL
    if parts is None or parts.query or parts.fragment:
        raise CloudError(
            f'"{shown}" is not a cloud API address.',
            hint="Use an address such as https://api.notes.na.collabserv.com.",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise CloudError(
            f'"{shown}" uses plain http:// to another machine, so the password and the '
            "logon token would travel unencrypted.",
            hint="Use https:// (plain http:// is accepted only for 127.0.0.1 or localhost).",
        )
    return base_url.strip().rstrip("/")


def _tls(verify: bool | str) -> bool | ssl.SSLContext:
    """True/False as given; a CA file becomes a context that trusts only that file."""
    if isinstance(verify, bool):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise CloudError(
            f"The CA certificate file {verify} cannot be used ({exc}).",
            hint="Point [cloud] ca_file in session.toml at a PEM file with the service's CA.",
        ) from None
