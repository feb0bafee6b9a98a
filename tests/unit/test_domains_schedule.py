"""The time rules of Step 2: the polling schedule and the 48-hour Restart rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.domains import RESTART_AFTER, next_check_at, poll_interval, restart_rule
from onboard_tui.domains.schedule import duration

BEGUN = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("elapsed", "every"),
    [
        (timedelta(0), 10 * S),
        (2 * MIN - S, 10 * S),
        (2 * MIN, 30 * S),
        (15 * MIN - S, 30 * S),
        (15 * MIN, 2 * MIN),
        (H - S, 2 * MIN),
        (H, 10 * MIN),
        (48 * H - S, 10 * MIN),
        (48 * H, None),
        (72 * H, None),
        (-5 * S, 10 * S),  # a clock that went back: poll as at the start
    ],
)
def test_poll_interval_at_the_boundaries(elapsed: timedelta, every: timedelta | None) -> None:
    assert poll_interval(elapsed) == every


def test_next_check_follows_the_stages() -> None:
    assert next_check_at(BEGUN, None) == BEGUN + 10 * S
    assert next_check_at(BEGUN, BEGUN + 110 * S) == BEGUN + 120 * S
    assert next_check_at(BEGUN, BEGUN + 2 * MIN) == BEGUN + 2 * MIN + 30 * S
    assert next_check_at(BEGUN, BEGUN + 15 * MIN) == BEGUN + 17 * MIN
    assert next_check_at(BEGUN, BEGUN + H) == BEGUN + H + 10 * MIN


def test_next_check_stops_at_48_hours() -> None:
    # A check due exactly at 48 h still happens; none is planned after it.
    assert next_check_at(BEGUN, BEGUN + 48 * H - 10 * MIN) == BEGUN + 48 * H
    assert next_check_at(BEGUN, BEGUN + 48 * H - 5 * MIN) is None
    assert next_check_at(BEGUN, BEGUN + 48 * H) is None


def test_nothing_to_poll_before_begin_or_after_success() -> None:
    assert next_check_at(None, None) is None
    assert next_check_at(BEGUN, BEGUN + 20 * S, verified=True) is None


def test_a_check_before_begin_counts_from_begin() -> None:
    # A check left from before a Restart must not push the first poll away.
    assert next_check_at(BEGUN, BEGUN - 3 * H) == BEGUN + 10 * S


def test_poll_times_walk_through_48_hours() -> None:
    times: list[datetime] = []
    checked: datetime | None = None
    while (due := next_check_at(BEGUN, checked)) is not None:
        times.append(due)
        checked = due
    gaps = [b - a for a, b in zip([BEGUN, *times], times, strict=False)]
    assert gaps[:12] == [10 * S] * 12  # 0:10 .. 2:00
    assert times[11] == BEGUN + 2 * MIN
    assert BEGUN + 15 * MIN in times  # the 30 s stage ends on the mark
    assert times[12 + 26 + 23 - 1] == BEGUN + H + MIN  # the last 2-minute step crosses 1 h
    assert all(g == 10 * MIN for g in gaps[12 + 26 + 23 :])
    # Every 10 minutes from 1:01, the last at 47:51: none goes past 48 hours.
    assert times[-1] == BEGUN + 47 * H + 51 * MIN
    assert len(times) == 12 + 26 + 23 + 281


def test_restart_refused_one_second_before_48_hours() -> None:
    clock = FrozenClock(BEGUN)
    clock.advance(timedelta(hours=47, minutes=59, seconds=59))
    rule = restart_rule(BEGUN, False, clock.now())
    assert not rule.allowed
    assert rule.allowed_at == BEGUN + 48 * H
    assert rule.remaining == S
    assert "fix the CNAME record and wait" in rule.reason
    assert "do not restart" in rule.reason
    assert "47 h 59 min" in rule.reason
    assert "2026-11-27 09:00 UTC" in rule.reason


def test_restart_allowed_at_exactly_48_hours() -> None:
    clock = FrozenClock(BEGUN)
    clock.advance(RESTART_AFTER)
    rule = restart_rule(BEGUN, False, clock.now())
    assert rule.allowed
    assert rule.remaining == timedelta(0)
    assert "new key" in rule.reason


def test_restart_not_offered_before_begin_or_once_verified() -> None:
    later = BEGUN + 100 * H
    assert not restart_rule(None, False, later).allowed
    assert "Begin Verification first" in restart_rule(None, False, later).reason
    verified = restart_rule(BEGUN, True, later)
    assert not verified.allowed
    assert "verified" in verified.reason


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-3), "0 s"),
        (45 * S, "45 s"),
        (MIN, "1 min"),
        (59 * MIN, "59 min"),
        (3 * H + 5 * MIN, "3 h 05 min"),
        (47 * H + 59 * MIN, "47 h 59 min"),
        (49 * H, "2 d 01 h"),
    ],
)
def test_duration_text(delta: timedelta, text: str) -> None:
    assert duration(delta) == text
