"""Step 5's MxService against knotd and loopback SMTP servers: apply with read-back from
every server, a prerequisite that fails because the MX set changed meanwhile, Undo, and
the SMTP probe against aiosmtpd (with and without STARTTLS) and a closed port."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import ssl
from collections.abc import Iterator
from pathlib import Path

import dns.query
import dns.resolver
import dns.update
import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from onboard_tui.clock import FrozenClock
from onboard_tui.dns import DnsChecker, Mx, MxRecord, UpdateError
from onboard_tui.mx import BLOCKED, PASSED, UNKNOWN, MxService
from onboard_tui.providers import GeographyProfile, load_profile
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import DnsUpdateConfig, DomainRecord, SessionData
from onboard_tui.session.store import SessionStore

from .servers.base import LOOPBACK, free_port
from .servers.knot import KnotServer

pytestmark = pytest.mark.integration


@pytest.fixture
def checker(knot_server: KnotServer) -> DnsChecker:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [knot_server.host]
    resolver.port = knot_server.port
    resolver.cache = None
    return DnsChecker(resolver=resolver, port=knot_server.port, timeout=2.0)


def seed(knot: KnotServer, domain: str, *records: str) -> None:
    update = dns.update.UpdateMessage("renovations.com", keyring=knot.tsig_key())
    for record in records:
        update.add(f"{domain}.", 300, "MX", record)
    update.replace(f"smtp.{domain}.", 300, "A", LOOPBACK)
    update.replace(f"mail2.{domain}.", 300, "A", "192.0.2.26")
    assert dns.query.tcp(update, knot.host, port=knot.port, timeout=5).rcode() == 0


@pytest.fixture
def domain(knot_server: KnotServer) -> str:
    name = f"mx-{secrets.token_hex(4)}.renovations.com"
    seed(knot_server, name, "10 mail.renovations.com.", f"20 mail2.{name}.")
    return name


def mx_service(
    store: SessionStore,
    clock: FrozenClock,
    knot: KnotServer,
    checker: DnsChecker,
    domain: str,
    *,
    smtp_port: int = 25,
) -> MxService:
    profile = load_profile("sandbox")
    geo = GeographyProfile("na", "North America", "", f"smtp.{domain}")
    profile = dataclasses.replace(profile, geographies={"na": geo})

    def change(data: SessionData) -> None:
        data.geography = "na"
        data.domains = [
            DomainRecord(
                domain,
                verified_at=data.created,
                update=DnsUpdateConfig(
                    knot.host, knot.port, "", knot.tsig_key_name, knot.tsig_algorithm, "env:TSIG"
                ),
            )
        ]

    store.update(change)
    return MxService(
        store,
        profile,
        clock,
        checker=checker,
        smtp_port=smtp_port,
        probe_timeout=2.0,
        settle=3.0,
        environ={"TSIG": knot.tsig_secret},
    )


def test_apply_reads_back_then_undo_restores(
    store: SessionStore,
    clock: FrozenClock,
    knot_server: KnotServer,
    checker: DnsChecker,
    domain: str,
) -> None:
    mx = mx_service(store, clock, knot_server, checker, domain)
    view = mx.inspect(domain)
    assert view.report.status == Mx.NOT_SWITCHED
    assert view.plan is not None and len(view.plan.delete) == 2
    old = view.report.current
    targets = {t.name: t.addresses for t in view.report.targets}
    assert targets["mail.renovations.com."] == ("192.0.2.25",)

    outcome = mx.apply(domain, view.plan, domain)
    assert outcome.confirmed
    assert outcome.read_back.status == Mx.AS_EXPECTED
    assert outcome.result.signed
    record = store.data.domains[0]
    assert record.mx_previous == [r.to_text() for r in old or ()]
    assert record.mx_applied == [f"10 smtp.{domain}."]
    assert store.data.steps[StepId.MX].state is StepState.DONE
    assert knot_server.tsig_secret not in store.path.read_text()

    assert mx.inspect(domain).complete
    undone = mx.undo(domain)
    assert undone.confirmed
    after = mx.inspect(domain)
    assert after.report.current == old
    assert not after.switched and store.data.domains[0].mx_previous == []


def test_prerequisite_fails_when_the_set_changed_meanwhile(
    store: SessionStore,
    clock: FrozenClock,
    knot_server: KnotServer,
    checker: DnsChecker,
    domain: str,
) -> None:
    mx = mx_service(store, clock, knot_server, checker, domain)
    view = mx.inspect(domain)
    assert view.plan is not None
    seed(knot_server, domain, "30 mail3.renovations.com.")  # somebody adds a third MX
    with pytest.raises(UpdateError) as caught:
        mx.apply(domain, view.plan, domain)
    assert caught.value.prerequisite_failed
    assert store.data.domains[0].mx_previous == []
    assert store.data.steps[StepId.MX].state is StepState.ATTENTION
    now = mx.inspect(domain)
    assert now.report.current is not None and len(now.report.current) == 3
    assert MxRecord(10, f"smtp.{domain}.") not in now.report.current


def test_undo_refused_when_the_new_set_was_changed(
    store: SessionStore,
    clock: FrozenClock,
    knot_server: KnotServer,
    checker: DnsChecker,
    domain: str,
) -> None:
    mx = mx_service(store, clock, knot_server, checker, domain)
    view = mx.inspect(domain)
    assert view.plan is not None
    mx.apply(domain, view.plan, domain)
    seed(knot_server, domain, "40 late.renovations.com.")
    with pytest.raises(UpdateError) as caught:
        mx.undo(domain)
    assert caught.value.prerequisite_failed
    assert store.data.domains[0].mx_switched_at is not None  # still recorded as switched


def self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


class Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    controller = Controller(Sink(), hostname=LOOPBACK, port=port, tls_context=self_signed(tmp_path))
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_smtp_probe_with_starttls_passes_the_gate(
    store: SessionStore,
    clock: FrozenClock,
    knot_server: KnotServer,
    checker: DnsChecker,
    domain: str,
    smtp_tls: int,
) -> None:
    mx = mx_service(store, clock, knot_server, checker, domain, smtp_port=smtp_tls)
    check = mx.probe_smtp()
    assert check.addresses == (LOOPBACK,)
    assert check.ok, check.message
    assert "offers STARTTLS" in check.message
    assert mx.inspect(domain).gate.check("smtp").state == PASSED


def test_smtp_probe_without_starttls(
    store: SessionStore,
    clock: FrozenClock,
    knot_server: KnotServer,
    checker: DnsChecker,
    domain: str,
    smtp: object,
) -> None:
    port = smtp.port  # type: ignore[attr-defined]
    mx = mx_service(store, clock, knot_server, checker, domain, smtp_port=port)
    check = mx.probe_smtp()
    assert check.answered and not check.ok
    gate = mx.inspect(domain).gate.check("smtp")
    assert gate.state == UNKNOWN and "does not offer STARTTLS" in gate.reason


def test_smtp_probe_of_a_closed_port_blocks(
    store: SessionStore,
    clock: FrozenClock,
    knot_server: KnotServer,
    checker: DnsChecker,
    domain: str,
) -> None:
    mx = mx_service(store, clock, knot_server, checker, domain, smtp_port=free_port())
    check = mx.probe_smtp()
    assert not check.answered and check.probe is not None
    assert "refused the connection" in check.message
    gate = mx.inspect(domain).gate
    assert gate.check("smtp").state == BLOCKED and gate.can_continue


def test_smtp_host_without_address(
    store: SessionStore, clock: FrozenClock, knot_server: KnotServer, checker: DnsChecker
) -> None:
    mx = mx_service(
        store, clock, knot_server, checker, f"none-{secrets.token_hex(3)}.renovations.com"
    )
    check = mx.probe_smtp()
    assert check.probe is None and "nothing to connect to" in check.message
