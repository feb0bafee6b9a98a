"""`--nameserver HOST[:PORT]`: the servers to check instead of the discovered ones.

Admins moving to a new DNS host need to check the new host's servers before the
delegation points at them, which the seed says is allowed during verification.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.resolver

from .errors import DnsInputError
from .names import parse_host


@dataclass(frozen=True)
class Server:
    """One address to send queries to; `name` is how the admin knows the server."""

    name: str
    address: str
    port: int = 53

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.address


@dataclass(frozen=True)
class NameserverSpec:
    """A parsed `HOST[:PORT]`: `host` is an IP address or a host name still to resolve."""

    text: str
    host: str
    port: int = 53

    @property
    def address(self) -> str | None:
        """The host when it is already an IP address."""
        try:
            return str(ipaddress.ip_address(self.host))
        except ValueError:
            return None


def parse_nameserver(text: str) -> NameserverSpec:
    """`ns1.example.com`, `192.0.2.1:5353`, `[2001:db8::1]:5353`, `[::1]` or a bare IPv6."""
    raw = text.strip()
    if not raw:
        raise DnsInputError("A --nameserver value is empty.", hint=_HINT)
    host, port_text = raw, ""
    if raw.startswith("["):
        close = raw.find("]")
        if close < 0:
            raise DnsInputError(f"'{raw}' has no closing bracket.", hint=_HINT)
        host, rest = raw[1:close], raw[close + 1 :]
        if rest and not rest.startswith(":"):
            raise DnsInputError(f"'{raw}' has text after the bracket.", hint=_HINT)
        port_text = rest[1:]
        if ipaddress_version(host) != 6:
            raise DnsInputError(f"'{host}' in brackets is not an IPv6 address.", hint=_HINT)
    elif raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
    elif raw.count(":") > 1 and ipaddress_version(raw) != 6:
        raise DnsInputError(f"'{raw}' is not an address.", hint=_HINT)
    port = _port(raw, port_text) if port_text or raw.endswith(":") else 53
    if ipaddress_version(host) is None:
        host = parse_host(host, what="name server").to_text(omit_final_dot=True)
    return NameserverSpec(text=raw, host=host, port=port)


def ipaddress_version(text: str) -> int | None:
    """4 or 6 when `text` is an IP address, else None."""
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def _port(raw: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 5 or not 0 < int(text) < 65536:
        raise DnsInputError(f"'{raw}' has no valid port (1-65535) after the colon.", hint=_HINT)
    return int(text)


_HINT = "Write HOST or HOST:PORT, and an IPv6 address in brackets: [2001:db8::53]:53."


def resolver_at(spec: NameserverSpec) -> dns.resolver.Resolver:
    """A resolver that asks only the given server (an IP address; names are refused)."""
    if spec.address is None:
        raise DnsInputError(
            f"The resolver '{spec.text}' must be an IP address.", hint="For example 10.0.0.53."
        )
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [spec.address]
    resolver.port = spec.port
    return resolver
