"""Step 3 end to end at 80x24, keyboard only: import the demo CSV with its deliberate errors,
build two Transfer Groups (one by filter, with a preview), give them different settings and
see the quota warning."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable, Static

from onboard_tui.ui.app import OnboardApp
from onboard_tui.ui.dialogs.csv_import import CsvImportDialog
from onboard_tui.ui.dialogs.group_filter import GroupFilterDialog
from onboard_tui.ui.screens.migrate import MigrateScreen
from tests.ui.scenes import demo_app
from tests.ui.scenes_migrate import (
    assign,
    filter_preview,
    mark_and_add,
    new_group,
    new_setting,
    open_migrate,
    settle,
    show_tab,
    tab_to,
    type_text,
)

SIZE = (80, 24)


def text_of(app: OnboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def column(table: DataTable[object], index: int) -> list[str]:
    return [str(table.get_row_at(r)[index]) for r in range(table.row_count)]


async def test_import_groups_settings_and_quota(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "demo", show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_migrate(pilot)
        assert isinstance(app.screen, MigrateScreen)
        assert "No users yet" in text_of(app, "#users-empty")
        directory = app.service.directory if app.service else None
        assert directory is not None

        # --- import: review shows format, problems by line and field, the difference
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, CsvImportDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert "UTF-8, comma-separated" in text_of(app, "#csv-format")
        problems = app.screen.query_one("#csv-problems", DataTable)
        assert column(problems, 0) == ["10", "22", "32"]
        assert column(problems, 1) == ["email", "email", "email"]
        reasons = " ".join(column(problems, 2))
        assert "not a valid email" in reasons and "duplicate" in reasons and "empty" in reasons
        assert "38 new" in text_of(app, "#csv-difference")
        button = app.screen.query_one("#csv-import", Button)
        assert str(button.label) == "Import, skipping the 3 rejected rows"
        assert app.focused is button
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MigrateScreen)
        users = app.screen.query_one("#users-table", DataTable)
        assert users.row_count == 38
        assert directory.users_page().total == 38
        names = column(users, 2)
        assert "Rosa Rossi [Legal]" in names  # markup shown literally

        # --- search (debounced, SQL) narrows the table
        await tab_to(pilot, "#user-search", back=True)
        await type_text(pilot, "west.")
        await pilot.pause(0.3)
        await settle(pilot)
        assert users.row_count == 12
        await pilot.press(*["backspace"] * 5)
        await pilot.pause(0.3)
        await settle(pilot)
        assert users.row_count == 38

        # --- group 1 by hand: two marked users
        await new_group(pilot, "Wave 1")
        await mark_and_add(pilot, 2)
        groups = {g.name: g for g in directory.groups()}
        assert groups["Wave 1"].members == 2
        assert column(users, 4)[:2] == ["Wave 1", "Wave 1"]  # updated by key

        # --- group 2 by filter, with a preview of who joins and from where
        await new_group(pilot, "West")
        await filter_preview(pilot, 1, "west.renovations.com")
        assert isinstance(app.screen, GroupFilterDialog)
        preview = text_of(app, "#filter-preview")
        assert "12 join (1 from Wave 1)" in preview
        assert "adam.abe@west.renovations.com  (leaves Wave 1)" in preview
        assert directory.groups()[1].members == 0  # nothing saved before Save
        await pilot.press("enter")
        await settle(pilot)
        groups = {g.name: g for g in directory.groups()}
        assert groups["West"].members == 12 and groups["Wave 1"].members == 1

        # --- two settings, assigned to the two groups
        await show_tab(pilot, "settings")
        await new_setting(pilot, "Everything")
        await new_setting(pilot, "Last 12 months", months=12, max_mb=25)
        settings = {s.name: s for s in directory.settings()}
        assert settings["Everything"].mode == "full"
        last = settings["Last 12 months"]
        assert (last.mode, last.last_months, last.max_item_mb) == ("selective", 12, 25)
        assert last.exclude_folders == ["Deleted Items", "Junk"]
        await assign(pilot, 0, "everything")
        await assign(pilot, 1, "last 12")
        groups = {g.name: g for g in directory.groups()}
        assert groups["Wave 1"].setting == "Everything"
        assert groups["West"].setting == "Last 12 months"

        # --- the quota warning lists who goes over, with what would bring them under
        summary = text_of(app, "#quota-summary")
        assert "4 of 38 users would go over the 50 GB quota" in summary
        assert "To bring them under: assign a selective setting such as 'Last 12 months'" in summary
        quota = app.screen.query_one("#quota-table", DataTable)
        assert column(quota, 0)[0] == "bea.berg@renovations.com"
        assert "liam.lopez@west.renovations.com" in column(quota, 0)
        assert "Last 12 months (may)" in column(quota, 3)
        assert all("selective setting such as 'Last 12 months'" in s for s in column(quota, 4))


async def test_cancel_import_changes_nothing_and_bad_path_is_a_sentence(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "demo", show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_migrate(pilot)
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k")  # clear the offered path
        await type_text(pilot, str(tmp_path / "nope.csv"))
        await pilot.press("enter")
        await settle(pilot)
        assert "does not exist" in text_of(app, "#csv-hint")
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "sample_configs/demo-users.csv")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MigrateScreen)
        assert app.service is not None
        assert app.service.directory.users_page().total == 0


async def test_users_table_pages_instead_of_loading_everything(tmp_path: Path) -> None:
    rows = ["email,name,department"] + [
        f"user{i:05d}@renovations.com,User {i},Dept {i % 7}" for i in range(1500)
    ]
    big = tmp_path / "big.csv"
    big.write_text("\n".join(rows) + "\n")
    app = demo_app(tmp_path / "demo", show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_migrate(pilot)
        assert app.service is not None
        directory = app.service.directory
        directory.apply_import(directory.plan_csv(big), skip_problems=True)
        app.screen.query_one("#users-panel").reload()  # type: ignore[attr-defined]
        await settle(pilot)
        table = app.screen.query_one("#users-table", DataTable)
        assert table.row_count == 200
        assert "200 of 1500 users" in text_of(app, "#users-count")
        table.focus()
        await pilot.press(*["pagedown"] * 25)
        await settle(pilot)
        assert 200 < table.row_count < 1500
        await pilot.press("end")
        await settle(pilot)
        assert table.row_count <= 600
