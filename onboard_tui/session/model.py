"""The session as plain dataclasses: what session.toml holds, nothing more.

Users, memberships, ledgers and events live in state.db; this stays small so that it
opens fast and reads well when an administrator edits it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from onboard_tui.roadmap import StepId, StepState

SCHEMA_VERSION = 1


@dataclass
class StepRecord:
    """The stored state of one roadmap step."""

    state: StepState = StepState.NOT_STARTED
    reason: str = ""
    updated: datetime | None = None


@dataclass
class Organisation:
    """The registered organisation (Step 1). No password: that is never stored."""

    admin_email: str
    country: str
    language: str
    timezone: str
    company: str = ""
    org_id: str = ""
    home_url: str = ""
    registered_at: datetime | None = None

    @property
    def logon_name(self) -> str:
        """The seed: the email address shown is the logon name of the company administrator."""
        return self.admin_email


@dataclass
class CloudSettings:
    """How to reach the cloud API; `api_url` overrides the profile's geography URL.

    `sandbox_port` is where the embedded sandbox listens (0: a free port, then remembered,
    so the home page URL recorded at registration stays valid across runs). `demo_dns_port`
    is the same for the demo's authoritative DNS server (UDP and TCP), `demo_smtp_port` for
    the demo's mail server (SMTP with STARTTLS).
    """

    api_url: str = ""
    verify_tls: bool = True
    ca_file: str = ""
    admin_password: str = "prompt"  # noqa: S105 - a secret reference, never the password
    sandbox_port: int = 0
    demo_dns_port: int = 0  # the demo's own DNS server (sandbox profile), kept like sandbox_port
    demo_smtp_port: int = 0  # the demo's own mail server, kept the same way


@dataclass
class TransferGroup:
    """A named set of users migrated together; members live in state.db."""

    name: str
    setting: str = ""
    description: str = ""


ITEM_TYPES = ("mail", "contacts", "calendar", "tasks")
DEFAULT_EXCLUDED_FOLDERS = ("Deleted Items", "Junk")


@dataclass
class TransferSettings:
    """Named Transfer Group Settings (the seed's full or selective transfer)."""

    name: str
    mode: str = "full"  # "full" or "selective"
    item_types: list[str] = field(default_factory=lambda: list(ITEM_TYPES))
    since: date | None = None
    last_months: int | None = None
    include_folders: list[str] = field(default_factory=list)
    exclude_folders: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDED_FOLDERS))
    max_item_mb: int | None = None

    @property
    def selective(self) -> bool:
        return self.mode == "selective"


@dataclass
class LdapSource:
    """An LDAP directory (Active Directory or Domino) the users are read from.

    `security` is "ldaps", "starttls" or "plain" (plain only when chosen explicitly).
    """

    url: str = ""
    security: str = "ldaps"
    verify_tls: bool = True
    ca_file: str = ""
    bind_method: str = "simple"  # "simple" or "ntlm"
    bind_user: str = ""
    bind_password: str = "prompt"  # noqa: S105 - a secret reference, never the password
    base_dn: str = ""
    filter: str = ""
    page_size: int = 500
    timeout: int = 30


@dataclass
class DirectorySettings:
    """Where users come from: Active Directory and/or the Domino Directory."""

    ad: LdapSource | None = None
    domino: LdapSource | None = None


@dataclass
class DnsUpdateConfig:
    """RFC 2136 settings for a domain; `secret` is a reference to the TSIG secret."""

    server: str = ""
    port: int = 53
    zone: str = ""
    key_name: str = ""
    algorithm: str = "hmac-sha256"
    secret: str = ""


@dataclass
class DomainRecord:
    """A mail domain through Step 2 (verification) and Step 5 (MX switch).

    `key` is the cloud's current verification key and `previous_key` the one it replaced
    (so a stale record can be recognised). MX sets are kept as "PREFERENCE HOST" strings:
    `mx_previous` is what the switch replaced (Undo restores it), `mx_applied` what it set.
    """

    name: str
    subdomains: list[str] = field(default_factory=list)
    key: str = ""
    previous_key: str = ""
    begun_at: datetime | None = None
    verified_at: datetime | None = None
    status: str = ""
    message: str = ""
    checked_at: datetime | None = None
    nameservers: list[str] = field(default_factory=list)
    update: DnsUpdateConfig | None = None
    mx_previous: list[str] = field(default_factory=list)
    mx_applied: list[str] = field(default_factory=list)
    mx_switched_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass
class SmtpSettings:
    """How user communications are sent (`[smtp]`); `password` is a secret reference.

    `security` is "starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (only
    for a relay on this machine); certificates are verified unless `verify_tls` is false.
    An empty `username` sends without authentication. `rate_per_minute` caps sending.
    A relative `ca_file` is taken from the session folder (the demo's is `demo-smtp/ca.pem`).
    """

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""  # a secret reference (env:, file:, prompt), never the password
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""
    verify_tls: bool = True
    ca_file: str = ""
    rate_per_minute: int = 30
    timeout: int = 30


@dataclass
class SessionData:
    """Everything session.toml carries."""

    name: str
    created: datetime
    provider: str
    geography: str = ""
    current_step: StepId = StepId.SETUP
    tour_seen: bool = False
    last_activity: str = ""
    schema_version: int = SCHEMA_VERSION
    organisation: Organisation | None = None
    cloud: CloudSettings = field(default_factory=CloudSettings)
    steps: dict[StepId, StepRecord] = field(default_factory=dict)
    transfer_groups: list[TransferGroup] = field(default_factory=list)
    transfer_settings: list[TransferSettings] = field(default_factory=list)
    directory: DirectorySettings = field(default_factory=DirectorySettings)
    domains: list[DomainRecord] = field(default_factory=list)
    smtp: SmtpSettings | None = None

    def domain(self, name: str) -> DomainRecord | None:
        """The domain record named `name` (case does not matter)."""
        wanted = name.casefold().rstrip(".")
        return next((d for d in self.domains if d.name.casefold() == wanted), None)

    def step_record(self, step_id: StepId) -> StepRecord:
        """The stored state of a step, NOT_STARTED when nothing is stored yet."""
        return self.steps.setdefault(step_id, StepRecord())
