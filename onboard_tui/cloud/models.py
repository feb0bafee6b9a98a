"""What the cloud API exchanges, as plain dataclasses; secrets stay wrapped in `Secret`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onboard_tui.session.secrets import Secret


@dataclass(frozen=True)
class Geography:
    """A data centre region as the cloud announces it."""

    id: str
    name: str
    api_url: str
    smtp_host: str


@dataclass(frozen=True)
class Registration:
    """Step 1's Registration page, as sent to `POST /v1/organisations`."""

    admin_email: str
    password: Secret
    country: str
    language: str
    timezone: str
    geography: str
    terms_accepted: bool
    company: str = ""


@dataclass(frozen=True)
class RegistrationResult:
    """The cloud's answer to a registration; `logon_name` is what the admin must record."""

    org_id: str
    logon_name: str
    home_url: str
    registered_at: datetime


@dataclass(frozen=True)
class Organisation:
    """The registered organisation as the cloud holds it."""

    org_id: str
    company: str
    admin_email: str
    logon_name: str
    country: str
    language: str
    timezone: str
    geography: str
    home_url: str
    registered_at: datetime


@dataclass(frozen=True)
class CloudLogon:
    """A bearer token from `POST /v1/sessions`; it lives in memory only."""

    token: Secret
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class CloudDomain:
    """A domain as the cloud holds it (docs/cloud-api.md 4.1).

    `status` is `unverified`, `pending` or `verified`; `parent` is set (and `key` empty) for
    a subdomain verified with its listed root. `check_result` is the service's own view.
    """

    name: str
    parent: str
    status: str
    key: str
    record: str
    target: str
    begun_at: datetime | None = None
    restart_allowed_at: datetime | None = None
    verified_at: datetime | None = None
    checked_at: datetime | None = None
    check_result: str = ""
    check_seen: str = ""


@dataclass(frozen=True)
class CloudItem:
    """A mailbox item as the cloud stored it (docs/cloud-api.md 4.3)."""

    source_id: str
    kind: str
    folder: str
    flags: tuple[str, ...]
    received_at: datetime | None
    size: int
    sha256: str
    stored_at: datetime | None
    created: bool = False


@dataclass(frozen=True)
class MailboxUsage:
    """What a mailbox holds against its quota (docs/cloud-api.md 4.4)."""

    email: str
    quota_bytes: int
    used_bytes: int
    items: int
    max_item_bytes: int
    by_kind: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class CloudUser:
    """A provisioned user as the cloud holds it (docs/cloud-api.md 4.2).

    `subscription` is `unassigned` or `assigned` (with its `subscription_type`);
    `activation` is `pending` until the user's first logon, then `active`.
    """

    email: str
    display_name: str
    given_name: str
    family_name: str
    provisioned_at: datetime | None
    subscription: str
    subscription_type: str
    assigned_at: datetime | None
    activation: str
    activated_at: datetime | None

    @property
    def assigned(self) -> bool:
        return self.subscription == "assigned"

    @property
    def active(self) -> bool:
        return self.activation == "active"


@dataclass(frozen=True)
class CloudUserPage:
    """One page of `GET /v1/users`; `next_cursor` is "" on the last page."""

    users: list[CloudUser]
    next_cursor: str
