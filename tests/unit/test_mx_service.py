"""MxService bookkeeping with a frozen clock and an in-memory name server: the previous set
saved before the update, Undo from it, a refused update leaving the session as it was,
events, Step 5's state, the manual watch, the saved records file."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import dns.name
import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.dns import (
    DnsChecker,
    DnsUpdater,
    MxPlan,
    MxRecord,
    MxReport,
    MxTarget,
    NameserverSpec,
    ServerResult,
    UpdateError,
    UpdateResult,
)
from onboard_tui.dns.mx import mx_overall, server_status
from onboard_tui.mx import MxError, MxService
from onboard_tui.providers import load_profile
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import DnsUpdateConfig, DomainRecord, SessionData
from onboard_tui.session.store import SessionStore

OLD = (MxRecord(10, "mail.renovations.com."), MxRecord(20, "backup.renovations.com."))
HOST = "smtp.na.sandbox.onboard.test."


class FakeChecker(DnsChecker):
    """One server whose MX sets live in a dict; updates are applied to it."""

    def __init__(self) -> None:
        super().__init__()
        self.sets: dict[str, tuple[MxRecord, ...]] = {"renovations.com.": OLD}
        self.sent: list[MxPlan] = []

    def check_mx(
        self,
        domain: str,
        *,
        expect: str | None = None,
        nameservers: Sequence[str | NameserverSpec] = (),
    ) -> MxReport:
        name = domain.rstrip(".") + "."
        records = self.sets.get(name, ())
        wanted = expect or ""
        result = ServerResult("ns1", "127.0.0.1", server_status(records, wanted))
        overall = mx_overall([result], [records], [], dns.name.from_text(name), wanted)
        return MxReport(
            domain=name.rstrip("."),
            status=overall.status,
            message=overall.message,
            servers=(result,),
            zone="renovations.com",
            total=1,
            expect=wanted,
            sets=(records,),
            current=records,
            current_ttl=300,
        )

    def lookup_targets(self, hosts: Sequence[str]) -> list[MxTarget]:
        return [MxTarget(h, ()) for h in hosts]

    def find_zone(self, domain: str | dns.name.Name) -> dns.name.Name:
        return dns.name.from_text("renovations.com")

    def apply(self, plan: MxPlan) -> UpdateResult:
        if self.sets.get(plan.domain, ()) != plan.current:
            raise UpdateError("changed since they were shown", code="NXRRSET")
        self.sets[plan.domain] = plan.add
        self.sent.append(plan)
        return UpdateResult("renovations.com", "127.0.0.1", "127.0.0.1", 53, True, 0.01, "ok")


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> FakeChecker:
    fake = FakeChecker()
    monkeypatch.setattr(DnsUpdater, "apply_mx_plan", lambda self, plan: fake.apply(plan))
    return fake


def add_domain(store: SessionStore, *, verified: bool = True, update: bool = True) -> None:
    def change(data: SessionData) -> None:
        data.geography = "na"
        data.domains = [
            DomainRecord(
                "renovations.com",
                verified_at=data.created if verified else None,
                update=DnsUpdateConfig("127.0.0.1", 53, "", "k.", secret="env:TSIG")
                if update
                else None,
            )
        ]

    store.update(change)


def service(store: SessionStore, clock: FrozenClock, checker: FakeChecker) -> MxService:
    return MxService(
        store,
        load_profile("sandbox"),
        clock,
        checker=checker,
        settle=0,
        environ={"TSIG": "c2VjcmV0c2VjcmV0c2VjcmV0"},
    )


def kinds(store: SessionStore) -> list[str]:
    return [e.kind for e in reversed(store.db.recent_events(50)) if e.step == StepId.MX]


def test_inspect_plans_every_old_mx_away(
    store: SessionStore, clock: FrozenClock, checker: FakeChecker
) -> None:
    add_domain(store)
    mx = service(store, clock, checker)
    assert mx.smtp_host == HOST
    view = mx.inspect("renovations.com")
    assert view.plan is not None and view.plan.delete == OLD
    assert view.plan.add == (MxRecord(10, HOST),)
    assert view.instructions is not None and len(view.instructions.delete) == 2
    assert view.gate.can_continue and not view.gate.ready
    assert view.can_update and not view.switched and not view.complete


def test_apply_saves_previous_first_then_records_the_switch(
    store: SessionStore, clock: FrozenClock, checker: FakeChecker
) -> None:
    add_domain(store)
    mx = service(store, clock, checker)
    plan = mx.inspect("renovations.com").plan
    assert plan is not None
    with pytest.raises(MxError, match="Type the domain name"):
        mx.apply("renovations.com", plan, "renovations")
    assert checker.sent == [] and store.data.domains[0].mx_previous == []

    clock.advance(timedelta(minutes=5))
    outcome = mx.apply("renovations.com", plan, "Renovations.com")
    assert outcome.confirmed and not outcome.undo
    record = store.data.domains[0]
    assert record.mx_previous == ["10 mail.renovations.com.", "20 backup.renovations.com."]
    assert record.mx_applied == [f"10 {HOST}"]
    assert record.mx_switched_at == clock.now()
    assert store.data.steps[StepId.MX].state is StepState.DONE
    assert kinds(store) == ["mx_apply", "mx_switched"]
    assert "mx_previous" in store.path.read_text()
    view = mx.inspect("renovations.com")
    assert view.switched and view.complete and view.can_undo

    undone = mx.undo("renovations.com")
    assert undone.undo and undone.confirmed
    assert checker.sets["renovations.com."] == OLD
    record = store.data.domains[0]
    assert (record.mx_previous, record.mx_applied, record.mx_switched_at) == ([], [], None)
    assert store.data.steps[StepId.MX].state is StepState.IN_PROGRESS
    assert kinds(store)[-2:] == ["mx_undo", "mx_undone"]
    with pytest.raises(MxError, match="nothing to undo"):
        mx.undo("renovations.com")


def test_refused_update_leaves_the_session_as_it_was(
    store: SessionStore, clock: FrozenClock, checker: FakeChecker
) -> None:
    add_domain(store)
    mx = service(store, clock, checker)
    plan = mx.inspect("renovations.com").plan
    assert plan is not None
    checker.sets["renovations.com."] = (MxRecord(5, "other.example."),)  # changed meanwhile
    with pytest.raises(UpdateError) as caught:
        mx.apply("renovations.com", plan, "renovations.com")
    assert caught.value.prerequisite_failed
    record = store.data.domains[0]
    assert record.mx_previous == [] and record.mx_switched_at is None
    assert store.data.steps[StepId.MX].state is StepState.ATTENTION
    assert kinds(store) == ["mx_apply", "mx_failed"]


def test_unverified_domain_cannot_be_switched(
    store: SessionStore, clock: FrozenClock, checker: FakeChecker
) -> None:
    add_domain(store, verified=False)
    mx = service(store, clock, checker)
    view = mx.inspect("renovations.com")
    assert not view.gate.can_continue
    assert view.plan is not None
    with pytest.raises(MxError, match="not verified"):
        mx.apply("renovations.com", view.plan, "renovations.com")
    assert checker.sent == []


def test_no_update_settings_means_manual_mode(
    store: SessionStore, clock: FrozenClock, checker: FakeChecker, tmp_path: Path
) -> None:
    add_domain(store, update=False)
    mx = service(store, clock, checker)
    view = mx.inspect("renovations.com")
    assert not view.can_update and view.plan is not None
    with pytest.raises(MxError, match="no DNS update settings"):
        mx.apply("renovations.com", view.plan, "renovations.com")

    mx.begin_manual("renovations.com", view.plan)
    assert store.data.domains[0].mx_previous == [
        "10 mail.renovations.com.",
        "20 backup.renovations.com.",
    ]
    assert not mx.watch("renovations.com").switched
    assert store.data.steps[StepId.MX].state is StepState.IN_PROGRESS

    saved = mx.save_records("renovations.com", view.plan, tmp_path / "mx.txt")
    text = saved.read_text()
    assert "no mail is delivered to the old system" in text
    assert "renovations.com. IN MX 20 backup.renovations.com." in text
    assert f"renovations.com. 300 IN MX 10 {HOST}" in text
    assert "prereq yxrrset" in text and "c2VjcmV0" not in text
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    checker.sets["renovations.com."] = (MxRecord(10, HOST),)  # the admin's DNS host did it
    clock.advance(timedelta(hours=1))
    watched = mx.watch("renovations.com")
    assert watched.switched and watched.complete
    assert watched.switched_at == clock.now()
    assert store.data.domains[0].mx_applied == [f"10 {HOST}"]
    assert store.data.steps[StepId.MX].state is StepState.DONE
    assert kinds(store) == ["mx_manual", "mx_saved", "mx_switched"]
    mx.watch("renovations.com")  # recorded once
    assert kinds(store).count("mx_switched") == 1


def test_unknown_domain_and_no_geography(
    store: SessionStore, clock: FrozenClock, checker: FakeChecker
) -> None:
    mx = service(store, clock, checker)
    assert mx.smtp_host == ""
    with pytest.raises(MxError, match="not a domain of this session"):
        mx.inspect("renovations.com")
