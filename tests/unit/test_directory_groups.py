"""Transfer Groups, filters with join/leave previews, settings and the quota check."""

from __future__ import annotations

from datetime import date

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.directory.errors import DirectoryError
from onboard_tui.directory.filters import Condition, Rule, UserFilter
from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

GIB = 1024**3
SALES = "cn=Sales,ou=Groups,dc=example,dc=test"


@pytest.fixture
def service(store: SessionStore, clock: FrozenClock) -> DirectoryService:
    store.db.upsert_users(
        [
            UserRow(
                "ann@renovations.com",
                "Ann",
                department="Sales",
                source_size=60 * GIB,
                dn="cn=Ann,ou=East,dc=example,dc=test",
                attributes={"memberOf": SALES},
            ),
            UserRow(
                "ben@renovations.com",
                "Ben",
                department="sales",
                source_size=GIB,
                dn="cn=Ben,ou=West,dc=example,dc=test",
                attributes={"Office": "Boston"},
            ),
            UserRow(
                "cat@west.renovations.com",
                "Cat",
                department="Build",
                dn="cn=Cat, ou=East, dc=example, dc=test",
            ),
        ],
        clock.now(),
    )
    return DirectoryService(store, clock, quota_bytes=50 * GIB)


def emails(preview: object) -> list[str]:
    return [m.email for m in preview.joining]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition(Rule.DEPARTMENT, "SALES"), ["ann@renovations.com", "ben@renovations.com"]),
        (
            Condition(Rule.DN_SUFFIX, "ou=East,dc=example,dc=test"),
            ["ann@renovations.com", "cat@west.renovations.com"],
        ),
        (Condition(Rule.MEMBER_OF, "Sales"), ["ann@renovations.com"]),
        (Condition(Rule.MEMBER_OF, SALES.upper()), ["ann@renovations.com"]),
        (Condition(Rule.EMAIL_DOMAIN, "west.renovations.com"), ["cat@west.renovations.com"]),
        (Condition(Rule.EQUALS, "boston", "Office"), ["ben@renovations.com"]),
        (
            Condition(Rule.CONTAINS, "a", "display_name"),
            ["ann@renovations.com", "cat@west.renovations.com"],
        ),
    ],
)
def test_filters(service: DirectoryService, condition: Condition, expected: list[str]) -> None:
    service.create_group("Wave 1")
    assert emails(service.preview_filter("Wave 1", UserFilter((condition,)))) == expected


def test_preview_shows_joiners_movers_and_leavers(service: DirectoryService) -> None:
    service.create_group("Wave 1")
    service.create_group("Wave 2")
    service.apply_membership(service.preview_add("Wave 1", ["cat@west.renovations.com"]))
    service.apply_membership(service.preview_add("Wave 2", ["ben@renovations.com"]))
    preview = service.preview_filter("Wave 1", UserFilter((Condition(Rule.DEPARTMENT, "sales"),)))
    assert emails(preview) == ["ann@renovations.com", "ben@renovations.com"]
    assert preview.moved_from == {"Wave 2": 1}
    assert preview.leaving == ["cat@west.renovations.com"]
    assert service.groups()[0].members == 1  # nothing saved before apply
    service.apply_membership(preview)
    counts = {g.name: g.members for g in service.groups()}
    assert counts == {"Wave 1": 2, "Wave 2": 0}  # a user is in at most one group
    assert service.groups()[0].total_size == 61 * GIB


def test_rename_and_delete_keep_users(service: DirectoryService) -> None:
    service.create_group("Pilot")
    service.apply_membership(service.preview_add("Pilot", ["ann@renovations.com", "nobody@x.y"]))
    service.rename_group("pilot", "First wave")
    assert [(g.name, g.members) for g in service.groups()] == [("First wave", 1)]
    with pytest.raises(DirectoryError, match="already exists"):
        service.create_group("FIRST WAVE")
    assert service.delete_group("First wave") == 1
    assert service.groups() == []
    assert service.store.db.count_users() == 3


def test_settings_validation_and_quota(service: DirectoryService) -> None:
    with pytest.raises(DirectoryError, match="full transfer takes every date"):
        service.save_settings(TransferSettings("Bad", mode="full", last_months=3))
    service.save_settings(TransferSettings("Everything"))
    service.create_group("Wave 1", setting="Everything")
    service.apply_membership(service.preview_add("Wave 1", ["ann@renovations.com"]))
    report = service.check_quota()
    assert (report.checked, report.unknown, len(report.over)) == (3, 1, 1)
    over = report.over[0]
    assert (over.email, over.setting, over.exact) == ("ann@renovations.com", "Everything", True)
    assert "create a selective setting" in over.suggestion
    recent = TransferSettings("Last year", mode="selective", last_months=12)
    service.save_settings(recent)
    assert "'Last year'" in service.check_quota().over[0].suggestion
    service.set_group_setting("Wave 1", "Last year")
    assert service.check_quota("Wave 1").over[0].exact is False  # "may exceed"
    service.save_settings(TransferSettings("Recent", mode="selective", since=date(2026, 1, 1)),
                          old_name="Last year")  # fmt: skip
    assert service.store.data.transfer_groups[0].setting == "Recent"
    assert recent.exclude_folders == ["Deleted Items", "Junk"]
