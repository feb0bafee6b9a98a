"""What a check found, as plain frozen data: one `ServerResult` per server address, one
overall status, and `to_json()` in the documented shape the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .statuses import exit_code


@dataclass(frozen=True)
class ServerResult:
    """One authoritative server address (or the system resolver) and what it answered.

    `counted` is False for an IPv6 address this machine could not reach while the same
    server answered over IPv4: it is listed, but does not decide the status.
    """

    server: str
    address: str
    status: str
    answer: str = ""
    error: str = ""
    port: int = 53
    via_tcp: bool = False
    elapsed: float = 0.0
    transport_failure: bool = False
    counted: bool = True
    detail: str = ""  # the name or value the status is about (a doubled name, a wrong target)

    def to_json(self) -> dict[str, str]:
        return {
            "server": self.server,
            "address": self.address,
            "status": self.status,
            "answer": self.answer,
            "error": self.error,
        }


@dataclass(frozen=True, kw_only=True)
class Report:
    """The outcome of one check of one domain.

    `agreeing` of `total` counted servers show what is wanted (the "k of n" of the UI).
    `resolver` is the system resolver's view, kept apart: it may lag behind.
    """

    domain: str
    status: str
    message: str
    servers: tuple[ServerResult, ...]
    warnings: tuple[str, ...] = ()
    resolver: ServerResult | None = None
    zone: str = ""
    agreeing: int = 0
    total: int = 0

    @property
    def exit_code(self) -> int:
        return exit_code(self.status)

    def to_json(self) -> dict[str, Any]:
        """`{"domain", "status", "message", "servers": [...], "warnings": [...]}`."""
        return {
            "domain": self.domain,
            "status": self.status,
            "message": self.message,
            "servers": [server.to_json() for server in self.servers],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, kw_only=True)
class VerificationReport(Report):
    """A verification check: `record` is the name queried (`key.domain`)."""

    key: str
    record: str
    target: str
    previous_key: str = ""


@dataclass(frozen=True, order=True)
class MxRecord:
    """One MX record; ordered by preference, then host."""

    preference: int
    exchange: str  # absolute, ASCII, with the final dot

    @property
    def is_null(self) -> bool:
        """The null MX of RFC 7505 ("0 ."): the domain accepts no mail."""
        return self.exchange == "."

    def to_text(self) -> str:
        return f"{self.preference} {self.exchange}"


@dataclass(frozen=True)
class MxTarget:
    """An MX host and its addresses; `alias_of` is set when the name is a CNAME."""

    name: str
    addresses: tuple[str, ...] = ()
    alias_of: str = ""
    error: str = ""


@dataclass(frozen=True)
class MxProblem:
    """A named problem in the MX set (`kind` is stable, `message` a sentence)."""

    kind: str
    message: str
    target: str = ""


@dataclass(frozen=True, kw_only=True)
class MxReport(Report):
    """An MX check. `sets[i]` is what `servers[i]` lists (None when it did not answer).

    `current` is the set every answering server agrees on (None when they disagree or
    none answered): a switch is planned from it and its prerequisite is that set.
    """

    expect: str = ""
    sets: tuple[tuple[MxRecord, ...] | None, ...] = ()
    current: tuple[MxRecord, ...] | None = None
    current_ttl: int = 0
    targets: tuple[MxTarget, ...] = ()
    problems: tuple[MxProblem, ...] = field(default=())


def mx_set_text(records: tuple[MxRecord, ...] | None, *, dots: bool = True) -> str:
    """`10 a.example., 20 b.example.` or `(none)`; without final dots for sentences."""
    if not records:
        return "(none)"
    if dots:
        return ", ".join(record.to_text() for record in records)
    return ", ".join(f"{r.preference} {r.exchange.rstrip('.') or '.'}" for r in records)
