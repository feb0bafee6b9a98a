"""The Dashboard tab: overall and per group, users by state, items and bytes done of
total, items/s, MB/s, ETA, concurrency, throttling events and the recent errors.

One code path for both modes: the screen reads a ProgressSnapshot in a thread at most
4 times a second (from the engine in this process, or from state.db when another
process runs the migration) and hands it here; cells change by row key inside
batch_update, the tables are never rebuilt.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from onboard_tui.mail.progress import OVERALL, GroupProgress, ProgressSnapshot
from onboard_tui.ui.widgets.literal import DASH, literal

COLUMNS = (
    ("Group", "group", 10),
    ("D/R/Q/P/F", "users", 9),
    ("Items", "items", 11),
    ("MB", "mb", 9),
    ("it/s", "rate", 4),
    ("MB/s", "mbs", 5),
    ("ETA", "eta", 6),
    ("Conc", "conc", 4),
    ("Thr", "thr", 3),
)
ERRORS_SHOWN = 5
STATES = ("done", "running", "queued", "paused", "failed")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f}" if size < 10_000_000 else f"{size / 1e6:,.0f}"


def cells(g: GroupProgress, label: str) -> dict[str, str]:
    u = g.users
    return {
        "group": label,
        "users": "/".join(
            str(u.get(k, 0)) for k in ("done", "running", "queued", "paused", "failed")
        ),
        "items": f"{g.items_done:,}/{g.items_total:,}",
        "mb": f"{megabytes(g.bytes_done)}/{megabytes(g.bytes_total)}",
        "rate": f"{g.items_per_s:.0f}",
        "mbs": f"{g.mb_per_s:.1f}",
        "eta": duration(g.eta_seconds) if g.items_total else DASH,
        "conc": str(g.concurrency),
        "thr": str(g.throttle_events),
    }


def mode_line(snapshot: ProgressSnapshot, now: datetime, observer: bool) -> str:
    if snapshot.live:
        state = "running" if snapshot.running else "idle"
        return f"This wizard runs the migration ({state})."
    if not observer:
        return "Not running: the last recorded progress. Start or resume a group on Staging."
    beat = snapshot.heartbeat
    age = f"{int((now - beat).total_seconds())} s ago" if beat else "never"
    who = "running" if snapshot.running else "not running"
    return (
        f"Observer: another process runs the migration ({who}); read from state.db, "
        f"last heartbeat {age}."
    )


class DashboardPanel(Vertical):
    """Progress tables fed with snapshots."""

    def __init__(self, *, observer: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.observer = observer

    def compose(self) -> ComposeResult:
        yield Static("", id="dash-mode", markup=False)
        yield Static("", id="dash-overall", markup=False)
        table = DataTable[str](id="dash-groups", cursor_type="row")
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static(
            "D/R/Q/P/F: users done, running, queued, paused, failed. Conc: jobs at once. "
            "Thr: throttling events.",
            classes="section-help",
        )
        yield Static("Recent errors", classes="subsection")
        errors = DataTable[str](id="dash-errors", cursor_type="row", show_header=False)
        errors.add_column("Error", key="text")
        yield errors

    def update_snapshot(self, snapshot: ProgressSnapshot, now: datetime) -> None:
        o = snapshot.overall
        throttled = "throttled, backing off" if snapshot.throttled else "not throttled"
        overall = (
            f"Overall: {o.users.get('done', 0)} of {o.user_count} users done, "
            f"{o.users.get('running', 0)} running, {o.users.get('failed', 0)} failed · "
            f"{o.items_done:,}/{o.items_total:,} items · {o.items_per_s:.0f} items/s "
            f"{o.mb_per_s:.1f} MB/s · ETA {duration(o.eta_seconds) if o.items_total else DASH} · "
            f"concurrency {snapshot.concurrency}"
            + (f"/{snapshot.max_concurrency}" if snapshot.max_concurrency else "")
            + f" · {snapshot.throttle_events} throttling events ({throttled})"
        )
        with self.app.batch_update():
            self.query_one("#dash-mode", Static).update(mode_line(snapshot, now, self.observer))
            self.query_one("#dash-overall", Static).update(overall)
            table = self.query_one("#dash-groups", DataTable)
            rows = [(OVERALL, "All groups", o)] + [(g.name, g.name, g) for g in snapshot.groups]
            present = {str(k.value) for k in table.rows}
            for key, label, progress in rows:
                values = cells(progress, label)
                if key in present:
                    for column, value in values.items():
                        if column != "group" and str(table.get_cell(key, column)) != value:
                            table.update_cell(key, column, value)
                else:
                    table.add_row(
                        *(literal(v) if c == "group" else v for c, v in values.items()),
                        key=key,
                    )
            for gone in present - {k for k, _, _ in rows}:
                table.remove_row(gone)
            errors = self.query_one("#dash-errors", DataTable)
            shown = list(snapshot.recent_errors[:ERRORS_SHOWN]) or ["(none)"]
            for i, text in enumerate(shown):
                key = f"e{i}"
                if i < errors.row_count:
                    if str(errors.get_cell(key, "text")) != text:
                        errors.update_cell(key, "text", literal(text))
                else:
                    errors.add_row(literal(text), key=key)
            for i in range(len(shown), errors.row_count):
                errors.remove_row(f"e{i}")
