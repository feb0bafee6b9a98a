"""The MX switch plan: one update guarded by the shown set, its inverse, and what to copy."""

from __future__ import annotations

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest

from onboard_tui.dns.errors import DnsError
from onboard_tui.dns.instructions import mx_instructions
from onboard_tui.dns.mx_plan import MxPlan, build_mx_update, plan_mx_switch
from onboard_tui.dns.report import MxRecord, MxReport
from onboard_tui.dns.statuses import Mx

OLD = (MxRecord(10, "mail.renovations.com."), MxRecord(20, "backup.renovations.com."))
NEW_HOST = "smtp.notes.na.collabserv.com"


def report(current: tuple[MxRecord, ...] | None = OLD, ttl: int = 600) -> MxReport:
    return MxReport(
        domain="renovations.com",
        status=Mx.OK if current is not None else Mx.DISAGREE,
        message="The authoritative name servers list different MX sets.",
        servers=(),
        zone="renovations.com",
        current=current,
        current_ttl=ttl,
    )


def test_plan_deletes_every_old_mx_and_adds_the_new_one() -> None:
    plan = plan_mx_switch(report(), "SMTP.notes.NA.collabserv.com.")
    assert plan.delete == OLD
    assert plan.add == (MxRecord(10, "smtp.notes.na.collabserv.com."),)
    assert (plan.domain, plan.zone, plan.ttl, plan.current_ttl) == (
        "renovations.com.",
        "renovations.com.",
        600,
        600,
    )
    assert plan.describe() == [
        "delete renovations.com. MX 10 mail.renovations.com.",
        "delete renovations.com. MX 20 backup.renovations.com.",
        "add renovations.com. 600 MX 10 smtp.notes.na.collabserv.com.",
    ]
    assert not plan.is_noop


def test_plan_refuses_when_servers_disagree() -> None:
    with pytest.raises(DnsError, match="not known for certain"):
        plan_mx_switch(report(None), NEW_HOST)


def test_plan_checks_preference() -> None:
    with pytest.raises(DnsError, match="preference"):
        plan_mx_switch(report(), NEW_HOST, preference=70000)


def test_update_is_one_message_with_a_value_dependent_prerequisite() -> None:
    plan = plan_mx_switch(report(), NEW_HOST, ttl=300)
    update = build_mx_update(plan)
    # dnspython writes one RR per prerequisite rrset; on the wire the server groups them
    # into the one set that must match exactly (RFC 2136 3.2.3).
    for prereq in update.prerequisite:
        assert prereq.name == dns.name.from_text("renovations.com")
        assert (prereq.rdtype, prereq.rdclass, prereq.ttl) == (
            dns.rdatatype.MX,
            dns.rdataclass.IN,
            0,
        )
    assert sorted(r.to_text() for rrset in update.prerequisite for r in rrset) == [
        "10 mail.renovations.com.",
        "20 backup.renovations.com.",
    ]
    deletes = [rrset for rrset in update.update if rrset.deleting == dns.rdataclass.NONE]
    adds = [rrset for rrset in update.update if rrset.deleting is None]
    assert sorted(r.to_text() for rrset in deletes for r in rrset) == sorted(
        r.to_text() for r in OLD
    )
    assert [(a.ttl, [r.to_text() for r in a]) for a in adds] == [
        (300, ["10 smtp.notes.na.collabserv.com."])
    ]
    assert update.zone[0].name == dns.name.from_text("renovations.com")


def test_update_for_an_empty_set_requires_it_to_stay_empty() -> None:
    plan = plan_mx_switch(report(()), NEW_HOST)
    update = build_mx_update(plan)
    (prereq,) = update.prerequisite
    assert (prereq.rdclass, prereq.rdtype, len(prereq)) == (
        dns.rdataclass.NONE,
        dns.rdatatype.MX,
        0,
    )
    assert plan.ttl == 600


def test_update_is_signed_with_the_key_given() -> None:
    key = dns.tsig.Key("onboard-update.", "c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")
    update = build_mx_update(plan_mx_switch(report(), NEW_HOST), key)
    assert update.keyname == dns.name.from_text("onboard-update.")
    assert update.keyalgorithm == dns.tsig.HMAC_SHA256


def test_inverse_restores_the_previous_set() -> None:
    plan = plan_mx_switch(report(), NEW_HOST, ttl=300)
    undo = plan.inverse()
    assert undo.current == plan.add and undo.add == OLD
    assert (undo.ttl, undo.current_ttl) == (600, 300)
    assert undo.inverse() == plan


def test_plan_survives_the_session_file() -> None:
    plan = plan_mx_switch(report(), NEW_HOST)
    assert MxPlan.from_dict(plan.to_dict()) == plan
    assert plan.to_dict()["current"] == ["10 mail.renovations.com.", "20 backup.renovations.com."]


def test_noop_plan() -> None:
    plan = plan_mx_switch(report((MxRecord(10, "smtp.notes.na.collabserv.com."),)), NEW_HOST)
    assert plan.is_noop


def test_mx_instructions_mirror_the_update() -> None:
    plan = plan_mx_switch(report(), NEW_HOST, ttl=300)
    copy = mx_instructions(plan, server="ns1.renovations.com")
    assert copy.delete == (
        "renovations.com. IN MX 10 mail.renovations.com.",
        "renovations.com. IN MX 20 backup.renovations.com.",
    )
    assert copy.zone_lines == ("renovations.com. 300 IN MX 10 smtp.notes.na.collabserv.com.",)
    lines = copy.nsupdate.splitlines()
    assert "server ns1.renovations.com 53" in lines
    assert "prereq yxrrset renovations.com. IN MX 20 backup.renovations.com." in lines
    assert lines.index(
        "update delete renovations.com. IN MX 10 mail.renovations.com."
    ) < lines.index("update add renovations.com. 300 IN MX 10 smtp.notes.na.collabserv.com.")
    assert lines[-1] == "send"
    empty = mx_instructions(plan_mx_switch(report(()), NEW_HOST))
    assert "prereq nxrrset renovations.com. IN MX" in empty.nsupdate
