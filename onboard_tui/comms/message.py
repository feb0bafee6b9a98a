"""One user's message as a real MIME message (email.message.EmailMessage, UTF-8)."""

from __future__ import annotations

import email.policy
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from onboard_tui.errors import OnboardError

TEMPLATE_HEADER = "X-Onboard-Template"
_NAME_CLEAN = re.compile(r"[\x00-\x1f\x7f]")


class AddressError(OnboardError):
    """An address that cannot go into a header."""


def parse_address(addr: str, name: str = "", *, what: str = "address") -> Address:
    """An Address, or AddressError; control characters in a display name become spaces."""
    addr = addr.strip()
    if not addr or any(c in addr for c in '\r\n\t <>,;"') or addr.count("@") != 1:
        raise AddressError(f"'{_NAME_CLEAN.sub('?', addr)[:80]}' is not a valid {what}.")
    local, _, domain = addr.partition("@")
    if not local or not domain or "." not in domain.strip("."):
        raise AddressError(f"'{addr[:80]}' is not a valid {what}.")
    if not local.isascii():
        raise AddressError(
            f"'{addr[:80]}': an address with non-ASCII letters before the @ is not supported."
        )
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError(f"'{addr[:80]}' is not a valid {what}.") from None
    display = " ".join(_NAME_CLEAN.sub(" ", name).split())
    try:
        return Address(display_name=display, username=local, domain=domain)
    except (ValueError, TypeError, IndexError) as exc:
        raise AddressError(f"'{addr[:80]}' is not a valid {what}: {exc}.") from None


def new_message_id(from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "onboard-tui.invalid"
    return make_msgid(idstring="onboard", domain=domain)


def build_message(
    *,
    sender: Address,
    recipient: Address,
    subject: str,
    body: str,
    at: datetime,
    message_id: str,
    template: str,
    reply_to: Address | None = None,
) -> EmailMessage:
    """The message with From, To, Subject, Date, Message-ID and a UTF-8 text body."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id
    message[TEMPLATE_HEADER] = template
    text = body + "\n"
    message.set_content(text, charset="utf-8", cte="7bit" if text.isascii() else "quoted-printable")
    return message
