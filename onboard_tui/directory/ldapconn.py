"""Connecting to an LDAP directory with ldap3: TLS on by default, failures as sentences.

The bind password comes from a secret reference and is handed to ldap3 only; it never
appears in a message, a log line or an exception (ldap3's own text is not shown as is).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import ldap3
from ldap3.core import exceptions as lx

from onboard_tui.directory.errors import DirectoryError
from onboard_tui.session.model import LdapSource
from onboard_tui.session.secrets import Secret, SecretRef

STAGES = ("name lookup", "TCP", "TLS", "bind", "search base")
_RESULTS = {
    3: "the server's time limit ended the search",
    4: "the server's size limit cut the search short (paging was refused)",
    10: "the server referred the search to another server",
    11: "the server's administrative limit was exceeded",
    32: "the base DN does not exist",
    49: "the user name or password was refused",
    50: "the bind user may not read this part of the directory",
    51: "the server is busy",
    52: "the server is unavailable",
    53: "the server is unwilling to do this",
}


def result_sentence(code: int, where: str) -> str:
    return f"{where}: {_RESULTS.get(code, f'the server answered with LDAP result {code}')}."


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    ldaps: bool


def endpoint(source: LdapSource) -> Endpoint:
    url = urlparse(source.url)
    if url.scheme not in ("ldap", "ldaps") or not url.hostname:
        raise DirectoryError(f"'{source.url}' is not an LDAP address (ldaps://host:636).")
    ldaps = url.scheme == "ldaps" or source.security == "ldaps"
    return Endpoint(url.hostname, url.port or (636 if ldaps else 389), ldaps)


def tls_settings(source: LdapSource) -> ldap3.Tls | None:
    """Certificate verification on unless turned off explicitly; the CA file if given."""
    if source.security == "plain":
        return None
    if source.verify_tls:
        return ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=source.ca_file or None,
            version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return ldap3.Tls(validate=ssl.CERT_NONE, version=ssl.PROTOCOL_TLS_CLIENT)


def password_of(source: LdapSource, typed: Secret | None) -> Secret:
    """A password the admin just typed wins; otherwise the session's secret reference."""
    if typed is not None:
        return typed
    ref = SecretRef.parse(source.bind_password, field="bind password")
    if ref.needs_prompt:
        raise DirectoryError("The directory's bind password must be typed in.")
    return ref.resolve()


def make_connection(source: LdapSource, password: Secret) -> ldap3.Connection:
    ep = endpoint(source)
    server = ldap3.Server(
        ep.host,
        port=ep.port,
        use_ssl=ep.ldaps,
        tls=tls_settings(source),
        get_info=ldap3.NONE,
        connect_timeout=min(10, source.timeout),
    )
    ntlm = source.bind_method == "ntlm"
    return ldap3.Connection(
        server,
        user=source.bind_user or None,
        password=password.reveal() if source.bind_user else None,
        authentication=ldap3.NTLM if ntlm else ldap3.SIMPLE,
        auto_referrals=False,
        receive_timeout=source.timeout,
        raise_exceptions=False,
        read_only=True,
    )


def explain(exc: Exception, source: LdapSource) -> DirectoryError:
    """An ldap3 (or socket/ssl) failure as an OnboardError sentence."""
    where = source.url
    if isinstance(exc, DirectoryError):
        return exc
    if isinstance(exc, lx.LDAPSocketOpenError | ConnectionRefusedError):
        text = str(exc)
        if "certificate" in text.lower() or "ssl" in text.lower():
            return DirectoryError(
                f"{where}: the TLS certificate could not be verified.",
                hint="Give the CA file that signed the server's certificate (ca_file).",
            )
        return DirectoryError(f"{where}: the server cannot be reached.")
    if isinstance(exc, lx.LDAPSessionTerminatedByServerError | lx.LDAPSocketReceiveError):
        return DirectoryError(
            f"{where}: the connection was dropped while reading.",
            hint="Nothing was imported. Try again; if it repeats, lower the page size.",
        )
    if isinstance(exc, lx.LDAPStartTLSError | ssl.SSLError):
        return DirectoryError(f"{where}: the TLS handshake failed.")
    if isinstance(exc, lx.LDAPCommunicationError):
        return DirectoryError(f"{where}: the connection to the server failed.")
    if isinstance(exc, ValueError) and "md4" in str(exc).lower():
        return DirectoryError(
            "NTLM bind needs MD4, which this system's OpenSSL does not provide.",
            hint="Use a simple bind over LDAPS or StartTLS instead.",
        )
    return DirectoryError(f"{where}: {type(exc).__name__} while talking to the server.")


@dataclass
class StageResult:
    """One step of Test connection."""

    stage: str
    ok: bool
    message: str
    seconds: float = 0.0


@dataclass
class ConnectionReport:
    """What Test connection found; `failed_stage` names the first stage that failed."""

    stages: list[StageResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.stages) and len(self.stages) == len(STAGES)

    @property
    def failed_stage(self) -> str | None:
        return next((s.stage for s in self.stages if not s.ok), None)


def check_connection(source: LdapSource, password: Secret | None = None) -> ConnectionReport:
    """Name lookup, TCP, TLS, bind, search base: stop at the first that fails."""
    report = ConnectionReport()

    def step(stage: str, action: Callable[[], str]) -> bool:
        start = time.monotonic()
        try:
            message, ok = action(), True
        except Exception as exc:  # every failure becomes the stage's sentence
            message, ok = str(explain_stage(stage, exc, source)), False
        report.stages.append(StageResult(stage, ok, message, time.monotonic() - start))
        return ok

    try:
        ep = endpoint(source)
    except DirectoryError as exc:
        report.stages.append(StageResult(STAGES[0], False, str(exc)))
        return report
    addresses: list[Any] = []

    def lookup() -> str:
        addresses.extend(socket.getaddrinfo(ep.host, ep.port, type=socket.SOCK_STREAM))
        return f"{ep.host} is {addresses[0][4][0]}."

    def tcp() -> str:
        with socket.create_connection((ep.host, ep.port), timeout=min(10, source.timeout)):
            return f"port {ep.port} answers."

    conn_box: list[ldap3.Connection] = []

    def tls() -> str:
        conn = make_connection(source, password_of(source, password))
        conn_box.append(conn)
        if not conn.open() and conn.closed:
            raise DirectoryError("the connection could not be opened.")
        if ep.ldaps:
            return "LDAPS: the certificate was verified." if source.verify_tls else "LDAPS."
        if source.security == "starttls":
            if not conn.start_tls():
                raise DirectoryError("the server refused StartTLS.")
            return "StartTLS: the certificate was verified." if source.verify_tls else "StartTLS."
        return "no TLS (plain LDAP was chosen): passwords cross the network readable."

    def bind() -> str:
        conn = conn_box[0]
        if not conn.bind():
            raise DirectoryError(result_sentence(int(conn.result["result"]), "bind"))
        return f"bound as {source.bind_user or 'anonymous'}."

    def base() -> str:
        conn = conn_box[0]
        conn.search(source.base_dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[])
        if conn.result["result"] != 0 or not conn.entries:
            raise DirectoryError(result_sentence(int(conn.result["result"]), "search base"))
        return f"{source.base_dn} can be read."

    try:
        for stage, action in zip(STAGES, (lookup, tcp, tls, bind, base), strict=True):
            if not step(stage, action):
                break
    finally:
        for conn in conn_box:
            _quietly_unbind(conn)
    return report


def explain_stage(stage: str, exc: Exception, source: LdapSource) -> str:
    if isinstance(exc, socket.gaierror):
        return f"{stage}: the name {endpoint(source).host} cannot be resolved."
    if isinstance(exc, OSError) and stage == "TCP":
        return f"{stage}: nothing answers on port {endpoint(source).port} ({exc.strerror})."
    if isinstance(exc, DirectoryError):
        text = exc.message
        return text if text.startswith(f"{stage}:") else f"{stage}: {text}"
    return f"{stage}: {explain(exc, source).message}"


def _quietly_unbind(conn: ldap3.Connection) -> None:
    with contextlib.suppress(Exception):  # closing a connection that may already be gone
        conn.unbind()


def open_bound(source: LdapSource, password: Secret) -> ldap3.Connection:
    """A bound connection (StartTLS first when chosen) or a DirectoryError."""
    conn = make_connection(source, password)
    try:
        if not conn.open() and conn.closed:
            raise DirectoryError(f"{source.url}: the server cannot be reached.")
        if source.security == "starttls" and not endpoint(source).ldaps and not conn.start_tls():
            raise DirectoryError(f"{source.url}: the server refused StartTLS.")
        if not conn.bind():
            raise DirectoryError(result_sentence(int(conn.result["result"]), source.url))
    except Exception as exc:
        _quietly_unbind(conn)
        raise explain(exc, source) from None
    return conn


def paged_entries(
    conn: ldap3.Connection,
    source: LdapSource,
    filt: str,
    attributes: list[str],
    referrals: list[str] | None = None,
) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """(dn, attributes) for every entry, a page at a time; referrals are counted, not followed."""
    cookie: bytes | None = None
    while True:
        try:
            conn.search(
                source.base_dn,
                filt,
                search_scope=ldap3.SUBTREE,
                attributes=attributes,
                paged_size=source.page_size,
                paged_cookie=cookie,
                time_limit=source.timeout,
            )
        except Exception as exc:
            raise explain(exc, source) from None
        code = int(conn.result.get("result", 0))
        if code not in (0,):
            raise DirectoryError(
                result_sentence(code, source.url),
                hint="Nothing was imported. Check the base DN and filter, or ask the "
                "directory's administrator to raise the limit for this account.",
            )
        for item in conn.response or []:
            if item.get("type") == "searchResRef" and referrals is not None:
                referrals.extend(_strings(item.get("uri")))
            if item.get("type") != "searchResEntry":
                continue
            raw = item.get("attributes", {})
            yield item["dn"], {k: _strings(v) for k, v in raw.items()}
        controls = conn.result.get("controls", {})
        cookie = controls.get("1.2.840.113556.1.4.319", {}).get("value", {}).get("cookie")
        if not cookie:
            return


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if value is None or value == "":
        return []
    return [str(value)]
