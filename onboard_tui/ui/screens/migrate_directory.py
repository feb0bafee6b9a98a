"""The Users tab's Domino replica line: when it was last refreshed and what changed, with
Refresh (incremental, in a thread, with progress) and the list of who changed.

Shown only when the session has a Domino Directory or a replica was ever refreshed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from onboard_tui.directory import DirectoryService
from onboard_tui.directory.domino import RefreshResult
from onboard_tui.errors import OnboardError
from onboard_tui.session.secrets import Secret
from onboard_tui.ui.dialogs.directory_settings import with_password
from onboard_tui.ui.dialogs.domino_changes import DominoChangesDialog
from onboard_tui.ui.messages import DirectoryProgress, DominoStatus


class DominoBar(Horizontal):
    """The replica's last refresh in one sentence; Refresh replica; Changes."""

    BINDINGS = [Binding("R", "refresh_replica", "Refresh Domino replica", show=False)]

    def __init__(
        self, directory: DirectoryService, passwords: dict[str, Secret], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.directory = directory
        self.passwords = passwords  # shared with the Users tab, in memory only
        self.summary = ""
        self.refreshing = False

    def compose(self) -> ComposeResult:
        yield Static("", id="domino-status", markup=False)
        yield Button("Refresh replica", id="domino-refresh", compact=True)
        yield Button("Changes", id="domino-changes", compact=True)

    def on_mount(self) -> None:
        self.display = False
        self.load()

    def load(self) -> None:
        """Read the replica's last refresh again (after settings, an import or a refresh)."""
        self.read_status()

    @work(thread=True, exclusive=True, group="domino-status", exit_on_error=False)
    def read_status(self) -> None:
        self.post_message(DominoStatus(self.directory.domino_last_refresh()))

    def on_domino_status(self, message: DominoStatus) -> None:
        message.stop()
        self.refreshing = False
        configured = self.directory.store.data.directory.domino is not None
        self.display = configured or message.last is not None
        self.query_one("#domino-refresh", Button).disabled = not configured
        self.query_one("#domino-changes", Button).disabled = message.last is None
        self.summary = replica_text(message.last, self.directory.clock.now())
        self._show(self.summary)
        if message.refreshed and message.last is not None:
            self.notify(replica_text(message.last, None), title="Domino replica", markup=False)

    def _show(self, text: str) -> None:
        self.query_one("#domino-status", Static).update(text)

    # --- refresh -------------------------------------------------------------------------

    @on(Button.Pressed, "#domino-refresh")
    def action_refresh_replica(self) -> None:
        source = self.directory.store.data.directory.domino
        if source is None:
            self.notify(
                "No Domino Directory is set up: press d and choose Domino Directory.",
                severity="warning",
            )
            return
        if self.refreshing:
            return

        def go(password: Secret | None) -> None:
            self.refreshing = True
            self._show("Refreshing the Domino replica…")
            self.refresh_replica(password)

        with_password(self.app, source, "domino", self.passwords, go)

    @work(thread=True, exclusive=True, group="domino-refresh", exit_on_error=False)
    def refresh_replica(self, password: Secret | None) -> None:
        def progress(entries: int) -> None:
            self.post_message(DirectoryProgress(entries))

        try:
            result = self.directory.refresh_domino(password, progress)
        except OnboardError as exc:
            if "password was refused" in str(exc):
                self.passwords.pop("domino", None)  # a typed password is asked again
            self.app.call_from_thread(self.load)
            raise  # the app's worker handler shows the sentence
        self.post_message(DominoStatus(result, refreshed=True))

    def on_directory_progress(self, message: DirectoryProgress) -> None:
        message.stop()
        if self.refreshing:
            self._show(f"Refreshing the Domino replica… {message.entries:,} entries read")

    @on(Button.Pressed, "#domino-changes")
    def _show_changes(self) -> None:
        self.app.push_screen(DominoChangesDialog(self.directory, self.summary))


def replica_text(last: RefreshResult | None, now: datetime | None) -> str:
    """When the replica was refreshed and what that changed, in one sentence."""
    if last is None:
        return "Domino replica: never refreshed. Refresh replica reads the directory into it."
    when = f"{last.at:%Y-%m-%d %H:%M} UTC"
    if now is not None:
        when += f" ({age(now - last.at)} ago)"
    return (
        f"Domino replica refreshed {when}: {last.added} added, {last.changed} changed, "
        f"{last.removed} removed; {last.total} people."
    )


def age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
