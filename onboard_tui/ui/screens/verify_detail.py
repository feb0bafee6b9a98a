"""The text of Step 2's detail pane for one domain, built from plain data (no widgets).

Most urgent first, for 24-line terminals: where verification stands and what to do, the
48-hour clock, the record to create, then what each authoritative server answered.
"""

from __future__ import annotations

import re

from rich.text import Text

from onboard_tui.dns import ADVICE, RecordInstructions, VerificationReport
from onboard_tui.domains.service import DomainView

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """Untrusted text (server answers, hand-edited names) with control characters escaped."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def detail_text(
    view: DomainView,
    instructions: RecordInstructions | None,
    report: VerificationReport | None,
    note: str = "",
) -> Text:
    """What to create, where verification stands, the 48-hour clock and each server's answer."""
    text = Text()

    def line(value: str = "", style: str = "") -> None:
        text.append(clean(value) + "\n", style=style)

    subs = f" (with {', '.join(view.subdomains)})" if view.subdomains else ""
    line(view.name + subs, "bold")
    if view.verified:
        line("Verified. You may now remove the CNAME record.", "bold green")
        if view.has_update:
            line("Press x to remove it with a DNS update.")
    elif not view.key:
        line(
            "Users cannot receive mail on this domain until it is verified. Press o (Verify "
            "Ownership) to get its unique key from the cloud."
        )
    if report is not None and not view.verified:
        line(f"Status: {report.status}, {report.agreeing} of {report.total} servers agree.", "bold")
        line(report.message)
        advice = ADVICE.get(report.status, "")
        if advice:
            line(f"What to do: {advice}")
    elif view.message and not view.verified:
        line(view.message)
    if note:
        line(note, "italic")
    if view.key and not view.verified:
        if view.begun_at is None:
            line("After you create the record, press b to Begin Verification.")
        else:
            line(
                f"48-hour clock: {view.since_begin} since Begin Verification "
                f"({view.begun_at:%Y-%m-%d %H:%M} UTC); next check {view.next_check}.",
                "bold",
            )
            line(view.restart.reason, "" if view.restart.allowed else "yellow")
    if instructions is not None:
        line()
        line("The CNAME record (y copies it, w saves it, c creates it by DNS update):", "bold")
        for label, value in instructions.fields():
            line(f"  {label}: {value}")
        line("  zone-file line:")
        line(f"    {instructions.zone_line}")
        line("  nsupdate script:")
        for script_line in instructions.nsupdate.splitlines():
            line(f"    {script_line}")
    if report is not None:
        line()
        line("What each authoritative server answers:", "bold")
        for server in report.servers:
            where = f"{server.server} ({server.address}:{server.port})"
            said = server.answer or server.error or "-"
            line(f"  {server.status:<14} {where}: {said}")
        if report.resolver is not None:
            said = report.resolver.answer or report.resolver.error or "-"
            line(f"  {report.resolver.status:<14} system resolver: {said}")
        for warning in report.warnings:
            line(f"  warning: {warning}", "yellow")
    return text
