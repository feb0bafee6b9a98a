"""The sandbox's users (docs/cloud-api.md 4.2): provisioning, subscription, activation.

Kept beside the resource rather than in store.py so the SQL reads next to what it does.
Times are stored as UTC ISO text with microseconds, so they also compare correctly as
text. A user who is "due" to activate (the demo's schedule) is activated lazily, when
anything reads the users: the activation time is the due time, never the read time.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from onboard_tui.cloud.sandbox.passwords import hash_password
from onboard_tui.cloud.sandbox.store import SandboxStore

UNASSIGNED, ASSIGNED = "unassigned", "assigned"
PENDING, ACTIVE = "pending", "active"

_COLUMNS = (
    "org_id, email, display_name, given_name, family_name, provisioned_at, subscription, "
    "subscription_type, assigned_at, activation, activated_at, activate_due"
)


@dataclass(frozen=True)
class ActivationSchedule:
    """When users of the demo log in by themselves after their subscription is assigned.

    Each user's delay is drawn from the SHA-256 of their address, between `after_min` and
    `after_max` seconds: reproducible, and spread out so activations arrive one by one.
    `never_percent` of the users never activate on their own (the reminders are for them).
    """

    after_min: float = 30.0
    after_max: float = 300.0
    never_percent: int = 25

    def due(self, email: str, assigned_at: datetime) -> datetime | None:
        number = int.from_bytes(hashlib.sha256(email.casefold().encode()).digest()[:8], "big")
        if number % 100 < self.never_percent:
            return None
        span = max(0.0, self.after_max - self.after_min)
        fraction = (number >> 8) % 10_000 / 10_000
        return assigned_at + timedelta(seconds=self.after_min + span * fraction)


@dataclass(frozen=True)
class UserRecord:
    """One provisioned user; times are None until the event happens."""

    org_id: str
    email: str
    display_name: str
    given_name: str
    family_name: str
    provisioned_at: datetime
    subscription: str = UNASSIGNED
    subscription_type: str = ""
    assigned_at: datetime | None = None
    activation: str = PENDING
    activated_at: datetime | None = None
    activate_due: datetime | None = None


class UserTaken(Exception):
    """The address is provisioned in another organisation."""


class ActivationRefused(Exception):
    """Why a user cannot activate: the contract's status and problem kind, and a sentence."""

    def __init__(self, status: int, kind: str, sentence: str) -> None:
        super().__init__(sentence)
        self.status = status
        self.kind = kind


def _iso(when: datetime | None) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds") if when else ""


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _record(row: tuple[str, ...]) -> UserRecord:
    org, email, name, given, family, prov, sub, kind, assigned, act, activated, due = row
    return UserRecord(
        org,
        email,
        name,
        given,
        family,
        datetime.fromisoformat(prov),
        sub,
        kind,
        _time(assigned),
        act,
        _time(activated),
        _time(due),
    )


def encode_cursor(email: str) -> str:
    return base64.urlsafe_b64encode(email.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


class SandboxUsers:
    """The users table of sandbox.db; every method is one short locked statement or two."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    def activate_due(self, now: datetime, org_id: str | None = None) -> int:
        """Activate the assigned users whose scheduled time has come; how many."""
        where = "activation = ? AND subscription = ? AND activate_due != '' AND activate_due <= ?"
        params: tuple[object, ...] = (PENDING, ASSIGNED, _iso(now))
        if org_id is not None:
            where += " AND org_id = ?"
            params += (org_id,)
        rows = self.store.execute(
            f"UPDATE users SET activation = '{ACTIVE}', activated_at = activate_due "  # noqa: S608
            f"WHERE {where} RETURNING email",
            params,
        )
        return len(rows)

    def get(self, org_id: str, email: str) -> UserRecord | None:
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM users WHERE org_id = ? AND email = ?",  # noqa: S608
            (org_id, email),
        )
        return _record(rows[0]) if rows else None

    def find(self, email: str) -> UserRecord | None:
        """The user with this address in any organisation (activation has no bearer)."""
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM users WHERE email = ?",  # noqa: S608
            (email,),
        )
        return _record(rows[0]) if rows else None

    def page(
        self,
        org_id: str,
        *,
        after: str,
        limit: int,
        subscription: str = "",
        activation: str = "",
    ) -> tuple[list[UserRecord], bool]:
        """Users after `after` (by email) and whether more follow."""
        clauses, params = ["org_id = ?", "email > ?"], [org_id, after]
        if subscription:
            clauses.append("subscription = ?")
            params.append(subscription)
        if activation:
            clauses.append("activation = ?")
            params.append(activation)
        rows = self.store.execute(
            f"SELECT {_COLUMNS} FROM users WHERE {' AND '.join(clauses)} "  # noqa: S608
            "ORDER BY email LIMIT ?",
            (*params, limit + 1),
        )
        return [_record(r) for r in rows[:limit]], len(rows) > limit

    def save(self, user: UserRecord, password_hash: str | None = None) -> None:
        """Insert or replace one user (UserTaken when another organisation has it)."""
        values = (
            user.org_id,
            user.email,
            user.display_name,
            user.given_name,
            user.family_name,
            _iso(user.provisioned_at),
            user.subscription,
            user.subscription_type,
            _iso(user.assigned_at),
            user.activation,
            _iso(user.activated_at),
            _iso(user.activate_due),
        )
        try:
            self.store.execute(
                f"INSERT INTO users ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
                "ON CONFLICT(org_id, email) DO UPDATE SET display_name = excluded.display_name, "
                "given_name = excluded.given_name, family_name = excluded.family_name, "
                "subscription = excluded.subscription, "
                "subscription_type = excluded.subscription_type, "
                "assigned_at = excluded.assigned_at, activation = excluded.activation, "
                "activated_at = excluded.activated_at, activate_due = excluded.activate_due",
                values,
            )
        except sqlite3.IntegrityError:
            raise UserTaken(user.email) from None
        if password_hash is not None:
            self.store.execute(
                "UPDATE users SET password_hash = ? WHERE org_id = ? AND email = ?",
                (password_hash, user.org_id, user.email),
            )

    def activation(self, email: str, now: datetime) -> UserRecord:
        """The user activated at `now` (not saved yet), or ActivationRefused."""
        self.activate_due(now)
        user = self.find(email)
        if user is None:
            raise ActivationRefused(404, "not-found", f"{email} is not a provisioned user.")
        if user.activation == ACTIVE:
            raise ActivationRefused(409, "already-active", f"{email} is already active.")
        if user.subscription != ASSIGNED:
            raise ActivationRefused(
                409,
                "no-subscription",
                f"{email} has no subscription yet: assign one before the user can log in.",
            )
        return replace(user, activation=ACTIVE, activated_at=now, activate_due=None)


def activate_by_hand(
    store: SandboxStore, emails: list[str], now: datetime
) -> list[tuple[str, str]]:
    """`onboard-tui sandbox activate`: (email, "" or why not) for each address, in order.

    The user "logs in" with a random password nobody sees: the sandbox only needs to know
    that the first logon happened.
    """
    users = SandboxUsers(store)
    results = []
    for email in emails:
        address = email.strip().lower()
        try:
            user = users.activation(address, now)
        except ActivationRefused as refused:
            results.append((address, str(refused)))
            continue
        users.save(user, hash_password(secrets.token_urlsafe(24)))
        results.append((address, ""))
    return results


def activation_schedule(doc: Mapping[str, Any]) -> ActivationSchedule | None:
    """`[sandbox]` of session.toml: do users activate by themselves, and when.

    ```toml
    [sandbox]
    self_activation = true          # false: users activate only by hand (sandbox activate)
    activate_after_s = [30, 300]    # each user between these many seconds after assignment
    never_activate_percent = 25     # these never activate by themselves
    ```
    A value of the wrong kind falls back to the default (this is the demo's pace only).
    """
    table = doc.get("sandbox") or {}
    if table.get("self_activation", True) is False:
        return None
    base = ActivationSchedule()
    span = table.get("activate_after_s", [base.after_min, base.after_max])
    never = table.get("never_activate_percent", base.never_percent)
    try:
        low, high = (float(v) for v in span)
        percent = int(never)
    except (TypeError, ValueError):
        return base
    if not 0 <= low <= high or not 0 <= percent <= 100:
        return base
    return ActivationSchedule(low, high, percent)
