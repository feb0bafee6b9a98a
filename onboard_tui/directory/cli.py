"""The work behind `onboard-tui import-users`, kept here so cli.py stays a thin shell.

Returns the JSON document of the issue and the exit code: 0 when every row was imported,
1 when some were rejected, 2 on an error (the document then carries "error").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from onboard_tui.directory.csvfile import preview
from onboard_tui.directory.mapping import load_mapping
from onboard_tui.directory.service import DirectoryService
from onboard_tui.errors import OnboardError
from onboard_tui.session.secrets import Secret
from onboard_tui.session.store import SessionStore


def import_users(
    session: Path,
    *,
    csv_path: Path | None = None,
    mapping_path: Path | None = None,
    ldap: bool = False,
    dry_run: bool = False,
    password: Secret | None = None,
    domains: Callable[[], Sequence[str]] | None = None,
) -> tuple[dict[str, Any], int]:
    """Import (or with dry_run only compare) and report; never raises an OnboardError."""
    try:
        store = SessionStore.open(session)
    except OnboardError as exc:
        return {"error": str(exc)}, 2
    try:
        service = DirectoryService(store, domains=domains)
        if ldap:
            if store.data.directory.ad is None and store.data.directory.domino is not None:
                service.refresh_domino(password)
                plan = service.plan_domino()
            else:
                plan = service.plan_ad(password)
        elif csv_path is not None:
            mapping = None
            if mapping_path is not None:
                mapping = load_mapping(mapping_path, preview(csv_path, 1).headers)
            plan = service.plan_csv(csv_path, mapping)
        else:
            return {"error": "Give --csv FILE or --ldap."}, 2
        result = plan.summary()
        if plan.notes:
            result["notes"] = plan.notes
        if dry_run:
            service.discard_import(plan)
        else:
            service.apply_import(plan, skip_problems=True)
        return result, 1 if plan.problems else 0
    except OnboardError as exc:
        return {"error": str(exc)}, 2
    finally:
        store.close()
