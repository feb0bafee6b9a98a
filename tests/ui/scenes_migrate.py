"""Scenes of Step 3 Migrate users, shared by the snapshot tests, the flow test and
`make screenshots`. Everything is driven with the keyboard, as an administrator would."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TabbedContent

from tests.ui.scenes import Scene, choose, wait_open


async def settle(pilot: Pilot[int]) -> None:
    """Until the workers are done and what they posted is handled (twice: a result may
    start another worker, such as a reload after an import)."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def tab_to(pilot: Pilot[int], selector: str, *, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the widget is focused: proves it is reachable."""
    target = pilot.app.screen.query_one(selector)
    for _ in range(60):
        if pilot.app.focused is target:
            return
        await pilot.press("shift+tab" if back else "tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


async def type_text(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*text)


async def open_migrate(pilot: Pilot[int]) -> None:
    """From a new session: Esc to the roadmap, down to Step 3, Enter."""
    await wait_open(pilot)
    await pilot.press("escape", "down", "down", "enter")
    await wait_open(pilot)
    await settle(pilot)


async def import_demo(pilot: Pilot[int]) -> None:
    """i, Enter on the offered demo file, then Enter on "Import, skipping…"."""
    await pilot.press("i")
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def new_group(pilot: Pilot[int], name: str) -> None:
    await tab_to(pilot, "#groups-table")
    await pilot.press("n")
    await pilot.pause()
    await type_text(pilot, name)
    await pilot.press("enter")
    await settle(pilot)


async def mark_and_add(pilot: Pilot[int], rows: int) -> None:
    """Mark the first `rows` users with Space, g, Enter on the first group, Enter on Save."""
    await tab_to(pilot, "#users-table", back=True)
    await pilot.press("home", *(["space"] * rows), "g")
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def filter_preview(pilot: Pilot[int], group_row: int, domain: str) -> None:
    """On the group table: f, type an email domain, Enter: the preview is shown."""
    await tab_to(pilot, "#groups-table")
    await pilot.press("home", *(["down"] * group_row), "f")
    await pilot.pause()
    await type_text(pilot, domain)
    await pilot.press("enter")
    await settle(pilot)


async def two_groups(pilot: Pilot[int]) -> None:
    """Wave 1 by hand (two marked users), West by filter (email domain)."""
    await import_demo(pilot)
    await new_group(pilot, "Wave 1")
    await mark_and_add(pilot, 2)
    await new_group(pilot, "West")
    await filter_preview(pilot, 1, "west.renovations.com")
    await pilot.press("enter")  # Save, focused once the preview is shown
    await settle(pilot)


async def show_tab(pilot: Pilot[int], tab: str) -> None:
    """Focus the tab strip and move along it with the arrows."""
    await tab_to(pilot, "#migrate-tabs Tabs", back=True)
    tabs = pilot.app.screen.query_one(TabbedContent)
    for _ in range(6):
        if tabs.active == tab:
            break
        await pilot.press("right")
    await settle(pilot)


async def new_setting(pilot: Pilot[int], name: str, *, months: int = 0, max_mb: int = 0) -> None:
    await tab_to(pilot, "#settings-new")
    await pilot.press("enter")
    await type_text(pilot, name)
    if months or max_mb:
        await choose(pilot, "set-mode", "sel")
    if months:
        await choose(pilot, "set-range", "the last")
        await tab_to(pilot, "#set-range-value")
        await type_text(pilot, str(months))
    if max_mb:
        await tab_to(pilot, "#set-max")
        await type_text(pilot, str(max_mb))
    await tab_to(pilot, "#settings-save")
    await pilot.press("enter")
    await settle(pilot)


async def assign(pilot: Pilot[int], group_row: int, setting: str) -> None:
    await tab_to(pilot, "#assign-table")
    await pilot.press("home", *(["down"] * group_row))
    await choose(pilot, "assign-setting", setting)
    await tab_to(pilot, "#assign")
    await pilot.press("enter")
    await settle(pilot)


async def two_settings(pilot: Pilot[int]) -> None:
    await two_groups(pilot)
    await show_tab(pilot, "settings")
    await new_setting(pilot, "Everything")
    await new_setting(pilot, "Last 12 months", months=12, max_mb=25)
    await assign(pilot, 0, "everything")
    await assign(pilot, 1, "last 12")


def quiet(pilot: Pilot[int]) -> None:
    """Pictures without the toasts of earlier actions."""
    pilot.app.clear_notifications()


# --- the scenes ---------------------------------------------------------------------------


async def _empty(pilot: Pilot[int]) -> None:
    await open_migrate(pilot)


async def _import_review(pilot: Pilot[int]) -> None:
    await open_migrate(pilot)
    quiet(pilot)
    await pilot.press("i")
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    problems = pilot.app.screen.query_one("#csv-problems", DataTable)
    problems.focus()
    pilot.app.screen.query_one("#csv-review").scroll_to_widget(problems, animate=False)
    await pilot.pause()


async def _users(pilot: Pilot[int]) -> None:
    await open_migrate(pilot)
    await import_demo(pilot)
    await new_group(pilot, "Wave 1")
    await tab_to(pilot, "#users-table", back=True)
    await pilot.press("home", "space", "space", "down", "space")
    quiet(pilot)
    await pilot.pause()


async def _filter(pilot: Pilot[int]) -> None:
    await open_migrate(pilot)
    await import_demo(pilot)
    await new_group(pilot, "Wave 1")
    await mark_and_add(pilot, 2)
    await new_group(pilot, "West")
    quiet(pilot)  # before the dialog opens, so no toast waits underneath it
    await pilot.pause()
    await filter_preview(pilot, 1, "west.renovations.com")


async def _quota(pilot: Pilot[int]) -> None:
    await open_migrate(pilot)
    await two_settings(pilot)
    table = pilot.app.screen.query_one("#quota-table", DataTable)
    table.focus()
    pilot.app.screen.query_one("#settings-panel").scroll_to_widget(table, animate=False)
    quiet(pilot)
    await pilot.pause()


async def _directory_form(pilot: Pilot[int]) -> None:
    """d: the LDAP form filled in; Test connection against a closed port on 127.0.0.1
    names the stage that failed (TCP)."""
    await open_migrate(pilot)
    quiet(pilot)
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    for field, value in (
        ("#dir-host", "127.0.0.1"),
        ("#dir-port", "1"),
        ("#dir-user", "CN=svc-onboard,OU=Service,DC=renovations,DC=com"),
        ("#dir-password", "env:AD_BIND_PASSWORD"),
        ("#dir-base", "DC=renovations,DC=com"),
    ):
        screen.query_one(field, Input).value = value
    await tab_to(pilot, "#dir-test")
    await pilot.press("enter")
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("migrate-empty", _empty),
    Scene("migrate-import-review", _import_review),
    Scene("migrate-users", _users),
    Scene("migrate-group-filter", _filter),
    Scene("migrate-settings-quota", _quota),
    Scene("migrate-directory-form", _directory_form),
)
