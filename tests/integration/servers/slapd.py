"""A private OpenLDAP (``slapd``) that looks enough like Active Directory for the importer.

* slapd.conf (no cn=config), an mdb database in the work folder, suffix ``dc=example,dc=test``.
* core, cosine and inetorgperson schemas from /etc/ldap/schema plus a small AD-like schema
  written here (``sAMAccountName``, ``userPrincipalName``, ``proxyAddresses``,
  ``userAccountControl``, ``memberOf``, ``objectCategory``; auxiliary classes ``user`` and
  ``group``) under the private OID arc 1.3.6.1.4.1.55555.
* AD's 1,000-entry cap: ``limits users size.soft=1000 size.hard=1000 size.prtotal=unlimited``.
  Do not set ``size.pr``: it makes large pages fail. The root DN ignores every limit, so
  tests bind as the ordinary entry ``cn=reader``.
* Anonymous clients may only bind (as in AD); authenticated users read everything but
  passwords. ``userAccountControl`` supports AD's bit filters, e.g.
  ``(userAccountControl:1.2.840.113556.1.4.803:=2)`` for disabled accounts.
* Passwords are generated per run and stored salted-SHA1 hashed ({SSHA}).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ldap3

from .base import (
    LOOPBACK,
    ServerProcess,
    free_port,
    missing_binary,
    require_binary,
    wait_until,
    write_secret,
)

BASE_DN = "dc=example,dc=test"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap", "/usr/lib/openldap")


def ldap_env() -> dict[str, str]:
    """The environment for slapd and the OpenLDAP tools: no /etc/ldap/ldap.conf, no ~/.ldaprc."""
    return {**os.environ, "LDAPNOINIT": "1"}


AD_SCHEMA = """\
# A small Active Directory look-alike for the onboarding tests (private OIDs).
attributetype ( 1.3.6.1.4.1.55555.1.1.1 NAME 'sAMAccountName'
    EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{256} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.1.2 NAME 'userPrincipalName'
    EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{1024} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.1.3 NAME 'proxyAddresses'
    EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{1123} )
attributetype ( 1.3.6.1.4.1.55555.1.1.4 NAME 'userAccountControl'
    EQUALITY integerMatch ORDERING integerOrderingMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.1.5 NAME 'memberOf'
    EQUALITY distinguishedNameMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
attributetype ( 1.3.6.1.4.1.55555.1.1.6 NAME 'objectCategory'
    EQUALITY distinguishedNameMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.1.2.1 NAME 'user' SUP top AUXILIARY
    MAY ( sAMAccountName $ userPrincipalName $ proxyAddresses $ userAccountControl $
          memberOf $ objectCategory ) )
objectclass ( 1.3.6.1.4.1.55555.1.2.2 NAME 'group' SUP top AUXILIARY
    MAY ( sAMAccountName $ proxyAddresses $ mail $ objectCategory ) )
"""

CONFIG_TEMPLATE = """\
include {schema_dir}/core.schema
include {schema_dir}/cosine.schema
include {schema_dir}/inetorgperson.schema
include {ad_schema}

pidfile {rundir}/slapd.pid
argsfile {rundir}/slapd.args
{module_lines}
loglevel stats

database mdb
maxsize 104857600
suffix "{base_dn}"
rootdn "{root_dn}"
rootpw {root_hash}
directory {datadir}

index objectClass eq
index cn,mail,sAMAccountName,userPrincipalName,proxyAddresses eq,sub
index uid,memberOf,userAccountControl eq

limits users size.soft=1000 size.hard=1000 size.prtotal=unlimited

access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by users read
    by * none
"""

BASE_LDIF = """\
dn: {base_dn}
objectClass: dcObject
objectClass: organization
dc: example
o: Example Test

dn: ou=People,{base_dn}
objectClass: organizationalUnit
ou: People

dn: ou=Groups,{base_dn}
objectClass: organizationalUnit
ou: Groups

dn: ou=Service,{base_dn}
objectClass: organizationalUnit
ou: Service

dn: {reader_dn}
objectClass: person
cn: reader
sn: Reader
description: ordinary bind account, subject to the size limits
userPassword: {reader_hash}

dn: cn=Alice Archer,ou=People,{base_dn}
objectClass: inetOrgPerson
objectClass: user
cn: Alice Archer
sn: Archer
givenName: Alice
mail: alice@renovations.com
sAMAccountName: alice
userPrincipalName: alice@renovations.com
proxyAddresses: SMTP:alice@renovations.com
proxyAddresses: smtp:a.archer@west.renovations.com
userAccountControl: 512
memberOf: cn=Sales,ou=Groups,{base_dn}
objectCategory: cn=Person,cn=Schema,cn=Configuration,{base_dn}

dn: cn=Bob Builder,ou=People,{base_dn}
objectClass: inetOrgPerson
objectClass: user
cn: Bob Builder
sn: Builder
givenName: Bob
mail: bob@renovations.com
sAMAccountName: bob
userPrincipalName: bob@renovations.com
proxyAddresses: SMTP:bob@renovations.com
userAccountControl: 514
objectCategory: cn=Person,cn=Schema,cn=Configuration,{base_dn}

dn: cn=Sales,ou=Groups,{base_dn}
objectClass: groupOfNames
objectClass: group
cn: Sales
sAMAccountName: sales
mail: sales@renovations.com
member: cn=Alice Archer,ou=People,{base_dn}
objectCategory: cn=Group,cn=Schema,cn=Configuration,{base_dn}
"""


def ssha(password: str) -> str:
    """An OpenLDAP ``{SSHA}`` hash of ``password`` with a random salt."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def bulk_users_ldif(count: int, ou: str = "People", start: int = 1) -> str:
    """LDIF for ``count`` AD-like users ``user00001``... under ``ou=<ou>``."""
    chunks = []
    for n in range(start, start + count):
        sam = f"user{n:05d}"
        chunks.append(
            f"dn: cn={sam},ou={ou},{BASE_DN}\n"
            "objectClass: inetOrgPerson\n"
            "objectClass: user\n"
            f"cn: {sam}\n"
            f"sn: User {n}\n"
            f"mail: {sam}@renovations.com\n"
            f"sAMAccountName: {sam}\n"
            f"userPrincipalName: {sam}@renovations.com\n"
            f"proxyAddresses: SMTP:{sam}@renovations.com\n"
            f"userAccountControl: {514 if n % 10 == 0 else 512}\n"
        )
    return "\n".join(chunks)


@dataclass
class SlapdServer:
    """A running private slapd: address, base DN and the credentials tests may use."""

    host: str
    port: int
    base_dn: str
    reader_dn: str
    reader_password: str = field(repr=False)
    root_dn: str
    root_password: str = field(repr=False)
    config_path: Path
    workdir: Path
    process: ServerProcess = field(repr=False)

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}/"

    @property
    def people_dn(self) -> str:
        return f"ou=People,{self.base_dn}"

    def connect(self, dn: str | None = None, password: str | None = None) -> ldap3.Connection:
        """An ldap3 connection bound as ``reader`` (or the given DN); raises if bind fails."""
        server = ldap3.Server(self.host, port=self.port, get_info=ldap3.NONE, connect_timeout=2)
        return ldap3.Connection(
            server,
            user=dn or self.reader_dn,
            password=password if password is not None else self.reader_password,
            auto_bind=ldap3.AUTO_BIND_NO_TLS,
            receive_timeout=10,
        )

    def add_ldif(self, ldif: str) -> None:
        """Add entries to the running server with ``ldapadd`` as the root DN."""
        ldapadd = require_binary("ldapadd")
        password_file = self.workdir / "rootpw"
        ldif_file = self.workdir / f"add-{secrets.token_hex(4)}.ldif"
        ldif_file.write_text(ldif)
        done = subprocess.run(
            [
                ldapadd,
                "-x",
                "-H",
                self.url,
                "-D",
                self.root_dn,
                "-y",
                str(password_file),
                "-f",
                str(ldif_file),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=ldap_env(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"ldapadd failed ({done.returncode}): {done.stderr}{done.stdout}")


def _module_lines() -> str:
    """``moduleload back_mdb`` when mdb is built as a module (Debian), else nothing."""
    for folder in MODULE_DIRS:
        if list(Path(folder).glob("back_mdb*.so*")):
            return f"modulepath {folder}\nmoduleload back_mdb\n"
    return ""


def slapadd(workdir: Path, config_path: Path, ldif: str, name: str = "extra") -> None:
    """Load LDIF offline (only while the server is stopped)."""
    slapadd_bin = require_binary("slapadd")
    ldif_file = workdir / f"{name}.ldif"
    ldif_file.write_text(ldif)
    done = subprocess.run(
        [slapadd_bin, "-q", "-f", str(config_path), "-l", str(ldif_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=ldap_env(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"slapadd {ldif_file} failed: {done.stderr}{done.stdout}")


@contextlib.contextmanager
def start_slapd(
    workdir: Path, extra_ldif: str | list[str] = "", timeout: float = 5.0
) -> Iterator[SlapdServer]:
    """Start slapd in ``workdir`` (after slapadding the base entries and ``extra_ldif``)."""
    slapd_bin = require_binary("slapd")
    for schema in ("core", "cosine", "inetorgperson"):
        if not (SCHEMA_DIR / f"{schema}.schema").is_file():
            missing_binary(f"OpenLDAP schema {SCHEMA_DIR}/{schema}.schema is missing")
    workdir.mkdir(parents=True, exist_ok=True)
    rundir = workdir / "run"
    datadir = workdir / "data"
    rundir.mkdir(exist_ok=True)
    datadir.mkdir(exist_ok=True)
    ad_schema = workdir / "ad-lookalike.schema"
    ad_schema.write_text(AD_SCHEMA)

    root_dn = f"cn=admin,{BASE_DN}"
    reader_dn = f"cn=reader,ou=Service,{BASE_DN}"
    root_password = secrets.token_urlsafe(18)
    reader_password = secrets.token_urlsafe(18)
    write_secret(workdir / "rootpw", root_password)  # ldapadd -y reads it verbatim

    config_path = workdir / "slapd.conf"
    write_secret(  # it holds the root password's hash
        config_path,
        CONFIG_TEMPLATE.format(
            schema_dir=SCHEMA_DIR,
            ad_schema=ad_schema,
            rundir=rundir,
            module_lines=_module_lines(),
            base_dn=BASE_DN,
            root_dn=root_dn,
            root_hash=ssha(root_password),
            datadir=datadir,
        ),
    )

    slapadd(
        workdir,
        config_path,
        BASE_LDIF.format(base_dn=BASE_DN, reader_dn=reader_dn, reader_hash=ssha(reader_password)),
        name="base",
    )
    extras = [extra_ldif] if isinstance(extra_ldif, str) else list(extra_ldif)
    for index, ldif in enumerate(text for text in extras if text.strip()):
        slapadd(workdir, config_path, ldif, name=f"extra-{index}")

    port = free_port()
    process = ServerProcess(
        "slapd",
        [slapd_bin, "-f", str(config_path), "-h", f"ldap://{LOOPBACK}:{port}/", "-d", "stats"],
        workdir / "slapd.log",
        env=ldap_env(),
    )
    server = SlapdServer(
        host=LOOPBACK,
        port=port,
        base_dn=BASE_DN,
        reader_dn=reader_dn,
        reader_password=reader_password,
        root_dn=root_dn,
        root_password=root_password,
        config_path=config_path,
        workdir=workdir,
        process=process,
    )
    with process:

        def reader_binds() -> bool:
            server.connect().unbind()
            return True

        wait_until(reader_binds, timeout, f"slapd to accept a reader bind on port {port}", process)
        yield server
