"""Step 2 against the sandbox's `/v1/domains`, verifying through knotd and the demo server.

The sandbox looks the verification CNAME up through the DNS server it is given (the
session knotd, or a demo DNS server of the test's own); the sandbox, the client and the
`DomainService` share one frozen clock, so the 5-second re-check and the 48-hour rule are
moved past by advancing it, never by waiting.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.name
import dns.query
import dns.rcode
import dns.resolver
import dns.tsig
import dns.update
import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud import CloudClient, CloudConflict, CloudLogon, Registration
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.dns import DnsChecker, Verification
from onboard_tui.dns.demo_server import DemoDnsServer
from onboard_tui.domains.service import DomainError, DomainService
from onboard_tui.providers import load_profile
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import DnsUpdateConfig, Organisation, SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

from .servers.knot import KnotServer

pytestmark = pytest.mark.integration

EMAIL = "admin@renovations.com"
PASSWORD = "Corr3ct-Horse-Battery"
TARGET = "collabserv.com"
FIVE_S = timedelta(seconds=5)


def registration() -> Registration:
    return Registration(
        admin_email=EMAIL,
        password=Secret(PASSWORD),
        country="US",
        language="en-US",
        timezone="America/New_York",
        geography="na",
        terms_accepted=True,
        company="Renovations",
    )


def start_sandbox(tmp_path: Path, clock: FrozenClock, dns_server: str) -> SandboxServer:
    server = SandboxServer(
        tmp_path / "sandbox" / "sandbox.db",
        load_profile("sandbox"),
        clock=clock,
        dns_server=dns_server,
    )
    server.start()
    return server


@pytest.fixture
def clock() -> FrozenClock:
    # Each test its own start, so keys (hashed from the time) differ between tests.
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    return FrozenClock(start + timedelta(minutes=secrets.randbelow(10**6)))


@pytest.fixture
def knot_sandbox(
    tmp_path: Path, clock: FrozenClock, knot_server: KnotServer
) -> Iterator[SandboxServer]:
    server = start_sandbox(tmp_path, clock, f"{knot_server.host}:{knot_server.port}")
    yield server
    server.stop()


@pytest.fixture
def demo_dns(tmp_path: Path) -> Iterator[DemoDnsServer]:
    server = DemoDnsServer(tmp_path / "demo").start()
    yield server
    server.stop()


@pytest.fixture
def demo_sandbox(
    tmp_path: Path, clock: FrozenClock, demo_dns: DemoDnsServer
) -> Iterator[SandboxServer]:
    server = start_sandbox(tmp_path, clock, demo_dns.address)
    yield server
    server.stop()


def log_on(sandbox: SandboxServer, clock: FrozenClock) -> tuple[CloudClient, CloudLogon]:
    client = CloudClient(sandbox.url, clock=clock, timeout=10.0)
    client.register(registration())
    return client, client.logon(EMAIL, Secret(PASSWORD))


def knot_update(knot: KnotServer) -> dns.update.UpdateMessage:
    return dns.update.UpdateMessage(
        f"{knot.zone}.", keyring=knot.keyring(), keyname=dns.name.from_text(knot.tsig_key_name)
    )


def knot_cname(knot: KnotServer, key: str, target: str) -> None:
    update = knot_update(knot)
    update.replace(key, 300, "CNAME", target + ".")
    reply = dns.query.tcp(update, knot.host, port=knot.port, timeout=5)
    assert reply.rcode() == dns.rcode.NOERROR


def knot_delete(knot: KnotServer, key: str) -> None:
    update = knot_update(knot)
    update.delete(key)
    dns.query.tcp(update, knot.host, port=knot.port, timeout=5)


def knot_checker(knot: KnotServer) -> DnsChecker:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [knot.host]
    resolver.port = knot.port
    resolver.cache = None
    return DnsChecker(resolver=resolver, port=knot.port, timeout=2.0)


# --- the sandbox resource through knotd ---------------------------------------------------


def test_add_key_begin_verified_through_knot(
    knot_sandbox: SandboxServer, knot_server: KnotServer, clock: FrozenClock
) -> None:
    client, logon = log_on(knot_sandbox, clock)
    with client:
        root = client.add_domain(logon, "Renovations.COM")
        assert (root.name, root.status, root.parent) == ("renovations.com", "unverified", "")
        assert root.key.startswith("domino-") and root.key.endswith("-rules")
        assert (root.record, root.target) == (f"{root.key}.renovations.com", TARGET)
        assert root.begun_at is None and root.restart_allowed_at is None
        assert client.add_domain(logon, "renovations.com").key == root.key  # repeat: same

        sub = client.add_domain(logon, "west.renovations.com")
        assert (sub.parent, sub.key, sub.status) == ("renovations.com", "", "unverified")
        with pytest.raises(CloudConflict) as covered:
            client.begin_verification(logon, "west.renovations.com")
        assert covered.value.kind == "covered-by-parent"

        begun = client.begin_verification(logon, "renovations.com")
        assert (begun.status, begun.check_result) == ("pending", "missing")
        assert begun.begun_at == clock.now()
        assert begun.restart_allowed_at == clock.now() + timedelta(hours=48)

        knot_cname(knot_server, root.key, "CollabServ.com")
        try:
            # Within 5 s of the last look the sandbox does not look again.
            assert client.domain(logon, "renovations.com").status == "pending"
            clock.advance(FIVE_S)
            done = client.domain(logon, "renovations.com")
            assert (done.status, done.check_result) == ("verified", "found")
            assert done.check_seen == TARGET
            assert done.verified_at == clock.now()
            listed = {d.name: d for d in client.domains(logon)}
            assert listed["west.renovations.com"].status == "verified"
            assert listed["west.renovations.com"].verified_at == clock.now()
            with pytest.raises(CloudConflict) as again:
                client.restart_verification(logon, "renovations.com")
            assert again.value.kind == "already-verified"
        finally:
            knot_delete(knot_server, root.key)


def test_wrong_target_stays_pending_and_restart_waits_48_hours(
    knot_sandbox: SandboxServer, knot_server: KnotServer, clock: FrozenClock
) -> None:
    client, logon = log_on(knot_sandbox, clock)
    with client:
        first = client.add_domain(logon, "renovations.com")
        with pytest.raises(CloudConflict) as not_begun:
            client.restart_verification(logon, "renovations.com")
        assert not_begun.value.kind == "not-begun"
        begun_at = clock.now()
        knot_cname(knot_server, first.key, "mail.example.org")
        try:
            pending = client.begin_verification(logon, "renovations.com")
            assert (pending.status, pending.check_result) == ("pending", "wrong-target")
            assert pending.check_seen == "mail.example.org"
            clock.advance(timedelta(hours=47, minutes=59, seconds=59))
            logon = client.logon(EMAIL, Secret(PASSWORD))  # a logon lasts 8 hours
            assert client.domain(logon, "renovations.com").status == "pending"

            with pytest.raises(CloudConflict) as early:
                client.restart_verification(logon, "renovations.com")
            assert early.value.status == 409
            assert early.value.kind == "restart-too-early"
            assert "fix the CNAME record and wait" in early.value.message
            allowed = datetime.fromisoformat(early.value.extensions["restart_allowed_at"])
            assert allowed == begun_at + timedelta(hours=48)

            clock.advance(timedelta(seconds=1))
            restarted = client.restart_verification(logon, "renovations.com")
            assert restarted.key != first.key and restarted.key.startswith("domino-")
            assert restarted.status == "pending"
            assert restarted.begun_at == clock.now()
            assert restarted.check_result == "missing"  # the old record is not the new key's
        finally:
            knot_delete(knot_server, first.key)


# --- the sandbox through the demo server --------------------------------------------------


def test_verified_through_the_demo_server(
    demo_sandbox: SandboxServer, demo_dns: DemoDnsServer, clock: FrozenClock
) -> None:
    client, logon = log_on(demo_sandbox, clock)
    with client:
        root = client.add_domain(logon, "renovations.com")
        client.add_domain(logon, "west.renovations.com")
        assert demo_dns.zone is not None
        update = dns.update.UpdateMessage(
            "renovations.com",
            keyring={
                dns.name.from_text(demo_dns.key_name): dns.tsig.Key(
                    demo_dns.key_name, demo_dns.files.read_secret(), demo_dns.algorithm
                )
            },
            keyname=dns.name.from_text(demo_dns.key_name),
        )
        update.add(root.key, 300, "CNAME", TARGET + ".")
        assert dns.query.udp(update, "127.0.0.1", port=demo_dns.port, timeout=3).rcode() == 0
        done = client.begin_verification(logon, "renovations.com")
        assert (done.status, done.check_result) == ("verified", "found")
        assert client.domain(logon, "west.renovations.com").status == "verified"


# --- DomainService end to end -------------------------------------------------------------


def service_for(
    store: SessionStore,
    sandbox: SandboxServer,
    clock: FrozenClock,
    checker: DnsChecker,
    environ: dict[str, str],
) -> DomainService:
    with CloudClient(sandbox.url, clock=clock, timeout=10.0) as client:
        result = client.register(registration())

    def registered(data: SessionData) -> None:
        data.organisation = Organisation(
            admin_email=EMAIL,
            country="US",
            language="en-US",
            timezone="America/New_York",
            org_id=result.org_id,
        )
        data.geography = "na"
        data.cloud.admin_password = "env:ONBOARD_ADMIN"

    store.update(registered)
    access = CloudAccess(load_profile("sandbox"), store.data.cloud, clock, embedded_url=sandbox.url)
    return DomainService(
        store, access, clock, checker=checker, environ={"ONBOARD_ADMIN": PASSWORD, **environ}
    )


def test_domain_service_end_to_end_with_knot(
    knot_sandbox: SandboxServer, knot_server: KnotServer, store: SessionStore, clock: FrozenClock
) -> None:
    service = service_for(
        store,
        knot_sandbox,
        clock,
        knot_checker(knot_server),
        {"ONBOARD_TSIG": knot_server.tsig_secret},
    )
    service.add_domain("renovations.com")
    service.add_domain("west.renovations.com")
    service.set_update_settings(
        "renovations.com",
        DnsUpdateConfig(
            server=knot_server.host,
            port=knot_server.port,
            zone="renovations.com",
            key_name=knot_server.tsig_key_name,
            algorithm=knot_server.tsig_algorithm,
            secret="env:ONBOARD_TSIG",
        ),
    )
    record = service.verify_ownership("renovations.com")
    key = record.key
    assert key.startswith("domino-")
    assert service.views()[0].state == "key issued"
    try:
        result, report = service.create_record("renovations.com")
        assert result.signed
        assert report.status == Verification.VERIFIED
        outcome = service.begin("renovations.com")
        assert outcome.newly_verified
        assert outcome.cloud is not None and outcome.cloud.status == "verified"
        done = service.get("renovations.com")
        assert done.verified_at == clock.now()
        assert "west.renovations.com" in done.message and "remove the CNAME" in done.message
        assert store.data.step_record(StepId.VERIFY).state is StepState.DONE
        assert service.due() == []
        assert service.users_unable_to_receive().by_domain.get("west.renovations.com") is None

        checked = service.check("renovations.com")
        assert checked.report is not None and checked.report.status == Verification.VERIFIED
        assert checked.cloud is None  # verified: the cloud is not asked again

        _, gone = service.remove_record("renovations.com")
        assert gone.status == Verification.MISSING
        assert f"{key}.renovations.com." not in knot_server.read_zone_file().lower()
    finally:
        knot_delete(knot_server, key)
    kinds = [e.kind for e in reversed(store.db.recent_events(50))]
    for kind in ("key_issued", "record_created", "begun", "verified", "record_removed"):
        assert kind in kinds
    assert knot_server.tsig_secret not in store.path.read_text(encoding="utf-8")


def test_domain_service_restart_keeps_the_previous_key(
    demo_sandbox: SandboxServer, demo_dns: DemoDnsServer, store: SessionStore, clock: FrozenClock
) -> None:
    service = service_for(store, demo_sandbox, clock, demo_dns.checker(), {})
    service.add_domain("renovations.com")
    service.set_update_settings("renovations.com", demo_dns.update_config())
    first = service.verify_ownership("renovations.com").key
    outcome = service.begin("renovations.com")  # no record yet
    assert not outcome.newly_verified
    assert outcome.report is not None and outcome.report.status == Verification.MISSING
    assert service.get("renovations.com").begun_at == clock.now()

    clock.advance(timedelta(hours=47, minutes=59, seconds=59))
    with pytest.raises(DomainError, match="fix the CNAME record and wait"):
        service.restart("renovations.com")
    assert service.get("renovations.com").key == first

    clock.advance(timedelta(seconds=1))
    assert store.data.step_record(StepId.VERIFY).state is StepState.IN_PROGRESS
    restarted = service.restart("renovations.com")
    assert restarted.old_key == first and restarted.new_key != first
    record = service.get("renovations.com")
    assert (record.key, record.previous_key) == (restarted.new_key, first)
    assert record.begun_at == clock.now()
    assert restarted.change.startswith(f"- {first}.renovations.com.")
    assert f"+ {restarted.new_key}.renovations.com." in restarted.change

    _, report = service.create_record("renovations.com")
    assert report.status == Verification.VERIFIED
    assert service.begin("renovations.com").cloud is not None
    clock.advance(FIVE_S)
    checked = service.check("renovations.com")
    assert checked.newly_verified
    assert service.get("renovations.com").verified
    _, gone = service.remove_record("renovations.com")
    assert gone.status == Verification.MISSING
    assert demo_dns.zone is not None
    assert demo_dns.zone.records(f"{restarted.new_key}.renovations.com", "CNAME") == []


def test_internationalised_domain_gets_its_key(
    demo_sandbox: SandboxServer, demo_dns: DemoDnsServer, store: SessionStore, clock: FrozenClock
) -> None:
    service = service_for(store, demo_sandbox, clock, demo_dns.checker(), {})
    service.add_domain("Bücher.Example")
    record = service.verify_ownership("bücher.example")
    assert record.name == "bücher.example"
    assert record.key.startswith("domino-")
    assert service.instructions("bücher.example").record == f"{record.key}.xn--bcher-kva.example."
