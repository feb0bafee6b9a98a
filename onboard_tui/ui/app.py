"""The wizard: opens (or creates) a session, then one screen per roadmap step.

Each step is a Textual mode, so a step keeps its state while the administrator looks at
another one. All work that may block runs in thread workers and comes back as a typed
message; one handler turns any worker failure into a notification, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from onboard_tui.answers import Answers
    from onboard_tui.session.secrets import Secret
    from onboard_tui.ui.answers_driver import Outcome

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
        answers: AnswersRun | None = None,
    ) -> None:
        super().__init__()
        self.answers = answers
        self.answers_task: asyncio.Task[None] | None = None
        self.session_file, self.session_folder = session_paths(session_path)
        self.clock = clock or SystemClock()
        self.new = new
        self.show_tour = show_tour
        self.service: OnboardingService | None = None
        self._signals: list[int] = []

    # --- opening -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(OpeningScreen(f"Opening {self.session_file} …"))
        self._catch_hangup()
        self.open_session()

    def _catch_hangup(self) -> None:
        """SIGHUP (the SSH session or tmux went away) or SIGTERM would kill the process
        mid-batch; instead the migration stops at a batch boundary, the ledger is
        committed, the session lock is released, then the wizard exits."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._hang_up, signum)
                self._signals.append(signum)

    def _hang_up(self, signum: int) -> None:
        log.info("signal %s: checkpointing and leaving", signal.Signals(signum).name)
        if self.service is not None:
            self.service.close()  # stops the engine at a batch boundary, commits the ledger
            self.service = None
        self.exit(128 + signum)

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
        self.call_after_refresh(self._settle_heap)
        if self.answers is not None:
            self.answers_task = asyncio.get_running_loop().create_task(self._run_answers())
            return
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

    def _settle_heap(self) -> None:
        """What opening made (modules, the first screen) lives as long as the wizard: frozen
        out of the garbage collector, whose full passes over it blocked the screen for
        ~150 ms during a migration (bench/bench_dashboard_lag.py)."""
        gc.collect()
        gc.freeze()

    async def _run_answers(self) -> None:
        """The answers file drives the screens; the result stays on screen (or exits)."""
        from onboard_tui.ui.answers_driver import AnswersDriver

        assert self.answers is not None
        await asyncio.sleep(0.2)  # the first screen composes
        outcome = await AnswersDriver(self, self.answers.answers, self.answers.secrets).run()
        self.answers.outcome = outcome
        if self.answers.quit_when_done:
            self.exit(0 if outcome.ok else 1)
            return
        self.notify(
            outcome.summary(),
            title="Answers file",
            severity="information" if outcome.ok else "error",
            timeout=30,
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
            if step_id is StepId.SUBSCRIBE:
                from onboard_tui.ui.screens.subscribe import SubscribeScreen

                return SubscribeScreen(
                    step, service.roadmap, service.subscriptions, read_only=service.read_only
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

    def _fatal_error(self) -> None:
        """Textual's crash report lists local variables, and one may hold a typed password:
        the report here has no locals; the log has the traceback for the developers."""
        from rich.segment import Segments
        from rich.traceback import Traceback

        log.error("the wizard stopped on an unexpected error", exc_info=True)
        self.bell()
        report = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        if self.service is not None:
            self.service.close()
            self.service = None


def make_app(
    session_path: Path,
    *,
    clock: Clock | None = None,
    new: NewSession | None = None,
    show_tour: bool = True,
    answers: AnswersRun | None = None,
) -> OnboardApp:
    """The one way the CLI and the tests build the wizard."""
    return OnboardApp(session_path, clock=clock, new=new, show_tour=show_tour, answers=answers)


@dataclass
class AnswersRun:
    """An answers file to carry out once the session is open, with its secrets resolved."""

    answers: Answers
    secrets: dict[str, Secret]
    quit_when_done: bool = False
    outcome: Outcome | None = None
