"""An Active Directory import whose LDAP connection breaks in the middle of the paged
search (slapd behind the fault proxy). The import is one transaction: a broken search
leaves the users exactly as they were and says so; the next import goes through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.model import SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore
from tests.faultproxy import FaultProxy

from ..servers.slapd import SlapdServer
from ..test_directory_ad import source


@pytest.fixture
def proxy(slapd_server: SlapdServer) -> Iterator[FaultProxy]:
    with FaultProxy(slapd_server.host, slapd_server.port) as p:
        yield p


@pytest.fixture
def service(tmp_path: Path, slapd_server: SlapdServer, proxy: FaultProxy) -> DirectoryService:
    data = SessionData(name="ad", created=datetime(2026, 11, 25, tzinfo=UTC), provider="sandbox")
    data.directory.ad = source(slapd_server, url=f"ldap://{proxy.address}/", timeout=1)
    return DirectoryService(SessionStore.create(tmp_path / "session", data))


def users(service: DirectoryService) -> list[tuple[object, ...]]:
    return service.store.db.query("SELECT * FROM users ORDER BY email")


def test_import_cut_mid_paged_search_changes_nothing(
    service: DirectoryService, slapd_server: SlapdServer, proxy: FaultProxy
) -> None:
    password = Secret(slapd_server.reader_password)
    service.apply_import(service.plan_ad(password), skip_problems=False)
    before = users(service)
    assert len(before) > 1000
    # Remove half the users locally, so a complete import would change the table.
    with service.store.db.transaction() as conn:
        conn.execute("DELETE FROM users WHERE rowid % 2 = 0")
    before = users(service)
    whole = proxy.bytes["down"]
    cut = proxy.cut(whole // 2)  # half-way through the pages of the search
    with pytest.raises(DirectoryError) as failed:
        service.plan_ad(password)
    assert cut.fired == 1
    assert "dropped while reading" in failed.value.message
    assert "Nothing was imported" in (failed.value.hint or "")
    assert users(service) == before
    plan = service.plan_ad(password)
    assert plan.difference.added > 500
    service.apply_import(plan, skip_problems=False)
    assert len(users(service)) == len(before) + plan.difference.added


def test_a_directory_that_stops_answering_times_out_with_a_sentence(
    service: DirectoryService, slapd_server: SlapdServer, proxy: FaultProxy
) -> None:
    stall = proxy.stall(2_500, after_bytes=20_000)  # longer than the 1 s timeout
    with pytest.raises(DirectoryError) as failed:
        service.plan_ad(Secret(slapd_server.reader_password))
    assert stall.fired == 1
    assert failed.value.message.startswith(f"ldap://{proxy.address}/")
    assert users(service) == []
