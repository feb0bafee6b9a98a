"""The demo's mail server: aiosmtpd on 127.0.0.1, delivering into a Maildir per recipient.

The sandbox profile's SMTP hosts (`smtp.<geo>.sandbox.onboard.test`) exist nowhere, so a
demo session runs this server instead: Step 5's SMTP probe connects to it, and the
Communicate step sends to it for real (`[smtp]` is pointed at it when the demo session is
made). It accepts mail only for the demo's domain (`renovations.com` and its subdomains;
anything else is refused with 550 and a sentence) and writes each message into
`<session>/demo-mail/<address>/` (a Maildir), so the administrator can open what each user
received. It offers STARTTLS with a certificate signed by a CA made once per demo folder
(`<session>/demo-smtp/`: `ca.pem` is the file a client trusts, `server.key` is 0600; the
CA's own key is never written, so nothing else can be signed with it).

    server = DemoMailServer(session_folder, port=0).start()   # 0: a free port
    server.port, server.ca_file, server.maildir("alice@renovations.com")
    server.stop()
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import mailbox
import re
import socket
import ssl
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from onboard_tui.errors import OnboardError
from onboard_tui.session.atomic import write_atomic
from onboard_tui.session.model import SessionData, SmtpSettings
from onboard_tui.session.store import SessionStore

log = logging.getLogger(__name__)

DEMO_DOMAIN = "renovations.com"
MAIL_FOLDER = "demo-mail"
TLS_FOLDER = "demo-smtp"
FROM_ADDRESS = f"onboarding@{DEMO_DOMAIN}"
LOOPBACK = "127.0.0.1"

_LOCAL_PART = re.compile(r"[a-z0-9][a-z0-9._+-]{0,63}")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


class DemoMailError(OnboardError):
    """The demo mail server cannot start."""


def in_domains(domain: str, domains: Sequence[str]) -> bool:
    """`domain` is one of `domains` or a subdomain of one (case-insensitive)."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in domains)


class DemoMailHandler:
    """aiosmtpd handler: checks each recipient, then delivers into its Maildir."""

    def __init__(self, root: Path, domains: Sequence[str]) -> None:
        self.root = root
        self.domains = tuple(d.lower().rstrip(".") for d in domains)

    def folder_for(self, address: str) -> Path | None:
        """The recipient's Maildir, or None when the address is not one this server takes."""
        local, _, domain = address.strip().lower().rpartition("@")
        if not local or not in_domains(domain, self.domains):
            return None
        if not _LOCAL_PART.fullmatch(local) or not all(
            _LABEL.fullmatch(label) for label in domain.split(".")
        ):
            return None
        return self.root / f"{local}@{domain}"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        _, _, domain = address.rpartition("@")
        if not in_domains(domain, self.domains):
            where = " and ".join(self.domains)
            return (
                f"550 5.7.1 This demo mail server accepts mail only for {where} and its "
                f"subdomains, not for {domain or 'an address without a domain'}."
            )
        if self.folder_for(address) is None:
            return (
                "550 5.1.3 This demo mail server delivers only to plain addresses "
                "(letters, digits, dot, dash, plus, underscore)."
            )
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content
        if data is None:
            content = envelope.content or b""
            data = content.encode("utf-8") if isinstance(content, str) else content
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None, self.deliver, envelope.mail_from or "", envelope.rcpt_tos, data
            )
        except OSError as exc:
            log.warning("demo mail server cannot deliver: %s", exc)
            return f"451 4.3.0 The demo mail server cannot write the message: {exc.strerror}."
        return "250 2.0.0 Delivered to the demo Maildir"

    def deliver(self, mail_from: str, rcpt_tos: Sequence[str], data: bytes) -> None:
        """Write one copy per recipient, headed like a local delivery agent heads it."""
        body = data.replace(b"\r\n", b"\n")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for rcpt in rcpt_tos:
            folder = self.folder_for(rcpt)
            if folder is None:  # refused at RCPT already
                continue
            head = f"Return-Path: <{mail_from}>\nDelivered-To: {rcpt.lower()}\n"
            mailbox.Maildir(folder, create=True).add(head.encode("utf-8") + body)
            log.info("demo mail server delivered a message to %s", rcpt)


class _Controller(Controller):
    """aiosmtpd's threaded controller, binding port 0 to a free port and greeting with
    the server's current name."""

    def __init__(self, owner: DemoMailServer, handler: DemoMailHandler, **kwargs: Any) -> None:
        super().__init__(handler, hostname=owner.host, port=owner.wanted_port, **kwargs)
        self.owner = owner

    def factory(self) -> SMTP:
        return SMTP(self.handler, **{**self.SMTP_kwargs, "hostname": self.owner.name})

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=self.port
        )
        self.port = int(server.sockets[0].getsockname()[1])
        return server


class DemoMailServer:
    """`start()` on `port` (0: a free one), then `.port`; `stop()` closes it.

    `name` is the host name it greets with (Step 5 sets the geography's SMTP host);
    `names` go into its certificate besides `localhost` and 127.0.0.1.
    """

    def __init__(
        self,
        session_folder: Path,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        name: str = "localhost",
        names: Sequence[str] = (),
        domains: Sequence[str] = (DEMO_DOMAIN,),
    ) -> None:
        self.folder = session_folder
        self.host = host
        self.wanted_port = port
        self.port = 0
        self.name = name
        self.names = tuple(n.rstrip(".").lower() for n in names if n)
        self.handler = DemoMailHandler(session_folder / MAIL_FOLDER, domains)
        self._controller: _Controller | None = None

    # -- files -----------------------------------------------------------------------

    @property
    def tls_folder(self) -> Path:
        return self.folder / TLS_FOLDER

    @property
    def ca_file(self) -> Path:
        """The CA certificate a client trusts to verify this server (PEM)."""
        return self.tls_folder / "ca.pem"

    @property
    def cert_file(self) -> Path:
        return self.tls_folder / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.tls_folder / "server.key"

    def maildir(self, address: str) -> Path:
        """Where the mail of `address` is delivered (a Maildir; may not exist yet)."""
        folder = self.handler.folder_for(address)
        if folder is None:
            raise DemoMailError(f"{address} is not an address the demo mail server takes.")
        return folder

    def smtp_settings(self) -> SmtpSettings:
        """`[smtp]` for sending through this server: STARTTLS verified with the demo CA."""
        return SmtpSettings(
            host=self.host,
            port=self.port,
            security="starttls",
            from_address=FROM_ADDRESS,
            from_name="Renovations IT onboarding",
            ca_file=f"{TLS_FOLDER}/{self.ca_file.name}",  # relative: the session folder's
            rate_per_minute=300,
            timeout=10,
        )

    # -- running ---------------------------------------------------------------------

    def start(self) -> DemoMailServer:
        if self.wanted_port:  # a taken port fails here at once, not after the ready timeout
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((self.host, self.wanted_port))
                except OSError as exc:
                    raise DemoMailError(
                        f"The demo mail server cannot listen on {self.host}:"
                        f"{self.wanted_port}: {exc.strerror or exc}."
                    ) from None
        self.ensure_tls()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        controller = _Controller(
            self,
            self.handler,
            ready_timeout=5.0,
            tls_context=context,
            require_starttls=False,
            ident="onboard-tui demo mail server",
        )
        try:
            controller.start()
        except OSError as exc:
            raise DemoMailError(
                f"The demo mail server cannot listen on {self.host}:{self.wanted_port}: "
                f"{exc.strerror or exc}."
            ) from None
        self._controller = controller
        self.port = controller.port
        log.info("demo mail server on %s:%d (STARTTLS)", self.host, self.port)
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> DemoMailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the certificate ---------------------------------------------------------------

    def ensure_tls(self) -> None:
        """Make the CA and the server's key and certificate, once per demo folder."""
        if all(p.exists() for p in (self.ca_file, self.cert_file, self.key_file)):
            return
        self.tls_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_pem, cert_pem, ca_pem = _make_certificates(("localhost", *self.names))
        write_atomic(self.key_file, key_pem, mode=0o600)
        write_atomic(self.cert_file, cert_pem + ca_pem, mode=0o644)
        write_atomic(self.ca_file, ca_pem, mode=0o644)  # last: its presence means "done"
        log.info("demo mail server: CA and certificate made in %s", self.tls_folder)


def _make_certificates(names: Sequence[str]) -> tuple[bytes, bytes, bytes]:
    """A CA (its key discarded) and a server certificate for `names` and 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "onboard-tui demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, "onboard-tui demo mail CA"),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    unique = list(dict.fromkeys(names))
    alt: list[x509.GeneralName] = [x509.DNSName(n) for n in unique]
    alt.append(x509.IPAddress(ipaddress.ip_address(LOOPBACK)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, unique[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = serialization.Encoding.PEM
    return key_pem, cert.public_bytes(pem), ca.public_bytes(pem)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


# -- the demo session ---------------------------------------------------------------------


def start_demo_mail(
    store: SessionStore, *, beside: int = 0, names: Sequence[str] = ()
) -> DemoMailServer:
    """Start the demo mail server on `[cloud] demo_smtp_port` (the first time: `beside`,
    else a free port), remember the port, and point `[smtp]` at it if nothing is set."""
    wanted = store.data.cloud.demo_smtp_port or beside
    server = DemoMailServer(store.folder, port=wanted, names=names)
    try:
        server.start()
    except DemoMailError:
        if not wanted:
            raise
        log.warning("port %d is taken; the demo mail server moves to a free one", wanted)
        server = DemoMailServer(store.folder, names=names)
        server.start()
    if store.read_only:
        return server
    old = store.data.cloud.demo_smtp_port
    try:
        store.update(lambda data: _remember(data, server, old))
    except BaseException:
        server.stop()
        raise
    return server


def _remember(data: SessionData, server: DemoMailServer, old_port: int) -> None:
    """Record the port; set `[smtp]` the first time; follow a moved port."""
    data.cloud.demo_smtp_port = server.port
    smtp = data.smtp
    if smtp is None:
        data.smtp = server.smtp_settings()
    elif smtp.host == server.host and old_port and smtp.port == old_port:
        smtp.port = server.port
