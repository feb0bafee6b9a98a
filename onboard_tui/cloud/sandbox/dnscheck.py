"""How the sandbox looks for a verification CNAME: one query to the DNS server it was given.

Like the real service, it asks for the CNAME of `<key>.<domain>` and compares the target
with the profile's `cname_target` (case and a final dot do not matter). It sends the query
straight to `host:port` over UDP and again over TCP when the answer is truncated; without
a server it asks the system resolver.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

TIMEOUT = 3.0


@dataclass(frozen=True)
class CnameCheck:
    """`found`, `missing`, `wrong-target` or `unreachable`; `seen` is the target found."""

    result: str
    seen: str = ""


def parse_server(text: str) -> tuple[str, int]:
    """`host:port` (or `host`, port 53; `[v6]:port`)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


def check_cname(record: str, target: str, server: str = "", timeout: float = TIMEOUT) -> CnameCheck:
    """Look up `record` CNAME and compare it with `target`."""
    qname = dns.name.from_text(record)
    wanted = dns.name.from_text(target)
    try:
        if server:
            host, port = parse_server(server)
            query = dns.message.make_query(qname, dns.rdatatype.CNAME)
            reply = dns.query.udp(query, host, port=port, timeout=timeout)
            if reply.flags & dns.flags.TC:
                reply = dns.query.tcp(query, host, port=port, timeout=timeout)
            if reply.rcode() == dns.rcode.NXDOMAIN:
                return CnameCheck("missing")
            if reply.rcode() != dns.rcode.NOERROR:
                return CnameCheck("unreachable", dns.rcode.to_text(reply.rcode()))
            rrset = reply.get_rrset(reply.answer, qname, dns.rdataclass.IN, dns.rdatatype.CNAME)
            found = rrset[0].target if rrset else None
        else:
            answer = dns.resolver.resolve(
                qname, "CNAME", lifetime=timeout, raise_on_no_answer=False
            )
            found = answer.rrset[0].target if answer.rrset else None
    except dns.resolver.NXDOMAIN:
        return CnameCheck("missing")
    except (dns.exception.DNSException, OSError, ValueError):
        return CnameCheck("unreachable")
    if found is None:
        return CnameCheck("missing")
    if found.canonicalize() == wanted.canonicalize():
        return CnameCheck("found", found.to_text(omit_final_dot=True))
    return CnameCheck("wrong-target", found.to_text(omit_final_dot=True))
