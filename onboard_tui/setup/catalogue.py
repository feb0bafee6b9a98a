"""The choices Step 1 offers: countries, languages and time zones from maintained data.

Countries and languages come from pycountry (ISO 3166 / ISO 639), time zones from the IANA
database (zoneinfo with the tzdata package), so nothing here is a hand-kept list.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from importlib import resources

import pycountry


@dataclass(frozen=True)
class Choice:
    """One option: the code stored in the session and the label shown."""

    code: str
    label: str


@functools.cache
def countries() -> tuple[Choice, ...]:
    items = [Choice(c.alpha_2, f"{_common_name(c)} ({c.alpha_2})") for c in pycountry.countries]
    return tuple(sorted(items, key=lambda c: c.label.casefold()))


def _common_name(country: object) -> str:
    return str(getattr(country, "common_name", None) or getattr(country, "name", ""))


@functools.cache
def languages() -> tuple[Choice, ...]:
    items = [
        Choice(lang.alpha_2, f"{lang.name} ({lang.alpha_2})")
        for lang in pycountry.languages
        if hasattr(lang, "alpha_2")
    ]
    return tuple(sorted(items, key=lambda c: c.label.casefold()))


@functools.cache
def timezones() -> tuple[Choice, ...]:
    names = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    return (Choice("UTC", "UTC"), *(Choice(z, z.replace("_", " ")) for z in names))


@functools.cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            table.setdefault(fields[0], []).append(fields[2])
    return {code: tuple(zones) for code, zones in table.items()}


def zones_for_country(code: str) -> tuple[str, ...]:
    """The IANA zones used in a country, first one first (zone.tab order)."""
    return _zones_by_country().get(code.upper(), ())


def is_country(code: str) -> bool:
    return any(c.code == code for c in countries())


def is_language(code: str) -> bool:
    return any(c.code == code for c in languages())


def is_timezone(name: str) -> bool:
    return any(c.code == name for c in timezones())


def label(choices: tuple[Choice, ...], code: str) -> str:
    """The label shown for a stored code; the code itself when it is not in the list."""
    return next((c.label for c in choices if c.code == code), code)
