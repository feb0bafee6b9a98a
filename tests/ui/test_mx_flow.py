"""Step 5 in the real wizard against a private knotd: the gate blocks an unverified
domain; typing the domain name lets the switch through; Apply and Undo change the real
zone and are read back from it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.resolver
import dns.update
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from onboard_tui import service as service_module
from onboard_tui.dns import DnsChecker
from onboard_tui.mx import MxService
from onboard_tui.roadmap import StepId
from onboard_tui.session.model import DnsUpdateConfig, DomainRecord, SessionData
from onboard_tui.session.store import SessionStore
from onboard_tui.ui.app import OnboardApp, make_app
from onboard_tui.ui.dialogs.mx_confirm import ConfirmSwitchDialog
from tests.integration.servers.knot import KnotServer, start_knot
from tests.ui.scenes import START, frozen_clock, wait_open

SIZE = (120, 40)


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    with start_knot(tmp_path_factory.mktemp("knot-ui")) as server:
        yield server


@pytest.fixture
def wired(knot: KnotServer, monkeypatch: pytest.MonkeyPatch) -> KnotServer:
    """Every MxService the wizard builds asks only the private knotd (never port 53)."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [knot.host]
    resolver.port = knot.port
    resolver.cache = None
    checker = DnsChecker(resolver=resolver, port=knot.port, timeout=2.0)

    def make(*args: Any, **kwargs: Any) -> MxService:
        kwargs.update(
            checker=checker,
            probe_timeout=1.0,
            settle=3.0,
            environ={"ONBOARD_TSIG": knot.tsig_secret},
            demo_smtp=None,
        )
        return MxService(*args, **kwargs)

    monkeypatch.setattr(service_module, "MxService", make)
    return knot


def seeded_domain(knot: KnotServer) -> str:
    domain = f"ui-{secrets.token_hex(4)}.renovations.com"
    update = dns.update.UpdateMessage("renovations.com", keyring=knot.tsig_key())
    update.add(f"{domain}.", 300, "MX", "10 mail.renovations.com.")
    assert dns.query.tcp(update, knot.host, port=knot.port, timeout=5).rcode() == 0
    return domain


def session_at_step5(folder: Path, knot: KnotServer, domain: str, *, verified: bool) -> None:
    data = SessionData(name="mx", created=START, provider="sandbox", geography="na")
    data.current_step = StepId.MX
    data.tour_seen = True
    data.domains = [
        DomainRecord(
            domain,
            verified_at=START if verified else None,
            update=DnsUpdateConfig(
                knot.host,
                knot.port,
                "renovations.com",
                knot.tsig_key_name,
                knot.tsig_algorithm,
                "env:ONBOARD_TSIG",
            ),
        )
    ]
    SessionStore.create(folder, data).close()


async def settle(pilot: Pilot[int]) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


def text(app: OnboardApp, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Static).render())


def mx_answer(knot: KnotServer, domain: str) -> list[str]:
    query = dns.message.make_query(domain, "MX")
    reply = dns.query.udp(query, knot.host, port=knot.port, timeout=2)
    return sorted(r.to_text() for rrset in reply.answer for r in rrset)


async def test_gate_blocks_an_unverified_domain(tmp_path: Path, wired: KnotServer) -> None:
    domain = seeded_domain(wired)
    session_at_step5(tmp_path / "s", wired, domain, verified=False)
    app = make_app(tmp_path / "s", clock=frozen_clock(), show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        await settle(pilot)
        assert app.screen.name == "mx"
        table = app.screen.query_one("#mx-servers", DataTable)
        assert table.row_count == 1
        gate = text(app, "mx-gate")
        assert "the switch is blocked" in gate and "is not verified" in gate
        assert "is imported yet (Step 3)" in gate  # no user of the domain yet
        assert app.screen.query_one("#mx-apply", Button).disabled
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmSwitchDialog)
    assert mx_answer(wired, domain) == ["10 mail.renovations.com."]


async def test_typed_name_apply_then_undo(tmp_path: Path, wired: KnotServer) -> None:
    domain = seeded_domain(wired)
    folder = tmp_path / "s"
    session_at_step5(folder, wired, domain, verified=True)
    app = make_app(folder, clock=frozen_clock(), show_tour=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        await settle(pilot)
        assert "not switched" in text(app, "mx-status")
        assert "delete  10 mail.renovations.com" in text(app, "mx-plan")
        assert not app.screen.query_one("#mx-banner").display

        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmSwitchDialog)
        assert "no mail is delivered to the old system" in str(
            dialog.query_one("#confirm-warning", Static).render()
        )
        confirm = dialog.query_one("#confirm", Button)
        await pilot.press(*"renovations.com")
        assert confirm.disabled  # not the domain's name
        dialog.query_one("#typed", Input).value = ""
        await pilot.press(*domain)
        await pilot.pause()
        assert not confirm.disabled
        await pilot.press("enter")
        await settle(pilot)

        assert mx_answer(wired, domain) == ["10 smtp.na.sandbox.onboard.test."]
        assert "every name server shows it" in text(app, "mx-result")
        assert app.screen.query_one("#mx-banner").display
        assert "no longer reaches the old system" in text(app, "mx-banner")
        assert app.screen.query_one("#mx-apply", Button).disabled
        assert not app.screen.query_one("#mx-undo", Button).disabled
        toml = (folder / "session.toml").read_text()
        assert 'mx_previous = ["10 mail.renovations.com."]' in toml
        assert wired.tsig_secret not in toml

        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSwitchDialog)
        await pilot.press(*domain, "enter")
        await settle(pilot)
        assert mx_answer(wired, domain) == ["10 mail.renovations.com."]
        assert "Undo applied" in text(app, "mx-result")
        assert not app.screen.query_one("#mx-banner").display
    log = (folder / "onboard-tui.log").read_text() if (folder / "onboard-tui.log").exists() else ""
    assert wired.tsig_secret not in log


async def test_demo_walk_probe_apply_undo(tmp_path: Path) -> None:
    """The demo's own DNS server and SMTP listener: the probe says what it reached."""
    from tests.ui.scenes_mx import DOMAIN, at_step5, mx_app
    from tests.ui.scenes_mx import settle as settle_demo

    app = mx_app(tmp_path / "demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await at_step5(pilot, verified=True)
        assert "not switched" in text(app, "mx-status")
        await pilot.press("p")
        await settle_demo(pilot)
        probe = text(app, "mx-probe")
        assert "and offers STARTTLS" in probe
        assert "demo's own mail server" in probe
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*DOMAIN, "enter")
        await settle_demo(pilot)
        assert "every name server shows it" in text(app, "mx-result")
        assert app.service is not None
        zone = (tmp_path / "demo" / "demo-dns" / "renovations.com.zone").read_text()
        assert "smtp.na.sandbox.onboard.test." in zone
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*DOMAIN, "enter")
        await settle_demo(pilot)
        assert "Undo applied" in text(app, "mx-result")
        zone = (tmp_path / "demo" / "demo-dns" / "renovations.com.zone").read_text()
        assert "smtp.na.sandbox.onboard.test." not in zone
