"""Step 4 in the real wizard at 80x24, keyboard only: export the provider CSV, mark
subscriptions assigned (confirmation), watch activations arrive as the sandbox's clock
moves (poll), the at-risk filter, reminders sent to the demo's own mail server, and the
MX gate opening only once every user is migrated, delta-passed and activated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from textual.widgets import DataTable, Static

from onboard_tui.cli import main
from onboard_tui.clock import FrozenClock
from onboard_tui.ui.dialogs.prompts import ConfirmDialog
from onboard_tui.ui.screens.subscribe import SubscribeScreen
from tests.ui.scenes_subscribe import (
    USERS,
    open_subscribe,
    service_of,
    settle,
    subscribe_app,
)

SIZE = (80, 24)
EMAILS = sorted(u.email for u in USERS)


def text_of(pilot: object, widget_id: str) -> str:
    screen = pilot.app.screen  # type: ignore[attr-defined]
    return str(screen.query_one(widget_id, Static).render())


async def test_export_assign_activate_remind_and_gate(tmp_path: Path) -> None:
    app = subscribe_app(tmp_path / "demo")
    async with app.run_test(size=SIZE) as pilot:
        await open_subscribe(pilot)
        svc = service_of(pilot)
        screen = app.screen
        assert isinstance(screen, SubscribeScreen)
        table = screen.query_one("#subs-table", DataTable)
        assert sorted(str(k.value) for k in table.rows) == EMAILS
        assert "4 need a subscription · 0 assigned" in text_of(pilot, "#subs-counters")
        assert "4 migrated, not activated" in text_of(pilot, "#subs-counters")
        assert "first deadline is 2027-01-24" in text_of(pilot, "#subs-deadline")

        await pilot.press("e")
        await settle(pilot)
        exported = sorted(svc.store.folder.glob("subscriptions-for-provider-*.csv"))
        assert len(exported) == 1
        assert "alice.adams@renovations.com" in exported[0].read_text(encoding="utf-8-sig")

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("shift+tab", "enter")  # Cancel has the focus; the other button does it
        await settle(pilot)
        assert svc.subscriptions.overview().counters.assigned == 4
        assert "4 subscription(s) assigned." in text_of(pilot, "#subs-line")
        assert "4 assigned" in text_of(pilot, "#subs-counters")

        clock = svc.clock
        assert isinstance(clock, FrozenClock)
        clock.advance(timedelta(seconds=301))  # the demo's users log in over 5 minutes
        await pilot.press("p")
        await settle(pilot)
        counters = svc.subscriptions.overview().counters
        assert 0 < counters.activated < 4, "some activate by themselves, some need a reminder"
        assert "activated:" in text_of(pilot, "#subs-line")

        await pilot.press("f")  # at risk: migrated, not activated
        await settle(pilot)
        assert screen.query_one("#subs-warning").display
        assert "get no new mail" in text_of(pilot, "#subs-warning")
        at_risk = sorted(str(k.value) for k in table.rows)
        assert len(at_risk) == counters.at_risk == 4 - counters.activated

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("shift+tab", "enter")
        await settle(pilot)
        for _ in range(100):  # the send worker posts its report when done
            if "Reminders:" in text_of(pilot, "#subs-line"):
                break
            await pilot.pause(0.1)
        assert f"Reminders: {len(at_risk)} sent, 0 failed" in text_of(pilot, "#subs-line")
        for email in at_risk:
            box = svc.store.folder / "demo-mail" / email
            assert any(box.rglob("*")), f"no reminder in {box}"
        await pilot.press("r")  # never twice unless the admin asks (Communicate's Force)
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)

        record = svc.store.data.domain("renovations.com")
        assert record is not None
        gate_users = svc.mx.users_of(record)
        assert gate_users is not None and sorted(gate_users.not_activated) == at_risk
        assert len(gate_users.no_final_delta) == 4

        result = CliRunner().invoke(main, ["sandbox", "activate", str(svc.store.folder), *at_risk])
        assert result.exit_code == 0, result.output
        with svc.store.db.transaction() as conn:
            conn.execute("UPDATE mail_jobs SET passes = 2")  # the final delta pass
        await pilot.press("p")
        await settle(pilot)
        assert svc.subscriptions.overview().counters.activated == 4
        gate_users = svc.mx.users_of(record)
        assert gate_users is not None
        assert (gate_users.not_migrated, gate_users.no_final_delta, gate_users.not_activated) == (
            (),
            (),
            (),
        )
