"""TLS certificate verification is on by default for LDAP, IMAP, SMTP and the cloud client.

One listener on 127.0.0.1 presents a self-signed certificate for 127.0.0.1 (valid in every
way except that nobody trusts it) and counts the TLS handshakes that completed. Each client,
configured only with what the admin must give (host, port, a login), must refuse it with a
sentence that says so, and the listener must see no completed handshake, so no password
ever left. The same clients with the certificate given as their CA file complete the
handshake: the check can fail. (EWS is covered in test_mail_ews.py.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.comms import CommsService
from onboard_tui.directory.ldapconn import check_connection
from onboard_tui.errors import OnboardError
from onboard_tui.mail.imapconn import ImapConnection, ImapEndpoint
from onboard_tui.providers import load_profile
from onboard_tui.session.model import LdapSource, SmtpSettings
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

from .servers.base import LOOPBACK

PASSWORD = "Untrusted-Listener-Must-Not-See-This-7"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key: (cert, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "untrusted 127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class UntrustedTls:
    """Implicit TLS on a free loopback port; counts completed handshakes and bytes seen."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port = int(self.listener.getsockname()[1])
        self.handshakes = 0
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError), conn:
            tls = self.context.wrap_socket(conn, server_side=True)
            self.handshakes += 1
            # Enough of a greeting that a client which trusted us would speak (and fail).
            tls.sendall(b"* OK ready\r\n")
            with contextlib.suppress(OSError):
                self.received += tls.recv(4096)
            tls.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("untrusted"))


@pytest.fixture
def untrusted(certificate: tuple[Path, Path]) -> Iterator[tuple[UntrustedTls, Path]]:
    """A listener of its own per test, so no earlier test's handshake is counted."""
    server = UntrustedTls(*certificate)
    yield server, certificate[0]
    server.close()


def refused(server: UntrustedTls, attempt: object) -> None:
    """Nothing completed the handshake, so no credential can have been sent."""
    assert server.handshakes == 0, f"{attempt}: a handshake with an untrusted server completed"
    assert PASSWORD.encode() not in server.received


def test_the_cloud_client_refuses_an_untrusted_certificate(
    untrusted: tuple[UntrustedTls, Path],
) -> None:
    server, cert = untrusted
    client = CloudClient(f"https://{LOOPBACK}:{server.port}", max_retries=0)
    with client, pytest.raises(OnboardError, match=r"(?i)certificate"):
        client.geographies()
    refused(server, "cloud")
    # With the certificate as its CA the handshake completes (then the "API" is nonsense).
    trusting = CloudClient(f"https://{LOOPBACK}:{server.port}", verify=str(cert), max_retries=0)
    with trusting, contextlib.suppress(OnboardError):
        trusting.geographies()
    assert server.handshakes >= 1


def test_imap_refuses_an_untrusted_certificate(untrusted: tuple[UntrustedTls, Path]) -> None:
    server, cert = untrusted
    endpoint = ImapEndpoint(LOOPBACK, server.port, timeout=10)
    assert endpoint.security == "tls" and endpoint.verify_tls
    with pytest.raises(OnboardError, match="cannot be verified"):
        ImapConnection(endpoint, "alice", Secret(PASSWORD))
    refused(server, "imap")
    trusting = ImapEndpoint(LOOPBACK, server.port, ca_file=str(cert), timeout=10)
    with contextlib.suppress(OnboardError):
        ImapConnection(trusting, "alice", Secret(PASSWORD))
    assert server.handshakes >= 1


def test_ldap_refuses_an_untrusted_certificate(untrusted: tuple[UntrustedTls, Path]) -> None:
    server, cert = untrusted
    source = LdapSource(
        url=f"ldaps://{LOOPBACK}:{server.port}",
        bind_user="cn=reader,dc=renovations,dc=com",
        base_dn="dc=renovations,dc=com",
        timeout=10,
    )
    assert source.security == "ldaps" and source.verify_tls
    report = check_connection(source, Secret(PASSWORD))
    assert not report.ok
    failed = next(s for s in report.stages if not s.ok)
    assert failed.stage == "TLS", report.stages
    assert "certificate" in failed.message.lower()
    refused(server, "ldap")
    source.ca_file = str(cert)
    check_connection(source, Secret(PASSWORD))
    assert server.handshakes >= 1


def test_smtp_refuses_an_untrusted_certificate(
    untrusted: tuple[UntrustedTls, Path],
    store: SessionStore,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, cert = untrusted
    monkeypatch.setenv("ONBOARD_TEST_SMTP_PW", PASSWORD)
    comms = CommsService(store, load_profile("sandbox"), clock)
    settings = SmtpSettings(
        host=LOOPBACK,
        port=server.port,
        security="tls",
        from_address="it@renovations.com",
        username="sender",
        password="env:ONBOARD_TEST_SMTP_PW",
        timeout=10,
    )
    assert settings.verify_tls
    comms.save_smtp(settings)
    with pytest.raises(OnboardError, match="not trusted"):
        comms.check_smtp()
    refused(server, "smtp")
    settings.ca_file = str(cert)
    comms.save_smtp(settings)
    with contextlib.suppress(OnboardError):
        comms.check_smtp()
    assert server.handshakes >= 1
