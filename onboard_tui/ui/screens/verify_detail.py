"""The text of Step 2's detail pane for one domain, built from plain data (no widgets)."""

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

    line(view.name, "bold")
    if view.subdomains:
        line(f"Subdomains verified with it: {', '.join(view.subdomains)}")
    if view.verified:
        line("Verified. You may now remove the CNAME record.", "bold green")
        if view.has_update:
            line("Press x to remove it with a DNS update.")
    elif not view.key:
        line("No key yet: press o (Verify Ownership) to get the unique key from the cloud.")
    if instructions is not None:
        line()
        line("Create this CNAME record at your DNS host:", "bold")
        for label, value in instructions.fields():
            line(f"  {label:<26} {value}")
        line(f"  zone-file line: {instructions.zone_line}")
        line("  nsupdate script (y copies, w saves to a file):")
        for script_line in instructions.nsupdate.splitlines():
            line(f"    {script_line}")
    if view.key and not view.verified:
        line()
        if view.begun_at is None:
            line("After you create the record, press b to Begin Verification.")
        else:
            line(
                f"48-hour clock: {view.since_begin} since Begin Verification "
                f"(begun {view.begun_at:%Y-%m-%d %H:%M} UTC); next check {view.next_check}.",
                "bold",
            )
            line(view.restart.reason, "" if view.restart.allowed else "yellow")
    if note:
        line()
        line(note, "italic")
    if report is not None:
        line()
        line(f"Status: {report.status} ({report.agreeing} of {report.total} servers agree)", "bold")
        line(report.message)
        advice = ADVICE.get(report.status, "")
        if advice:
            line(f"What to do: {advice}")
        for server in report.servers:
            where = f"{server.server} ({server.address}:{server.port})"
            said = server.answer or server.error or "-"
            line(f"  {server.status:<14} {where}: {said}")
        for warning in report.warnings:
            line(f"  warning: {warning}", "yellow")
    elif view.message:
        line()
        line(view.message)
    return text
