"""Pre-flight checks before a Transfer Group may start (Staging tab, `run`).

Each check has a name and, when it fails, a sentence that names what is wrong: the
source login (for one sample member; for Exchange also the impersonation of that member,
with the steps to add the ApplicationImpersonation role when it is missing), the target
reachable and the logon accepted,
each member's selected data against the mailbox quota (real sizes from the source),
and the members whose mail domain is not verified yet (Step 2).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from onboard_tui.errors import OnboardError
from onboard_tui.mail.engine import GroupPlan
from onboard_tui.mail.rules import Selection
from onboard_tui.mail.source import MailSource
from onboard_tui.mail.target import MailTarget
from onboard_tui.session.model import DomainRecord

log = logging.getLogger(__name__)

#: How many members' mailboxes are measured for the quota estimate (the rest are not).
QUOTA_SAMPLE = 200


@dataclass(frozen=True)
class Check:
    """One pre-flight check: passed or not, with what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class PreflightReport:
    """Everything checked for a group; `ok` when nothing failed."""

    group: str
    members: int
    checks: tuple[Check, ...]
    over_quota: tuple[tuple[str, int], ...] = ()
    unverified: tuple[str, ...] = ()
    estimated_bytes: int = 0
    measured: int = 0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def verified_domains(domains: Sequence[DomainRecord]) -> set[str]:
    """Verified domains and the subdomains listed under a verified root."""
    names: set[str] = set()
    for record in domains:
        if record.verified:
            names.add(record.name.casefold())
            names.update(s.casefold() for s in record.subdomains)
    return names


def unverified_members(users: Sequence[str], domains: Sequence[DomainRecord]) -> list[str]:
    ok = verified_domains(domains)
    return [u for u in users if u.rpartition("@")[2].casefold() not in ok]


def _say(exc: BaseException) -> str:
    if isinstance(exc, OnboardError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _impersonation_denied(source: MailSource, exc: BaseException) -> bool:
    """Exchange logged the admin on but refused to let it act for the user."""
    if source.kind != "ews":
        return False
    from onboard_tui.mail.ews_errors import ImpersonationDenied

    return isinstance(exc, ImpersonationDenied)


def run_preflight(
    plan: GroupPlan,
    source: MailSource | None,
    target: MailTarget | None,
    *,
    source_error: str = "",
    target_error: str = "",
    domains: Sequence[DomainRecord],
    quota_bytes: int,
    now: object,
) -> PreflightReport:
    """Check one group; `source`/`target` are None when they could not even be built."""
    checks: list[Check] = []
    members = plan.users
    sample = members[0] if members else ""
    if not members:
        checks.append(Check("Members", False, f"'{plan.name}' has no members."))
    # Source login for one sample member.
    if source is None:
        checks.append(Check("Source login", False, source_error or "No source is configured."))
    elif sample:
        try:
            mailbox = source.open(sample)
            try:
                folders = mailbox.folders()
            finally:
                mailbox.close()
            checks.append(
                Check("Source login", True, f"{source.kind}: {sample}, {len(folders)} folders")
            )
            if source.kind == "ews":
                checks.append(Check("Impersonation", True, f"the account may act for {sample}"))
        except Exception as exc:
            if _impersonation_denied(source, exc):
                checks.append(Check("Source login", True, "the impersonation account logged on"))
                checks.append(Check("Impersonation", False, f"{sample}: {_say(exc)}"))
            else:
                checks.append(Check("Source login", False, f"{sample}: {_say(exc)}"))
    # Target reachable, logon accepted (building the target logs on), one mailbox opened.
    if target is None:
        checks.append(Check("Target logon", False, target_error or "No target is configured."))
    else:
        try:
            if sample:
                target.open(sample).close()
            checks.append(Check("Target logon", True, f"{target.describe()}: logged on"))
        except Exception as exc:
            checks.append(Check("Target logon", False, _say(exc)))
    # Quota: the selected data of each member (first QUOTA_SAMPLE) against the limit.
    over: list[tuple[str, int]] = []
    total = measured = 0
    source_ok = all(c.ok for c in checks if c.name in ("Source login", "Impersonation"))
    if source is not None and members and source_ok:
        selection = Selection(
            plan.settings,
            now,  # type: ignore[arg-type]
            target_types=target.item_types if target is not None else frozenset({"mail"}),
            target_max_bytes=target.max_item_bytes if target is not None else None,
        )
        problems: list[str] = []
        for user in members[:QUOTA_SAMPLE]:
            try:
                size = _selected_bytes(source, user, selection)
            except Exception as exc:
                problems.append(f"{user}: {_say(exc)}")
                continue
            measured += 1
            total += size
            if size > quota_bytes:
                over.append((user, size))
        gb = quota_bytes / 1024**3
        if problems:
            checks.append(
                Check("Quota", False, f"{len(problems)} mailbox(es) unreadable: {problems[0]}")
            )
        elif over:
            checks.append(
                Check("Quota", False, f"{len(over)} user(s) would exceed {gb:g} GB: {over[0][0]}")
            )
        else:
            more = f" (first {measured} of {len(members)})" if measured < len(members) else ""
            checks.append(
                Check("Quota", True, f"{total / 1e6:,.1f} MB in all{more}; none over {gb:g} GB")
            )
    unverified = unverified_members(members, domains)
    if unverified:
        checks.append(
            Check(
                "Domains",
                False,
                f"{len(unverified)} user(s) on unverified domains, e.g. {unverified[0]} "
                "(verify in Step 2 first)",
            )
        )
    elif members:
        checks.append(Check("Domains", True, "every member's domain is verified"))
    return PreflightReport(
        plan.name,
        len(members),
        tuple(checks),
        tuple(over),
        tuple(unverified),
        total,
        measured,
    )


def _selected_bytes(source: MailSource, user: str, selection: Selection) -> int:
    mailbox = source.open(user)
    try:
        size = 0
        for folder in mailbox.folders():
            if selection.folder_reason(folder.path, folder.special_use):
                continue
            for ref in mailbox.scan(folder, "", 0).refs:
                if not selection.item_reason(ref):
                    size += ref.size
        return size
    finally:
        mailbox.close()
