"""Smoke tests proving each private server really runs and behaves as the fixtures promise.

They talk to the servers with the libraries the application uses (dnspython, ldap3,
imaplib, smtplib) and check real values, so a broken fixture fails here first.
"""

from __future__ import annotations

import contextlib
import email.message
import email.utils
import imaplib
import os
import secrets
import smtplib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import ldap3
import pytest
from ldap3.core.exceptions import LDAPBindError

from .conftest import BULK_USERS
from .servers.base import ServerProcess, group_members, require_binary
from .servers.dovecot import DovecotServer, start_dovecot
from .servers.knot import KnotServer, query, start_knot
from .servers.slapd import SlapdServer, start_slapd
from .servers.smtp import SmtpServer, start_smtp

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

# --- Knot DNS ---------------------------------------------------------------------------


def _rrset(reply: dns.message.Message, name: str, rdtype: str) -> list[str]:
    """The answer's records of ``name``/``rdtype`` as lowercased text."""
    wanted = dns.name.from_text(name)
    kind = dns.rdatatype.from_text(rdtype)
    return sorted(
        rdata.to_text().lower()
        for rrset in reply.answer
        if rrset.name == wanted and rrset.rdtype == kind
        for rdata in rrset
    )


def test_knot_answers_authoritatively(knot_server: KnotServer) -> None:
    soa = query(knot_server, "renovations.com", "SOA")
    assert soa.rcode() == dns.rcode.NOERROR
    assert soa.flags & dns.flags.AA
    record = soa.answer[0][0]
    assert record.mname == dns.name.from_text("ns1.renovations.com")
    assert record.serial >= 2026112501

    ns = query(knot_server, "renovations.com", "NS", tcp=True)
    assert ns.flags & dns.flags.AA
    assert _rrset(ns, "renovations.com", "NS") == ["ns1.renovations.com."]

    cname = query(knot_server, "www.renovations.com", "CNAME")
    assert cname.flags & dns.flags.AA
    assert _rrset(cname, "www.renovations.com", "CNAME") == ["renovations.com."]

    mx = query(knot_server, "west.renovations.com", "MX")
    assert _rrset(mx, "west.renovations.com", "MX") == ["10 mail.renovations.com."]

    missing = query(knot_server, "nothing-here.renovations.com", "CNAME")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.flags & dns.flags.AA


def _send_update(server: KnotServer, update: dns.update.UpdateMessage) -> dns.message.Message:
    return dns.query.tcp(update, server.host, port=server.port, timeout=5)


def test_knot_rfc2136_update_with_tsig(knot_server: KnotServer) -> None:
    label = f"ibm{secrets.token_hex(4)}"
    owner = f"{label}.renovations.com"
    serial_before = knot_server.soa_serial()

    unsigned = dns.update.UpdateMessage("renovations.com")
    unsigned.add(label, 300, "CNAME", "collabserv.com.")
    # knotd answers NOTAUTH to an update that no ACL allows (other servers say REFUSED).
    assert _send_update(knot_server, unsigned).rcode() in {dns.rcode.NOTAUTH, dns.rcode.REFUSED}

    wrong = dns.tsig.Key(knot_server.tsig_key_name, "d3JvbmcgIGtleQ==", knot_server.tsig_algorithm)
    forged = dns.update.UpdateMessage("renovations.com", keyring=wrong)
    forged.add(label, 300, "CNAME", "collabserv.com.")
    with pytest.raises(dns.tsig.PeerBadSignature):
        _send_update(knot_server, forged)
    assert _rrset(query(knot_server, owner, "CNAME"), owner, "CNAME") == []

    # Mixed case on purpose: knotd stores record data lowercased.
    signed = dns.update.UpdateMessage("renovations.com", keyring=knot_server.tsig_key())
    signed.add(label, 300, "CNAME", "Collabserv.COM.")
    reply = _send_update(knot_server, signed)
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.had_tsig

    answer = query(knot_server, owner, "CNAME")
    assert answer.flags & dns.flags.AA
    assert _rrset(answer, owner, "CNAME") == ["collabserv.com."]
    assert knot_server.soa_serial() > serial_before
    assert f"{label}" in knot_server.read_zone_file().lower()

    removal = dns.update.UpdateMessage("renovations.com", keyring=knot_server.tsig_key())
    removal.delete(label, "CNAME")
    assert _send_update(knot_server, removal).rcode() == dns.rcode.NOERROR
    assert query(knot_server, owner, "CNAME").rcode() == dns.rcode.NXDOMAIN


def test_knot_loads_a_hand_edited_zone_file(knot_server: KnotServer) -> None:
    original = knot_server.read_zone_file()
    assert "ns1.renovations.com." in original.lower()
    owner = f"edited{secrets.token_hex(3)}.renovations.com"
    serial_before = knot_server.soa_serial()
    knot_server.write_zone_file(f'{original}{owner}. 300 TXT "hand edit"\n')
    try:
        reply = query(knot_server, owner, "TXT")
        assert _rrset(reply, owner, "TXT") == ['"hand edit"']
        assert knot_server.soa_serial() > serial_before
    finally:
        knot_server.write_zone_file(original)
    assert query(knot_server, owner, "TXT").rcode() == dns.rcode.NXDOMAIN


# --- OpenLDAP ---------------------------------------------------------------------------


def test_slapd_binds_as_ordinary_entry(slapd_server: SlapdServer) -> None:
    conn = slapd_server.connect()
    try:
        assert conn.extend.standard.who_am_i() == f"dn:{slapd_server.reader_dn}"
        assert conn.search(
            slapd_server.people_dn,
            "(sAMAccountName=alice)",
            attributes=["mail", "userPrincipalName", "proxyAddresses", "userAccountControl"],
        )
        (alice,) = conn.entries
        assert alice.mail.value == "alice@renovations.com"
        assert alice.userAccountControl.value == "512"  # no schema read: raw text
        assert sorted(alice.proxyAddresses.values) == [
            "SMTP:alice@renovations.com",
            "smtp:a.archer@west.renovations.com",
        ]
    finally:
        conn.unbind()

    with pytest.raises(LDAPBindError):
        slapd_server.connect(password="not-the-password")


def test_slapd_size_limit_and_paged_search(slapd_server: SlapdServer) -> None:
    bulk = "(&(objectClass=user)(sAMAccountName=user*))"
    conn = slapd_server.connect()
    try:
        conn.search(slapd_server.people_dn, bulk, attributes=["sAMAccountName"])
        assert conn.result["result"] == 4, conn.result  # sizeLimitExceeded
        assert len(conn.entries) == 1000

        entries = list(
            conn.extend.standard.paged_search(
                slapd_server.people_dn,
                bulk,
                attributes=["sAMAccountName", "userAccountControl"],
                paged_size=500,
                generator=True,
            )
        )
        names = {
            entry["raw_attributes"]["sAMAccountName"][0].decode()
            for entry in entries
            if entry["type"] == "searchResEntry"
        }
        assert len(names) == BULK_USERS
        assert {"user00001", f"user{BULK_USERS:05d}"} <= names

        # AD's bit filter for disabled accounts (every tenth bulk user, and bob).
        disabled = list(
            conn.extend.standard.paged_search(
                slapd_server.people_dn,
                "(userAccountControl:1.2.840.113556.1.4.803:=2)",
                attributes=["sAMAccountName"],
                paged_size=500,
            )
        )
        assert len(disabled) == BULK_USERS // 10 + 1
    finally:
        conn.unbind()


def test_slapd_add_ldif_as_root(slapd_server: SlapdServer) -> None:
    name = f"Team {secrets.token_hex(3)}"
    slapd_server.add_ldif(
        f"dn: cn={name},ou=Groups,{slapd_server.base_dn}\n"
        "objectClass: groupOfNames\n"
        "objectClass: group\n"
        f"cn: {name}\n"
        f"member: cn=Bob Builder,ou=People,{slapd_server.base_dn}\n"
    )
    conn = slapd_server.connect()
    try:
        groups = f"ou=Groups,{slapd_server.base_dn}"
        assert conn.search(groups, f"(cn={name})", attributes=["member"])
        (group,) = conn.entries
        assert group.member.values == [f"cn=Bob Builder,ou=People,{slapd_server.base_dn}"]
    finally:
        conn.unbind()


def test_slapd_anonymous_sees_nothing(slapd_server: SlapdServer) -> None:
    server = ldap3.Server(slapd_server.host, port=slapd_server.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(server, auto_bind=ldap3.AUTO_BIND_NO_TLS)
    try:
        conn.search(slapd_server.base_dn, "(objectClass=*)")
        assert conn.entries == []
    finally:
        conn.unbind()


# --- Dovecot ----------------------------------------------------------------------------


def _message(subject: str) -> bytes:
    message = email.message.EmailMessage()
    message["From"] = "Carol <carol@renovations.com>"
    message["To"] = "alice@renovations.com"
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain="renovations.com")
    message.set_content("Welcome to the new mail service.\n")
    return message.as_bytes().replace(b"\n", b"\r\n")


def _ok(response: tuple[str, Any]) -> list[Any]:
    """The data of an imaplib response, after checking that the server said OK."""
    status, data = response
    assert status == "OK", data
    return list(data)


def _fetch_by_subject(imap: imaplib.IMAP4, subject: str) -> bytes:
    uids = _ok(imap.uid("SEARCH", "HEADER", "Subject", f'"{subject}"'))[0].split()
    assert len(uids) == 1, uids
    part = _ok(imap.uid("FETCH", uids[0], "(BODY.PEEK[])"))[0]
    assert isinstance(part, tuple)
    body = part[1]
    assert isinstance(body, bytes)
    return body


def test_dovecot_user_append_select_fetch(dovecot_server: DovecotServer) -> None:
    subject = f"Onboarding {secrets.token_hex(4)}"
    raw = _message(subject)
    imap = dovecot_server.connect("alice")
    try:
        before = int(_ok(imap.select("INBOX"))[0])
        when = imaplib.Time2Internaldate(time.time())
        appended = _ok(imap.append("INBOX", r"(\Seen)", when, raw))
        assert b"APPENDUID" in appended[0]
        assert int(_ok(imap.select("INBOX"))[0]) == before + 1
        assert _fetch_by_subject(imap, subject) == raw
        folders = _ok(imap.list())
        assert any(b"\\Sent" in line and line.endswith(b" Sent") for line in folders)
    finally:
        imap.logout()

    maildir = dovecot_server.maildir("alice")
    assert maildir.is_dir()
    if os.geteuid() == 0:
        assert maildir.stat().st_uid != 0  # mail processes never run as root


def test_dovecot_master_user_opens_a_mailbox(dovecot_server: DovecotServer) -> None:
    subject = f"Impersonation {secrets.token_hex(4)}"
    raw = _message(subject)
    imap = dovecot_server.connect("bob")
    try:
        _ok(imap.append("INBOX", None, None, raw))
    finally:
        imap.logout()

    master = dovecot_server.connect(
        dovecot_server.master_login("bob"), dovecot_server.master_password
    )
    try:
        _ok(master.select("INBOX", readonly=True))
        assert _fetch_by_subject(master, subject) == raw
    finally:
        master.logout()

    with pytest.raises(imaplib.IMAP4.error):
        dovecot_server.connect(dovecot_server.master_login("bob"), dovecot_server.password("bob"))
    with pytest.raises(imaplib.IMAP4.error):
        dovecot_server.connect("alice", dovecot_server.master_password)


# --- SMTP -------------------------------------------------------------------------------


def _mail(subject: str) -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message["From"] = "admin@renovations.com"
    message["To"] = "alice@renovations.com, bob@renovations.com"
    message["Subject"] = subject
    message.set_content("Your mailbox moves this weekend.\n")
    return message


def test_smtp_receives_a_message(smtp: SmtpServer) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as client:
        refused = client.send_message(_mail("Cutover notice"))
    assert refused == {}
    (received,) = smtp.wait_for(1)
    assert received.mail_from == "admin@renovations.com"
    assert received.rcpt_tos == ("alice@renovations.com", "bob@renovations.com")
    parsed = received.parsed()
    assert parsed["Subject"] == "Cutover notice"
    body = parsed.get_body()
    assert body is not None
    assert body.get_content().rstrip() == "Your mailbox moves this weekend."


def test_smtp_with_authentication() -> None:
    with start_smtp(require_auth=True) as server:
        assert server.username is not None and server.password is not None
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            with pytest.raises(smtplib.SMTPSenderRefused):
                client.send_message(_mail("Without login"))
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login(server.username, "wrong")
            client.login(server.username, server.password)
            client.send_message(_mail("With login"))
        (received,) = server.wait_for(1)
        assert received.parsed()["Subject"] == "With login"


# --- All servers ------------------------------------------------------------------------


def _cmdlines(pgid: int) -> list[bytes]:
    members = group_members(pgid)
    assert members, f"no live process in group {pgid}"
    lines = []
    for pid in members:
        with contextlib.suppress(OSError):
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
    return lines


def test_secrets_stay_off_command_lines(
    knot_server: KnotServer, slapd_server: SlapdServer, dovecot_server: DovecotServer
) -> None:
    cases: list[tuple[ServerProcess, list[str], list[Path]]] = [
        (knot_server.process, [knot_server.tsig_secret], [knot_server.config_path]),
        (
            slapd_server.process,
            [slapd_server.root_password, slapd_server.reader_password],
            [slapd_server.config_path, slapd_server.workdir / "rootpw"],
        ),
        (
            dovecot_server.process,
            [dovecot_server.master_password, *dovecot_server.users.values()],
            [dovecot_server.config_path.with_name(n) for n in ("users.passwd", "master.passwd")],
        ),
    ]
    for process, secret_values, secret_files in cases:
        assert process.pid is not None
        for cmdline in _cmdlines(process.pid):
            for value in secret_values:
                assert value.encode() not in cmdline, process.name
        for path in secret_files:
            assert path.stat().st_mode & 0o777 == 0o600, path


@pytest.mark.parametrize("which", ["knot", "slapd", "dovecot"])
def test_stopping_leaves_no_process_behind(which: str, tmp_path: Path) -> None:
    starters: dict[str, Callable[[Path], AbstractContextManager[Any]]] = {
        "knot": start_knot,
        "slapd": start_slapd,
        "dovecot": start_dovecot,
    }
    with starters[which](tmp_path / which) as server:
        pgid = server.process.pid
        assert pgid is not None
        assert group_members(pgid)
    assert group_members(pgid) == []
    assert not server.process.is_running()


def test_missing_binary_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    absent = "onboard-no-such-server"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_binary(absent)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=absent):
        require_binary(absent)
    assert require_binary("knotd").endswith("/knotd")
