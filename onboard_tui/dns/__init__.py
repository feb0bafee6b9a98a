"""DNS for Steps 2 and 5: authoritative checks, record instructions, RFC 2136 updates, MX.

Plain Python on dnspython, no Textual. Every call blocks: the UI calls it from thread
workers. One `DnsChecker` (and one `DnsUpdater` per domain's update settings) can be
shared between threads.

    checker = DnsChecker()                                  # system resolver, port 53
    report = checker.check_domain("renovations.com", key)   # VerificationReport
    report.status, report.message, report.to_json(), report.exit_code

    mx = checker.check_mx("renovations.com", expect="smtp.notes.na.collabserv.com")
    plan = plan_mx_switch(mx, "smtp.notes.na.collabserv.com")
    DnsUpdater(settings, checker=checker).apply_mx_plan(plan)   # ONE guarded update
    read_back_mx(checker, plan); later: apply_mx_plan(plan.inverse())  # Undo
"""

from __future__ import annotations

from .checker import DEFAULT_TARGET, DEFAULT_TIMEOUT, DnsChecker, VerificationRequest
from .errors import DnsError, DnsInputError, UpdateError
from .instructions import (
    MxInstructions,
    RecordInstructions,
    mx_instructions,
    verification_instructions,
)
from .mx_plan import MxPlan, build_mx_update, plan_mx_switch
from .names import parse_domain, parse_key, show
from .nameservers import NameserverSpec, parse_nameserver, resolver_at
from .readback import read_back_mx, read_back_verification
from .report import (
    MxProblem,
    MxRecord,
    MxReport,
    MxTarget,
    Report,
    ServerResult,
    VerificationReport,
)
from .smtp_probe import SmtpProbe, probe_smtp
from .statuses import ADVICE, EXIT_ERROR, EXIT_NOT_YET, EXIT_OK, Mx, Verification, exit_code
from .tsig import ALGORITHMS, DEFAULT_ALGORITHM, UpdateSettings
from .updater import DnsUpdater, UpdateResult

__all__ = [
    "ADVICE",
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "DEFAULT_TARGET",
    "DEFAULT_TIMEOUT",
    "EXIT_ERROR",
    "EXIT_NOT_YET",
    "EXIT_OK",
    "DnsChecker",
    "DnsError",
    "DnsInputError",
    "DnsUpdater",
    "Mx",
    "MxInstructions",
    "MxPlan",
    "MxProblem",
    "MxRecord",
    "MxReport",
    "MxTarget",
    "NameserverSpec",
    "RecordInstructions",
    "Report",
    "ServerResult",
    "SmtpProbe",
    "UpdateError",
    "UpdateResult",
    "UpdateSettings",
    "Verification",
    "VerificationReport",
    "VerificationRequest",
    "build_mx_update",
    "exit_code",
    "mx_instructions",
    "parse_domain",
    "parse_key",
    "parse_nameserver",
    "plan_mx_switch",
    "probe_smtp",
    "read_back_mx",
    "read_back_verification",
    "resolver_at",
    "show",
    "verification_instructions",
]
