"""Step 3 Migrate users: the seed's Mail Onboarding Manager, as five tabs.

Users (all users, import, Transfer Groups) and Settings (Transfer Group Settings and the
quota check) work in this version; Staging, Complete and Dashboard arrive with the
migration engine and say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on, work
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from onboard_tui.directory import DirectoryService, MembershipPreview
from onboard_tui.roadmap import Step
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.ui.dialogs.membership import MembershipDialog
from onboard_tui.ui.messages import (
    GroupsChanged,
    GroupsLoaded,
    ImportApplied,
    MembershipApplied,
    MembershipPreviewed,
)
from onboard_tui.ui.screens.migrate_groups import GroupsPanel
from onboard_tui.ui.screens.migrate_settings import SettingsPanel
from onboard_tui.ui.screens.migrate_users import UsersPanel
from onboard_tui.ui.screens.step_screen import StepScreen

LATER: dict[str, tuple[str, tuple[str, ...]]] = {
    "staging": (
        "Staging: start each Transfer Group now, or schedule it for later.",
        (
            "Pre-flight checks before a group may start: source credentials, impersonation, "
            "the cloud reachable, the quota.",
            "Start now or at a time; pause, resume, retry failed users.",
            "A final delta pass just before the MX switch.",
        ),
    ),
    "complete": (
        "Complete: the users whose mail has been provisioned in the cloud.",
        (
            "Per user: items and bytes copied, items skipped and why.",
            "Exportable as CSV.",
        ),
    ),
    "dashboard": (
        "Dashboard: the progress of your migration.",
        (
            "Per group and overall: users done, running and failed; items, bytes, rate, ETA.",
            "Throttling state, current concurrency and the recent errors, updated live.",
        ),
    ),
}


class MigrateScreen(StepScreen):
    """Users, Settings, Staging, Complete, Dashboard."""

    CSS_PATH = "migrate.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(
        self,
        step: Step,
        roadmap: RoadmapService,
        directory: DirectoryService,
        *,
        folder: Path,
        demo: bool = False,
    ) -> None:
        super().__init__(step, roadmap)
        self.directory = directory
        self.folder = folder
        self.demo = demo

    def compose_body(self) -> Iterable[Widget]:
        with TabbedContent(id="migrate-tabs"):
            with TabPane("Users", id="users"):
                yield UsersPanel(
                    self.directory, folder=self.folder, demo=self.demo, id="users-panel"
                )
                yield GroupsPanel(self.directory, id="groups-panel")
            with TabPane("Settings", id="settings"):
                yield SettingsPanel(self.directory, id="settings-panel")
            for key, (title, lines) in LATER.items():
                with TabPane(key.capitalize(), id=key):
                    yield from _later(key, title, lines)

    def on_mount(self) -> None:
        self.query_one("#users-table").focus()

    # --- the roadmap sidebar folds away when the terminal is narrow -----------------------

    def action_focus_roadmap(self) -> None:
        self.add_class("-roadmap-open")
        self.call_after_refresh(super().action_focus_roadmap)

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._fold_roadmap)

    def _fold_roadmap(self) -> None:
        focused = self.focused
        if focused is None or focused.id != "roadmap-steps":
            self.remove_class("-roadmap-open")

    # --- the panels keep each other current ----------------------------------------------

    @property
    def users(self) -> UsersPanel:
        return self.query_one(UsersPanel)

    @property
    def groups(self) -> GroupsPanel:
        return self.query_one(GroupsPanel)

    @property
    def settings(self) -> SettingsPanel:
        return self.query_one(SettingsPanel)

    def on_groups_loaded(self, message: GroupsLoaded) -> None:
        self.users.group_names = [g.name for g in message.groups]

    def on_groups_changed(self, message: GroupsChanged) -> None:
        message.stop()
        self.groups.reload()
        self.settings.reload()
        self.users.reload()

    def on_import_applied(self, message: ImportApplied) -> None:
        message.stop()
        d = message.plan.difference
        skipped = len(message.plan.problems)
        self.notify(
            f"Imported: {d.added} new, {d.changed} changed, {d.unchanged} unchanged"
            + (f"; {skipped} rejected rows skipped." if skipped else "."),
            title="Users imported",
            markup=False,
        )
        self.users.reload()
        self.groups.reload()
        self.settings.reload()

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "settings":
            self.settings.reload()

    # --- membership: preview, then save exactly what was shown ---------------------------

    def on_membership_previewed(self, message: MembershipPreviewed) -> None:
        message.stop()
        preview = message.preview
        if message.reviewed:
            self.apply_membership(preview, from_marks=False)
            return
        action = "Add" if preview.description == "selected users" else "Remove"

        def decided(save: bool | None) -> None:
            if save:
                self.apply_membership(preview, from_marks=True)

        self.app.push_screen(MembershipDialog(preview, action), decided)

    @work(thread=True, exclusive=True, group="membership-apply", exit_on_error=False)
    def apply_membership(self, preview: MembershipPreview, *, from_marks: bool) -> None:
        self.directory.apply_membership(preview)
        self.post_message(MembershipApplied(preview, from_marks))

    def on_membership_applied(self, message: MembershipApplied) -> None:
        p = message.preview
        self.notify(
            f"'{p.group}': {len(p.joining)} joined, {len(p.leaving)} left.",
            title="Transfer Group saved",
            markup=False,
        )
        self.users.apply_membership(p, clear_marks=message.from_marks)
        self.groups.reload()
        self.settings.reload()


def _later(key: str, title: str, lines: tuple[str, ...]) -> Iterable[Widget]:
    yield Static(title, classes="later-title", markup=False)
    yield Static(
        "Not yet available in this version of onboard-tui: it arrives with the migration engine.",
        classes="not-available",
        id=f"{key}-not-available",
    )
    yield Static("What it will do:", classes="planned-title")
    for line in lines:
        yield Static(f"• {line}", classes="planned", markup=False)
