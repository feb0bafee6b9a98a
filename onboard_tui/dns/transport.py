"""One question to one server: recursion off, EDNS, UDP with TCP fallback, a timeout.

Answers are never trusted blindly: `authority_problem()` says why a reply cannot be used
(REFUSED, SERVFAIL, no AA flag...), in words shown next to the server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from .nameservers import Server

#: The EDNS buffer size of DNS Flag Day 2020: avoids fragmentation, falls back to TCP.
EDNS_PAYLOAD = 1232


@dataclass(frozen=True)
class Reply:
    """A server's reply, or why there is none (`error`, with `transport_failure` set)."""

    server: Server
    message: dns.message.Message | None
    error: str = ""
    via_tcp: bool = False
    elapsed: float = 0.0
    transport_failure: bool = False


def ask(
    server: Server,
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    timeout: float,
) -> Reply:
    """Send one non-recursive query; never raises for network or protocol trouble."""
    start = time.monotonic()
    reply = _send(server, qname, rdtype, timeout, edns=True)
    if reply.message is not None and reply.message.rcode() in (
        dns.rcode.FORMERR,
        dns.rcode.NOTIMP,
    ):
        reply = _send(server, qname, rdtype, timeout, edns=False)  # an old server
    return Reply(
        server=server,
        message=reply.message,
        error=reply.error,
        via_tcp=reply.via_tcp,
        elapsed=time.monotonic() - start,
        transport_failure=reply.transport_failure,
    )


def _send(
    server: Server,
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    timeout: float,
    *,
    edns: bool,
) -> Reply:
    query = dns.message.make_query(
        qname, rdtype, use_edns=0 if edns else False, payload=EDNS_PAYLOAD
    )
    query.flags &= ~dns.flags.RD
    try:
        message, via_tcp = dns.query.udp_with_fallback(
            query, server.address, timeout=timeout, port=server.port, ignore_unexpected=True
        )
    except dns.exception.Timeout:
        return _failed(server, f"no answer within {timeout:g} s")
    except OSError as exc:
        return _failed(server, _os_error(exc))
    except dns.exception.DNSException as exc:
        return Reply(server, None, f"sent a reply that could not be read ({exc})")
    return Reply(server, message, via_tcp=via_tcp)


def _failed(server: Server, error: str) -> Reply:
    return Reply(server, None, error, transport_failure=True)


def _os_error(exc: OSError) -> str:
    text = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    return f"cannot be reached: {text[:1].lower()}{text[1:]}"


def authority_problem(message: dns.message.Message) -> str:
    """Why this reply is not an authoritative answer, or "" when it is one."""
    rcode = message.rcode()
    if rcode == dns.rcode.REFUSED:
        return "refused the query (REFUSED): it does not serve this zone, or not to this machine"
    if rcode == dns.rcode.SERVFAIL:
        return "answered SERVFAIL: it could not load or sign the zone"
    if rcode == dns.rcode.NOTAUTH:
        return "answered NOTAUTH: it is not authoritative for this zone"
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return f"answered {dns.rcode.to_text(rcode)}"
    if not message.flags & dns.flags.AA:
        return "answered without the AA flag: it is not authoritative for this name"
    return ""
