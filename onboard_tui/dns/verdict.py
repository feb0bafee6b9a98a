"""One status for the domain from every server's status, with the sentence saying what to do.

The rule: all servers show the record -> verified; some do -> propagating (k of n);
none do -> the most specific mistake any server shows (a doubled name says more than
"missing"); nobody answered, or the rest of an otherwise good set did not -> unreachable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .names import show
from .report import ServerResult
from .statuses import Verification
from .verification import VerificationNames

#: When no server shows the record: the most telling mistake first.
PRIORITY = (
    Verification.DOUBLED_NAME,
    Verification.DOUBLED_TARGET,
    Verification.WRONG_TARGET,
    Verification.WRONG_TYPE,
    Verification.OLD_KEY,
    Verification.MISSING,
)


@dataclass(frozen=True)
class Overall:
    """The domain's status, its sentence, k of n, and warnings about single servers."""

    status: str
    message: str
    agreeing: int
    total: int
    warnings: tuple[str, ...] = ()


def who(result: ServerResult) -> str:
    """`ns1.example.com (192.0.2.1)`, or just the address when that is the name."""
    if result.server == result.address or not result.address:
        return result.server
    return f"{result.server} ({result.address})"


def discount_ipv6(results: Sequence[ServerResult]) -> tuple[list[ServerResult], list[str]]:
    """Stop an IPv6 address this machine cannot reach from deciding the status.

    When a server answered over IPv4 but its IPv6 address timed out or had no route, the
    likely cause is this machine's missing IPv6, not the server: the address stays listed
    (not counted) and a warning says so.
    """
    answered = {r.server for r in results if r.status != Verification.UNREACHABLE}
    kept: list[ServerResult] = []
    warnings: list[str] = []
    for result in results:
        if (
            result.transport_failure
            and ":" in result.address
            and result.server in answered
            and result.status == Verification.UNREACHABLE
        ):
            kept.append(dataclasses.replace(result, counted=False))
            warnings.append(
                f"{who(result)} did not answer over IPv6 ({result.error}) although it answers "
                "over IPv4; this machine may have no IPv6 route, so it was not counted."
            )
        else:
            kept.append(result)
    return kept, warnings


def unreachable_text(results: Sequence[ServerResult]) -> str:
    """`ns2 (192.0.2.2): no answer within 3 s; ns3 ...`."""
    return "; ".join(f"{who(r)} {r.error}".strip() for r in results)


def verification_overall(results: Sequence[ServerResult], names: VerificationNames) -> Overall:
    """The domain's status from the counted servers' statuses."""
    counted = [r for r in results if r.counted]
    total = len(counted)
    good = [r for r in counted if r.status == Verification.VERIFIED]
    down = [r for r in counted if r.status == Verification.UNREACHABLE]
    wrong = [r for r in counted if r not in good and r not in down]
    warnings = _disagreement(wrong)
    record, target = show(names.record), show(names.target)
    k = len(good)
    if not total:
        return Overall(
            Verification.UNREACHABLE,
            f"No authoritative name server of {show(names.zone)} could be asked: "
            "name the servers to check with --nameserver.",
            0,
            0,
        )
    if k == total:
        return Overall(
            Verification.VERIFIED,
            f"Every authoritative name server ({total}) answers {record} CNAME {target}: "
            "verification can complete, and afterwards you may remove the record.",
            k,
            total,
        )
    if down and not wrong:
        lead = f"{k} of {total} name servers answer correctly, but " if k else ""
        return Overall(
            Verification.UNREACHABLE,
            f"{lead}{unreachable_text(down)}: check that the server is running and serves "
            f"{show(names.zone)}, or name the servers to check with --nameserver.",
            k,
            total,
            tuple(warnings),
        )
    if down:
        warnings.append(f"Not counted as an answer: {unreachable_text(down)}.")
    if k:
        return Overall(
            Verification.PROPAGATING,
            f"{k} of {total} authoritative name servers answer {record} CNAME {target}; "
            "the others have not caught up yet: wait and check again, do not restart "
            "verification.",
            k,
            total,
            tuple(warnings),
        )
    status = next(s for s in PRIORITY if any(r.status == s for r in wrong))
    example = next(r for r in wrong if r.status == status)
    return Overall(status, _mistake(status, example, names), 0, total, tuple(warnings))


def _mistake(status: Verification, result: ServerResult, names: VerificationNames) -> str:
    record, target, alias = show(names.record), show(names.target), names.alias.rstrip(".")
    if status == Verification.DOUBLED_NAME:
        return (
            f"The record was created as {result.detail.rstrip('.')} because your DNS host "
            f"adds the domain itself: enter only {alias} in the alias/prefix field."
        )
    if status == Verification.DOUBLED_TARGET:
        return (
            f"The CNAME points to {result.detail.rstrip('.')} because your DNS host added the "
            f'domain to the target: enter "{target}." (with a final dot) in the '
            "destination/target host field."
        )
    if status == Verification.WRONG_TARGET:
        return (
            f"{record} is a CNAME to {result.detail.rstrip('.')}, not {target}: change its "
            f"destination/target host to {target}."
        )
    if status == Verification.WRONG_TYPE:
        return (
            f"{record} has a {result.detail} record instead of a CNAME: delete it and create "
            f"a CNAME record pointing to {target}."
        )
    if status == Verification.OLD_KEY:
        return (
            f"The CNAME still uses the previous key ({result.detail.rstrip('.')}): change the "
            f"alias/prefix to {alias} and wait; do not restart verification."
        )
    return (
        f"No CNAME record exists at {record}: create one with alias/prefix {alias} and "
        f"destination/target host {target}."
    )


def _disagreement(wrong: Sequence[ServerResult]) -> list[str]:
    views = {(r.status, r.answer) for r in wrong}
    if len(views) < 2:
        return []
    parts = "; ".join(f"{who(r)}: {r.status} ({r.answer})" for r in wrong)
    return [f"The name servers disagree: {parts}."]
