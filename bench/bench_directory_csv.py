"""Step 3 directory at scale: a 100,000-row CSV import (goal < 5 s) and the Users tab's
page and search queries on 100,000 users (goal < 100 ms each), with peak memory."""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.directory.service import DirectoryService
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore

ROWS = 100_000


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        f.write(
            "E-mail;Display Name;First Name;Last Name;Login;Department;Group;Size (MB);Office\r\n"
        )
        for i in range(ROWS):
            f.write(
                f"user{i:06d}@renovations.com;User {i};First{i};Last{i % 997};u{i:06d};"
                f"Dept {i % 40};Wave {i % 5};{i % 70_000};Office {i % 13}\r\n"
            )


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "users.csv"
        write_csv(csv_path)
        size_mb = csv_path.stat().st_size / 1e6
        data = SessionData(name="bench", created=datetime.now(UTC), provider="sandbox")
        store = SessionStore.create(folder / "session", data)
        service = DirectoryService(store)
        start = time.perf_counter()
        plan = service.plan_csv(csv_path)
        planned = time.perf_counter() - start
        service.apply_import(plan, skip_problems=False)
        total = time.perf_counter() - start
        assert store.db.count_users() == ROWS and not plan.problems
        start = time.perf_counter()
        again = service.plan_csv(csv_path)
        replan = time.perf_counter() - start
        assert again.difference.unchanged == ROWS
        service.discard_import(again)
        print(f"CSV import: {ROWS} rows, {size_mb:.1f} MB (semicolons, UTF-8 BOM)")
        print(
            f"  read + check + diff {planned:.2f} s, with apply {total:.2f} s "
            f"(goal < 5 s: {'met' if total < 5 else 'NOT met'})"
        )
        print(f"  re-import diff (all unchanged) {replan:.2f} s")

        queries = {
            "first page (email)": lambda: service.users_page(limit=100),
            "first page (display name)": lambda: service.users_page(sort="display_name"),
            "page 900 via cursor": None,
            "search 'user0999' + count": lambda: service.users_page(search="user0999"),
            "search 'dept 7' + count": lambda: service.users_page(search="dept 7"),
            "search, no match + count": lambda: service.users_page(search="zzzz"),
            "group 'Wave 3' page + count": lambda: service.users_page(group="Wave 3"),
        }
        cursor = None
        for _ in range(899):
            cursor = service.users_page(after=cursor, limit=100).next
        queries["page 900 via cursor"] = lambda: service.users_page(after=cursor, limit=100)
        print(f"Users tab queries on {ROWS} users (median / worst of 9):")
        met = True
        for name, query in queries.items():
            samples = [timed(query) * 1000 for _ in range(9)]
            met = met and max(samples) < 100
            print(f"  {name:<30} {statistics.median(samples):6.1f} ms / {max(samples):6.1f} ms")
        print(f"  goal < 100 ms: {'met' if met else 'NOT met'}")
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) {peak:.0f} MB (goal < 300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
