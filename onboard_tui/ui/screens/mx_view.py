"""Step 5's data as Rich text: DNS answers and SMTP banners are untrusted, so every value
goes through `literal()` (control characters made visible) into `Text`, never markup."""

from __future__ import annotations

import re

from rich.text import Text

from onboard_tui.dns import MxRecord, MxReport
from onboard_tui.mx import BLOCKED, PASSED, DomainMx, GateCheck, SmtpCheck

#: The seed's words, shown after the switch.
SWITCHED_WORDS = (
    "Mail for {domain} no longer reaches the old system: after your MX record points to "
    "the new data center, no mail is delivered to the old email addresses. Make sure your "
    "users log in to their mail accounts in the cloud to activate their accounts."
)
APPLY_WARNING = "After this, no mail is delivered to the old system."

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

STATUS_STYLE = {
    "as_expected": "bold green",
    "ok": "green",
    "propagating": "bold yellow",
    "not_switched": "yellow",
    "no_mx": "yellow",
    "disagree": "bold red",
    "problems": "bold red",
    "unreachable": "bold red",
}
GATE_ICON = {PASSED: ("✔", "green"), BLOCKED: ("✖", "bold red")}


def literal(value: str) -> str:
    """Untrusted text with control characters shown as \\xNN (no escape sequences)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def host(name: str) -> str:
    return literal(name.rstrip(".") or ".")


def mx_set(records: tuple[MxRecord, ...] | None) -> str:
    if records is None:
        return "(no answer)"
    if not records:
        return "(none)"
    return ", ".join(f"{r.preference} {host(r.exchange)}" for r in records)


def status_text(report: MxReport) -> Text:
    text = Text()
    text.append(report.status.replace("_", " "), style=STATUS_STYLE.get(report.status, ""))
    text.append(f"  {literal(report.message)}")
    return text


def server_label(report: MxReport, index: int) -> str:
    server = report.servers[index]
    port = f":{server.port}" if server.port != 53 else ""
    return literal(server.server) + ("" if server.counted else " (not counted)") + port


def server_row(report: MxReport, index: int) -> tuple[Text, Text, Text, Text]:
    """Server, its status, its MX set, its address: one DataTable row."""
    server = report.servers[index]
    records = report.sets[index] if index < len(report.sets) else None
    shown = mx_set(records) if records is not None else literal(server.error or "no answer")
    differs = (
        records is not None and report.current is None and any(s is not None for s in report.sets)
    )
    style = "bold red" if differs else ""
    return (
        Text(server_label(report, index)),
        Text(server.status.replace("_", " "), style=STATUS_STYLE.get(server.status, "")),
        Text(shown, style=style),
        Text(literal(server.address) or "—"),
    )


def row_key(report: MxReport, index: int) -> str:
    server = report.servers[index]
    return f"{server.server}|{server.address}|{server.port}"


def targets_text(report: MxReport) -> Text:
    text = Text()
    if not report.targets:
        text.append("MX hosts: none listed.", style="dim")
        return text
    text.append("MX hosts and their addresses:", style="bold")
    for target in report.targets:
        text.append(f"\n  {host(target.name)} → ")
        if target.addresses:
            text.append(", ".join(literal(a) for a in target.addresses))
        else:
            text.append(literal(target.error) or "no address", style="red")
        if target.alias_of:
            text.append(f" (alias of {host(target.alias_of)})", style="red")
    return text


def problems_text(view: DomainMx) -> Text:
    report = view.report
    text = Text()
    if not report.problems and not view.warnings:
        text.append("Problems: none found.", style="green")
        return text
    text.append("Problems:", style="bold red" if report.problems else "bold")
    for problem in report.problems:
        text.append(f"\n  ✖ {literal(problem.message)}", style="red")
    for warning in view.warnings:
        text.append(f"\n  ! {literal(warning)}", style="yellow")
    return text


def plan_text(view: DomainMx) -> Text:
    text = Text()
    text.append("Plan", style="bold")
    text.append(" (one update, applied only if the MX set is still the one shown):\n")
    plan = view.plan
    if plan is None:
        text.append(f"  {literal(view.plan_error)}", style="yellow")
        return text
    if plan.is_noop:
        text.append("  Nothing to change: the MX set is already the new one.", style="green")
        return text
    for record in plan.delete:
        text.append(f"  delete  {record.preference} {host(record.exchange)}\n", style="red")
    for record in plan.add:
        text.append(f"  add     {record.preference} {host(record.exchange)}", style="green")
    return text


def gate_line(check: GateCheck) -> Text:
    icon, style = GATE_ICON.get(check.state, ("?", "bold yellow"))
    text = Text()
    text.append(f"{icon} ", style=style)
    text.append(check.title, style="bold" if not check.passed else "")
    word = check.state + (", stops the switch" if check.stops else "")
    text.append(f" [{word}]", style=style)
    text.append(f"\n    {literal(check.reason)}", style="dim" if check.passed else "")
    return text


def gate_text(view: DomainMx) -> Text:
    gate = view.gate
    head = Text()
    if gate.ready:
        head.append("Readiness: every condition is met.", style="bold green")
    elif gate.can_continue:
        head.append(
            f"Readiness: {len(gate.open_items)} condition(s) not known to be met; "
            "Apply asks you to type the domain name to continue past them.",
            style="bold yellow",
        )
    else:
        head.append("Readiness: the switch is blocked.", style="bold red")
    for check in gate.checks:
        head.append("\n")
        head.append_text(gate_line(check))
    return head


def probe_text(check: SmtpCheck | None, demo_note: str = "") -> Text:
    text = Text()
    text.append("SMTP probe: ", style="bold")
    if check is None:
        text.append("not run yet (p).", style="yellow")
    else:
        style = "green" if check.ok else ("yellow" if check.answered else "red")
        text.append(literal(check.message), style=style)
        if check.probe is not None and check.probe.banner:
            text.append(f"\n  banner: {literal(check.probe.banner)}", style="dim")
        text.append(f"\n  at {check.checked_at:%Y-%m-%d %H:%M:%S} UTC", style="dim")
    if demo_note:
        text.append(f"\n  {demo_note}", style="italic")
    return text
