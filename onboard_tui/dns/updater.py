"""RFC 2136 updates signed with TSIG: the verification CNAME and the MX switch.

Updates always go over TCP to one server (the configured one, or the zone's primary from
its SOA). Every refusal becomes an `UpdateError` with the DNS word in `code` and a
sentence; the TSIG secret appears in neither, nor in the log.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

from onboard_tui.session.secrets import Secret

from .checker import DEFAULT_TARGET, DnsChecker
from .discovery import zone_at_server
from .errors import DnsError, DnsInputError
from .mx_plan import MxPlan, build_mx_update, plan_text
from .names import parse_domain, parse_host, parse_key, show, under
from .nameservers import Server, ipaddress_version
from .tsig import UpdateSettings, make_key, parse_algorithm
from .update_errors import UpdateContext, explain

log = logging.getLogger(__name__)

_TSIG_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (dns.tsig.PeerBadKey, "BADKEY"),
    (dns.tsig.PeerBadSignature, "BADSIG"),
    (dns.tsig.PeerBadTime, "BADTIME"),
    (dns.tsig.PeerBadTruncation, "BADTRUNC"),
)


@dataclass(frozen=True)
class UpdateResult:
    """An update the server applied."""

    zone: str
    server: str
    address: str
    port: int
    signed: bool
    elapsed: float
    summary: str


class DnsUpdater:
    """Sends updates for one domain's settings; safe to share between threads.

    `secret` is for `prompt` references (the caller asked for it); otherwise the settings'
    reference is resolved at each send, so a rotated key file is picked up.
    """

    def __init__(
        self,
        settings: UpdateSettings,
        *,
        checker: DnsChecker,
        secret: Secret | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        if settings.signed:
            parse_algorithm(settings.algorithm)
            if settings.secret is None and secret is None:
                raise DnsInputError(
                    f"The TSIG key {settings.key_name} has no secret reference.",
                    hint="Give the secret as env:VARIABLE or file:/path/to/file (mode 0600).",
                )
        self.settings = settings
        self.checker = checker
        self._secret = secret
        self._environ = dict(environ) if environ is not None else None
        self.timeout = timeout

    # -- what the UI calls --------------------------------------------------------------

    def create_verification_record(
        self, domain: str, key: str, target: str = DEFAULT_TARGET, *, ttl: int = 300
    ) -> UpdateResult:
        """Replace whatever CNAME is at `key.domain` with one to `target`."""
        name = parse_domain(domain)
        record = under(parse_key(key), name)
        host = parse_host(target, what="CNAME target")
        zone = self.zone_for(name)
        update = dns.update.UpdateMessage(zone, keyring=self._key())
        update.replace(record, ttl, dns.rdatatype.CNAME, host.to_text())
        return self.send(update, zone, f"create {record} CNAME {host}")

    def remove_verification_record(self, domain: str, key: str) -> UpdateResult:
        """Delete the CNAME at `key.domain` (nothing happens if there is none)."""
        name = parse_domain(domain)
        record = under(parse_key(key), name)
        zone = self.zone_for(name)
        update = dns.update.UpdateMessage(zone, keyring=self._key())
        update.delete(record, dns.rdatatype.CNAME)
        return self.send(update, zone, f"remove {record} CNAME")

    def apply_mx_plan(self, plan: MxPlan) -> UpdateResult:
        """Apply the switch (or its inverse) as ONE update guarded by its prerequisite.

        Raises `UpdateError` with `prerequisite_failed` when the MX set changed since it
        was shown: then nothing was applied.
        """
        if self.settings.zone:
            zone = parse_domain(self.settings.zone, what="zone", min_labels=1)
            plan = dataclasses.replace(plan, zone=zone.to_text())
        update = build_mx_update(plan, self._key())
        return self.send(update, dns.name.from_text(plan.zone), f"MX {plan_text(plan)}")

    # -- the parts ------------------------------------------------------------------------

    def zone_for(self, domain: dns.name.Name) -> dns.name.Name:
        """The settings' zone, else the one the update server or the resolver says."""
        if self.settings.zone:
            return parse_domain(self.settings.zone, what="zone", min_labels=1)
        if self.settings.server:
            for server in self._servers():
                found = zone_at_server(server, domain, self.timeout)
                if found is not None:
                    return found
        return self.checker.find_zone(domain)

    def send(
        self, update: dns.update.UpdateMessage, zone: dns.name.Name, summary: str
    ) -> UpdateResult:
        """Send over TCP and read the answer; raise `UpdateError` unless it is NOERROR."""
        server = self._servers(zone)[0]
        ctx = UpdateContext(
            server=f"{server.name} ({server.address})"
            if server.name != server.address
            else server.name,
            zone=show(zone),
            key_name=self.settings.key_name,
            algorithm=self.settings.algorithm,
            secret_ref=str(self.settings.secret) if self.settings.secret else "",
        )
        start = time.monotonic()
        try:
            response = self._exchange(update, server, ctx)
        except DnsError as exc:
            log.warning("RFC 2136 %s via %s failed: %s", summary, ctx.server, exc.message)
            raise
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            log.warning("RFC 2136 %s via %s: %s", summary, ctx.server, dns.rcode.to_text(rcode))
            raise explain(dns.rcode.to_text(rcode), ctx)
        elapsed = time.monotonic() - start
        log.info("RFC 2136 %s via %s: NOERROR in %.3f s", summary, ctx.server, elapsed)
        return UpdateResult(
            zone=show(zone),
            server=server.name,
            address=server.address,
            port=server.port,
            signed=response.had_tsig,
            elapsed=elapsed,
            summary=summary,
        )

    def _key(self) -> dns.tsig.Key | None:
        if not self.settings.signed:
            return None
        secret = self._secret
        if secret is None:
            assert self.settings.secret is not None
            secret = self.settings.secret.resolve(self._environ)
        return make_key(self.settings, secret)

    def _servers(self, zone: dns.name.Name | None = None) -> list[Server]:
        host = self.settings.server.strip()
        port = self.settings.port
        if not host:
            if zone is None:
                return []
            host = self._primary(zone)
        if ipaddress_version(host) is not None:
            return [Server(host, host, port)]
        name = parse_host(host, what="update server")
        addresses, error = self.checker.discovery.addresses(name)
        if not addresses:
            raise DnsError(f"The update server {show(name)} {error or 'has no address'}.")
        return [Server(show(name), address, port) for address in addresses]

    def _primary(self, zone: dns.name.Name) -> str:
        try:
            answer = self.checker.resolver.resolve(
                zone, dns.rdatatype.SOA, lifetime=self.checker.resolver_lifetime
            )
        except dns.exception.DNSException:
            raise DnsError(
                f"The primary server of {show(zone)} could not be found (no SOA).",
                hint="Set the update server in the DNS update settings.",
            ) from None
        return str(answer[0].mname.to_text(omit_final_dot=True))

    def _exchange(
        self, update: dns.update.UpdateMessage, server: Server, ctx: UpdateContext
    ) -> dns.message.Message:
        wire = update.to_wire()
        try:
            with socket.create_connection((server.address, server.port), self.timeout) as sock:
                sock.settimeout(self.timeout)
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                (length,) = struct.unpack("!H", _read(sock, 2))
                data = _read(sock, length)
        except TimeoutError:
            raise explain("TIMEOUT", ctx) from None
        except OSError:
            raise explain("UNREACHABLE", ctx) from None
        try:
            response = dns.message.from_wire(data, keyring=update.keyring, request_mac=update.mac)
        except Exception as exc:
            raise _unreadable(exc, data, update, ctx) from None
        if not update.is_response(response):
            raise explain("FORMERR", ctx)
        return response


def _unreadable(
    exc: Exception, data: bytes, update: dns.update.UpdateMessage, ctx: UpdateContext
) -> DnsError:
    """Why a reply could not be read as a signed answer to `update`, as an `UpdateError`."""
    for kind, code in _TSIG_ERRORS:
        if isinstance(exc, kind):
            return explain(code, ctx)
    if isinstance(exc, dns.exception.DNSException) and update.keyring is not None:
        try:
            unsigned = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return explain("FORMERR", ctx)
        rcode = unsigned.rcode()
        return explain("UNSIGNED" if rcode == dns.rcode.NOERROR else dns.rcode.to_text(rcode), ctx)
    return explain("FORMERR", ctx)


def _read(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        data += chunk
    return data
