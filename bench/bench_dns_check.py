"""Checking 100 domains against 4 authoritative servers each, on loopback.

Goal (issue 4): < 2 s. Four knotd instances listen on 127.0.0.1-4 (same port), each
serving the same 100 zones whose NS records name all four. Every check discovers the zone
and its servers through a resolver pointed at the first instance, asks all four servers
(and the "system" resolver), and must come back `verified` with 4 servers. Prints the
median and worst of several runs of `check_many`, and one run of plain `check_domain`
calls one after the other for comparison.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.resolver

from onboard_tui.dns import DnsChecker, VerificationRequest

DOMAINS = 100
SERVERS = 4
RUNS = 5
KEY = "domino-1jkkiaojd-rules"
ADDRESSES = [f"127.0.0.{i}" for i in range(1, SERVERS + 1)]

ZONE = """\
$ORIGIN {zone}.
$TTL 300
@    SOA   ns1 hostmaster 2026112501 3600 900 604800 300
{ns}
{glue}
@    MX    10 mail
mail A     192.0.2.25
{key} CNAME collabserv.com.
"""

CONFIG = """\
server:
    rundir: "{run}"
    user: {user}
    listen: {address}@{port}
    udp-workers: 2
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{storage}"
control:
    listen: "{run}/knot.sock"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "{zones}"
    file: "%s.zone"
zone:
{zone_list}
"""


def find(name: str) -> str | None:
    for folder in ("", "/usr/sbin", "/sbin", "/usr/local/sbin"):
        path = shutil.which(name) if not folder else os.path.join(folder, name)
        if path and os.access(path, os.X_OK):
            return path
    return None


def shared_port() -> int:
    """A port free for UDP and TCP on all four loopback addresses."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        try:
            with contextlib.ExitStack() as stack:
                for address in ADDRESSES:
                    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                        sock = stack.enter_context(socket.socket(socket.AF_INET, kind))
                        sock.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free on 127.0.0.1-4")


def zone_names() -> list[str]:
    return [f"bench{i:03d}.example" for i in range(DOMAINS)]


def write_zones(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ns = "\n".join(f"@    NS    ns{i}" for i in range(1, SERVERS + 1))
    glue = "\n".join(f"ns{i}  A     {a}" for i, a in enumerate(ADDRESSES, 1))
    for zone in zone_names():
        (folder / f"{zone}.zone").write_text(ZONE.format(zone=zone, ns=ns, glue=glue, key=KEY))


@contextlib.contextmanager
def knot_instances(knotd: str, workdir: Path, port: int) -> Iterator[None]:
    zones = workdir / "zones"
    write_zones(zones)
    user = f"{pwd.getpwuid(os.geteuid()).pw_name}:{grp.getgrgid(os.getegid()).gr_name}"
    zone_list = "\n".join(f"  - domain: {zone}." for zone in zone_names())
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for address in ADDRESSES:
            home = workdir / address
            (home / "run").mkdir(parents=True)
            (home / "storage").mkdir()
            config = home / "knot.conf"
            config.write_text(
                CONFIG.format(
                    run=home / "run",
                    user=user,
                    address=address,
                    port=port,
                    storage=home / "storage",
                    zones=zones,
                    zone_list=zone_list,
                )
            )
            log = (home / "knotd.log").open("wb")
            processes.append(
                subprocess.Popen([knotd, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
            )
        for address in ADDRESSES:
            wait_for(address, port, zone_names()[-1])
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(address: str, port: int, zone: str) -> None:
    query = dns.message.make_query(zone, "SOA")
    query.flags &= ~dns.flags.RD
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if dns.query.udp(query, address, port=port, timeout=0.2).answer:
                return
        time.sleep(0.05)
    raise RuntimeError(f"knotd on {address}:{port} did not load {zone}")


def run_once(checker: DnsChecker, requests: list[VerificationRequest]) -> float:
    start = time.perf_counter()
    reports = checker.check_many(requests)
    elapsed = time.perf_counter() - start
    for report in reports:
        assert report.status == "verified", report.to_json()
        assert report.total == SERVERS and len(report.servers) == SERVERS, report.to_json()
    return elapsed


def main() -> int:
    knotd = find("knotd")
    if knotd is None:
        print("dns check: skipped, knotd is not installed (scripts/install-test-deps.sh)")
        return 0
    port = shared_port()
    with tempfile.TemporaryDirectory() as tmp, knot_instances(knotd, Path(tmp), port):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [ADDRESSES[0]]
        resolver.port = port
        checker = DnsChecker(resolver=resolver, port=port)
        requests = [VerificationRequest(zone, KEY) for zone in zone_names()]
        run_once(checker, requests[:5])  # warm up imports and thread start-up
        times = [run_once(checker, requests) for _ in range(RUNS)]
        start = time.perf_counter()
        for request in requests:
            checker.check_verification(request)
        one_by_one = time.perf_counter() - start
    median, worst = statistics.median(times), max(times)
    print(
        f"dns check: {DOMAINS} domains x {SERVERS} authoritative servers (knotd on loopback), "
        "zone and server discovery included"
    )
    ms = f"median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms"
    print(f"  check_many        {ms} over {RUNS} runs")
    print(f"  one by one        {one_by_one * 1000:.0f} ms")
    print(f"  goal < 2000 ms: {'met' if worst < 2.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
