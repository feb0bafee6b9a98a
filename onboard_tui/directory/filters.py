"""Who belongs in a Transfer Group by rule: conditions turned into one SQL expression.

Every value is a bound parameter; only column names from a fixed list reach the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

COLUMNS = {
    "email": "email",
    "display_name": "display_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "source_login": "source_login",
    "department": "department",
    "group": "IFNULL(group_name, '')",
    "dn": "dn",
}


class Rule(StrEnum):
    """The kinds of condition the issue asks for."""

    EQUALS = "equals"
    CONTAINS = "contains"
    DEPARTMENT = "department"
    DN_SUFFIX = "dn_suffix"
    MEMBER_OF = "member_of"
    EMAIL_DOMAIN = "email_domain"


@dataclass(frozen=True)
class Condition:
    """One test on a user; `attribute` is used by EQUALS and CONTAINS only."""

    rule: Rule
    value: str
    attribute: str = ""

    def describe(self) -> str:
        what = {
            Rule.EQUALS: f"{self.attribute} is",
            Rule.CONTAINS: f"{self.attribute} contains",
            Rule.DEPARTMENT: "department is",
            Rule.DN_SUFFIX: "DN ends with",
            Rule.MEMBER_OF: "member of",
            Rule.EMAIL_DOMAIN: "email domain is",
        }[self.rule]
        return f"{what} {self.value!r}"


@dataclass(frozen=True)
class UserFilter:
    """All conditions must hold (AND)."""

    conditions: tuple[Condition, ...]

    def describe(self) -> str:
        return " and ".join(c.describe() for c in self.conditions) or "everyone"


def _attribute(name: str) -> tuple[str, list[object]]:
    if name in COLUMNS:
        return COLUMNS[name], []
    path = '$."' + name.replace('"', '\\"') + '"'
    return "IFNULL(json_extract(attributes, ?), '')", [path]


def _normalised_dn(expr: str) -> str:
    return f"replace(replace(lower({expr}), ', ', ','), ' ,', ',')"


def condition_sql(c: Condition) -> tuple[str, list[object]]:
    """(SQL boolean expression, parameters) for one condition."""
    value = c.value.strip()
    if c.rule in (Rule.EQUALS, Rule.CONTAINS):
        expr, params = _attribute(c.attribute)
        if c.rule is Rule.EQUALS:
            return f"lower({expr}) = lower(?)", [*params, value]
        return f"instr(lower({expr}), lower(?)) > 0", [*params, value]
    if c.rule is Rule.DEPARTMENT:
        return "lower(department) = lower(?)", [value]
    if c.rule is Rule.DN_SUFFIX:
        suffix = value.lower().replace(", ", ",")
        dn = _normalised_dn("dn")
        return f"(length({dn}) >= length(?) AND substr({dn}, -length(?)) = ?)", [
            suffix,
            suffix,
            suffix,
        ]
    if c.rule is Rule.MEMBER_OF:
        groups = "char(10) || " + _normalised_dn(
            "IFNULL(json_extract(attributes, '$.memberOf'), '')"
        )
        if "=" in value:
            dn = value.lower().replace(", ", ",")
            return f"instr({groups} || char(10), char(10) || ? || char(10)) > 0", [dn]
        return f"instr({groups}, char(10) || 'cn=' || lower(?) || ',') > 0", [value]
    if c.rule is Rule.EMAIL_DOMAIN:
        return "lower(substr(email, instr(email, '@') + 1)) = lower(?)", [value.lstrip("@")]
    raise ValueError(f"unknown rule {c.rule}")


def filter_sql(f: UserFilter) -> tuple[str, list[object]]:
    """The whole filter as one expression; no conditions matches everyone."""
    parts: list[str] = []
    params: list[object] = []
    for c in f.conditions:
        sql, p = condition_sql(c)
        parts.append(f"({sql})")
        params += p
    return (" AND ".join(parts) or "1"), params
