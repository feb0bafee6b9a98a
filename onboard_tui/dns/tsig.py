"""RFC 2136 settings and the TSIG key built from a secret reference.

The algorithm is always named explicitly (default hmac-sha256) because a key that matches
in name and secret but not in algorithm fails with a confusing BADKEY. The secret is read
from its reference only when an update is sent and lives in a `dns.tsig.Key` for that one
message; it is never logged or put in an exception.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.tsig

from onboard_tui.session.secrets import Secret, SecretRef

from .errors import DnsInputError

DEFAULT_ALGORITHM = "hmac-sha256"
ALGORITHMS = (
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
    "hmac-sha224",
    "hmac-sha1",
    "hmac-md5",
)


@dataclass(frozen=True)
class UpdateSettings:
    """Where and how to send RFC 2136 updates for a domain (what the session stores).

    `server` empty: the zone's primary (SOA MNAME). `zone` empty: the zone found for the
    name. `key_name` empty: send unsigned (for servers that allow updates by address).
    """

    server: str = ""
    port: int = 53
    zone: str = ""
    key_name: str = ""
    algorithm: str = DEFAULT_ALGORITHM
    secret: SecretRef | None = None

    @property
    def signed(self) -> bool:
        return bool(self.key_name)


def parse_algorithm(text: str) -> str:
    """A TSIG algorithm name dnspython and the servers know, lowercased."""
    name = text.strip().lower().rstrip(".")
    if name in ALGORITHMS:
        return name
    raise DnsInputError(
        f"'{text}' is not a TSIG algorithm.",
        hint="Use the one in the server's key definition: " + ", ".join(ALGORITHMS) + ".",
    )


def make_key(settings: UpdateSettings, secret: Secret) -> dns.tsig.Key:
    """The TSIG key; errors name the secret's reference, never its value."""
    algorithm = parse_algorithm(settings.algorithm)
    try:
        name = dns.name.from_text(settings.key_name.strip())
    except dns.exception.DNSException:
        raise DnsInputError(f"'{settings.key_name}' is not a valid TSIG key name.") from None
    where = f" in {settings.secret}" if settings.secret is not None else ""
    try:
        raw = base64.b64decode(secret.reveal().strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DnsInputError(
            f"The TSIG secret{where} is not base64.",
            hint="Copy the secret exactly as the server's key file shows it (base64 text).",
        ) from None
    if not raw:
        raise DnsInputError(f"The TSIG secret{where} is empty.")
    return MaskedKey(name, raw, algorithm)


class MaskedKey(dns.tsig.Key):
    """A TSIG key whose repr does not show the secret (dnspython's does)."""

    def __repr__(self) -> str:
        return f"<TSIG key {self.name} {self.algorithm} secret='********'>"

    __str__ = __repr__
