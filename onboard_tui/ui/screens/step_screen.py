"""The frame every step shares: header, roadmap sidebar, the step's own body, footer."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header

from onboard_tui.roadmap import Step
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.ui.widgets.roadmap import RoadmapSidebar


class StepScreen(Screen[None]):
    """Base for one roadmap step; subclasses provide `compose_body`."""

    BINDINGS = [
        Binding("f1", "app.tour", "Tour"),
        Binding("question_mark", "app.tour", "Tour", show=False),
        Binding("escape", "focus_roadmap", "Roadmap"),
    ]

    def __init__(self, step: Step, roadmap: RoadmapService) -> None:
        super().__init__(name=step.id.value)
        self.step = step
        self.roadmap = roadmap

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="step-layout"):
            yield RoadmapSidebar(self.roadmap, self.step.id)
            with Vertical(id="step-body"):
                yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        self.refresh_roadmap()

    def refresh_roadmap(self) -> None:
        for sidebar in self.query(RoadmapSidebar):
            sidebar.refresh_statuses()

    def action_focus_roadmap(self) -> None:
        self.query_one("#roadmap-steps").focus()


class WideStepScreen(StepScreen):
    """A step whose tables need the whole width: below 110 columns the roadmap sidebar
    folds away (Esc brings it back while it has the focus), so 80x24 shows the table."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def on_mount(self) -> None:
        self.add_class("-fold")

    def action_focus_roadmap(self) -> None:
        self.add_class("-roadmap-open")
        self.call_after_refresh(super().action_focus_roadmap)

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._fold_roadmap)

    def _fold_roadmap(self) -> None:
        focused = self.focused
        if focused is None or focused.id != "roadmap-steps":
            self.remove_class("-roadmap-open")
