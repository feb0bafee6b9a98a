"""What Step 5 shows and does, as plain frozen data the screen renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from onboard_tui.dns import MxInstructions, MxPlan, MxRecord, MxReport, SmtpProbe, UpdateResult
from onboard_tui.errors import OnboardError

from .gate import Readiness


class MxError(OnboardError):
    """A Step 5 action that cannot go ahead (gate not passed, name typed wrong, no plan)."""


@dataclass(frozen=True)
class SmtpCheck:
    """The SMTP probe of the geography's host: its addresses (from DNS) and what it said.

    `probe` is None when the host has no address, so nothing could be connected to.
    """

    host: str
    port: int
    addresses: tuple[str, ...]
    probe: SmtpProbe | None
    checked_at: datetime
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.probe is not None and self.probe.ok

    @property
    def answered(self) -> bool:
        return self.probe is not None and self.probe.connected and self.probe.ehlo

    @property
    def message(self) -> str:
        if self.probe is None:
            return f"{self.host} {self.error or 'has no address'}: nothing to connect to."
        where = f"{self.host}:{self.port}"
        if self.probe.host != self.host:
            where += f" ({self.probe.host})"
        if self.probe.error:
            return f"{where} {self.probe.error}."
        if not self.probe.starttls:
            return (
                f"{where} answers SMTP but does not offer STARTTLS: mail to it would "
                "travel unencrypted."
            )
        return f"{where} answers SMTP (EHLO) and offers STARTTLS."


@dataclass(frozen=True)
class DomainMx:
    """One domain as Step 5 sees it: every server's MX set, the plan, the gate."""

    domain: str
    smtp_host: str  # absolute, with the final dot ("" when no geography is chosen)
    report: MxReport
    plan: MxPlan | None
    plan_error: str
    instructions: MxInstructions | None
    gate: Readiness
    can_update: bool  # RFC 2136 settings exist for the domain
    previous: tuple[str, ...] = ()  # the set saved before the switch ("10 host.")
    applied: tuple[str, ...] = ()
    switched_at: datetime | None = None
    checked_at: datetime | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def switched(self) -> bool:
        """The switch is recorded in the session (applied, or seen done by the watch)."""
        return self.switched_at is not None

    @property
    def complete(self) -> bool:
        """Every authoritative server lists only the new SMTP host."""
        return self.report.status == "as_expected"

    @property
    def can_undo(self) -> bool:
        return self.switched and bool(self.applied) and self.can_update

    def undo_plan(self) -> MxPlan | None:
        """What Undo sends: the applied set replaced by the saved previous one."""
        if not self.applied:
            return None
        return MxPlan(
            absolute(self.domain),
            absolute(self.report.zone or self.domain),
            records(self.applied),
            records(self.previous),
        )


@dataclass(frozen=True)
class MxOutcome:
    """An applied switch or Undo: what the server said and what every server shows now."""

    domain: str
    undo: bool
    plan: MxPlan
    result: UpdateResult
    read_back: MxReport
    at: datetime

    @property
    def confirmed(self) -> bool:
        """Every counted server lists exactly the plan's new set."""
        counted = [
            s for r, s in zip(self.read_back.servers, self.read_back.sets, strict=True) if r.counted
        ]
        return bool(counted) and all(s == self.plan.add for s in counted)


def absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def records(texts: tuple[str, ...] | list[str]) -> tuple[MxRecord, ...]:
    """MX records from the session's "PREFERENCE HOST" strings."""
    found = []
    for text in texts:
        preference, _, name = text.strip().partition(" ")
        found.append(MxRecord(int(preference), absolute(name.strip())))
    return tuple(found)
