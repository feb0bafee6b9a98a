"""Step 5's readiness gate: every condition, hard and soft blocks, the typed domain name."""

from __future__ import annotations

from datetime import UTC, datetime

from onboard_tui.dns import Mx, MxRecord, MxReport, SmtpProbe
from onboard_tui.mx import (
    BLOCKED,
    PASSED,
    UNKNOWN,
    SmtpCheck,
    UsersOfDomain,
    name_matches,
    readiness,
)
from onboard_tui.mx.gate import who
from onboard_tui.session.model import DomainRecord

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
HOST = "smtp.notes.na.collabserv.com."
OLD = (MxRecord(10, "mail.renovations.com."),)


def report(current: tuple[MxRecord, ...] | None = OLD) -> MxReport:
    return MxReport(
        domain="renovations.com",
        status=Mx.NOT_SWITCHED if current is not None else Mx.DISAGREE,
        message="The name servers list different MX sets.",
        servers=(),
        total=2,
        current=current,
    )


def probe(*, connected: bool = True, starttls: bool = True, error: str = "") -> SmtpCheck:
    result = SmtpProbe(
        "192.0.2.30", 25, connected=connected, ehlo=connected, starttls=starttls, error=error
    )
    return SmtpCheck(HOST.rstrip("."), 25, ("192.0.2.30",), result, AT)


def verified() -> DomainRecord:
    return DomainRecord("renovations.com", verified_at=AT)


def test_unverified_domain_is_a_hard_block() -> None:
    gate = readiness(DomainRecord("renovations.com"), report(), probe(), HOST)
    check = gate.check("verified")
    assert check.state == BLOCKED and check.hard and check.stops
    assert "users cannot receive mail" in check.reason
    assert not gate.can_continue and not gate.ready
    assert gate.stopping == (check,)


def test_user_conditions_are_unknown_when_not_readable() -> None:
    gate = readiness(verified(), report(), probe(), HOST)
    for key in ("migrated", "activated", "final_delta"):
        check = gate.check(key)
        assert check.state == UNKNOWN and not check.hard
        assert "not known" in check.reason
    assert not gate.ready  # unknown is not passed
    assert gate.can_continue  # ... but typing the domain name goes past it
    assert {c.key for c in gate.open_items} == {"migrated", "activated", "final_delta"}


def test_a_domain_without_users_is_not_ready() -> None:
    gate = readiness(verified(), report(), probe(), HOST, UsersOfDomain(0))
    check = gate.check("migrated")
    assert check.state == UNKNOWN
    assert "No user with an address at renovations.com is imported yet" in check.reason
    assert not gate.ready


def test_each_user_blocker_names_the_users() -> None:
    users = UsersOfDomain(
        10,
        not_migrated=("a@renovations.com",),
        no_final_delta=(
            "a@renovations.com",
            "b@renovations.com",
            "c@renovations.com",
            "d@renovations.com",
            "e@renovations.com",
        ),
        not_activated=("b@renovations.com", "c@renovations.com"),
    )
    gate = readiness(verified(), report(), probe(), HOST, users)
    migrated, delta, active = (gate.check(k) for k in ("migrated", "final_delta", "activated"))
    assert migrated.state == BLOCKED and not migrated.hard
    assert migrated.reason == "1 of 10 user(s) not migrated yet: a@renovations.com."
    assert delta.reason == (
        "5 of 10 user(s) without a delta pass after the first copy: a@renovations.com, "
        "b@renovations.com, c@renovations.com and 2 more."
    )
    assert active.reason.startswith("2 of 10 user(s) not activated: after the switch they get")
    assert active.reason.endswith("b@renovations.com, c@renovations.com.")
    assert gate.can_continue and not gate.ready  # soft: typing the name goes past them
    assert who(()) == ""


def test_the_gate_opens_only_when_every_condition_holds() -> None:
    done = UsersOfDomain(3)
    gate = readiness(verified(), report(), probe(), HOST, done)
    assert gate.ready and gate.open_items == ()
    for key in ("migrated", "activated", "final_delta"):
        assert gate.check(key).reason == "All 3 user(s) of renovations.com."
    assert not readiness(verified(), report(), None, HOST, done).ready  # no SMTP probe
    unverified = readiness(DomainRecord("renovations.com"), report(), probe(), HOST, done)
    assert not unverified.ready and not unverified.can_continue


def test_everything_known_passes_the_rest() -> None:
    gate = readiness(verified(), report(), probe(), HOST)
    for key in ("smtp_host", "verified", "mx_known", "smtp"):
        assert gate.check(key).state == PASSED, key
    assert "2 authoritative name servers agree with it" in gate.check("mx_known").reason
    assert "Verified on 2026-11-25 09:00 UTC" in gate.check("verified").reason


def test_servers_that_disagree_stop_the_switch() -> None:
    gate = readiness(verified(), report(current=None), probe(), HOST)
    assert gate.check("mx_known").stops
    assert "different MX sets" in gate.check("mx_known").reason
    assert gate.check("mx_known").state == BLOCKED
    assert readiness(verified(), None, probe(), HOST).check("mx_known").stops


def test_no_geography_stops_the_switch() -> None:
    gate = readiness(verified(), report(), None, "")
    assert gate.check("smtp_host").stops and "Step 1" in gate.check("smtp_host").reason


def test_smtp_probe_states() -> None:
    assert readiness(verified(), report(), None, HOST).check("smtp").state == UNKNOWN
    plain = readiness(verified(), report(), probe(starttls=False), HOST).check("smtp")
    assert plain.state == UNKNOWN and "does not offer STARTTLS" in plain.reason
    down = readiness(
        verified(), report(), probe(connected=False, error="refused the connection"), HOST
    ).check("smtp")
    assert down.state == BLOCKED and not down.hard  # soft: outbound port 25 is often blocked
    assert "refused the connection" in down.reason and "loses mail" in down.reason
    nothing = SmtpCheck("smtp.x.test", 25, (), None, AT, "address lookup failed: REFUSED")
    assert "nothing to connect to" in nothing.message


def test_typed_domain_name() -> None:
    assert name_matches("renovations.com", "renovations.com")
    assert name_matches(" Renovations.COM. ", "renovations.com")
    assert not name_matches("renovations", "renovations.com")
    assert not name_matches("", "renovations.com")
    assert not name_matches("west.renovations.com", "renovations.com")
