"""From a filled stage to a reviewed plan, then to state.db: the shared import flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from onboard_tui.directory.checks import Problem
from onboard_tui.directory.errors import ImportAborted
from onboard_tui.directory.staging import Difference, Stage
from onboard_tui.session.model import TransferGroup
from onboard_tui.session.store import SessionStore


@dataclass
class ImportPlan:
    """What an import would do; nothing is stored until `apply_plan`.

    `rows` counts the source's rows, `problems` the rejected ones (line, field, value,
    reason), `difference` the effect on the users already in the session.
    """

    source: str
    kind: str
    rows: int
    problems: list[Problem]
    difference: Difference
    format: str = ""
    notes: list[str] = field(default_factory=list)
    stage: Stage | None = field(default=None, repr=False)

    @property
    def accepted(self) -> int:
        return self.rows - len(self.problems)

    def summary(self) -> dict[str, object]:
        """The `import-users --json` document."""
        d = self.difference
        return {
            "added": d.added,
            "updated": d.changed,
            "unchanged": d.unchanged,
            "missing": d.missing,
            "rejected": [p.as_dict() for p in sorted(self.problems, key=lambda p: p.line)],
        }


def finish_plan(
    stage: Stage,
    store: SessionStore,
    *,
    source: str,
    rows: int,
    problems: list[Problem],
    update_existing: bool = True,
    fmt: str = "",
) -> ImportPlan:
    """Checks that need state.db (clashes with existing users), then the difference."""
    rejected: list[Problem] = []
    for line, login, email in stage.login_clashes():
        reason = f"duplicate: this source login already belongs to {email}."
        rejected.append(Problem(line, "source_login", login, reason))
    if not update_existing:
        for line, email in stage.existing():
            rejected.append(Problem(line, "email", email, "duplicate: this user already exists."))
    if rejected:
        stage.remove_lines(p.line for p in rejected)
    groups = [g.name for g in store.data.transfer_groups]
    return ImportPlan(
        source=source,
        kind=stage.source,
        rows=rows,
        problems=problems + rejected,
        difference=stage.difference(groups),
        format=fmt,
        stage=stage,
    )


def apply_plan(plan: ImportPlan, store: SessionStore, now: datetime, *, skip: bool) -> None:
    """Store the plan: `skip=False` aborts (changing nothing) when any row was rejected."""
    stage = plan.stage
    if stage is None:
        raise ImportAborted("This import was already applied or discarded.")
    if plan.problems and not skip:
        discard_plan(plan)
        raise ImportAborted(
            f"Import aborted: {len(plan.problems)} rows have problems; nothing was changed.",
            hint="Fix the rows listed and import again, or choose to skip them.",
        )
    try:
        new_groups = plan.difference.new_groups
        if new_groups:
            store.update(
                lambda data: data.transfer_groups.extend(TransferGroup(n) for n in new_groups)
            )
        stage.apply(now)
    finally:
        discard_plan(plan)


def discard_plan(plan: ImportPlan) -> None:
    """Forget a plan without storing it."""
    if plan.stage is not None:
        plan.stage.drop()
        plan.stage = None
