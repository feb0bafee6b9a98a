"""The Users tab's "domain verified" column: no mail reaches a user on an unverified domain."""

from __future__ import annotations

from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.store import SessionStore


def test_mail_reaches_only_verified_domains(store: SessionStore) -> None:
    listed = ["renovations.com", "west.renovations.com", "example.org"]
    verified = {"renovations.com", "west.renovations.com"}
    service = DirectoryService(store, domains=lambda: listed, verified=lambda: verified)
    assert service.mail_reaches("Ann@Renovations.COM") is True
    assert service.mail_reaches("bob@west.renovations.com") is True
    assert service.mail_reaches("eve@example.org") is False
    assert service.mail_reaches("odd@east.renovations.com") is False


def test_unknown_without_domains(store: SessionStore) -> None:
    assert DirectoryService(store).mail_reaches("ann@renovations.com") is None
    none_listed = DirectoryService(store, domains=lambda: [], verified=lambda: set())
    assert none_listed.mail_reaches("ann@renovations.com") is None
