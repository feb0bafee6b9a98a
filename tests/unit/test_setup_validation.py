"""Step 1 field checks: what an administrator types, and what they are told."""

from __future__ import annotations

import pytest

from onboard_tui.setup import catalogue
from onboard_tui.setup.validation import email_problem, password_strength


@pytest.mark.parametrize(
    "email", ["admin@renovations.com", "first.last+mail@west.renovations.com", "a@münchen.de"]
)
def test_good_emails(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    ("email", "words"),
    [
        ("", "Enter"),
        ("admin", "exactly one @"),
        ("a@@b.com", "exactly one @"),
        ("a b@c.com", "before the @"),
        (".a@c.com", "before the @"),
        ("a..b@c.com", "before the @"),
        ("admin@localhost", "needs a dot"),
        ("admin@-bad-.com", "not a valid domain"),
        ("admin@10.0.0.1", "not a domain name"),
    ],
)
def test_bad_emails_say_why(email: str, words: str) -> None:
    problem = email_problem(email)
    assert problem is not None and words in problem


def test_password_strength_grades_and_hints() -> None:
    assert password_strength("short1").score == 0
    weak = password_strength("onlyletters")
    assert not weak.acceptable and "mix letters and digits" in weak.hints
    assert password_strength("admin2026x", email="admin@renovations.com").hints == (
        "do not reuse your logon name",
    )
    assert password_strength("lakeside42").label == "fair"
    assert password_strength("Lakeside-Harbour-42").label == "strong"


def test_catalogues_come_from_maintained_data() -> None:
    assert catalogue.is_country("DE") and not catalogue.is_country("XX")
    assert catalogue.is_language("fr") and not catalogue.is_language("zz")
    assert catalogue.is_timezone("Europe/Berlin") and catalogue.is_timezone("UTC")
    assert not catalogue.is_timezone("Mars/Olympus")
    assert catalogue.zones_for_country("de")[0] == "Europe/Berlin"
    assert len(catalogue.countries()) > 240
