"""Which cloud API to talk to, and the admin logon held for this process only.

The geography chosen in Step 1 decides the API URL; an embedded profile (the sandbox)
answers on its own loopback URL; `[cloud] api_url` in the session overrides both. The
bearer token from a logon lives in memory and dies with the process.
"""

from __future__ import annotations

from onboard_tui.clock import Clock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.models import CloudLogon, Geography
from onboard_tui.errors import OnboardError
from onboard_tui.providers import Profile
from onboard_tui.session.model import CloudSettings


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
