"""Which cloud API to talk to, and the admin logon held for this process only.

The geography chosen in Step 1 decides the API URL; an embedded profile (the sandbox)
answers on its own loopback URL; `[cloud] api_url` in the session overrides both. The
bearer token from a logon lives in memory and dies with the process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from onboard_tui.clock import Clock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.models import CloudLogon, Geography
from onboard_tui.errors import OnboardError
from onboard_tui.providers import Profile
from onboard_tui.session.model import CloudSettings, SessionData
from onboard_tui.session.secrets import Secret, SecretRef

log = logging.getLogger(__name__)


class CloudAccess:
    """Makes clients for the session's cloud, one per call, closed by the caller."""

    def __init__(
        self,
        profile: Profile,
        settings: CloudSettings,
        clock: Clock,
        *,
        embedded_url: str = "",
    ) -> None:
        self.profile = profile
        self.settings = settings
        self.clock = clock
        self.embedded_url = embedded_url
        self.logon: CloudLogon | None = None

    def api_url(self, geography: str = "") -> str:
        """The base URL for a geography (or the first one, to discover the others)."""
        if self.settings.api_url:
            return self.settings.api_url.rstrip("/")
        if self.profile.embedded:
            if not self.embedded_url:
                raise OnboardError("The embedded sandbox is not running.")
            return self.embedded_url
        geos = self.profile.geographies
        if geography and geography in geos:
            return geos[geography].api_url.rstrip("/")
        if geography:
            raise OnboardError(
                f"The provider profile '{self.profile.id}' has no geography '{geography}'.",
                hint=f"Choose one of: {', '.join(geos)}.",
            )
        return next(iter(geos.values())).api_url.rstrip("/")

    def client(self, geography: str = "") -> CloudClient:
        verify: bool | str = self.settings.ca_file or self.settings.verify_tls
        return CloudClient(self.api_url(geography), verify=verify, clock=self.clock)

    def geographies(self) -> list[Geography]:
        """The geographies the cloud announces (it is the authority on URLs and SMTP hosts)."""
        with self.client() as client:
            return client.geographies()

    def profile_geographies(self) -> list[Geography]:
        """The profile's own list, shown before (or without) the cloud's answer."""
        return [
            Geography(g.id, g.name, g.api_url or self.embedded_url, g.smtp_host)
            for g in self.profile.geographies.values()
        ]

    # --- the administrator's logon, shared by every area that calls the cloud -----------

    def log_on(
        self, data: SessionData, password: Secret, not_registered: type[OnboardError]
    ) -> None:
        """Log on as the company administrator; the token lives in memory only."""
        if data.organisation is None:
            raise not_registered(
                "The organisation is not registered yet.", hint="Complete Step 1 Setup first."
            )
        with self.client(data.geography) as client:
            self.logon = client.logon(data.organisation.logon_name, password)

    def valid_logon(
        self,
        data: SessionData,
        environ: Mapping[str, str] | None,
        not_registered: type[OnboardError],
    ) -> CloudLogon | None:
        """The logon while it lasts; else one from the session's password reference, unless
        that reference is `prompt` (then None: the person must type it)."""
        if self.logon is not None and not self.logon.expired(self.clock.now()):
            return self.logon
        reference = data.cloud.admin_password
        if data.organisation is None or reference.strip() == "prompt":
            return None
        try:
            password = SecretRef.parse(reference).resolve(
                dict(environ) if environ is not None else None
            )
            self.log_on(data, password, not_registered)
        except OnboardError:
            log.info("the stored admin password reference did not log on")
            return None
        return self.logon

    def require_logon(
        self,
        data: SessionData,
        environ: Mapping[str, str] | None,
        not_registered: type[OnboardError],
        needed: type[OnboardError],
    ) -> CloudLogon:
        """A valid logon, or the area's own "log on first" error for the screen to ask."""
        if data.organisation is None:
            raise not_registered(
                "The organisation is not registered yet.", hint="Complete Step 1 Setup first."
            )
        logon = self.valid_logon(data, environ, not_registered)
        if logon is None:
            raise needed(
                "The cloud needs your administrator password for this.",
                hint="Log on with the password you created in Step 1.",
            )
        return logon
