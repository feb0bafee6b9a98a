"""A recording SMTP server (aiosmtpd) on 127.0.0.1 for the tests of sending mail.

Every message accepted is kept as a ``ReceivedMessage`` (envelope sender, recipients and
the raw bytes), in order. Optionally requires AUTH PLAIN/LOGIN (without TLS, loopback only).
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .base import LOOPBACK, free_port


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    def parsed(self) -> email.message.EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        return message


class RecordingHandler:
    """aiosmtpd handler that stores every message and wakes up waiters."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.messages: list[ReceivedMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        if not data and isinstance(envelope.content, bytes):
            data = envelope.content
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data,
        )
        with self._condition:
            self.messages.append(received)
            self._condition.notify_all()
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[ReceivedMessage]:
        with self._condition:
            return list(self.messages)

    def clear(self) -> None:
        with self._condition:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} message(s), SMTP server got {len(self.messages)}"
                    )
                self._condition.wait(remaining)
            return list(self.messages)


@dataclass
class SmtpServer:
    """A running recording SMTP server."""

    host: str
    port: int
    handler: RecordingHandler = field(repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The messages received so far (a copy)."""
        return self.handler.snapshot()

    def clear(self) -> None:
        """Forget what was received (call at the start of a test sharing the server)."""
        self.handler.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        return self.handler.wait_for(count, timeout)


def _authenticator(username: str, password: str) -> Any:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and secrets.compare_digest(auth_data.login, username.encode())
            and secrets.compare_digest(auth_data.password, password.encode())
        )
        # handled=False: aiosmtpd then sends the 235/535 reply itself (with the default,
        # handled=True, a failed login gets no reply at all and the client hangs).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


@contextlib.contextmanager
def start_smtp(require_auth: bool = False) -> Iterator[SmtpServer]:
    """Start the recording server on a free port of 127.0.0.1; stop it on exit."""
    handler = RecordingHandler()
    port = free_port()
    username = password = None
    options: dict[str, Any] = {"enable_SMTPUTF8": True}
    if require_auth:
        username, password = "sender", secrets.token_urlsafe(15)
        options.update(
            authenticator=_authenticator(username, password),
            auth_required=True,
            auth_require_tls=False,
        )
    controller = Controller(handler, hostname=LOOPBACK, port=port, **options)
    controller.start()
    try:
        yield SmtpServer(LOOPBACK, port, handler, username, password)
    finally:
        controller.stop()
