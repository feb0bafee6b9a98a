"""Active Directory import against the slapd fixture: paging past the 1,000 cap,
disabled accounts left out, proxyAddresses, and Test connection's failing stage."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.ldapconn import check_connection
from onboard_tui.directory.service import DirectoryService
from onboard_tui.directory.users import page_users
from onboard_tui.session.model import LdapSource, SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

from .conftest import BULK_USERS
from .servers.slapd import SlapdServer

# slapd stores objectCategory as a DN and the bulk users have none, so the tests use the
# default filter's other parts; the bit filter for disabled accounts is AD's own.
ENABLED_USERS = "(&(objectClass=user)(mail=*)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"


def source(server: SlapdServer, **changes: object) -> LdapSource:
    values: dict[str, object] = {
        "url": server.url,
        "security": "plain",
        "bind_user": server.reader_dn,
        "bind_password": "prompt",
        "base_dn": server.base_dn,
        "filter": ENABLED_USERS,
    }
    values.update(changes)
    return LdapSource(**values)  # type: ignore[arg-type]


@pytest.fixture
def service(tmp_path: Path, slapd_server: SlapdServer) -> DirectoryService:
    data = SessionData(name="ad", created=datetime(2026, 11, 25, tzinfo=UTC), provider="sandbox")
    data.directory.ad = source(slapd_server)
    store = SessionStore.create(tmp_path / "session", data)
    return DirectoryService(store)


def test_paged_import_passes_the_size_limit(
    service: DirectoryService, slapd_server: SlapdServer
) -> None:
    plan = service.plan_ad(Secret(slapd_server.reader_password))
    enabled = BULK_USERS - BULK_USERS // 10 + 1  # every tenth bulk user is disabled; + alice
    assert plan.rows == enabled > 1000
    assert plan.problems == []
    assert plan.difference.added == enabled
    service.apply_import(plan, skip_problems=False)
    assert service.store.db.count_users() == enabled
    emails = {u.email for u in page_users(service.store.db, search="renovations", limit=5000).users}
    assert "bob@renovations.com" not in emails  # disabled (userAccountControl 514)
    assert "user00010@renovations.com" not in emails
    assert "user00011@renovations.com" in emails


def test_proxy_addresses_and_attributes(
    service: DirectoryService, slapd_server: SlapdServer
) -> None:
    service.apply_import(service.plan_ad(Secret(slapd_server.reader_password)), skip_problems=False)
    alice = page_users(service.store.db, search="alice").users[0]
    assert (alice.email, alice.source_login, alice.first_name) == (
        "alice@renovations.com",
        "alice",
        "Alice",
    )
    assert alice.dn.lower().startswith("cn=alice archer,ou=people")
    attrs = service.store.db.query("SELECT attributes FROM users WHERE email = ?", [alice.email])
    assert "a.archer@west.renovations.com" in attrs[0][0]
    assert "cn=Sales,ou=Groups" in attrs[0][0]
    again = service.plan_ad(Secret(slapd_server.reader_password)).difference
    assert (again.added, again.changed, again.missing) == (0, 0, 0)


def test_wrong_password_is_a_sentence(service: DirectoryService) -> None:
    with pytest.raises(DirectoryError, match="user name or password was refused") as caught:
        service.plan_ad(Secret("not-the-password"))
    assert "not-the-password" not in str(caught.value)


def test_bad_base_dn_is_a_sentence(service: DirectoryService, slapd_server: SlapdServer) -> None:
    service.store.data.directory.ad = source(slapd_server, base_dn="ou=Nowhere,dc=example,dc=test")
    with pytest.raises(DirectoryError, match="base DN does not exist"):
        service.plan_ad(Secret(slapd_server.reader_password))


def test_connection_stages(slapd_server: SlapdServer) -> None:
    good = Secret(slapd_server.reader_password)
    report = check_connection(source(slapd_server), good)
    assert report.ok, report.stages
    cases = {
        "name lookup": source(slapd_server, url="ldap://no-such-host.invalid:389/"),
        "TCP": source(slapd_server, url=f"ldap://127.0.0.1:{_closed_port()}/"),
        "TLS": source(slapd_server, security="starttls"),
        "bind": source(slapd_server),
        "search base": source(slapd_server, base_dn="ou=Nowhere,dc=example,dc=test"),
    }
    for stage, bad in cases.items():
        password = Secret("wrong") if stage == "bind" else good
        report = check_connection(bad, password)
        assert report.failed_stage == stage, report.stages
        assert not report.ok
        assert "wrong" not in " ".join(s.message for s in report.stages)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_saved_form_tests_and_imports_with_progress(
    service: DirectoryService, slapd_server: SlapdServer
) -> None:
    """The Users tab's path: the form saved, Test connection on it, then a paged import."""
    form = service.ldap_form("ad")
    form.host, form.port, form.security = slapd_server.host, str(slapd_server.port), "plain"
    form.bind_user, form.base_dn, form.filter = (
        slapd_server.reader_dn,
        slapd_server.base_dn,
        ENABLED_USERS,
    )
    service.save_ldap(form)
    password = Secret(slapd_server.reader_password)
    assert service.test_connection(password, "ad").ok
    wrong = service.test_connection(Secret("wrong"), "ad")
    assert wrong.failed_stage == "bind"
    unsaved = replace(form, base_dn="ou=Nowhere,dc=example,dc=test").to_source()
    assert service.test_connection(password, source=unsaved).failed_stage == "search base"
    counts: list[int] = []
    plan = service.plan_directory("ad", password, counts.append)
    assert counts and counts == sorted(counts) and counts[-1] <= plan.rows
    assert plan.difference.added == plan.rows > 1000
    service.discard_import(plan)
