"""Cloud API failures, each one sentence an administrator understands plus what to do.

The classes say what kind of failure it was, so callers can react (a 409 on registration,
a 401 that needs a new logon) without reading status codes. No message ever contains a
password or a token: the client redacts them from any text the server sends back.
"""

from __future__ import annotations

from collections.abc import Mapping

from onboard_tui.errors import OnboardError


class CloudError(OnboardError):
    """Any failure talking to the cloud API."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        url: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        field_errors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.status = status
        self.retry_after = retry_after
        self.field_errors: dict[str, str] = dict(field_errors or {})
        self.kind = ""  # the problem type's last part, e.g. "restart-too-early"
        self.extensions: dict[str, str] = {}  # the problem's extra string members

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status})"


class CloudUnreachable(CloudError):
    """No HTTP answer at all: refused, unknown host, timeout, TLS or a broken connection."""

    def __init__(self, message: str, *, reason: str, hint: str, url: str) -> None:
        super().__init__(message, hint=hint, url=url)
        self.reason = reason  # "refused", "dns", "timeout", "tls" or "network"

    @classmethod
    def refused(cls, url: str) -> CloudUnreachable:
        return cls(
            f"Nothing answers at {url}: the connection was refused.",
            reason="refused",
            hint="Check that the cloud service (or the sandbox) is running and that the API "
            "URL is right.",
            url=url,
        )

    @classmethod
    def unknown_host(cls, host: str, url: str) -> CloudUnreachable:
        return cls(
            f"The host name {host} of the cloud API cannot be found in DNS.",
            reason="dns",
            hint="Check the API URL (provider profile or [cloud] api_url in session.toml) "
            "and this machine's DNS settings.",
            url=url,
        )

    @classmethod
    def timeout(cls, url: str, seconds: float) -> CloudUnreachable:
        return cls(
            f"The cloud service at {url} did not answer within {seconds:g} seconds.",
            reason="timeout",
            hint="Check the network path (proxy, firewall) to the service and try again.",
            url=url,
        )

    @classmethod
    def certificate(cls, host: str, url: str, detail: str) -> CloudUnreachable:
        return cls(
            f"The TLS certificate of {host} could not be verified ({detail}).",
            reason="tls",
            hint="If the service uses a private certificate authority, set [cloud] ca_file in "
            "session.toml to its certificate; turn verify_tls off only for a test system.",
            url=url,
        )

    @classmethod
    def broken(cls, url: str, detail: str) -> CloudUnreachable:
        return cls(
            f"The connection to {url} failed ({detail}).",
            reason="network",
            hint="Check the network path to the service and try again.",
            url=url,
        )


class CloudRejected(CloudError):
    """A 4xx answer: the service understood the request and refused it."""


class CloudUnauthorised(CloudRejected):
    """401: wrong logon name or password, or a logon that has expired."""


class CloudConflict(CloudRejected):
    """409: the request clashes with what the service already holds."""


class CloudBusy(CloudError):
    """429 or 503 that outlasted the retries; `retry_after` says when to try again."""

    @classmethod
    def after(cls, url: str, status: int, retry_after: float | None) -> CloudBusy:
        when = f"in {_seconds(retry_after)}" if retry_after is not None else "in a minute"
        return cls(
            f"The cloud service at {url} is busy (HTTP {status}) and asked to be called later.",
            hint=f"Try again {when}.",
            url=url,
            status=status,
            retry_after=retry_after,
        )


class CloudServerError(CloudError):
    """A 5xx answer: the fault is on the service's side."""


class CloudBadResponse(CloudError):
    """An answer that is not the contract's JSON: the URL is probably not the cloud API."""

    @classmethod
    def shape(cls, url: str, what: str, status: int | None = None) -> CloudBadResponse:
        return cls(
            f"The cloud service at {url} sent an answer that is {what}.",
            hint="Check that the API URL points at the cloud API (docs/cloud-api.md, v1), not "
            "at a web page or a proxy's login page.",
            url=url,
            status=status,
        )


def _seconds(value: float) -> str:
    whole = max(1, round(value))
    if whole < 120:
        return f"{whole} s"
    return f"{round(whole / 60)} min"
