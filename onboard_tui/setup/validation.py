"""Step 1's field checks, shared by the form (as the admin types) and by Submit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from onboard_tui.dns.names import parse_domain
from onboard_tui.errors import OnboardError

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def email_problem(value: str) -> str | None:
    """Why `value` is not a usable logon email, or None when it is."""
    value = value.strip()
    if not value:
        return "Enter the company administrator's email address."
    if value.count("@") != 1:
        return "An email address has exactly one @, as in admin@renovations.com."
    local, domain = value.split("@")
    if not _LOCAL.match(local) or local.startswith(".") or ".." in local or local.endswith("."):
        return f"'{local}' is not a valid name before the @."
    try:  # the same IDNA 2008 rules as Step 2, so a logon domain can also be verified
        if domain.endswith("."):
            raise OnboardError("a final dot has no place in an email address")
        ascii_domain = parse_domain(domain, min_labels=1).to_text(omit_final_dot=True).lower()
    except OnboardError:
        return f"'{domain}' is not a valid domain name."
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"'{domain}' is not a valid domain name (it needs a dot, as in renovations.com)."
    if labels[-1].isdigit():
        return f"'{domain}' is not a domain name."
    return None


@dataclass(frozen=True)
class Strength:
    """How good a password is, with what would make it better."""

    score: int  # 0..4
    label: str
    hints: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return self.score >= 2


MIN_LENGTH = 8


def password_strength(password: str, *, email: str = "") -> Strength:
    """A quick estimate from length, variety and reuse of the logon name."""
    hints: list[str] = []
    if len(password) < MIN_LENGTH:
        hints.append(f"use at least {MIN_LENGTH} characters")
    has_letter = any(c.isalpha() for c in password)
    has_digit = any(c.isdigit() for c in password)
    if not (has_letter and has_digit):
        hints.append("mix letters and digits")
    local = email.split("@")[0].lower()
    if local and len(local) >= 3 and local in password.lower():
        hints.append("do not reuse your logon name")
    if len(set(password)) <= 3 and password:
        hints.append("avoid repeating the same characters")
    if hints:
        return Strength(0 if len(password) < MIN_LENGTH else 1, "weak", tuple(hints))
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            has_digit,
            any(not c.isalnum() for c in password),
        )
    )
    score = 2 + (len(password) >= 12) + (classes >= 3)
    label = {2: "fair", 3: "good", 4: "strong"}[score]
    if score < 4:
        hints.append("longer passwords with symbols and mixed case are stronger")
    return Strength(score, label, tuple(hints))
