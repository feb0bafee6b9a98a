"""Session-scoped real servers for the integration tests, each a private instance.

Every fixture starts its server once per test session with a private configuration under
a temporary folder, on 127.0.0.1 and a free port, waits until it answers, and stops it (and
every process it forked) when the session ends. A missing binary skips the tests that need
it on a developer machine and fails them under ``CI=true`` (see ``servers.base``).

Every test in this folder gets the ``integration`` marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloud_sandbox import logon, sandbox  # noqa: F401 (the embedded cloud, registered)

from .servers.dovecot import DovecotServer, start_dovecot
from .servers.knot import KnotServer, start_knot
from .servers.slapd import SlapdServer, bulk_users_ldif, start_slapd
from .servers.smtp import SmtpServer, start_smtp

#: How many bulk users the LDAP server holds: more than AD's 1,000-entry page cap.
BULK_USERS = 1500

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def knot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    """knotd serving renovations.com, accepting RFC 2136 updates signed with its TSIG key."""
    with start_knot(tmp_path_factory.mktemp("knot")) as server:
        yield server


@pytest.fixture(scope="session")
def slapd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    """slapd with an AD-like schema, a few named entries and ``BULK_USERS`` bulk users."""
    workdir = tmp_path_factory.mktemp("slapd")
    with start_slapd(workdir, extra_ldif=bulk_users_ldif(BULK_USERS)) as server:
        yield server


@pytest.fixture(scope="session")
def dovecot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DovecotServer]:
    """Dovecot IMAP with users alice and bob and a master user."""
    with start_dovecot(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A recording aiosmtpd server without authentication."""
    with start_smtp() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The shared SMTP server, with what earlier tests sent forgotten."""
    smtp_server.clear()
    return smtp_server
