"""Reading an update back from every authoritative server, waiting a little for them.

Secondaries get the change by NOTIFY and zone transfer, usually within a second or two;
these helpers check again until every counted server shows the change or `settle`
seconds have passed, and return the last report either way (the UI shows it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from onboard_tui.clock import Clock, SystemClock

from .checker import DEFAULT_TARGET, DnsChecker
from .mx_plan import MxPlan
from .nameservers import NameserverSpec
from .report import MxReport, VerificationReport
from .statuses import Verification

R = TypeVar("R")

#: After a removal, a server whose status is one of these has no CNAME at `key.domain`.
_ABSENT = {
    Verification.MISSING,
    Verification.DOUBLED_NAME,
    Verification.OLD_KEY,
    Verification.WRONG_TYPE,
}


def wait_for(
    check: Callable[[], R],
    done: Callable[[R], bool],
    *,
    settle: float,
    interval: float = 0.25,
    clock: Clock | None = None,
) -> R:
    """Call `check` until `done` says so or `settle` seconds have passed; the last result."""
    clock = clock or SystemClock()
    deadline = clock.monotonic() + settle
    while True:
        result = check()
        if done(result) or clock.monotonic() >= deadline:
            return result
        clock.sleep(interval)


def read_back_verification(
    checker: DnsChecker,
    domain: str,
    key: str,
    target: str = DEFAULT_TARGET,
    *,
    present: bool = True,
    nameservers: Sequence[str | NameserverSpec] = (),
    settle: float = 5.0,
    clock: Clock | None = None,
) -> VerificationReport:
    """The report once every server shows the record (`present`) or none has it any more."""

    def done(report: VerificationReport) -> bool:
        counted = [r for r in report.servers if r.counted]
        if present:
            return report.status == Verification.VERIFIED
        return bool(counted) and all(r.status in _ABSENT for r in counted)

    return wait_for(
        lambda: checker.check_domain(domain, key, target, nameservers=nameservers),
        done,
        settle=settle,
        clock=clock,
    )


def read_back_mx(
    checker: DnsChecker,
    plan: MxPlan,
    *,
    nameservers: Sequence[str | NameserverSpec] = (),
    settle: float = 5.0,
    clock: Clock | None = None,
) -> MxReport:
    """The MX report once every counted server lists exactly the plan's new set."""
    expect = plan.add[0].exchange if len(plan.add) == 1 else None

    def done(report: MxReport) -> bool:
        counted = [s for r, s in zip(report.servers, report.sets, strict=True) if r.counted]
        return bool(counted) and all(s == plan.add for s in counted)

    return wait_for(
        lambda: checker.check_mx(plan.domain, expect=expect, nameservers=nameservers),
        done,
        settle=settle,
        clock=clock,
    )
