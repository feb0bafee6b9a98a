"""`DomainService` without the network: the list of domains, settings, roadmap, users."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.dns import ADVICE, Verification
from onboard_tui.domains.service import DomainError, DomainService, instructions_text
from onboard_tui.errors import OnboardError
from onboard_tui.providers import load_profile
from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.model import DnsUpdateConfig, SessionData
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

KEY = "domino-1jkkiaojd-rules"


@pytest.fixture
def service(store: SessionStore, clock: FrozenClock) -> DomainService:
    access = CloudAccess(load_profile("sandbox"), store.data.cloud, clock)
    return DomainService(store, access, clock, environ={})


def events(store: SessionStore) -> list[tuple[str, str]]:
    return [(e.kind, e.message) for e in reversed(store.db.recent_events(100))]


def step(store: SessionStore) -> tuple[StepState, str]:
    record = store.data.step_record(StepId.VERIFY)
    return record.state, record.reason


def config(**changes: object) -> DnsUpdateConfig:
    values: dict[str, object] = {
        "server": "127.0.0.1",
        "port": 5353,
        "zone": "renovations.com",
        "key_name": "onboard-update",
        "algorithm": "hmac-sha256",
        "secret": "env:ONBOARD_TSIG",
    }
    values.update(changes)
    return DnsUpdateConfig(**values)  # type: ignore[arg-type]


def reopened(store: SessionStore) -> SessionData:
    again = SessionStore.open(store.folder)
    try:
        return again.data
    finally:
        again.close()


# --- adding and removing ------------------------------------------------------------------


def test_add_domain_normalises_and_persists(service: DomainService, store: SessionStore) -> None:
    record = service.add_domain("  Renovations.COM. ")
    assert record.name == "renovations.com"
    assert record.key == "" and record.subdomains == []
    assert [d.name for d in reopened(store).domains] == ["renovations.com"]
    assert events(store) == [("domain_added", "Listed renovations.com.")]
    assert store.data.last_activity == "Listed the domain renovations.com."


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "is empty"),
        ("https://renovations.com", "web address"),
        ("admin@renovations.com", "email address"),
        ("renovations", "not a full domain"),
        ("reno vations.com", "contains a space"),
        ("-renovations.com", "characters a domain cannot contain"),
        ("reno_vations.com", "underscore"),
        ("a" * 64 + ".com", "not a valid domain"),
    ],
)
def test_add_domain_refuses_bad_names(
    service: DomainService, store: SessionStore, typed: str, says: str
) -> None:
    with pytest.raises(OnboardError, match=says):
        service.add_domain(typed)
    assert store.data.domains == []
    assert events(store) == []


def test_internationalised_domain_and_its_a_label_are_one(service: DomainService) -> None:
    record = service.add_domain("Bücher.Example")
    assert record.name == "bücher.example"
    with pytest.raises(DomainError, match="already listed"):
        service.add_domain("xn--bcher-kva.example")
    assert [d.name for d in service.domains] == ["bücher.example"]


def test_duplicates_are_refused(service: DomainService) -> None:
    service.add_domain("renovations.com")
    service.add_domain("west.renovations.com")
    for again in ("renovations.com", "RENOVATIONS.com.", "west.renovations.com"):
        with pytest.raises(DomainError, match="already listed"):
            service.add_domain(again)
    with pytest.raises(DomainError, match="already listed"):
        service.add_subdomain("renovations.com", "West.Renovations.com")
    assert [(d.name, d.subdomains) for d in service.domains] == [
        ("renovations.com", ["west.renovations.com"])
    ]


def test_a_name_under_a_listed_root_becomes_its_subdomain(
    service: DomainService, store: SessionStore
) -> None:
    service.add_domain("renovations.com")
    root = service.add_domain("west.renovations.com")
    assert root.name == "renovations.com"
    assert root.subdomains == ["west.renovations.com"]
    service.add_subdomain("renovations.com", "east.renovations.com")
    assert service.get("renovations.com").subdomains == [
        "east.renovations.com",
        "west.renovations.com",
    ]
    assert ("subdomain_added", "Listed west.renovations.com under renovations.com.") in events(
        store
    )


def test_a_subdomain_must_be_under_its_root(service: DomainService) -> None:
    service.add_domain("renovations.com")
    with pytest.raises(DomainError, match=r"west\.example\.org is not under renovations\.com"):
        service.add_subdomain("renovations.com", "west.example.org")
    with pytest.raises(DomainError, match="not under"):
        # A suffix that is not at a label boundary is not a subdomain.
        service.add_subdomain("renovations.com", "oldrenovations.com")
    with pytest.raises(DomainError, match="not in the list"):
        service.add_subdomain("example.org", "west.example.org")
    assert service.get("renovations.com").subdomains == []


def test_a_root_listed_after_its_subdomain_takes_it_in(service: DomainService) -> None:
    service.add_domain("west.renovations.com")
    root = service.add_domain("renovations.com")
    assert [d.name for d in service.domains] == ["renovations.com"]
    assert root.subdomains == ["west.renovations.com"]


def test_remove_domain_and_subdomain(service: DomainService, store: SessionStore) -> None:
    service.add_domain("renovations.com")
    service.add_domain("west.renovations.com")
    service.add_domain("example.org")
    service.remove_domain("WEST.renovations.com.")
    assert service.get("renovations.com").subdomains == []
    service.remove_domain("example.org")
    assert [d.name for d in reopened(store).domains] == ["renovations.com"]
    with pytest.raises(DomainError, match="not in the list"):
        service.remove_domain("example.org")
    kinds = [kind for kind, _ in events(store)]
    assert kinds[-2:] == ["subdomain_removed", "domain_removed"]


# --- views and instructions -----------------------------------------------------------


def test_views_follow_the_record(
    service: DomainService, store: SessionStore, clock: FrozenClock
) -> None:
    service.add_domain("renovations.com")
    assert service.views()[0].state == "no key yet"
    assert service.views()[0].next_check == "after Begin"
    with pytest.raises(DomainError, match="no key yet"):
        service.instructions("renovations.com")

    def keyed(data: SessionData) -> None:
        found = data.domain("renovations.com")
        assert found is not None
        found.key = KEY

    store.update(keyed)
    assert service.views()[0].state == "key issued"
    ins = service.instructions("renovations.com")
    assert ins.zone_line.split() == [
        f"{KEY}.renovations.com.",
        "3600",
        "IN",
        "CNAME",
        "collabserv.com.",
    ]
    text = instructions_text(ins)
    assert f"alias / prefix: {KEY}" in text and "nsupdate script:" in text

    begun = clock.now()

    def begin(data: SessionData) -> None:
        found = data.domain("renovations.com")
        assert found is not None
        found.begun_at, found.status = begun, Verification.MISSING.value

    store.update(begin)
    clock.advance(timedelta(seconds=4))
    view = service.views()[0]
    assert (view.state, view.since_begin, view.next_check) == ("missing", "4 s", "in 6 s")
    assert view.next_check_at == begun + timedelta(seconds=10)
    assert not view.restart.allowed
    assert service.due() == [] and service.next_due() == begun + timedelta(seconds=10)
    clock.advance(timedelta(seconds=6))
    assert service.due() == ["renovations.com"]
    assert service.views()[0].next_check == "now"
    clock.advance(timedelta(hours=48))
    # The check missed while the program was closed is still due; after it, none.
    assert service.due() == ["renovations.com"]
    set_domain(store, "renovations.com", checked_at=clock.now())
    view = service.views()[0]
    assert view.next_check == "stopped (48 h)" and view.restart.allowed


def test_save_instructions_writes_no_secret(
    service: DomainService, store: SessionStore, tmp_path: Path
) -> None:
    service.add_domain("renovations.com")

    def keyed(data: SessionData) -> None:
        found = data.domain("renovations.com")
        assert found is not None
        found.key = KEY

    store.update(keyed)
    service.set_update_settings("renovations.com", config())
    path = service.save_instructions("renovations.com", tmp_path / "record.txt")
    text = path.read_text(encoding="utf-8")
    assert f"{KEY}.renovations.com." in text and "collabserv.com." in text
    assert "ONBOARD_TSIG" not in text
    assert events(store)[-1] == ("saved", f"Saved the record of renovations.com to {path}.")


# --- RFC 2136 settings ----------------------------------------------------------------


def test_update_settings_are_cleaned_and_stored(
    service: DomainService, store: SessionStore
) -> None:
    service.add_domain("renovations.com")
    saved = service.set_update_settings(
        "renovations.com",
        config(
            server=" 127.0.0.1 ",
            zone="Renovations.com.",
            key_name="onboard-update.",
            algorithm="HMAC-SHA256",
            secret=" env:ONBOARD_TSIG ",
        ),
    )
    assert saved.update == config()
    assert reopened(store).domains[0].update == config()
    assert events(store)[-1] == (
        "update_settings",
        "DNS update settings of renovations.com set to 127.0.0.1:5353.",
    )
    assert service.set_update_settings("renovations.com", None).update is None
    assert events(store)[-1][1] == "DNS update settings of renovations.com cleared."


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"server": "  "}, "Give the DNS server"),
        ({"port": 0}, "between 1 and 65535"),
        ({"port": 65536}, "between 1 and 65535"),
        ({"algorithm": "hmac-md6"}, "not a TSIG algorithm"),
        ({"zone": "bad zone"}, "contains a space"),
        ({"secret": ""}, "Give where the TSIG secret is"),
        ({"secret": "prompt"}, "env:VARIABLE or file:/path"),
        ({"secret": "c2VjcmV0LXZhbHVlLWJhc2U2NA=="}, "is not a secret reference"),
    ],
)
def test_update_settings_refused(
    service: DomainService, store: SessionStore, changes: dict[str, object], says: str
) -> None:
    service.add_domain("renovations.com")
    with pytest.raises(OnboardError, match=says) as caught:
        service.set_update_settings("renovations.com", config(**changes))
    # A secret typed where its reference belongs is never echoed, nor stored.
    assert "c2VjcmV0LXZhbHVlLWJhc2U2NA" not in str(caught.value)
    assert service.get("renovations.com").update is None
    assert "c2VjcmV0LXZhbHVl" not in store.path.read_text(encoding="utf-8")


def test_record_changes_need_settings_and_a_key(
    service: DomainService, store: SessionStore
) -> None:
    service.add_domain("renovations.com")
    with pytest.raises(DomainError, match="no key yet"):
        service.create_record("renovations.com")

    def keyed(data: SessionData) -> None:
        found = data.domain("renovations.com")
        assert found is not None
        found.key = KEY

    store.update(keyed)
    with pytest.raises(DomainError, match="no DNS update settings"):
        service.create_record("renovations.com")
    with pytest.raises(DomainError, match="not verified yet: keep the CNAME"):
        service.remove_record("renovations.com")


# --- the roadmap ------------------------------------------------------------------------


def set_domain(store: SessionStore, name: str, **values: object) -> None:
    def change(data: SessionData) -> None:
        found = data.domain(name)
        assert found is not None
        for key, value in values.items():
            setattr(found, key, value)

    store.update(change)


def test_step_done_only_when_every_domain_is_verified(
    service: DomainService, store: SessionStore, clock: FrozenClock
) -> None:
    service.add_domain("renovations.com")
    service.add_domain("example.org")
    assert step(store) == (StepState.IN_PROGRESS, "")
    set_domain(store, "renovations.com", key=KEY, verified_at=clock.now())
    service.set_update_settings("renovations.com", None)  # any change re-reads the step
    assert step(store) == (StepState.IN_PROGRESS, "")
    set_domain(store, "example.org", key=KEY, verified_at=clock.now())
    service.set_update_settings("example.org", None)
    assert step(store)[0] is StepState.DONE
    assert reopened(store).step_record(StepId.VERIFY).state is StepState.DONE
    service.add_domain("example.net")
    assert step(store) == (StepState.IN_PROGRESS, "")


def test_step_needs_attention_with_the_reason(
    service: DomainService, store: SessionStore, clock: FrozenClock
) -> None:
    service.add_domain("renovations.com")
    set_domain(
        store,
        "renovations.com",
        key=KEY,
        begun_at=clock.now(),
        status=Verification.WRONG_TARGET.value,
    )
    service.set_update_settings("renovations.com", None)
    state, reason = step(store)
    assert state is StepState.ATTENTION
    assert reason == f"renovations.com: {ADVICE[Verification.WRONG_TARGET]}"

    set_domain(store, "renovations.com", status=Verification.MISSING.value)
    service.set_update_settings("renovations.com", None)
    assert step(store) == (StepState.IN_PROGRESS, "")

    clock.advance(timedelta(hours=47, minutes=59, seconds=59))
    service.set_update_settings("renovations.com", None)
    assert step(store) == (StepState.IN_PROGRESS, "")
    clock.advance(timedelta(seconds=1))
    service.set_update_settings("renovations.com", None)
    assert step(store) == (
        StepState.ATTENTION,
        "renovations.com is not verified 48 hours after Begin: restart verification.",
    )
    assert store.data.step_record(StepId.VERIFY).updated == clock.now()


def test_restart_refused_locally_before_48_hours(
    service: DomainService, store: SessionStore, clock: FrozenClock
) -> None:
    service.add_domain("renovations.com")
    set_domain(store, "renovations.com", key=KEY, begun_at=clock.now())
    clock.advance(timedelta(hours=47, minutes=59, seconds=59))
    with pytest.raises(DomainError, match="fix the CNAME record and wait"):
        service.restart("renovations.com")
    assert service.get("renovations.com").key == KEY


# --- users ------------------------------------------------------------------------------


def test_users_unable_to_receive(
    service: DomainService, store: SessionStore, clock: FrozenClock
) -> None:
    store.db.upsert_users(
        [
            UserRow("ann@renovations.com"),
            UserRow("Bob@Renovations.COM"),
            UserRow("cy@west.renovations.com"),
            UserRow("dee@example.org"),
        ],
        clock.now(),
    )
    service.add_domain("renovations.com")
    service.add_domain("west.renovations.com")
    before = service.users_unable_to_receive()
    assert before.total == 4
    assert before.by_domain == {
        "renovations.com": 2,
        "west.renovations.com": 1,
        "example.org": 1,
    }
    assert service.unable_to_receive("cy@WEST.renovations.com")

    set_domain(store, "renovations.com", key=KEY, verified_at=clock.now())
    after = service.users_unable_to_receive()
    assert (after.total, after.by_domain) == (1, {"example.org": 1})
    assert not service.unable_to_receive("cy@WEST.renovations.com")
    assert service.unable_to_receive("dee@example.org")
    assert service.verified_names() == {"renovations.com", "west.renovations.com"}
