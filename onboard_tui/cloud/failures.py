"""Turning what httpx raises or returns into the one `CloudError` an administrator reads."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from onboard_tui.cloud.errors import (
    CloudBadResponse,
    CloudConflict,
    CloudError,
    CloudRejected,
    CloudServerError,
    CloudUnauthorised,
    CloudUnreachable,
)
from onboard_tui.cloud.problem import Problem, sentence

_DNS_WORDS = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "temporary failure in name resolution",
    "no address associated",
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def transport_failure(exc: httpx.TransportError, url: str, timeout: float) -> CloudUnreachable:
    """Why no HTTP answer came: refused, unknown host, timeout, certificate, or other."""
    host = urlsplit(url).hostname or url
    if isinstance(exc, httpx.TimeoutException):
        return CloudUnreachable.timeout(url, timeout)
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            # Set by the ssl module's handshake, absent when another library raises it.
            detail = getattr(cause, "verify_message", "") or "certificate verify failed"
            return CloudUnreachable.certificate(host, url, detail)
        if isinstance(cause, ssl.SSLError):
            return CloudUnreachable.certificate(host, url, cause.reason or "TLS handshake failed")
        if isinstance(cause, socket.gaierror):
            return CloudUnreachable.unknown_host(host, url)
        if isinstance(cause, ConnectionRefusedError):
            return CloudUnreachable.refused(url)
    text = str(exc).lower()
    if "certificate_verify_failed" in text or "certificate verify failed" in text:
        return CloudUnreachable.certificate(host, url, "certificate verify failed")
    if any(word in text for word in _DNS_WORDS):
        return CloudUnreachable.unknown_host(host, url)
    if "refused" in text:
        return CloudUnreachable.refused(url)
    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
    return CloudUnreachable.broken(url, detail)


def status_failure(response: httpx.Response, url: str, problem: Problem) -> CloudError:
    """The error for a non-2xx answer other than the busy ones the client retries."""
    status = response.status_code
    if status == 401:
        return CloudUnauthorised(
            sentence(problem.detail) or "The cloud service did not accept the logon.",
            hint="Check the logon name (the administrator's email) and the password, then "
            "log on again.",
            url=url,
            status=status,
        )
    if status == 409:
        return CloudConflict(
            sentence(problem.detail)
            or "The request conflicts with what the cloud service already holds.",
            hint="Look at what the service holds now before trying again.",
            url=url,
            status=status,
        )
    if 400 <= status < 500:
        fields = problem.field_errors
        return CloudRejected(
            sentence(problem.detail)
            or f"The cloud service at {url} refused the request "
            f"(HTTP {status} {problem.title or response.reason_phrase}).",
            hint=" ".join(f"{name}: {text}" for name, text in fields.items())
            or _rejected_hint(status),
            url=url,
            status=status,
            field_errors=fields,
        )
    if 500 <= status < 600:
        what = "does not implement this request" if status == 501 else "had an internal error"
        return CloudServerError(
            f"The cloud service at {url} {what} (HTTP {status}).",
            hint="This is not caused by what you entered; try again later, and tell your "
            "provider if it keeps happening.",
            url=url,
            status=status,
        )
    location = response.headers.get("Location", "")
    what = f"a redirect to {location}" if location else f"HTTP status {status}"
    return CloudBadResponse.shape(url, what, status)


def _rejected_hint(status: int) -> str:
    if status == 404:
        return "Check that the API URL points at the cloud API (v1)."
    if status == 403:
        return "Log on with an account that has the administrator role."
    return "Correct the request as the message says and try again."
