"""100,000 users imported from a private slapd (goal < 15 s), beside the time ldapsearch
takes to page through the same entries in the same run."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.model import LdapSource, SessionData
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore
from tests.integration.servers import slapd as slapd_module
from tests.integration.servers.slapd import (
    bulk_users_ldif,
    ldap_env,
    start_slapd,
)

USERS = 100_000
FILTER = "(&(objectClass=user)(mail=*)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
ATTRS = "mail proxyAddresses displayName givenName sn sAMAccountName userPrincipalName"


def main() -> int:
    # the fixture's 100 MB map is too small for 100,000 entries
    template = slapd_module.CONFIG_TEMPLATE.replace("maxsize 104857600", "maxsize 2147483648")
    slapd_module.CONFIG_TEMPLATE = template
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        with start_slapd(folder / "slapd", extra_ldif=bulk_users_ldif(USERS), timeout=30) as s:
            loaded = time.perf_counter() - start
            (folder / "pw").write_text(s.reader_password)
            command = [
                "ldapsearch", "-LLL", "-x", "-H", s.url, "-D", s.reader_dn,
                "-y", str(folder / "pw"), "-b", s.base_dn, "-E", "pr=500/noprompt",
                FILTER, *ATTRS.split(), "department", "memberOf",
            ]  # fmt: skip
            start = time.perf_counter()
            out = subprocess.run(command, capture_output=True, env=ldap_env(), check=True)
            ldapsearch = time.perf_counter() - start
            entries = out.stdout.count(b"\ndn: ") + out.stdout.startswith(b"dn: ")
            data = SessionData(name="bench", created=datetime.now(UTC), provider="sandbox")
            data.directory.ad = LdapSource(
                url=s.url, security="plain", bind_user=s.reader_dn, base_dn=s.base_dn,
                filter=FILTER,
            )  # fmt: skip
            store = SessionStore.create(folder / "session", data)
            service = DirectoryService(store)
            start = time.perf_counter()
            plan = service.plan_ad(Secret(s.reader_password))
            read = time.perf_counter() - start
            service.apply_import(plan, skip_problems=False)
            total = time.perf_counter() - start
            count = store.db.count_users()
            store.close()
    print(f"LDAP import: {USERS} users in slapd (slapadd + start {loaded:.1f} s), page size 500")
    print(f"  ldapsearch -E pr=500: {entries} entries in {ldapsearch:.2f} s")
    print(
        f"  onboard-tui: {plan.rows} entries read + checked + diffed in {read:.2f} s, "
        f"stored {count} users, total {total:.2f} s "
        f"(goal < 15 s: {'met' if total < 15 else 'NOT met'})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) {peak:.0f} MB (goal < 300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
