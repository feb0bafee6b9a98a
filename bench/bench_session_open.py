"""Opening a big session: 10,000 users in state.db and 200 transfer groups in session.toml.

Goal (foundation issue): < 1 s. Prints the median and worst of several opens, each one
reading and validating session.toml, taking the lock, opening state.db and computing the
roadmap and the status summary a resumed wizard shows first.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.clock import SystemClock
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.service import OnboardingService
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore
from onboard_tui.status import session_status

USERS = 10_000
GROUPS = 200
RUNS = 7


def build(folder: Path) -> Path:
    now = datetime.now(UTC)
    data = SessionData(name="bench", created=now, provider="sandbox")
    data.transfer_groups = [
        TransferGroup(f"Group {i:03d}", setting=f"setting-{i % 7}", description=f"Wave {i}")
        for i in range(GROUPS)
    ]
    store = SessionStore.create(folder, data)
    store.db.upsert_users(
        (
            UserRow(
                email=f"user{i:05d}@renovations.com",
                display_name=f"User {i}",
                first_name="User",
                last_name=str(i),
                department=f"Dept {i % 40}",
                group_name=f"Group {i % GROUPS:03d}",
                source_size=i * 1024,
            )
            for i in range(USERS)
        ),
        now,
    )
    path = store.path
    store.close()
    return path


def open_once(path: Path) -> float:
    start = time.perf_counter()
    store = SessionStore.open(path)
    session_status(store, RoadmapService(store, SystemClock()))
    elapsed = time.perf_counter() - start
    assert store.db.count_users() == USERS and len(store.data.transfer_groups) == GROUPS
    store.close()
    return elapsed


def open_service_once(path: Path) -> float:
    """The wizard's own path: the store plus the profile and the embedded sandbox started."""
    start = time.perf_counter()
    service = OnboardingService.open(path)
    service.roadmap.statuses()
    service.roadmap.resume_note()
    elapsed = time.perf_counter() - start
    service.close()
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp) / "session")
        size = path.stat().st_size
        times = [open_once(path) for _ in range(RUNS)]
        service_times = [open_service_once(path) for _ in range(RUNS)]
    print(f"session open: {USERS} users in state.db, {GROUPS} transfer groups ({size} bytes TOML)")
    met = True
    for what, samples in (("store + status", times), ("service + sandbox", service_times)):
        median, worst = statistics.median(samples), max(samples)
        met = met and worst < 1.0
        print(
            f"  {what:<18} median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms "
            f"over {RUNS} opens"
        )
    print(f"  goal < 1000 ms: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
