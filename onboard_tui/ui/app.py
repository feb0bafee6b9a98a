"""The wizard: opens (or creates) a session, then one screen per roadmap step.

Each step is a Textual mode, so a step keeps its state while the administrator looks at
another one. All work that may block runs in thread workers and comes back as a typed
message; one handler turns any worker failure into a notification, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from onboard_tui.clock import Clock, SystemClock
from onboard_tui.errors import OnboardError
from onboard_tui.providers import list_profiles
from onboard_tui.roadmap import STEPS, StepId
from onboard_tui.service import NewSession, OnboardingService
from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.store import restore_backup, session_paths
from onboard_tui.ui.dialogs.tour import TourDialog
from onboard_tui.ui.messages import (
    GoToStep,
    RoadmapChanged,
    SessionDamaged,
    SessionMissing,
    SessionOpened,
    SessionOpenFailed,
)
from onboard_tui.ui.screens.new_session import NewSessionScreen
from onboard_tui.ui.screens.opening import OpeningScreen
from onboard_tui.ui.screens.placeholder import PlaceholderScreen
from onboard_tui.ui.screens.session_problem import SessionProblemScreen
from onboard_tui.ui.screens.setup import SetupScreen
from onboard_tui.ui.screens.step_screen import StepScreen

log = logging.getLogger(__name__)


class OnboardApp(App[int]):
    """The onboarding wizard for one session folder."""

    CSS_PATH = "app.tcss"
    TITLE = "onboard-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        session_path: Path,
        *,
        clock: Clock | None = None,
        new: NewSession | None = None,
        show_tour: bool = True,
    ) -> None:
        super().__init__()
        self.session_file, self.session_folder = session_paths(session_path)
        self.clock = clock or SystemClock()
        self.new = new
        self.show_tour = show_tour
        self.service: OnboardingService | None = None

    # --- opening -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(OpeningScreen(f"Opening {self.session_file} …"))
        self.open_session()

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def open_session(self, restore: bool = False) -> None:
        try:
            if restore:
                kept = restore_backup(self.session_file, self.clock.now())
                log.warning("restored the backup; the damaged file is kept as %s", kept)
            if self.session_file.exists():
                service = OnboardingService.open(self.session_file, clock=self.clock)
            elif self.new is not None:
                service = OnboardingService.create(self.session_file, self.new, clock=self.clock)
            else:
                self.post_message(SessionMissing(self.session_file))
                return
        except SessionFileError as exc:
            self.post_message(SessionDamaged(exc))
        except OnboardError as exc:
            self.post_message(SessionOpenFailed(exc))
        else:
            self.post_message(SessionOpened(service))

    def on_session_missing(self, message: SessionMissing) -> None:
        catalogue = list_profiles([self.session_folder / "providers"])
        screen = NewSessionScreen(message.path, catalogue.profiles, catalogue.problems)

        def chosen(new: NewSession | None) -> None:
            if new is not None:
                self.new = new
                self.open_session()

        self.push_screen(screen, chosen)

    def on_session_damaged(self, message: SessionDamaged) -> None:
        def decided(restore: bool | None) -> None:
            if restore:
                self.open_session(restore=True)

        self.push_screen(SessionProblemScreen(message.error), decided)

    def on_session_open_failed(self, message: SessionOpenFailed) -> None:
        self.push_screen(SessionProblemScreen(message.error))

    def on_session_opened(self, message: SessionOpened) -> None:
        service = self.service = message.service
        self.title = f"onboard-tui · {service.session.name}"
        self._update_subtitle()
        for step in STEPS:
            self.add_mode(step.id.value, self._screen_factory(step.id))
        self.switch_mode(service.roadmap.current.value)
        if service.read_only:
            holder = service.store.lock.holder()
            self.notify(
                f"Another onboard-tui (process {holder or '?'}) is using this session: "
                "opened read-only.",
                severity="warning",
                timeout=10,
                markup=False,
            )
        for warning in service.warnings():
            self.notify(warning, severity="warning", timeout=15, markup=False)
        note = service.roadmap.resume_note()
        if note is None and self.show_tour and not service.roadmap.tour_seen:
            self.action_tour()
        elif note is not None:
            self.notify(
                f"Welcome back. You are at Step {note.step.label}."
                + (f" Last: {note.last_activity}" if note.last_activity else ""),
                title="Session resumed",
                timeout=8,
                markup=False,
            )

    def _screen_factory(self, step_id: StepId) -> Callable[[], Screen[None]]:
        service = self.service
        assert service is not None
        step = next(s for s in STEPS if s.id is step_id)

        def make() -> Screen[None]:
            if step_id is StepId.SETUP:
                return SetupScreen(step, service.roadmap, service.setup)
            if step_id is StepId.VERIFY:
                from onboard_tui.ui.screens.verify import VerifyScreen

                return VerifyScreen(step, service.roadmap, service.domains, service.store.folder)
            if step_id is StepId.MX:
                from onboard_tui.ui.screens.mx import MxScreen

                return MxScreen(
                    step,
                    service.roadmap,
                    service.mx,
                    folder=service.store.folder,
                    read_only=service.read_only,
                )
            if step_id is StepId.MIGRATE:
                from onboard_tui.ui.screens.migrate import MigrateScreen

                return MigrateScreen(
                    step,
                    service.roadmap,
                    service.directory,
                    folder=service.store.folder,
                    demo=service.sandbox is not None,
                    migration=service.migration,
                )
            if step_id is StepId.COMMUNICATE:
                from onboard_tui.ui.screens.communicate import CommunicateScreen

                return CommunicateScreen(
                    step, service.roadmap, service.comms, demo=service.sandbox is not None
                )
            return PlaceholderScreen(step, service.roadmap)

        return make

    def _update_subtitle(self) -> None:
        if self.service is None:
            return
        org = self.service.session.organisation
        who = (org.company or org.logon_name) if org else "not registered yet"
        self.sub_title = who + (" · read-only" if self.service.read_only else "")

    # --- navigation ----------------------------------------------------------------------

    def on_go_to_step(self, message: GoToStep) -> None:
        self.go_to_step(message.step)

    def go_to_step(self, step_id: StepId) -> None:
        if self.service is None:
            return
        try:
            self.service.roadmap.go_to(step_id)
        except OnboardError as exc:
            self.notify(str(exc), severity="error", markup=False)
        self.switch_mode(step_id.value)

    def on_roadmap_changed(self, _: RoadmapChanged) -> None:
        self._update_subtitle()
        if isinstance(self.screen, StepScreen):
            self.screen.refresh_roadmap()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.service is None:
            return
        for step in STEPS:
            name = f"Step {step.label}" if step.number else step.title
            yield SystemCommand(
                f"Go to {name}",
                step.summary,
                lambda s=step.id: self.go_to_step(s),
            )
        yield SystemCommand("Getting-started tour", "Explain the roadmap again", self.action_tour)

    def action_tour(self) -> None:
        def seen(_: None) -> None:
            if self.service is not None:
                try:
                    self.service.roadmap.mark_tour_seen()
                except OnboardError as exc:
                    self.notify(str(exc), severity="error", markup=False)

        self.push_screen(TourDialog(), seen)

    # --- failures and shutdown -----------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, OnboardError):
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        log.error("unexpected failure in %s", event.worker.name, exc_info=error)
        self.notify(
            f"Unexpected error ({type(error).__name__}): {error}. Details are in "
            f"{self.session_folder / 'onboard-tui.log'}.",
            severity="error",
            timeout=15,
            markup=False,
        )

    def on_unmount(self) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None


def make_app(
    session_path: Path,
    *,
    clock: Clock | None = None,
    new: NewSession | None = None,
    show_tour: bool = True,
) -> OnboardApp:
    """The one way the CLI and the tests build the wizard."""
    return OnboardApp(session_path, clock=clock, new=new, show_tour=show_tour)
