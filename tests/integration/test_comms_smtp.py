"""Communications against real SMTP servers (aiosmtpd) on 127.0.0.1: plain, STARTTLS with
a test CA and a login, implicit TLS; headers and text as received; a refusal then a retry;
no duplicates when the same template is sent again."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import secrets
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from onboard_tui.clock import FrozenClock
from onboard_tui.comms import (
    ALL,
    FAILED,
    FAILED_ONLY,
    SENT,
    Audience,
    CommsService,
    SendProgress,
    SmtpError,
)
from onboard_tui.providers import load_profile
from onboard_tui.session.model import SmtpSettings
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

from .servers.base import LOOPBACK, free_port
from .servers.smtp import RecordingHandler, SmtpServer

USERS = [
    UserRow("alice.adams@renovations.com", "Alice Adams", "Alice", "Adams"),
    UserRow("bruno.baker@renovations.com", "Bruno Baker", "Bruno", "Baker"),
    UserRow("zoe.zahl@renovations.com", "Zoë Zähl", "Zoë", "Zähl"),
]
VALUES = (
    'migration_date = "Saturday 5 December 2026"\ncompany = "Renovations"\n'
    'admin_email = "it@renovations.com"\nlogin_url = "https://mail.renovations.test/"\n'
)


@pytest.fixture
def comms(store: SessionStore, clock: FrozenClock) -> CommsService:
    store.db.upsert_users(USERS, clock.now())
    service = CommsService(store, load_profile("sandbox"), clock)
    service.ensure_files()
    service.save_values(VALUES)
    return service


def settings(port: int, **changes: Any) -> SmtpSettings:
    base = SmtpSettings(
        host=LOOPBACK,
        port=port,
        security="none",
        from_address="it@renovations.com",
        from_name="Renovations IT",
        rate_per_minute=30,
        timeout=10,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_messages_arrive_with_headers_and_text_at_the_set_pace(
    comms: CommsService, smtp: SmtpServer, clock: FrozenClock
) -> None:
    comms.save_smtp(settings(smtp.port))
    plan = comms.plan("first-announcement", Audience(ALL))
    seen: list[SendProgress] = []
    start = clock.monotonic()
    report = comms.send(plan, progress=seen.append)
    assert (report.sent, report.failed, report.remaining) == (3, [], 0)
    assert clock.monotonic() - start == pytest.approx(4.0)  # 30 a minute: 2 s apart
    assert [(p.sent, p.remaining) for p in seen] == [(0, 3), (1, 2), (2, 1), (3, 0)]

    received = smtp.wait_for(3)
    by_rcpt = {m.rcpt_tos[0]: m for m in received}
    zoe = by_rcpt["zoe.zahl@renovations.com"]
    assert zoe.mail_from == "it@renovations.com"
    msg = zoe.parsed()
    assert msg["From"] == "Renovations IT <it@renovations.com>"
    assert msg["To"] == "Zoë Zähl <zoe.zahl@renovations.com>"
    assert msg["Subject"].endswith("on Saturday 5 December 2026")
    assert msg["Date"] == "Wed, 25 Nov 2026 09:00:04 +0000"
    assert msg["X-Onboard-Template"] == "first-announcement"
    record = comms.ledger.record("first-announcement", "zoe.zahl@renovations.com")
    assert record is not None and record.status == SENT
    assert msg["Message-ID"] == record.message_id
    assert msg.get_content_charset() == "utf-8"
    text = msg.get_content()
    assert text.startswith("Dear Zoë,")
    assert "Logon name:   zoe.zahl@renovations.com" in text

    # the same template again: nobody gets it twice
    again = comms.plan("first-announcement", Audience(ALL))
    assert (again.count, again.already_sent) == (0, 3)
    assert comms.send(again).sent == 0
    assert len(smtp.messages) == 3


class _RefuseOnce(RecordingHandler):
    """Refuses one recipient with a temporary error the first time only."""

    def __init__(self, address: str, reply: str) -> None:
        super().__init__()
        self.address = address
        self.reply = reply
        self.refused = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == self.address and not self.refused:
            self.refused += 1
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextlib.contextmanager
def _server(handler: Any, **options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname=LOOPBACK, port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_refusal_is_recorded_then_retried_without_duplicates(comms: CommsService) -> None:
    handler = _RefuseOnce("bruno.baker@renovations.com", "451 4.3.0 Mailbox busy, try later")
    with _server(handler) as port:
        comms.save_smtp(settings(port, rate_per_minute=600))
        report = comms.send(comms.plan("activation-instructions", Audience(ALL)))
        assert report.sent == 2
        assert report.failed == [
            ("bruno.baker@renovations.com", "451 4.3.0 Mailbox busy, try later")
        ]
        assert comms.counts("activation-instructions") == {SENT: 2, FAILED: 1, "not sent": 0}
        rows = {r.email: r for r in comms.status("activation-instructions")}
        assert rows["bruno.baker@renovations.com"].error.startswith("451")

        retry = comms.plan("activation-instructions", Audience(FAILED_ONLY))
        assert [r.email for r in retry.recipients] == ["bruno.baker@renovations.com"]
        assert comms.send(retry).sent == 1
        assert comms.send(comms.plan("activation-instructions", Audience(ALL))).sent == 0
        rcpts = sorted(m.rcpt_tos[0] for m in handler.snapshot())
        assert rcpts == sorted(u.email for u in USERS)  # each exactly once


def test_forced_resend_is_sent_again(comms: CommsService, smtp: SmtpServer) -> None:
    comms.save_smtp(settings(smtp.port, rate_per_minute=600))
    comms.send(comms.plan("cutover-notice", Audience(ALL)))
    forced = comms.plan("cutover-notice", Audience(ALL), force=True)
    assert forced.count == 3 and "AGAIN" in comms.confirmation(forced)
    comms.send(forced)
    assert len(smtp.wait_for(6)) == 6


def test_server_down_stops_cleanly_and_marks_nobody_sent(comms: CommsService) -> None:
    comms.save_smtp(settings(free_port()))
    with pytest.raises(SmtpError, match="cannot connect"):
        comms.send(comms.plan("first-announcement", Audience(ALL)))
    assert comms.counts("first-announcement").get(SENT, 0) == 0


# --- TLS -------------------------------------------------------------------------------


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 signed by it (PEM files)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onboard-tui test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def _authenticator(username: str, password: str) -> Any:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == username.encode()
            and secrets.compare_digest(auth_data.password, password.encode())
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return _certificates(tmp_path_factory.mktemp("smtp-tls"))


def test_starttls_with_login_verifies_the_certificate(
    comms: CommsService, certs: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file, cert_file, key_file = certs
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    password = secrets.token_urlsafe(12)
    monkeypatch.setenv("ONBOARD_TEST_SMTP_PW", password)
    handler = RecordingHandler()
    options = {
        "tls_context": server_tls,
        "require_starttls": True,
        "authenticator": _authenticator("sender", password),
        "auth_required": True,
        "auth_require_tls": True,
    }
    with _server(handler, **options) as port:
        base = settings(
            port, security="starttls", username="sender", password="env:ONBOARD_TEST_SMTP_PW"
        )
        # the system trust store does not know the test CA: refused, nothing sent
        comms.save_smtp(base)
        with pytest.raises(SmtpError, match="not trusted"):
            comms.send(comms.plan("first-announcement", Audience(ALL)))
        # with the CA file: a verified STARTTLS session and a login
        base.ca_file = str(ca_file)
        comms.save_smtp(base)
        assert "logged in as sender" in comms.check_smtp()
        report = comms.send(comms.plan("first-announcement", Audience(ALL)))
        assert report.sent == 3
        assert len(handler.wait_for(3, 5)) == 3
        # a wrong password is a clear refusal
        monkeypatch.setenv("ONBOARD_TEST_SMTP_PW", "wrong-" + password)
        with pytest.raises(SmtpError, match="refused the login of sender"):
            comms.check_smtp()
    assert password not in comms.store.path.read_text()


def test_implicit_tls(comms: CommsService, certs: tuple[Path, Path, Path]) -> None:
    ca_file, cert_file, key_file = certs
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    handler = RecordingHandler()
    with _server(handler, ssl_context=server_tls) as port:
        comms.save_smtp(settings(port, security="tls", ca_file=str(ca_file)))
        assert "encrypted with TLS" in comms.check_smtp()
        assert comms.send(comms.plan("cutover-notice", Audience(ALL))).sent == 3
        assert len(handler.wait_for(3, 5)) == 3
