"""`onboard-tui sandbox activate SESSION EMAIL...`: users of the sandbox log in by hand.

It writes sandbox.db directly (SQLite in WAL mode, safe beside a running wizard), so it
works whether or not the session's sandbox is serving; the wizard's next poll sees it.
"""

from __future__ import annotations

from pathlib import Path

from onboard_tui.clock import Clock
from onboard_tui.cloud.sandbox.store import SandboxStore
from onboard_tui.cloud.sandbox.users import activate_by_hand
from onboard_tui.errors import OnboardError
from onboard_tui.providers import load_profile
from onboard_tui.session.store import SessionStore


def activate_in_session(session: Path, emails: list[str], clock: Clock) -> list[tuple[str, str]]:
    """(email, "" or why not) for each address; OnboardError when the session has no sandbox."""
    store = SessionStore.open(session, read_only=True)
    try:
        profile = load_profile(store.data.provider, extra_dirs=[store.folder / "providers"])
        db_path = store.folder / "sandbox.db"
    finally:
        store.close()
    if not profile.embedded:
        raise OnboardError(
            f"{session} uses the provider '{profile.id}', not the embedded sandbox: its users "
            "activate by logging in to the real service.",
            hint="Use this command with a demo or sandbox session.",
        )
    if not db_path.exists():
        raise OnboardError(
            f"{db_path} does not exist yet: open the session once so the sandbox starts.",
        )
    sandbox = SandboxStore(db_path)
    try:
        return activate_by_hand(sandbox, emails, clock.now())
    finally:
        sandbox.close()
