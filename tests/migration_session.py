"""A registered sandbox session with a small generated Maildir source and one or two
Transfer Groups, for the runner, status and wizard tests of Step 3's migration."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from onboard_tui.clock import Clock, SystemClock
from onboard_tui.mail.demo import DEMO_MAIL, configure_demo_source, generate
from onboard_tui.service import NewSession, OnboardingService
from onboard_tui.session.model import SessionData, TransferGroup
from onboard_tui.session.secrets import Secret
from onboard_tui.session.statedb import UserRow
from onboard_tui.setup.service import SetupForm

ADMIN = "admin@renovations.com"
PASSWORD = "Lakeside-Harbour-42"
PASSWORD_ENV = "ONBOARD_TEST_ADMIN_PW"
USERS = (
    "alice.adams@renovations.com",
    "bruno.baker@renovations.com",
    "carla.costa@west.renovations.com",
    "david.diaz@renovations.com",
)


def form() -> SetupForm:
    return SetupForm(
        admin_email=ADMIN,
        password=Secret(PASSWORD),
        confirm=Secret(PASSWORD),
        country="US",
        language="en",
        timezone="America/New_York",
        geography="na",
        company="Renovations Inc",
        terms_accepted=True,
    )


def make_migration_session(
    folder: Path,
    *,
    messages: int = 120,
    groups: dict[str, tuple[str, ...]] | None = None,
    admin_password: str = f"env:{PASSWORD_ENV}",
    item_delay_ms: int = 0,
    verify_domains: bool = True,
    clock: Clock | None = None,
    extra_users: tuple[str, ...] = (),
) -> int:
    """Create the session in `folder`; the number of messages generated."""
    groups = groups or {"Pilot": USERS[:2], "Wave 1": USERS[2:]}
    members = [u for names in groups.values() for u in names]
    # Private like the real demo's (mail.demo.ensure_demo_mail): the session folder and
    # demo-mail/ are 0700, so other local users cannot read the generated mailboxes.
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / DEMO_MAIL).mkdir(exist_ok=True, mode=0o700)
    (folder / DEMO_MAIL).chmod(0o700)
    stats = generate(
        folder / DEMO_MAIL,
        [(u, 1.0) for u in members if u not in extra_users],
        messages=messages,
        large=0,
    )
    svc = OnboardingService.create(
        folder, NewSession(name="migration", provider="sandbox"), clock=clock or SystemClock()
    )
    try:
        svc.setup.submit(form())
        store = svc.store
        now = svc.clock.now()

        def change(data: SessionData) -> None:
            data.cloud.admin_password = admin_password
            for name in groups:
                data.transfer_groups.append(TransferGroup(name))
            if verify_domains:
                data.domains[:] = [replace(d, verified_at=now) for d in data.domains]

        store.update(change)
        rows = [UserRow(u, group_name=g) for g, names in groups.items() for u in names]
        store.db.upsert_users(rows, now)
        configure_demo_source(store)
        migration = store.doc["migration"]
        migration["batch_items"] = 10  # type: ignore[index]
        store.doc["sandbox"]["item_delay_ms"] = item_delay_ms  # type: ignore[index]
        store.update(lambda _d: None)
    finally:
        svc.close()
    return stats.messages
