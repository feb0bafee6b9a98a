"""Directory data is untrusted: a display name holding ANSI escapes and Rich markup is shown
as the characters it holds in the Users tab, never interpreted (no colour, no bold, no
cursor movement, no link)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from onboard_tui.ui.app import OnboardApp
from tests.ui.scenes import demo_app, wait_open
from tests.ui.scenes_migrate import settle

HOSTILE = "Mallory [bold red]Admin[/] \x1b[31mRED\x1b[0m [link=http://x]x[/link]"


async def test_hostile_display_names_are_shown_literally(tmp_path: Path) -> None:
    csv = tmp_path / "users.csv"
    csv.write_text(f'email,display_name\nmallory@renovations.com,"{HOSTILE}"\n', encoding="utf-8")
    app = demo_app(tmp_path / "demo", show_tour=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_open(pilot)
        assert isinstance(app, OnboardApp) and app.service is not None
        directory = app.service.directory
        directory.apply_import(directory.plan_csv(csv), skip_problems=True)
        await pilot.press("escape", "down", "down", "enter")
        await settle(pilot)
        table = app.screen.query_one("#users-table", DataTable)
        cells = [table.get_row_at(r) for r in range(table.row_count)]
        shown = [c for row in cells for c in row if "Mallory" in str(c)]
        assert shown, cells
        text = shown[0]
        plain = getattr(text, "plain", str(text))
        assert "[bold red]Admin[/]" in plain and "[link=http://x]x[/link]" in plain
        assert "\x1b" not in plain  # the escape is made visible, not sent to the terminal
        assert "[31mRED" in plain
        assert not getattr(text, "spans", [])  # no style came out of the name
