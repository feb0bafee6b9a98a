"""Sending through a real SMTP server with smtplib: STARTTLS or implicit TLS, verified.

Certificate verification is on unless `[smtp] verify_tls = false` (a CA file may be
given instead). A password goes to the server only over TLS, or to a relay on this
machine (127.0.0.1 / localhost), never in clear across a network.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from onboard_tui.errors import OnboardError
from onboard_tui.session.model import SmtpSettings
from onboard_tui.session.secrets import Secret

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class SmtpError(OnboardError):
    """The SMTP server cannot be used at all (connect, TLS, login): sending stops."""


class Unconfirmed(SmtpError):
    """The whole message went out but the server hung up before answering: it may have
    been delivered, so it is not sent again without the administrator's say-so."""


@dataclass(frozen=True)
class Rejected(Exception):
    """The server refused one message; `permanent` for 5xx (a retry will not help)."""

    code: int
    text: str

    @property
    def permanent(self) -> bool:
        return self.code >= 500

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=settings.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise SmtpError(
            f"The CA file {settings.ca_file} cannot be read: {exc}.",
            hint="Give a PEM file with the certificate of the CA that signed the server's.",
        ) from None
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def describe(settings: SmtpSettings) -> str:
    """'smtp.example.com:587 (STARTTLS)' as the confirmation and the status line say it."""
    security = {"starttls": "STARTTLS", "tls": "TLS", "none": "no TLS"}[settings.security]
    extra = "" if settings.verify_tls or settings.security == "none" else ", NOT verified"
    return f"{settings.host}:{settings.port} ({security}{extra})"


class SmtpSender:
    """One connection, reused for a batch; reconnects once when the server hangs up."""

    def __init__(self, settings: SmtpSettings, password: Secret | None) -> None:
        self.settings = settings
        self.password = password
        self._smtp: smtplib.SMTP | None = None
        self._end = _EndWatch(None)  # until connected
        self.tls_version = ""

    def __enter__(self) -> SmtpSender:
        self.connect()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        if not s.host:
            raise SmtpError("No SMTP server is set.", hint="Open the SMTP settings (m).")
        where = describe(s)
        if s.username and s.security == "none" and s.host.lower() not in _LOOPBACK:
            raise SmtpError(
                f"{where}: a password would cross the network in clear.",
                hint="Choose STARTTLS or TLS, or send through a relay on this machine.",
            )
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=tls_context(s)
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise SmtpError(
                            f"{where}: the server does not offer STARTTLS.",
                            hint="Check the port (587 usually), or choose TLS (port 465).",
                        )
                    smtp.starttls(context=tls_context(s))
                    smtp.ehlo()
                sock = smtp.sock
                if isinstance(sock, ssl.SSLSocket):
                    self.tls_version = sock.version() or ""
                if s.username:
                    if self.password is None or not self.password:
                        raise SmtpError(f"{where}: a password is needed for {s.username}.")
                    smtp.login(s.username, self.password.reveal())
            except BaseException:
                _quietly_close(smtp)
                raise
        except SmtpError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise SmtpError(
                f"{where}: the server's certificate is not trusted ({exc.verify_message}).",
                hint="Give the CA file that signed it ([smtp] ca_file), or fix the host name.",
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpError(
                f"{where}: the server refused the login of {s.username} "
                f"({exc.smtp_code} {_text(exc.smtp_error)}).",
                hint="Check the user name and the password reference.",
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise SmtpError(
                f"{where}: the server does not accept a login (no AUTH offered).",
                hint="Leave the user name empty if the server relays without one.",
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise SmtpError(
                f"{where}: the server answered {exc.smtp_code} {_text(exc.smtp_error)}."
            ) from None
        except (ssl.SSLError, smtplib.SMTPException) as exc:
            raise SmtpError(f"{where}: {exc}.") from None
        except TimeoutError:
            raise SmtpError(f"{where}: no answer within {s.timeout} seconds.") from None
        except OSError as exc:
            raise SmtpError(
                f"{where}: cannot connect ({exc.strerror or exc}).",
                hint="Check the host and port, and that this machine may reach it.",
            ) from None
        self._smtp = smtp
        self._end = _EndWatch(smtp)

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send one message; Rejected when the server refuses it, SmtpError when it is gone."""
        for attempt in (1, 2):
            if self._smtp is None:
                self.connect()
            assert self._smtp is not None
            self._end.written = False
            try:
                refused = self._smtp.send_message(
                    message, from_addr=self.settings.from_address, to_addrs=[recipient]
                )
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                self._unless_written(self._end.written, recipient, exc)
                if attempt == 2:
                    raise SmtpError(f"{describe(self.settings)} hung up twice.") from None
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (550, b"refused"))
                raise Rejected(int(code), _text(text)) from None
            except smtplib.SMTPSenderRefused as exc:
                raise SmtpError(
                    f"{describe(self.settings)} refused the sender "
                    f"{self.settings.from_address} ({exc.smtp_code} {_text(exc.smtp_error)}).",
                    hint="Use a From address the server lets you send as.",
                ) from None
            except smtplib.SMTPResponseException as exc:
                raise Rejected(exc.smtp_code, _text(exc.smtp_error)) from None
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                self._unless_written(self._end.written, recipient, exc)
                if attempt == 2:
                    raise SmtpError(f"{describe(self.settings)}: {exc}.") from None
                continue
            if refused:
                code, text = next(iter(refused.values()))
                raise Rejected(int(code), _text(text))
            return

    def _unless_written(self, written: bool, recipient: str, exc: Exception) -> None:
        """Raise Unconfirmed when the connection died after the whole message went out:
        resending could deliver it twice, so only a person can decide."""
        if written:
            raise Unconfirmed(
                f"{describe(self.settings)} hung up after the message to {recipient} was "
                f"sent, before confirming it ({exc or 'connection closed'}); it may have "
                "been delivered.",
                hint="Check the recipient's mailbox; send it again with force only if it "
                "did not arrive.",
            ) from None

    def check(self) -> str:
        """Connect, log in and say what was negotiated (for the settings form's Test)."""
        self.connect()
        parts = [f"Connected to {describe(self.settings)}"]
        if self.tls_version:
            parts.append(f"encrypted with {self.tls_version}")
        if self.settings.username:
            parts.append(f"logged in as {self.settings.username}")
        self.close()
        return ", ".join(parts) + "."

    def _drop(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._drop()


class _EndWatch:
    """Notes when a message's final "." has been written on this connection (smtplib's
    data() sends the whole message, dot included, in one send call)."""

    def __init__(self, smtp: smtplib.SMTP | None) -> None:
        self.written = False
        if smtp is not None:
            self._send = smtp.send
            smtp.send = self  # type: ignore[method-assign,assignment]

    def __call__(self, data: bytes | str) -> None:
        self._send(data)
        if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
            self.written = True


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())
