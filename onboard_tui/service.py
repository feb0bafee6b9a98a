"""OnboardingService: the one facade the UI and the CLI call.

It only opens the session, starts what the session needs (the embedded sandbox), and
wires the per-area services together; the logic lives in the area packages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from onboard_tui.clock import Clock, SystemClock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.cloud.sandbox.users import activation_schedule
from onboard_tui.comms import CommsService
from onboard_tui.directory.service import DirectoryService
from onboard_tui.dns import DnsChecker
from onboard_tui.dns.demo_server import DemoDnsServer
from onboard_tui.domains.demo import start_demo_dns
from onboard_tui.domains.service import DomainService
from onboard_tui.errors import OnboardError
from onboard_tui.mail.demo import configure_demo_source
from onboard_tui.mail.logon import SessionCloudTarget
from onboard_tui.mail.service import MigrationService
from onboard_tui.mx import MxService
from onboard_tui.mx.demo_smtp import DemoMailServer, start_demo_mail
from onboard_tui.providers import Profile, load_profile
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore, session_paths
from onboard_tui.setup.service import SetupService
from onboard_tui.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewSession:
    """What is needed to start a session from nothing."""

    name: str
    provider: str
    sandbox_port: int = 0
    demo_dns_port: int = 0


class OnboardingService:
    """A session opened with everything it needs running; close() stops it all."""

    def __init__(
        self,
        store: SessionStore,
        profile: Profile,
        clock: Clock,
        sandbox: SandboxServer | None = None,
        demo_dns: DemoDnsServer | None = None,
        demo_smtp: DemoMailServer | None = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.clock = clock
        self.sandbox = sandbox
        self.demo_dns = demo_dns  # the demo's DNS server: .host, .port, .update_config()
        self.cloud = CloudAccess(
            profile, store.data.cloud, clock, embedded_url=sandbox.url if sandbox else ""
        )
        self.roadmap = RoadmapService(store, clock)
        self.setup = SetupService(store, self.cloud, clock)
        self.directory = DirectoryService(
            store,
            clock,
            domains=lambda: [n for d in store.data.domains for n in (d.name, *d.subdomains)],
            verified=lambda: self.domains.verified_names(),
            quota_bytes=profile.quota_bytes,
        )
        checker = demo_dns.checker() if demo_dns else DnsChecker()
        self.domains = DomainService(store, self.cloud, clock, checker=checker)
        self.demo_smtp = demo_smtp  # the demo's mail server: Step 5 probes it, [smtp] sends to it
        self.mx = MxService(
            store,
            profile,
            clock,
            checker=checker,
            demo_smtp=demo_smtp,
            users=lambda record: self.subscriptions.users_of_domain(record),
        )
        self.comms = CommsService(store, profile, clock)
        self.subscriptions = SubscriptionService(store, self.cloud, clock, self.comms)
        self.migration = MigrationService(
            store,
            clock,
            cloud_target=SessionCloudTarget(
                store, clock, lambda: self.cloud.api_url(store.data.geography), access=self.cloud
            ),
            quota_bytes=profile.quota_bytes,
        )

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    @property
    def session(self) -> SessionData:
        return self.store.data

    def warnings(self) -> list[str]:
        """What the administrator must see on opening: settings that lower safety."""
        found = []
        cloud = self.store.data.cloud
        if not cloud.verify_tls and not cloud.ca_file:
            found.append(
                "TLS certificate verification is OFF for the cloud API "
                f"([cloud] verify_tls = false in {self.store.path}): use it only with a "
                "test system."
            )
        return found

    @classmethod
    def open(cls, path: Path, *, clock: Clock | None = None) -> OnboardingService:
        """Open an existing session (SessionFileError if session.toml is damaged)."""
        clock = clock or SystemClock()
        store = SessionStore.open(path)
        try:
            return cls._start(store, clock)
        except BaseException:
            store.close()
            raise

    @classmethod
    def create(
        cls, path: Path, new: NewSession, *, clock: Clock | None = None
    ) -> OnboardingService:
        clock = clock or SystemClock()
        file, folder = session_paths(path)
        profile = load_profile(new.provider, extra_dirs=[folder / "providers"])
        data = SessionData(name=new.name, created=clock.now(), provider=profile.id)
        data.cloud.sandbox_port = new.sandbox_port
        data.cloud.demo_dns_port = new.demo_dns_port
        store = SessionStore.create(file, data)
        try:
            return cls._start(store, clock)
        except BaseException:
            store.close()
            raise

    @classmethod
    def _start(cls, store: SessionStore, clock: Clock) -> OnboardingService:
        profile = load_profile(store.data.provider, extra_dirs=[store.folder / "providers"])
        if profile.embedded:
            configure_demo_source(store)  # the demo's generated mailboxes, the first time
        sandbox, demo_dns = start_embedded(store, profile, clock)
        demo_smtp = None
        if demo_dns is not None:
            try:  # beside the demo DNS server the first time, then where it was
                hosts = [g.smtp_host for g in profile.geographies.values()]
                demo_smtp = start_demo_mail(store, beside=demo_dns.port + 1, names=hosts)
            except BaseException:
                if sandbox is not None:
                    sandbox.stop()
                demo_dns.stop()
                raise
        return cls(store, profile, clock, sandbox, demo_dns, demo_smtp)

    def close(self) -> None:
        self.migration.stop()
        self.mx.close()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self.demo_dns is not None:
            self.demo_dns.stop()
            self.demo_dns = None
        if self.demo_smtp is not None:
            self.demo_smtp.stop()
            self.demo_smtp = None
        self.store.close()


def start_embedded(
    store: SessionStore, profile: Profile, clock: Clock
) -> tuple[SandboxServer | None, DemoDnsServer | None]:
    """For an embedded profile, start the demo DNS server and the sandbox (else nothing).

    The wizard and `onboard-tui run` both call this; the caller stops what it returns.
    """
    if not profile.embedded:
        return None, None
    demo_dns = start_demo_dns(store)
    try:
        sandbox = _start_sandbox(store, profile, clock, dns_server=demo_dns.address)
    except BaseException:
        demo_dns.stop()
        raise
    return sandbox, demo_dns


def _item_delay(store: SessionStore) -> float:
    """`[sandbox] item_delay_ms` (the demo's pace; the sandbox only), in seconds."""
    table = store.doc.get("sandbox")
    try:
        return max(0.0, float(table.get("item_delay_ms", 0)) / 1000) if table else 0.0
    except (TypeError, ValueError):
        return 0.0


def _start_sandbox(
    store: SessionStore, profile: Profile, clock: Clock, *, dns_server: str = ""
) -> SandboxServer:
    """Start the embedded sandbox on the session's port, remembering a newly chosen one."""
    wanted = store.data.cloud.sandbox_port
    delay = _item_delay(store)
    sandbox = SandboxServer(
        store.folder / "sandbox.db",
        profile,
        port=wanted,
        clock=clock,
        dns_server=dns_server,
        item_delay=delay,
        activation=activation_schedule(store.doc),
    )
    try:
        sandbox.start()
    except OnboardError:
        if not wanted:
            raise
        log.warning("port %d is taken; the sandbox moves to a free one", wanted)
        sandbox = SandboxServer(
            store.folder / "sandbox.db",
            profile,
            clock=clock,
            dns_server=dns_server,
            item_delay=delay,
            activation=activation_schedule(store.doc),
        )
        sandbox.start()
    log.info("embedded sandbox listening on %s", sandbox.url)
    port = sandbox.port_in_use
    if port != wanted and not store.read_only:

        def remember(data: SessionData) -> None:
            data.cloud.sandbox_port = port

        try:
            store.update(remember)
        except BaseException:
            sandbox.stop()
            raise
    return sandbox
