"""Step 3 Migrate users: the seed's Mail Onboarding Manager, as five tabs.

Users (all users, import, Transfer Groups), Settings (Transfer Group Settings and the
quota check), Staging (start now or at a time, pause, resume, retry, delta), Complete
(provisioned users, exports) and Dashboard (progress). While Staging or Dashboard is
shown, a ProgressSnapshot is read in a thread at most 4 times a second and handed to
both; in observer mode it comes from state.db.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on, work
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from onboard_tui.directory import DirectoryService, MembershipPreview
from onboard_tui.mail.service import MigrationService
from onboard_tui.roadmap import Step
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.ui.dialogs.membership import MembershipDialog
from onboard_tui.ui.messages import (
    GroupsChanged,
    GroupsLoaded,
    ImportApplied,
    MembershipApplied,
    MembershipPreviewed,
    MigrationProgress,
)
from onboard_tui.ui.screens.migrate_complete import CompletePanel
from onboard_tui.ui.screens.migrate_dashboard import DashboardPanel
from onboard_tui.ui.screens.migrate_groups import GroupsPanel
from onboard_tui.ui.screens.migrate_settings import SettingsPanel
from onboard_tui.ui.screens.migrate_staging import StagingPanel
from onboard_tui.ui.screens.migrate_users import UsersPanel
from onboard_tui.ui.screens.step_screen import StepScreen

POLL_SECONDS = 0.25  # at most 4 snapshots a second
#: The tabs whose panel is mounted when the tab is first shown.
LAZY_TABS = (
    ("Settings", "settings"),
    ("Staging", "staging"),
    ("Complete", "complete"),
    ("Dashboard", "dashboard"),
)


class MigrateScreen(StepScreen):
    """Users, Settings, Staging, Complete, Dashboard."""

    CSS_PATH = ["migrate.tcss", "migrate_run.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(
        self,
        step: Step,
        roadmap: RoadmapService,
        directory: DirectoryService,
        *,
        folder: Path,
        demo: bool = False,
        migration: MigrationService | None = None,
    ) -> None:
        super().__init__(step, roadmap)
        self.directory = directory
        self.folder = folder
        self.demo = demo
        self.migration = migration
        self._polling = False

    def compose_body(self) -> Iterable[Widget]:
        # Only the Users tab is built now; the others on their first activation (styling
        # all five panels made opening Step 3 take a quarter of a second longer).
        with TabbedContent(id="migrate-tabs"):
            with TabPane("Users", id="users"):
                yield UsersPanel(
                    self.directory, folder=self.folder, demo=self.demo, id="users-panel"
                )
                yield GroupsPanel(self.directory, id="groups-panel")
            for title, pane_id in LAZY_TABS:
                yield TabPane(title, id=pane_id)

    def _build_panel(self, pane_id: str) -> Widget | None:
        """The panel of a tab shown for the first time (None: nothing to show there)."""
        if pane_id == "settings":
            return SettingsPanel(self.directory, id="settings-panel")
        if self.migration is None:
            return None
        if pane_id == "staging":
            return StagingPanel(self.migration, id="staging-panel")
        if pane_id == "complete":
            return CompletePanel(self.migration, id="complete-panel")
        if pane_id == "dashboard":
            return DashboardPanel(observer=self.migration.observer, id="dashboard-panel")
        return None

    def on_mount(self) -> None:
        self.query_one("#users-table").focus()
        if self.migration is not None:
            self.set_interval(POLL_SECONDS, self._poll)
            if not self.migration.observer and self.migration.scheduler.schedules():
                # the Staging panel fires scheduled starts: build it without waiting
                # for the tab to be shown, once the Users tab is on screen
                self.call_after_refresh(self._mount_panel, "staging")

    def _mount_panel(self, pane_id: str) -> bool:
        """Mount a tab's panel the first time it is needed; True when it was mounted now."""
        pane = self.query_one(f"#{pane_id}", TabPane)
        if pane.children:
            return False
        panel = self._build_panel(pane_id)
        if panel is None:
            return False
        pane.mount(panel)  # it loads its data when mounted
        return True

    # --- progress: one snapshot feeds Staging and Dashboard -------------------------------

    def _poll(self) -> None:
        if self._polling or self.app.screen is not self:
            return
        active = self.query_one("#migrate-tabs", TabbedContent).active
        if active in ("staging", "dashboard"):
            self._polling = True
            self.read_snapshot()

    @work(thread=True, exclusive=True, group="migration-snapshot", exit_on_error=False)
    def read_snapshot(self) -> None:
        assert self.migration is not None
        try:
            self.post_message(MigrationProgress(self.migration.snapshot()))
        finally:
            self._polling = False

    def on_migration_progress(self, message: MigrationProgress) -> None:
        message.stop()
        assert self.migration is not None
        # a panel mounted a moment ago may not have its tables yet: it gets the next one
        for staging in self.query(StagingPanel):
            if staging.is_mounted:
                staging.update_snapshot(message.snapshot)
        for dashboard in self.query(DashboardPanel):
            if dashboard.is_mounted:
                dashboard.update_snapshot(message.snapshot, self.migration.clock.now())

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

    def _reload_settings(self) -> None:
        """The Settings tab, when it was shown once, follows group and user changes."""
        for panel in self.query(SettingsPanel):
            panel.reload()

    def on_groups_loaded(self, message: GroupsLoaded) -> None:
        self.users.group_names = [g.name for g in message.groups]

    def on_groups_changed(self, message: GroupsChanged) -> None:
        message.stop()
        self.groups.reload()
        self._reload_settings()
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
        self._reload_settings()

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane
        if pane.id is None or (not pane.children and self._mount_panel(pane.id)):
            return
        if pane.id == "settings":
            self._reload_settings()
        elif pane.id == "staging":
            for staging in self.query(StagingPanel):
                staging.reload()
        elif pane.id == "complete":
            for complete in self.query(CompletePanel):
                complete.reload()

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
        self._reload_settings()
