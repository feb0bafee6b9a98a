"""Where the administrator stands on the roadmap, and where a resumed session picks up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onboard_tui.clock import Clock
from onboard_tui.roadmap.steps import STEPS, Step, StepId, StepState
from onboard_tui.session.model import SessionData
from onboard_tui.session.store import SessionStore


@dataclass(frozen=True)
class StepStatus:
    """A step with its state and, when it needs attention or is unavailable, why."""

    step: Step
    state: StepState
    reason: str


@dataclass(frozen=True)
class ResumeNote:
    """What the wizard says when a session is reopened."""

    step: Step
    last_activity: str
    last_at: datetime | None


class RoadmapService:
    """Step states, navigation and the first-run tour flag."""

    def __init__(self, store: SessionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def statuses(self) -> list[StepStatus]:
        data = self.store.data
        result = []
        for step in STEPS:
            record = data.steps.get(step.id)
            if not step.available:
                result.append(
                    StepStatus(step, StepState.NOT_STARTED, "Not yet available in this version.")
                )
            elif record and record.state is not StepState.NOT_STARTED:
                result.append(StepStatus(step, record.state, record.reason))
            elif data.current_step is step.id:
                result.append(StepStatus(step, StepState.IN_PROGRESS, ""))
            else:
                result.append(StepStatus(step, StepState.NOT_STARTED, ""))
        return result

    @property
    def current(self) -> StepId:
        return self.store.data.current_step

    def go_to(self, step_id: StepId) -> None:
        """Remember the step being worked on, so the next start opens there."""
        if self.store.read_only or self.store.data.current_step is step_id:
            return

        def change(data: SessionData) -> None:
            data.current_step = step_id

        self.store.update(change)

    @property
    def tour_seen(self) -> bool:
        return self.store.data.tour_seen

    def mark_tour_seen(self) -> None:
        if self.store.read_only or self.store.data.tour_seen:
            return

        def change(data: SessionData) -> None:
            data.tour_seen = True

        self.store.update(change)

    def resume_note(self) -> ResumeNote | None:
        """None on a brand-new session; otherwise where we are and what happened last."""
        data = self.store.data
        events = self.store.db.recent_events(1)
        if not events and not data.last_activity and not data.steps:
            return None
        last = events[0] if events else None
        current = next(s for s in STEPS if s.id is data.current_step)
        return ResumeNote(
            current,
            data.last_activity or (last.message if last else ""),
            last.at if last else None,
        )
