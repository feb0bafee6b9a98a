"""The demo's mail server (aiosmtpd on 127.0.0.1): Maildir delivery for renovations.com,
550 for anything else, STARTTLS verified with the demo's CA; the demo session sends to it
through `[smtp]`, and Step 5's probe reaches it."""

from __future__ import annotations

import email
import email.policy
import mailbox
import smtplib
import socket
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.comms import Audience
from onboard_tui.comms.ledger import FAILED, SENT
from onboard_tui.mx.demo_smtp import DemoMailServer
from onboard_tui.service import NewSession, OnboardingService
from onboard_tui.session.model import SessionData
from onboard_tui.session.statedb import UserRow

SMTP_HOST = "smtp.na.sandbox.onboard.test"
VALUES = """\
migration_date = "Saturday 5 December 2026"
login_url = "https://mail.renovations.com/"
company = "Renovations Inc"
admin_email = "admin@renovations.com"
"""


def messages(folder: Path) -> list[email.message.EmailMessage]:
    box = mailbox.Maildir(folder, create=False)
    found = []
    for key in box.iterkeys():
        parsed = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        found.append(parsed)
    return found


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DemoMailServer]:
    with DemoMailServer(tmp_path, names=[SMTP_HOST]) as running:
        yield running


def test_mail_for_the_demo_domains_lands_in_a_maildir_per_recipient(
    server: DemoMailServer,
) -> None:
    body = b"From: it@renovations.com\r\nSubject: Welcome\r\n\r\nHello.\r\n"
    with smtplib.SMTP(server.host, server.port, timeout=5) as client:
        refused = client.sendmail(
            "it@renovations.com",
            ["Alice.Adams@renovations.com", "carla@West.Renovations.com"],
            body,
        )
    assert refused == {}
    alice = messages(server.folder / "demo-mail" / "alice.adams@renovations.com")
    carla = messages(server.maildir("carla@west.renovations.com"))
    assert [m["Subject"] for m in alice] == ["Welcome"] and len(carla) == 1
    assert alice[0]["Delivered-To"] == "alice.adams@renovations.com"
    assert alice[0]["Return-Path"] == "<it@renovations.com>"
    assert alice[0].get_content().strip() == "Hello."


@pytest.mark.parametrize(
    ("address", "code", "words"),
    [
        ("bob@example.org", 550, "accepts mail only for renovations.com"),
        ("eve@notrenovations.com", 550, "not for notrenovations.com"),
        ('"../x"@renovations.com', 550, "plain addresses"),
    ],
)
def test_other_recipients_are_refused_with_a_sentence(
    server: DemoMailServer, address: str, code: int, words: str
) -> None:
    with (
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as caught,
    ):
        client.sendmail("it@renovations.com", [address], b"Subject: x\r\n\r\nx\r\n")
    ((got_code, text),) = caught.value.recipients.values()
    assert got_code == code and words in text.decode()
    assert not (server.folder / "demo-mail").exists() or not any(
        (server.folder / "demo-mail").iterdir()
    )


def test_starttls_is_verified_with_the_demo_ca_made_once(server: DemoMailServer) -> None:
    assert stat.S_IMODE(server.key_file.stat().st_mode) == 0o600
    context = ssl.create_default_context(cafile=str(server.ca_file))
    for name in (server.host, "localhost"):
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client._host = name  # the name the certificate is checked against
            client.ehlo()
            assert client.has_extn("starttls")
            client.starttls(context=context)
            assert isinstance(client.sock, ssl.SSLSocket)
            client.ehlo()
            client.sendmail("it@renovations.com", ["tls@renovations.com"], b"Subject: t\r\n\r\n")
    assert len(messages(server.maildir("tls@renovations.com"))) == 2
    # without the demo CA, the certificate is not trusted
    with smtplib.SMTP(server.host, server.port, timeout=5) as client:
        client.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
    # made once per folder: a second server in the same folder keeps the same files
    ca, key = server.ca_file.read_bytes(), server.key_file.read_bytes()
    with DemoMailServer(server.folder) as again:
        assert again.port != server.port
        assert again.ca_file.read_bytes() == ca and again.key_file.read_bytes() == key


def test_the_demo_session_sends_to_it_and_step5_probes_it(
    tmp_path: Path, clock: FrozenClock
) -> None:
    folder = tmp_path / "demo"
    service = OnboardingService.create(folder, NewSession("demo", "sandbox"), clock=clock)
    try:
        demo = service.demo_smtp
        assert demo is not None and demo.running
        smtp = service.comms.smtp_settings()
        assert (smtp.host, smtp.port, smtp.security) == ("127.0.0.1", demo.port, "starttls")
        assert smtp.ca_file == "demo-smtp/ca.pem" and not smtp.username and smtp.verify_tls
        assert smtp.from_address == "onboarding@renovations.com"
        assert service.comms.demo_mail_folder == folder / "demo-mail"
        port = demo.port
        assert f"demo_smtp_port = {port}" in (folder / "session.toml").read_text()

        assert "encrypted with TLSv1" in service.comms.check_smtp()
        service.store.db.upsert_users(
            [
                UserRow("alice.adams@renovations.com", "Alice Adams", "Alice", "Adams"),
                UserRow("carla.costa@west.renovations.com", "Carla Costa", "Carla", "Costa"),
                UserRow("omar@elsewhere.example", "Omar Other", "Omar", "Other"),
            ],
            clock.now(),
        )
        service.comms.ensure_files()
        service.comms.save_values(VALUES)
        plan = service.comms.plan("first-announcement", Audience())
        report = service.comms.send(plan)
        assert report.sent == 2 and [e for e, _ in report.failed] == ["omar@elsewhere.example"]
        assert "550" in report.failed[0][1] and not report.error
        got = messages(folder / "demo-mail" / "alice.adams@renovations.com")
        assert len(got) == 1 and "Alice" in got[0].get_content()
        assert got[0]["From"].addresses[0].addr_spec == "onboarding@renovations.com"
        assert len(messages(folder / "demo-mail" / "carla.costa@west.renovations.com")) == 1
        ledger = service.comms.ledger.records("first-announcement")
        assert ledger["alice.adams@renovations.com"].status == SENT
        assert ledger["omar@elsewhere.example"].status == FAILED

        def geography(data: SessionData) -> None:
            data.geography = "na"

        service.store.update(geography)
        check = service.mx.probe_smtp()
        assert check.ok and check.probe is not None and check.probe.starttls
        assert (check.host, check.port, check.addresses) == (SMTP_HOST, port, ("127.0.0.1",))
        assert check.probe.banner.startswith(SMTP_HOST)
        assert "demo's own mail server" in service.mx.probe_note
    finally:
        service.close()
    assert not demo.running

    # reopened: the same port, [smtp] unchanged
    again = OnboardingService.open(folder, clock=clock)
    try:
        assert again.demo_smtp is not None and again.demo_smtp.port == port
        assert again.comms.smtp_settings().port == port
    finally:
        again.close()


def test_a_taken_port_moves_the_mail_server_and_smtp_follows(
    tmp_path: Path, clock: FrozenClock
) -> None:
    folder = tmp_path / "demo"
    first = OnboardingService.create(folder, NewSession("demo", "sandbox"), clock=clock)
    port = first.session.cloud.demo_smtp_port
    first.close()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        service = OnboardingService.open(folder, clock=clock)
        try:
            moved = service.session.cloud.demo_smtp_port
            assert moved not in (0, port)
            assert service.comms.smtp_settings().port == moved
            assert "encrypted with" in service.comms.check_smtp()
        finally:
            service.close()
