"""Step 5 Configure MX: the MX set per domain, the readiness gate, the switch and its Undo.

Plain Python over `onboard_tui.dns`; every call may block, so the UI calls it from thread
workers. Time comes from the injected `Clock`.

    mx = service.mx
    view = mx.inspect("renovations.com")        # DomainMx: report, plan, gate, records
    probe = mx.probe_smtp()                     # SmtpCheck of the geography's SMTP host
    done = mx.apply("renovations.com", view.plan, typed="renovations.com")
    mx.undo("renovations.com")                  # the inverse update, from mx_previous
"""

from __future__ import annotations

from .gate import (
    BLOCKED,
    PASSED,
    UNKNOWN,
    GateCheck,
    Readiness,
    UsersOfDomain,
    name_matches,
    readiness,
)
from .model import DomainMx, MxError, MxOutcome, SmtpCheck
from .service import MxService

__all__ = [
    "BLOCKED",
    "PASSED",
    "UNKNOWN",
    "DomainMx",
    "GateCheck",
    "MxError",
    "MxOutcome",
    "MxService",
    "Readiness",
    "SmtpCheck",
    "UsersOfDomain",
    "name_matches",
    "readiness",
]
