"""A second private slapd with StartTLS (a test CA) and a Domino-like tree: the replica
is refreshed incrementally, and TLS verification really checks the certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import ldap3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.ldapconn import check_connection
from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.model import LdapSource, SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

from .servers import slapd as slapd_module
from .servers.slapd import BASE_DN, SlapdServer, start_slapd

DOMINO_SCHEMA = """
attributetype ( 1.3.6.1.4.1.55555.1.1.20 NAME 'mailfile'
    EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.1.21 NAME 'mailserver'
    EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.1.2.20 NAME 'dominoPerson' SUP top AUXILIARY
    MAY ( mailfile $ mailserver ) )
"""


def domino_person(name: str, uid: str) -> str:
    return (
        f"dn: cn={name},ou=Domino,{BASE_DN}\nobjectClass: inetOrgPerson\n"
        f"objectClass: dominoPerson\ncn: {name}\nsn: {name.split()[-1]}\nuid: {uid}\n"
        f"mail: {uid}@renovations.com\nmailfile: mail/{uid}.nsf\n"
        "mailserver: CN=Mail01/O=Renovations\n"
    )


TREE = f"dn: ou=Domino,{BASE_DN}\nobjectClass: organizationalUnit\nou: Domino\n\n" + "\n".join(
    domino_person(n, u) for n, u in (("Dan Domino", "dan"), ("Eve Notes", "eve"))
)


CA_USAGE = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
LOCALHOST = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1: (ca, cert, key) files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onboard-tui test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(CA_USAGE, critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([LOCALHOST]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SlapdServer, Path]]:
    workdir = tmp_path_factory.mktemp("slapd-tls")
    ca, cert, key = make_ca(workdir)
    tls_lines = (
        f"TLSCACertificateFile {ca}\nTLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(slapd_module, "AD_SCHEMA", slapd_module.AD_SCHEMA + DOMINO_SCHEMA)
        mp.setattr(slapd_module, "CONFIG_TEMPLATE", tls_lines + slapd_module.CONFIG_TEMPLATE)
        with start_slapd(workdir, extra_ldif=TREE) as server:
            yield server, ca


def domino_source(server: SlapdServer, ca: Path, **changes: object) -> LdapSource:
    values: dict[str, object] = {
        "url": server.url, "security": "starttls", "ca_file": str(ca),
        "bind_user": server.reader_dn, "bind_password": "prompt",
        "base_dn": f"ou=Domino,{BASE_DN}",
    }  # fmt: skip
    values.update(changes)
    return LdapSource(**values)  # type: ignore[arg-type]


def test_starttls_verifies_the_certificate(tls_slapd: tuple[SlapdServer, Path]) -> None:
    server, ca = tls_slapd
    password = Secret(server.reader_password)
    assert check_connection(domino_source(server, ca), password).ok
    untrusted = check_connection(domino_source(server, ca, ca_file=""), password)
    assert untrusted.failed_stage == "TLS", untrusted.stages


def test_domino_replica_refreshes_incrementally(
    tls_slapd: tuple[SlapdServer, Path], tmp_path: Path
) -> None:
    server, ca = tls_slapd
    data = SessionData(name="d", created=dt.datetime(2026, 11, 25, tzinfo=dt.UTC), provider="x")
    data.directory.domino = domino_source(server, ca)
    store = SessionStore.create(tmp_path / "s", data)
    service = DirectoryService(store)
    password = Secret(server.reader_password)
    assert service.domino_changes() == []  # never refreshed
    first = service.refresh_domino(password)
    assert (first.added, first.changed, first.removed, first.total) == (2, 0, 0, 2)
    assert {c.change for c in service.domino_changes()} == {"added"}
    plan = service.plan_domino()
    assert plan.difference.added == 2
    service.apply_import(plan, skip_problems=False)
    dan = service.users_page(search="dan").users[0]
    assert (dan.source_login, dan.display_name) == ("dan", "Dan Domino")
    root = server.connect(server.root_dn, server.root_password)
    try:
        people = f"ou=Domino,{BASE_DN}"
        root.modify(
            f"cn=Dan Domino,{people}", {"mailserver": [(ldap3.MODIFY_REPLACE, ["CN=Mail02/O=R"])]}
        )
        root.delete(f"cn=Eve Notes,{people}")
        assert root.add(
            f"cn=Fay Forms,{people}",
            ["inetOrgPerson", "dominoPerson"],
            {"cn": "Fay Forms", "sn": "Forms", "uid": "fay", "mail": "fay@renovations.com"},
        )
    finally:
        root.unbind()
    seen: list[int] = []
    second = service.refresh_domino(password, seen.append)
    assert (second.added, second.changed, second.removed, second.total) == (1, 1, 1, 2)
    assert service.domino_last_refresh() == second
    changes = [(c.change, c.mail) for c in service.domino_changes()]
    assert changes == [
        ("removed", "eve@renovations.com"),
        ("changed", "dan@renovations.com"),
        ("added", "fay@renovations.com"),
    ]
    assert seen == []  # progress is reported every few hundred entries, not for three
    d = service.plan_domino().difference
    assert (d.added, d.changed, d.missing) == (1, 1, 1)
    store.close()


def test_plain_ldap_to_a_tls_port_fails_cleanly(tls_slapd: tuple[SlapdServer, Path]) -> None:
    server, ca = tls_slapd
    ldaps = domino_source(server, ca, url=f"ldaps://127.0.0.1:{server.port}/", security="ldaps")
    report = check_connection(ldaps, Secret(server.reader_password))
    assert report.failed_stage == "TLS"
    with pytest.raises(DirectoryError):
        from onboard_tui.directory.ldapconn import open_bound

        open_bound(ldaps, Secret(server.reader_password))
