"""What a provider profile says, as plain frozen data the rest of the program reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3


@dataclass(frozen=True)
class GeographyProfile:
    """One data centre region: where its API answers and which SMTP host the MX points to.

    `api_url` is empty in an embedded profile: the sandbox fills it with its own URL.
    """

    id: str
    name: str
    api_url: str
    smtp_host: str


@dataclass(frozen=True)
class Profile:
    """A cloud mail service as the wizard needs to know it."""

    id: str
    name: str
    cname_target: str
    quota_bytes: int
    geographies: dict[str, GeographyProfile]
    embedded: bool
    terms_text: str
    login_url: str
    source: Path

    @property
    def quota_gb(self) -> int:
        """The quota as the profile file states it (binary gigabytes)."""
        return self.quota_bytes // GIB
