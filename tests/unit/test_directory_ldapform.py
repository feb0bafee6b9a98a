"""The LDAP settings form: host/port/TLS to and from the session's URL, each mistake named by
its field, the password only as a reference, and the save into session.toml."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.directory.ad import DEFAULT_FILTER as AD_FILTER
from onboard_tui.directory.domino import DEFAULT_FILTER as DOMINO_FILTER
from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.ldapform import LdapForm, filter_problem
from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.model import LdapSource, SessionData
from onboard_tui.session.store import SessionStore


def good(**changes: object) -> LdapForm:
    form = LdapForm(
        kind="ad",
        host="dc1.renovations.com",
        port="636",
        security="ldaps",
        bind_user="CN=svc,OU=Service,DC=renovations,DC=com",
        bind_password="env:AD_PASSWORD",
        base_dn="DC=renovations,DC=com",
        filter=AD_FILTER,
    )
    return replace(form, **changes)  # type: ignore[arg-type]


def test_new_forms_show_the_defaults() -> None:
    ad = LdapForm.of("ad", None)
    assert (ad.port, ad.security, ad.verify_tls, ad.bind_password) == (
        "636",
        "ldaps",
        True,
        "prompt",
    )
    assert ad.filter == AD_FILTER
    assert LdapForm.of("domino", None).filter == DOMINO_FILTER


def test_round_trip_through_the_session_url() -> None:
    source = good(security="starttls", port="3389").to_source()
    assert source.url == "ldap://dc1.renovations.com:3389"
    assert source.filter == ""  # the default stays implicit
    back = LdapForm.of("ad", source)
    assert (back.host, back.port, back.security, back.filter) == (
        "dc1.renovations.com",
        "3389",
        "starttls",
        AD_FILTER,
    )
    assert good(port="").to_source().url == "ldaps://dc1.renovations.com:636"
    assert good(security="plain", port="").to_source().url == "ldap://dc1.renovations.com:389"
    assert good(host="::1").to_source().url == "ldaps://[::1]:636"


def test_settings_the_form_does_not_show_are_kept() -> None:
    kept = LdapSource(page_size=250, timeout=9)
    source = good().to_source(kept)
    assert (source.page_size, source.timeout) == (250, 9)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"host": ""}, "host"),
        ({"host": "ldaps://dc1"}, "host"),
        ({"port": "sixty"}, "port"),
        ({"port": "70000"}, "port"),
        ({"security": "ssl"}, "security"),
        ({"ca_file": "/no/such/ca.pem"}, "CA file"),
        ({"bind_method": "ntlm"}, "bind user"),
        ({"bind_password": "hunter2"}, "password"),
        ({"base_dn": "renovations.com"}, "base DN"),
        ({"filter": "mail=*"}, "filter"),
        ({"filter": "(&(mail=*)"}, "filter"),
    ],
)
def test_each_mistake_names_its_field(changes: dict[str, str], field: str) -> None:
    with pytest.raises(DirectoryError, match=f"field '{field}'") as caught:
        good(**changes).to_source()
    assert "hunter2" not in str(caught.value)


def test_ca_file_is_stored_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.chdir(tmp_path)
    assert good(ca_file="ca.pem").to_source().ca_file == str(tmp_path / "ca.pem")
    assert good(ca_file="ca.pem", security="plain").to_source().ca_file == ""


def test_filter_problem() -> None:
    assert filter_problem("") is None
    assert filter_problem("(|(a=1)(b=2))") is None
    assert filter_problem("(a=1))(") is not None


def test_save_writes_session_toml_without_a_password(tmp_path: Path) -> None:
    data = SessionData(name="s", created=datetime(2026, 11, 25, tzinfo=UTC), provider="sandbox")
    store = SessionStore.create(tmp_path / "s", data)
    service = DirectoryService(store)
    assert service.directory_kind() == "ad"
    service.save_ldap(good(kind="domino", filter=DOMINO_FILTER, bind_password="env:DOMINO_PW"))
    assert service.directory_kind() == "domino"
    text = store.path.read_text()
    assert 'url = "ldaps://dc1.renovations.com:636"' in text
    assert 'bind_password = "env:DOMINO_PW"' in text
    assert "filter" not in text  # the default filter is not written
    reopened = SessionStore.open(store.path)
    assert reopened.data.directory.domino == store.data.directory.domino
    assert DirectoryService(reopened).ldap_form().kind == "domino"
    reopened.close()
    store.close()


def test_a_bad_form_changes_nothing(tmp_path: Path) -> None:
    data = SessionData(name="s", created=datetime(2026, 11, 25, tzinfo=UTC), provider="sandbox")
    store = SessionStore.create(tmp_path / "s", data)
    before = store.path.read_text()
    with pytest.raises(DirectoryError):
        DirectoryService(store).save_ldap(good(port="0"))
    assert store.path.read_text() == before
    assert store.data.directory.ad is None
    store.close()
