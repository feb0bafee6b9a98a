"""What `onboard-tui run` needs around the headless runner: the embedded services of a
sandbox session, the cloud target with its admin password (asked with getpass on a
terminal when the session says `prompt`), and stopping them all afterwards."""

from __future__ import annotations

import getpass
from collections.abc import Callable

from onboard_tui.clock import SystemClock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.dns.demo_server import DemoDnsServer
from onboard_tui.mail.errors import MailError
from onboard_tui.mail.logon import SessionCloudTarget
from onboard_tui.providers import load_profile
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore


class RunnerServices:
    """Started once the runner holds the session lock; stop() after the run."""

    def __init__(self, *, interactive: bool, ask: Callable[[str], str] = getpass.getpass) -> None:
        self.interactive = interactive
        self.ask = ask
        self.sandbox: SandboxServer | None = None
        self.demo_dns: DemoDnsServer | None = None

    def cloud_target(self, store: SessionStore) -> SessionCloudTarget:
        from onboard_tui.service import start_embedded

        clock = SystemClock()
        profile = load_profile(store.data.provider, extra_dirs=[store.folder / "providers"])
        self.sandbox, self.demo_dns = start_embedded(store, profile, clock)
        access = CloudAccess(
            profile,
            store.data.cloud,
            clock,
            embedded_url=self.sandbox.url if self.sandbox else "",
        )
        factory = SessionCloudTarget(store, clock, lambda: access.api_url(store.data.geography))
        if factory.needs_password():
            org = store.data.organisation
            who = org.admin_email if org else "the administrator"
            if not self.interactive:
                raise MailError(
                    "The cloud admin password is set to `prompt` in session.toml, and there "
                    "is no terminal to ask on.",
                    hint='Set [cloud] admin_password = "env:NAME" or "file:/path/to/file" '
                    "(mode 0600) for the runner, or run it in a terminal.",
                )
            typed = self.ask(f"Cloud admin password for {who}: ")
            if not typed:
                raise MailError("No password was typed; nothing was started.")
            factory.provide(Secret(typed))
        return factory

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self.demo_dns is not None:
            self.demo_dns.stop()
            self.demo_dns = None
