"""The directory connection as the Users tab's form edits it, checked field by field.

The session stores one URL (`ldaps://host:port`); people think in host, port and a TLS
choice, so the form splits and rebuilds it. Every mistake names its field and says what
to write, and the bind password is only ever a secret reference (env:, file:, prompt).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from onboard_tui.directory import ad, domino
from onboard_tui.directory.errors import DirectoryError
from onboard_tui.errors import OnboardError
from onboard_tui.session.model import LdapSource
from onboard_tui.session.secrets import SecretRef

KINDS = {"ad": "Active Directory", "domino": "Domino Directory"}
SECURITY = {"ldaps": "LDAPS", "starttls": "StartTLS", "plain": "none (plain LDAP)"}
BINDS = {"simple": "simple", "ntlm": "NTLM"}
DEFAULT_FILTERS = {"ad": ad.DEFAULT_FILTER, "domino": domino.DEFAULT_FILTER}


def default_port(security: str) -> int:
    return 636 if security == "ldaps" else 389


@dataclass
class LdapForm:
    """What the form shows: text as typed, so a bad value can be named before saving."""

    kind: str = "ad"
    host: str = ""
    port: str = ""
    security: str = "ldaps"
    verify_tls: bool = True
    ca_file: str = ""
    bind_method: str = "simple"
    bind_user: str = ""
    bind_password: str = "prompt"  # noqa: S105 - a secret reference, never the password
    base_dn: str = ""
    filter: str = ""

    @classmethod
    def of(cls, kind: str, source: LdapSource | None) -> LdapForm:
        """The form for a saved source, or a new one with the defaults shown."""
        if source is None:
            return cls(kind=kind, port=str(default_port("ldaps")), filter=DEFAULT_FILTERS[kind])
        url = urlparse(source.url)
        security = "ldaps" if url.scheme == "ldaps" else source.security
        return cls(
            kind=kind,
            host=url.hostname or "",
            port=str(url.port or default_port(security)),
            security=security,
            verify_tls=source.verify_tls,
            ca_file=source.ca_file,
            bind_method=source.bind_method,
            bind_user=source.bind_user,
            bind_password=source.bind_password,
            base_dn=source.base_dn,
            filter=source.filter or DEFAULT_FILTERS[kind],
        )

    def to_source(self, keep: LdapSource | None = None) -> LdapSource:
        """An LdapSource, or a DirectoryError naming the first field that is wrong.

        `keep` carries the settings the form does not show (page size, timeout)."""
        if self.kind not in KINDS:
            raise _bad("directory", f"'{self.kind}' is not one of ad, domino.")
        host = self.host.strip()
        if not host or "://" in host or any(c.isspace() for c in host) or "/" in host:
            raise _bad(
                "host",
                "type the server's name or address only, for example dc1.example.com.",
            )
        if self.security not in SECURITY:
            raise _bad("security", f"'{self.security}' is not one of ldaps, starttls, plain.")
        port = _port(self.port, self.security)
        ca_file = self.ca_file.strip()
        if ca_file and self.security != "plain":
            path = Path(ca_file).expanduser()
            if not path.is_file():
                raise _bad("CA file", f"{path} does not exist or is not a file.")
            ca_file = str(path.resolve())
        if self.bind_method not in BINDS:
            raise _bad("bind", f"'{self.bind_method}' is not one of simple, ntlm.")
        user = self.bind_user.strip()
        if self.bind_method == "ntlm" and "\\" not in user:
            raise _bad(
                "bind user", "an NTLM bind needs DOMAIN\\user, for example RENO\\svc-onboard."
            )
        try:
            password = str(SecretRef.parse(self.bind_password or "prompt", field="password"))
        except OnboardError as exc:
            raise DirectoryError(
                f"Directory settings, field 'password': {exc.message}", hint=exc.hint
            ) from None
        base_dn = self.base_dn.strip()
        if "=" not in base_dn:
            raise _bad("base DN", "write where the users are, for example DC=renovations,DC=com.")
        filt = self.filter.strip()
        problem = filter_problem(filt)
        if problem:
            raise _bad("filter", problem)
        if filt == DEFAULT_FILTERS[self.kind]:
            filt = ""  # the default stays the default, also when it improves
        scheme = "ldaps" if self.security == "ldaps" else "ldap"
        shown = f"[{host}]" if ":" in host else host
        base = keep or LdapSource()
        return LdapSource(
            url=f"{scheme}://{shown}:{port}",
            security=self.security,
            verify_tls=self.verify_tls,
            ca_file=ca_file if self.security != "plain" else "",
            bind_method=self.bind_method,
            bind_user=user,
            bind_password=password,
            base_dn=base_dn,
            filter=filt,
            page_size=base.page_size,
            timeout=base.timeout,
        )


def filter_problem(text: str) -> str | None:
    """Why an LDAP filter cannot be right (empty means the default), or None."""
    if not text:
        return None
    if not (text.startswith("(") and text.endswith(")")):
        return "an LDAP filter is enclosed in parentheses, for example (mail=*)."
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return "a ')' closes more than was opened."
    if depth:
        return "the parentheses do not match: a '(' is never closed."
    return None


def _port(text: str, security: str) -> int:
    text = text.strip()
    if not text:
        return default_port(security)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise _bad("port", f"'{text}' is not a port number (636 for LDAPS, 389 otherwise).")
    return int(text)


def _bad(field: str, what: str) -> DirectoryError:
    return DirectoryError(f"Directory settings, field '{field}': {what}")
