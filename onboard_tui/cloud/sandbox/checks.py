"""The sandbox's own validation of a registration, field by field, as a real service would.

It does not reuse the wizard's form checks on purpose: the contract is what counts, and
a client that skips its own checks must still get a clear 422 for each field.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pycountry

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_COMPANY = 200

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$")


@dataclass(frozen=True)
class NewOrganisation:
    """A registration that passed every check, normalised."""

    admin_email: str
    password: str
    country: str
    language: str
    timezone: str
    geography: str
    company: str

    def __repr__(self) -> str:
        return f"NewOrganisation({self.admin_email!r}, password='********')"


def email_problem(value: str) -> str | None:
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or len(local) > 64 or not _LOCAL.match(local):
        return "This is not an email address; write one such as admin@renovations.com."
    try:
        labels = domain.encode("idna").decode("ascii").lower().split(".")
    except UnicodeError:
        labels = []
    if len(labels) < 2 or labels[-1].isdigit() or not all(_LABEL.match(x) for x in labels):
        return f"{domain} is not a valid domain name; write one such as renovations.com."
    return None


def password_problem(value: str) -> str | None:
    if len(value) < MIN_PASSWORD:
        return f"The password must have at least {MIN_PASSWORD} characters."
    if len(value) > MAX_PASSWORD:
        return f"The password must have at most {MAX_PASSWORD} characters."
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        return "The password must contain both letters and digits."
    return None


def _lookup(database: object, **code: str) -> object | None:
    try:
        return database.get(**code)  # type: ignore[attr-defined,no-any-return]
    except (KeyError, LookupError):
        return None


def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code, upper-case, or None when there is no such country."""
    code = value.strip().upper()
    if len(code) == 2 and code.isalpha() and _lookup(pycountry.countries, alpha_2=code):
        return code
    return None


def language_tag(value: str) -> str | None:
    """`en` or `en-US` (ISO 639 language, optional ISO 3166 region), normalised."""
    match = _LANGUAGE.match(value.strip())
    if not match:
        return None
    language, region = match.group(1).lower(), match.group(2)
    key = "alpha_2" if len(language) == 2 else "alpha_3"
    if not _lookup(pycountry.languages, **{key: language}):
        return None
    if region is None:
        return language
    country = country_code(region)
    return f"{language}-{country}" if country else None


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_registration(
    body: Mapping[str, object], geographies: Collection[str]
) -> NewOrganisation | dict[str, str]:
    """The normalised registration, or every field's problem (field name -> sentence)."""
    problems: dict[str, str] = {}

    def text(name: str, *, required: bool = True) -> str:
        value = body.get(name)
        if value is None and not required:  # absent or null: an optional field left out
            return ""
        if value is None or (required and value == ""):
            problems[name] = "This field is required."
            return ""
        if not isinstance(value, str):
            problems[name] = "This field must be a JSON string."
            return ""
        return value if name == "password" else value.strip()

    def check(name: str, problem: str | None) -> None:
        if problem:
            problems.setdefault(name, problem)

    email = text("admin_email")
    check("admin_email", email_problem(email))
    password = text("password")
    check("password", password_problem(password))
    country = country_code(text("country")) or ""
    check("country", None if country else "Use an ISO 3166-1 alpha-2 country code such as US.")
    language = language_tag(text("language")) or ""
    check("language", None if language else "Use an ISO 639 language code such as en or en-US.")
    timezone = text("timezone")
    zone_ok = timezone in _zones()
    check("timezone", None if zone_ok else "Use an IANA time zone name such as America/New_York.")
    geography = text("geography")
    choices = ", ".join(geographies)
    check("geography", None if geography in geographies else f"Choose one of: {choices}.")
    if body.get("terms_accepted") is not True:
        problems["terms_accepted"] = "The Terms of Use must be accepted (terms_accepted: true)."
    company = text("company", required=False)
    too_long = len(company) > MAX_COMPANY
    check("company", f"At most {MAX_COMPANY} characters, please." if too_long else None)
    if problems:
        return problems
    return NewOrganisation(email, password, country, language, timezone, geography, company)
