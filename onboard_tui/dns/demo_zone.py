"""The demo's zone `renovations.com` (with `west.renovations.com`), its files and RFC 2136.

Plain dnspython, no sockets: `DemoZone` answers queries and applies updates as pure
operations on a `dns.zone.Zone` behind a lock; `demo_server.py` puts it on the network.
The zone and the TSIG key live in `<demo folder>/demo-dns/`: the zone file is rewritten
atomically after every applied update, so a resumed demo keeps its records, and the key
file (mode 0600) holds the base64 secret, which the session refers to as `file:...`.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from onboard_tui.session.atomic import write_atomic

ZONE = "renovations.com"
SUBDOMAIN = "west.renovations.com"
KEY_NAME = "onboard-demo-update."
ALGORITHM = "hmac-sha256"
FOLDER = "demo-dns"

ZONE_TEXT = """\
$ORIGIN renovations.com.
$TTL 300
@       SOA   ns1.renovations.com. hostmaster.renovations.com. 2026112501 3600 900 604800 300
@       NS    ns1.renovations.com.
ns1     A     127.0.0.1
@       A     192.0.2.10
@       MX    10 mail.renovations.com.
mail    A     192.0.2.25
www     CNAME renovations.com.
west    A     192.0.2.20
west    MX    10 mail.renovations.com.
"""

_ORIGIN = dns.name.from_text(ZONE)
_MAX_CHASE = 8


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo DNS server keeps its zone and its TSIG secret."""

    folder: Path

    @property
    def zone_file(self) -> Path:
        return self.folder / f"{ZONE}.zone"

    @property
    def key_file(self) -> Path:
        return self.folder / "tsig.key"

    @classmethod
    def under(cls, session_folder: Path) -> DemoFiles:
        return cls(session_folder / FOLDER)

    def ensure(self) -> None:
        """Create the folder, the zone and a fresh TSIG secret the first time only."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.key_file.exists():
            secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            write_atomic(self.key_file, (secret + "\n").encode("ascii"), mode=0o600)
        if not self.zone_file.exists():
            write_atomic(self.zone_file, ZONE_TEXT.encode("ascii"), mode=0o600)

    def read_secret(self) -> str:
        return self.key_file.read_text(encoding="ascii").strip()


class DemoZone:
    """The zone in memory; `answer()` for queries, `apply()` for signed updates."""

    def __init__(self, files: DemoFiles) -> None:
        self.files = files
        self._lock = threading.Lock()
        files.ensure()
        self.zone = dns.zone.from_text(
            files.zone_file.read_text(encoding="ascii"), origin=_ORIGIN, relativize=False
        )

    @property
    def origin(self) -> dns.name.Name:
        return _ORIGIN

    # -- queries ------------------------------------------------------------------------

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The authoritative answer (AA set) to a query, REFUSED outside the zone."""
        response = dns.message.make_response(query)
        response.flags &= ~dns.flags.RA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        if not qname.is_subdomain(_ORIGIN):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        with self._lock:
            self._fill(response, qname, qtype)
        return response

    def _fill(
        self, response: dns.message.Message, qname: dns.name.Name, qtype: dns.rdatatype.RdataType
    ) -> None:
        name = qname
        for _ in range(_MAX_CHASE):
            node = self.zone.get_node(name)
            if node is None:
                if not response.answer:
                    if not self._has_children(name):
                        response.set_rcode(dns.rcode.NXDOMAIN)
                    self._add_soa(response)
                return
            if qtype == dns.rdatatype.ANY:
                for rdataset in node.rdatasets:
                    response.answer.append(_rrset(name, rdataset))
                return
            wanted = node.get_rdataset(dns.rdataclass.IN, qtype)
            if wanted is not None:
                response.answer.append(_rrset(name, wanted))
                self._add_glue(response, wanted)
                return
            alias = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if alias is None:
                if not response.answer:
                    self._add_soa(response)
                return
            response.answer.append(_rrset(name, alias))
            target = alias[0].target
            if not target.is_subdomain(_ORIGIN):
                return
            name = target

    def _has_children(self, name: dns.name.Name) -> bool:
        return any(n != name and n.is_subdomain(name) for n in self.zone.nodes)

    def _add_soa(self, response: dns.message.Message) -> None:
        soa = self.zone.get_rdataset(_ORIGIN, dns.rdatatype.SOA)
        if soa is not None:
            response.authority.append(_rrset(_ORIGIN, soa))

    def _add_glue(self, response: dns.message.Message, rdataset: dns.rdataset.Rdataset) -> None:
        hosts: list[dns.name.Name] = []
        if rdataset.rdtype == dns.rdatatype.NS:
            hosts = [rd.target for rd in rdataset]
        elif rdataset.rdtype == dns.rdatatype.MX:
            hosts = [rd.exchange for rd in rdataset]
        for host in hosts:
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                found = self.zone.get_rdataset(host, rdtype) if host.is_subdomain(_ORIGIN) else None
                if found is not None:
                    response.additional.append(_rrset(host, found))

    # -- updates ------------------------------------------------------------------------

    def apply(self, update: dns.message.Message) -> dns.rcode.Rcode:
        """Apply an RFC 2136 update (already authenticated); the rcode to answer."""
        if not update.question:
            return dns.rcode.FORMERR
        zone_q = update.question[0]
        if zone_q.rdtype != dns.rdatatype.SOA or zone_q.name != _ORIGIN:
            return dns.rcode.NOTAUTH
        with self._lock:
            work = dns.zone.from_text(
                self.zone.to_text(relativize=False), origin=_ORIGIN, relativize=False
            )
            rcode = _prerequisites(work, update.answer)
            if rcode != dns.rcode.NOERROR:
                return rcode
            changed, rcode = _updates(work, update.authority)
            if rcode != dns.rcode.NOERROR:
                return rcode
            if changed:
                _bump_serial(work)
                self._save(work)
                self.zone = work
        return dns.rcode.NOERROR

    def _save(self, zone: dns.zone.Zone) -> None:
        text = f"$ORIGIN {ZONE}.\n" + zone.to_text(relativize=True)
        write_atomic(self.files.zone_file, text.encode("ascii"), mode=0o600)

    def records(self, name: str, rdtype: str) -> list[str]:
        """The records at `name` of type `rdtype`, as text (for tests and the MX helper)."""
        with self._lock:
            found = self.zone.get_rdataset(
                dns.name.from_text(name), dns.rdatatype.from_text(rdtype)
            )
        return [rd.to_text() for rd in found] if found is not None else []


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)  # type: ignore[no-untyped-call]
    return rrset


def _name_in_use(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    node = zone.get_node(name)
    return node is not None and len(node.rdatasets) > 0


def _prerequisites(zone: dns.zone.Zone, section: list[dns.rrset.RRset]) -> dns.rcode.Rcode:
    """RFC 2136 section 3.2, in order; value-dependent sets are compared as a whole."""
    wanted: dict[tuple[dns.name.Name, int], set[dns.rdata.Rdata]] = {}
    for rrset in section:
        if not rrset.name.is_subdomain(_ORIGIN):
            return dns.rcode.NOTZONE
        if rrset.deleting == dns.rdataclass.ANY:
            if rrset.rdtype == dns.rdatatype.ANY:
                if not _name_in_use(zone, rrset.name):
                    return dns.rcode.NXDOMAIN
            elif zone.get_rdataset(rrset.name, rrset.rdtype) is None:
                return dns.rcode.NXRRSET
        elif rrset.deleting == dns.rdataclass.NONE:
            if rrset.rdtype == dns.rdatatype.ANY:
                if _name_in_use(zone, rrset.name):
                    return dns.rcode.YXDOMAIN
            elif zone.get_rdataset(rrset.name, rrset.rdtype) is not None:
                return dns.rcode.YXRRSET
        else:
            wanted.setdefault((rrset.name, rrset.rdtype), set()).update(rrset)
    for (name, rdtype), rdatas in wanted.items():
        found = zone.get_rdataset(name, dns.rdatatype.RdataType(rdtype))
        if found is None or set(found) != rdatas:
            return dns.rcode.NXRRSET
    return dns.rcode.NOERROR


def _updates(zone: dns.zone.Zone, section: list[dns.rrset.RRset]) -> tuple[bool, dns.rcode.Rcode]:
    """RFC 2136 section 3.4: adds, rrset deletions, name deletions, single-record deletions."""
    for rrset in section:
        if not rrset.name.is_subdomain(_ORIGIN):
            return False, dns.rcode.NOTZONE
    changed = False
    for rrset in section:
        name, rdtype = rrset.name, rrset.rdtype
        apex = name == _ORIGIN
        if rrset.deleting == dns.rdataclass.ANY:
            if rdtype == dns.rdatatype.ANY:
                node = zone.get_node(name)
                if node is None:
                    continue
                for rds in list(node.rdatasets):
                    if apex and rds.rdtype in (dns.rdatatype.SOA, dns.rdatatype.NS):
                        continue
                    node.delete_rdataset(rds.rdclass, rds.rdtype)
                    changed = True
            elif not (apex and rdtype in (dns.rdatatype.SOA, dns.rdatatype.NS)) and (
                zone.get_rdataset(name, rdtype) is not None
            ):
                zone.delete_rdataset(name, rdtype)
                changed = True
        elif rrset.deleting == dns.rdataclass.NONE:
            found = zone.get_rdataset(name, rdtype)
            if found is None or rdtype == dns.rdatatype.SOA:
                continue
            for rdata in rrset:
                if rdata in found and not (apex and rdtype == dns.rdatatype.NS and len(found) == 1):
                    found.remove(rdata)  # type: ignore[no-untyped-call]
                    changed = True
            if len(found) == 0:
                zone.delete_rdataset(name, rdtype)
        else:
            if rdtype == dns.rdatatype.SOA:
                continue
            node = zone.get_node(name)
            has_cname = node is not None and any(
                r.rdtype == dns.rdatatype.CNAME for r in node.rdatasets
            )
            has_other = node is not None and any(
                r.rdtype != dns.rdatatype.CNAME for r in node.rdatasets
            )
            if (rdtype == dns.rdatatype.CNAME and has_other) or (
                rdtype != dns.rdatatype.CNAME and has_cname
            ):
                continue  # RFC 2136 3.4.2.2: a CNAME never shares its name
            target = zone.find_rdataset(name, rdtype, create=True)
            if rdtype == dns.rdatatype.CNAME:
                target.clear()  # type: ignore[no-untyped-call]
            target.update_ttl(rrset.ttl)
            for rdata in rrset:
                target.add(rdata, rrset.ttl)
            changed = True
    for name in [n for n, node in zone.nodes.items() if not node.rdatasets]:
        del zone.nodes[name]
    return changed, dns.rcode.NOERROR


def _bump_serial(zone: dns.zone.Zone) -> None:
    soa = zone.find_rdataset(_ORIGIN, dns.rdatatype.SOA)
    old = soa[0]
    soa.clear()  # type: ignore[no-untyped-call]
    soa.add(old.replace(serial=(old.serial + 1) % 2**32))


def private_secret_ok(path: Path) -> bool:
    """True when the key file is readable only by its owner (the session's `file:` rule)."""
    try:
        return (os.stat(path).st_mode & 0o077) == 0
    except OSError:
        return False
