"""Active Directory: enabled mail users, read in pages, as import candidates.

The primary address is the `SMTP:` (upper case) entry of proxyAddresses when there is one,
because that is where Exchange delivers; `mail` is the fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from onboard_tui.directory.checks import Problem, domain_problem, email_problem
from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.imports import ImportPlan, finish_plan
from onboard_tui.directory.ldapconn import _quietly_unbind, open_bound, paged_entries
from onboard_tui.directory.staging import Candidate, Stage
from onboard_tui.session.model import LdapSource
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore

DEFAULT_FILTER = (
    "(&(objectCategory=person)(objectClass=user)(mail=*)"
    "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
)
ATTRIBUTES = [
    "mail", "proxyAddresses", "displayName", "givenName", "sn", "sAMAccountName",
    "userPrincipalName", "department", "memberOf",
]  # fmt: skip
BATCH = 2000
#: How often (entries) a long read reports its progress.
PROGRESS_EVERY = 500


def primary_address(entry: dict[str, list[str]]) -> tuple[str, list[str]]:
    """(primary address, other smtp addresses) from proxyAddresses, falling back to mail."""
    primary = ""
    aliases: list[str] = []
    for value in entry.get("proxyAddresses", []):
        kind, _, address = value.partition(":")
        if kind == "SMTP" and not primary:
            primary = address.strip()
        elif kind.lower() == "smtp":
            aliases.append(address.strip())
    mail = (entry.get("mail") or [""])[0].strip()
    return primary or mail, aliases


def _first(entry: dict[str, list[str]], key: str) -> str:
    values = entry.get(key) or [""]
    return values[0].strip()


def candidate(line: int, dn: str, entry: dict[str, list[str]]) -> Candidate:
    email, aliases = primary_address(entry)
    attrs: dict[str, str] = {}
    if aliases:
        attrs["aliases"] = "\n".join(aliases)
    if entry.get("memberOf"):
        attrs["memberOf"] = "\n".join(entry["memberOf"])
    upn = _first(entry, "userPrincipalName")
    if upn:
        attrs["userPrincipalName"] = upn
    return Candidate(
        line=line,
        email=email,
        display_name=_first(entry, "displayName") or _first(entry, "cn"),
        first_name=_first(entry, "givenName"),
        last_name=_first(entry, "sn"),
        source_login=_first(entry, "sAMAccountName") or upn,
        department=_first(entry, "department"),
        attributes=attrs or None,
        dn=dn,
    )


def stage_entries(
    stage: Stage,
    entries: Iterator[tuple[str, Candidate]],
    domains: tuple[str, ...],
    progress: Callable[[int], None] | None = None,
) -> tuple[int, list[Problem]]:
    """Check and stage candidates; the 'line' of an LDAP entry is its position.

    `progress` hears the number of entries read so far, every few hundred."""
    problems: list[Problem] = []
    seen: set[str] = set()
    batch: list[Candidate] = []
    count = 0
    for dn, c in entries:
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        reason = email_problem(c.email) or domain_problem(c.email, domains)
        if not reason and c.email.casefold() in seen:
            reason = "duplicate: another entry has the same address."
        if reason:
            problems.append(Problem(c.line, "email", c.email or dn, f"{dn}: {reason}"))
            continue
        seen.add(c.email.casefold())
        batch.append(c)
        if len(batch) >= BATCH:
            stage.add(batch)
            batch.clear()
    stage.add(batch)
    return count, problems


def plan_ad(
    store: SessionStore,
    source: LdapSource,
    password: Secret,
    domains: tuple[str, ...] = (),
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read every matching user into a stage and compare with the session's users."""
    if not source.base_dn:
        raise DirectoryError("Active Directory: the base DN is not set.")
    conn = open_bound(source, password)
    stage = Stage(store.db, "ad")
    referrals: list[str] = []
    try:
        entries = paged_entries(
            conn, source, source.filter or DEFAULT_FILTER, ATTRIBUTES, referrals
        )
        pairs = ((dn, candidate(n, dn, e)) for n, (dn, e) in enumerate(entries, start=1))
        count, problems = stage_entries(stage, pairs, domains, progress)
        plan = finish_plan(stage, store, source=source.url, rows=count, problems=problems)
    except BaseException:
        stage.drop()
        raise
    finally:
        _quietly_unbind(conn)
    if referrals:
        plan.notes.append(
            f"{len(referrals)} referrals to other domains were not followed "
            f"(first: {referrals[0]}); import each domain with its own base DN."
        )
    return plan
