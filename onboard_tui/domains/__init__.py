"""Step 2 Verify domain: domains, keys, Begin/Restart Verification, checks and polling.

Plain Python (no Textual): `DomainService` is what the Step 2 screen and the CLI call;
`schedule` holds the pure time rules (polling, the 48-hour rule) driven by the injected
`Clock`; `demo` starts the demo's own DNS server and lists the demo's domains.
"""

from onboard_tui.domains.schedule import (
    RESTART_AFTER,
    RestartRule,
    next_check_at,
    poll_interval,
    restart_rule,
)

__all__ = ["RESTART_AFTER", "RestartRule", "next_check_at", "poll_interval", "restart_rule"]
