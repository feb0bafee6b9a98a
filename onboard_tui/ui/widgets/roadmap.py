"""The roadmap sidebar: every step with its state, and why when it needs attention."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from onboard_tui.roadmap import StepId, StepState
from onboard_tui.roadmap.service import RoadmapService, StepStatus
from onboard_tui.ui.messages import GoToStep

ICONS = {
    StepState.NOT_STARTED: ("○", "dim"),
    StepState.IN_PROGRESS: ("◐", "bold yellow"),
    StepState.DONE: ("✔", "bold green"),
    StepState.ATTENTION: ("!", "bold red"),
}


class RoadmapSidebar(Vertical):
    """Lists the steps; Enter on one opens it."""

    def __init__(self, roadmap: RoadmapService, current: StepId) -> None:
        super().__init__(id="roadmap")
        self.roadmap = roadmap
        self.current = current
        self._statuses: dict[str, StepStatus] = {}

    def compose(self) -> ComposeResult:
        yield Static("Roadmap", id="roadmap-title")
        yield OptionList(id="roadmap-steps")
        yield Static("", id="roadmap-detail")

    def on_mount(self) -> None:
        self.refresh_statuses()

    def refresh_statuses(self) -> None:
        """Redraw from the session; keeps the highlight on the current step."""
        steps = self.query_one("#roadmap-steps", OptionList)
        statuses = self.roadmap.statuses()
        self._statuses = {s.step.id.value: s for s in statuses}
        steps.clear_options()
        for status in statuses:
            icon, style = ICONS[status.state]
            label = Text.assemble((f"{icon} ", style), status.step.label)
            if status.step.id is self.current:
                label.stylize("bold")
            if not status.step.available:
                label.stylize("dim")
            steps.add_option(Option(label, id=status.step.id.value))
        steps.highlighted = next(i for i, s in enumerate(statuses) if s.step.id is self.current)
        self._show_detail(self.current.value)

    def _show_detail(self, step_id: str | None) -> None:
        status = self._statuses.get(step_id or "")
        detail = self.query_one("#roadmap-detail", Static)
        if status is None:
            detail.update("")
            return
        text = Text(status.state.label.capitalize(), style=ICONS[status.state][1])
        if status.reason:
            text.append(f"\n{status.reason}", style="")
        detail.update(text)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(GoToStep(StepId(event.option.id)))
