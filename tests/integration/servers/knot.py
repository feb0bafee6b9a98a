"""A private Knot DNS (``knotd``) serving ``renovations.com`` on 127.0.0.1, RFC 2136 + TSIG.

Facts worth knowing:

* knotd refuses to start when its storage directory is missing: it is created here.
* knotd lowercases record data (a CNAME to ``Collabserv.COM.`` is served as
  ``collabserv.com.``); compare names case-insensitively.
* Dynamic updates are written to the zone file right after they are answered
  (``zonefile-sync: 0``, asynchronously: use ``read_zone_file()``/``flush()``), and the file
  is re-read as a difference (``zonefile-load: difference-no-serial``): a test may rewrite
  it with ``write_zone_file()`` without touching the SOA serial.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import os
import pwd
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring

from .base import LOOPBACK, ServerProcess, free_port, require_binary, wait_until, write_secret

ZONE = "renovations.com"
SUBDOMAIN = f"west.{ZONE}"
TSIG_ALGORITHM = "hmac-sha256"

ZONE_TEMPLATE = """\
$ORIGIN {zone}.
$TTL 300
@       SOA   ns1.{zone}. hostmaster.{zone}. 2026112501 3600 900 604800 300
@       NS    ns1.{zone}.
ns1     A     127.0.0.1
@       A     192.0.2.10
@       MX    10 mail.{zone}.
mail    A     192.0.2.25
www     CNAME {zone}.
west    A     192.0.2.20
west    MX    10 mail.{zone}.
"""

CONFIG_TEMPLATE = """\
server:
    rundir: "{rundir}"
    pidfile: "{rundir}/knot.pid"
    user: {user}
    listen: {host}@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

database:
    storage: "{storage}"
    journal-db-max-size: 64M
    kasp-db-max-size: 8M
    timer-db-max-size: 8M
    catalog-db-max-size: 8M

control:
    listen: "{socket}"

log:
  - target: stderr
    any: info

key:
  - id: {key_name}
    algorithm: {algorithm}
    secret: {secret}

acl:
  - id: tsig-update
    key: {key_name}
    action: update

template:
  - id: default
    storage: "{storage}"
    file: "%s.zone"
    semantic-checks: on
    zonefile-sync: 0
    zonefile-load: difference-no-serial
    journal-content: all

zone:
  - domain: {zone}.
    acl: tsig-update
"""


@dataclass
class KnotServer:
    """A running private knotd: where it listens, its zone and the TSIG key that may update."""

    host: str
    port: int
    zone: str
    subdomain: str
    tsig_key_name: str
    tsig_secret: str = field(repr=False)
    tsig_algorithm: str
    zone_file: Path
    config_path: Path
    control_socket: Path
    process: ServerProcess = field(repr=False)
    knotc_path: str = field(repr=False, default="knotc")

    @property
    def nameserver(self) -> tuple[str, int]:
        return (self.host, self.port)

    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        """A dnspython keyring holding the update key."""
        name = dns.name.from_text(self.tsig_key_name)
        return {name: dns.tsig.Key(name, self.tsig_secret, self.tsig_algorithm)}

    def tsig_key(self) -> dns.tsig.Key:
        """The update key as a dnspython ``Key`` (pass as ``keyring=`` to ``dns.update``)."""
        return next(iter(self.keyring().values()))

    def knotc(self, *args: str, check: bool = True) -> str:
        """Run ``knotc -c CONF -s SOCKET ARGS`` and return its output."""
        # -c: never fall back to the system's /etc/knot configuration.
        argv = [self.knotc_path, "-x", "-c", str(self.config_path), "-s", str(self.control_socket)]
        done = subprocess.run(
            [*argv, *args],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"knotc {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def soa_serial(self) -> int:
        """The SOA serial the server answers with right now."""
        answer = query(self, self.zone, "SOA")
        return int(answer.answer[0][0].serial)

    def reload(self) -> None:
        """Re-read ``zone_file`` (applied as a difference) and wait until it is done."""
        self.knotc("-b", "zone-reload", f"{self.zone}.")

    def flush(self) -> None:
        """Write the zone (with all updates applied) to ``zone_file`` and wait for it.

        knotd writes the file shortly *after* answering an update; flush before reading
        or editing the file, or the write may land after your read (or over your edit).
        """
        self.knotc("-b", "zone-flush", f"{self.zone}.")

    def read_zone_file(self) -> str:
        """The zone file with every update applied so far."""
        self.flush()
        return self.zone_file.read_text()

    def write_zone_file(self, text: str) -> None:
        """Replace the zone file and load it (as a difference; knotd bumps the serial)."""
        self.flush()
        self.zone_file.write_text(text)
        self.reload()


def query(
    server: KnotServer, name: str, rdtype: str, timeout: float = 2.0, tcp: bool = False
) -> dns.message.Message:
    """Send one query straight to the private server."""
    request = dns.message.make_query(name, dns.rdatatype.from_text(rdtype))
    request.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(request, server.host, port=server.port, timeout=timeout)
    return dns.query.udp(request, server.host, port=server.port, timeout=timeout)


def _current_user() -> str:
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"{user}:{group}"


@contextlib.contextmanager
def start_knot(
    workdir: Path, zone_text: str | None = None, timeout: float = 5.0
) -> Iterator[KnotServer]:
    """Start knotd in ``workdir`` and yield a ``KnotServer``; stop it on exit, even on error."""
    knotd = require_binary("knotd")
    knotc = require_binary("knotc")
    workdir.mkdir(parents=True, exist_ok=True)
    rundir = workdir / "run"
    storage = workdir / "storage"
    rundir.mkdir(exist_ok=True)
    storage.mkdir(exist_ok=True)  # knotd will not create it

    zone_file = storage / f"{ZONE}.zone"
    zone_file.write_text(zone_text if zone_text is not None else ZONE_TEMPLATE.format(zone=ZONE))

    key_name = "onboard-update."
    secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    port = free_port(udp_too=True)
    socket_path = rundir / "knot.sock"
    config_path = workdir / "knot.conf"
    write_secret(  # it holds the TSIG secret
        config_path,
        CONFIG_TEMPLATE.format(
            rundir=rundir,
            storage=storage,
            socket=socket_path,
            user=_current_user(),
            host=LOOPBACK,
            port=port,
            key_name=key_name,
            algorithm=TSIG_ALGORITHM,
            secret=secret,
            zone=ZONE,
        ),
    )

    process = ServerProcess("knotd", [knotd, "-c", str(config_path)], workdir / "knotd.log")
    server = KnotServer(
        host=LOOPBACK,
        port=port,
        zone=ZONE,
        subdomain=SUBDOMAIN,
        tsig_key_name=key_name,
        tsig_secret=secret,
        tsig_algorithm=TSIG_ALGORITHM,
        zone_file=zone_file,
        config_path=config_path,
        control_socket=socket_path,
        process=process,
        knotc_path=knotc,
    )
    with process:

        def answers() -> bool:
            # TCP: before knotd listens, a refused connection fails at once, where a UDP
            # query would sit out its whole timeout.
            reply = query(server, ZONE, "SOA", timeout=0.5, tcp=True)
            return bool(reply.answer) and socket_path.exists()

        wait_until(answers, timeout, f"knotd to answer SOA {ZONE} on port {port}", process)
        yield server
