"""Domains in session.toml: round trip, hand edits kept, bad values named with their line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.model import DnsUpdateConfig, DomainRecord
from onboard_tui.session.store import SessionStore, load

BEGUN = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_domains_round_trip_and_keep_hand_edits(store: SessionStore) -> None:
    def add(data: object) -> None:
        data.domains = [  # type: ignore[attr-defined]
            DomainRecord(
                "renovations.com",
                subdomains=["west.renovations.com"],
                key="domino-1jkkiaojd-rules",
                begun_at=BEGUN,
                update=DnsUpdateConfig("127.0.0.1", 5353, "renovations.com", "k1", secret="env:K"),
                mx_previous=["10 mail.renovations.com"],
            ),
            DomainRecord("example.org"),
        ]

    store.update(add)
    text = store.path.read_text()
    store.path.write_text(text.replace('name = "example.org"', 'name = "example.org" # ours'))
    data, _ = load(store.path)
    first, second = data.domains
    assert first.key == "domino-1jkkiaojd-rules" and first.begun_at == BEGUN
    assert first.update == DnsUpdateConfig(
        "127.0.0.1", 5353, "renovations.com", "k1", "hmac-sha256", "env:K"
    )
    assert first.subdomains == ["west.renovations.com"] and not first.verified
    assert second == DomainRecord("example.org")
    assert data.domain("EXAMPLE.org.") is second

    store.close()
    reopened = SessionStore.open(store.path)
    try:

        def verify(d: object) -> None:
            d.domains[0].verified_at = BEGUN  # type: ignore[attr-defined]
            d.domains[0].update = None  # type: ignore[attr-defined]

        reopened.update(verify)
        text = reopened.path.read_text()
        assert "# ours" in text and "update_server" not in text
        assert load(reopened.path)[0].domains[0].verified
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('name = ""', "must not be empty"),
        ('name = "a.com"\nbegun_at = "yesterday"', "begun_at"),
        ('name = "a.com"\nupdate_server = "ns1"\nupdate_secret = "hunter2"', "update_secret"),
        ('name = "a.com"\nupdate_server = "ns1"\nupdate_port = 0', "update_port"),
    ],
)
def test_bad_domain_entries_name_the_line(store: SessionStore, entry: str, words: str) -> None:
    path = store.path
    store.close()
    text = path.read_text() + f"\n[[domains]]\n{entry}\n"
    path.write_text(text)
    with pytest.raises(SessionFileError) as caught:
        load(path)
    assert words in str(caught.value)
    assert caught.value.line is not None and caught.value.line > text.count("\n") - 4


def test_a_domain_listed_twice_is_refused(store: SessionStore) -> None:
    path = store.path
    store.close()
    path.write_text(
        path.read_text() + '\n[[domains]]\nname = "a.com"\n[[domains]]\nname = "A.com"\n'
    )
    with pytest.raises(SessionFileError, match="listed twice"):
        load(path)
