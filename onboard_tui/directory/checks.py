"""Field checks shared by every import: email syntax, domains, sizes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_EMAIL = re.compile(rf"^{_LOCAL}@{_DOMAIN}$")
_SIZE = re.compile(r"^\s*([0-9][0-9 ,._']*)\s*([KMGT]i?B|[KMGT]|B|bytes)?\s*$", re.IGNORECASE)
_UNITS = {"": 0, "B": 0, "BYTES": 0, "K": 1, "M": 2, "G": 3, "T": 4}


@dataclass(frozen=True)
class Problem:
    """One rejected row: where it is, which field, the value and why (the CLI's JSON too)."""

    line: int
    field: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "value": self.value, "reason": self.reason}


def email_problem(value: str) -> str | None:
    """Why `value` is not a usable email address, or None."""
    if not value:
        return "the email address is empty (it is required)."
    if len(value) > 254:
        return "the email address is longer than 254 characters."
    if not _EMAIL.match(value):
        return "not a valid email address."
    return None


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].lower()


def domain_problem(email: str, domains: Sequence[str]) -> str | None:
    """When the session lists domains, the address must be in one of them."""
    if not domains:
        return None
    domain = domain_of(email)
    if domain in {d.lower().rstrip(".") for d in domains}:
        return None
    return f"the domain {domain} is not one of the session's domains ({', '.join(domains)})."


def parse_size(text: str, unit: int = 1) -> int | None:
    """'12.5 GB', '1,024 MB', '734003200' -> bytes; None when it is not a size."""
    match = _SIZE.match(text)
    if not match:
        return None
    number = match.group(1).replace(" ", "").replace("'", "").replace("_", "")
    if "," in number and "." not in number and len(number.rsplit(",", 1)[1]) != 3:
        number = number.replace(",", ".")  # a decimal comma (12,5 GB)
    number = number.replace(",", "")
    try:
        value = float(number)
    except ValueError:
        return None
    suffix = (match.group(2) or "").upper().replace("IB", "").rstrip("B") or ""
    if match.group(2):
        unit = 1024 ** _UNITS.get(suffix, 0)
    return int(value * unit)
