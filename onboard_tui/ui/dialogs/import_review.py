"""The review every import shows before anything is stored: rejected rows with their line
and field, and the difference with the users already here (new, changed, unchanged,
missing). CSV and directory imports share it so they read the same."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, Static

from onboard_tui.directory import ImportPlan
from onboard_tui.ui.widgets.literal import clean, literal


def problem_columns(table: DataTable[Text]) -> None:
    table.add_column("Line", width=4)
    table.add_column("Field", width=12)
    table.add_column("Reason", width=44)
    table.add_column("Value", width=36)


def show_problems(
    plan: ImportPlan, title: Static, table: DataTable[Text], one: str = "row", many: str = "rows"
) -> None:
    """`one`/`many` name what is rejected: rows of a file, entries of a directory."""
    table.clear()
    if not plan.problems:
        title.update(f"Problems: none, every {one} can be imported.")
        table.display = False
        return
    title.update(f"Problems: {len(plan.problems)} {many} rejected (line, field, why, value)")
    table.display = True
    for p in sorted(plan.problems, key=lambda p: p.line):
        table.add_row(
            literal(p.line), literal(p.field), literal(p.reason), literal(p.value or "(empty)")
        )


def difference_text(plan: ImportPlan, missing_from: str = "the file") -> Text:
    d = plan.difference
    text = Text()
    text.append(f"{d.added} new", style="bold green")
    text.append(f", {d.changed} changed, {d.unchanged} unchanged, ")
    text.append(f"{d.missing} missing from {missing_from}", style="yellow" if d.missing else "")
    text.append(" (missing users are kept).")
    for label, sample in (
        ("New", d.added_sample),
        ("Changed", d.changed_sample),
        ("Missing", d.missing_sample),
    ):
        if sample:
            shown = ", ".join(clean(s) for s in sample[:5])
            more = " …" if len(sample) > 5 else ""
            text.append(f"\n{label}: {shown}{more}", style="dim")
    if d.new_groups:
        text.append("\nNew Transfer Groups from the file: " + ", ".join(map(clean, d.new_groups)))
    return text


def import_label(plan: ImportPlan, where: str = "rows") -> str:
    """The confirming button says what will happen."""
    if plan.problems:
        return f"Import, skipping the {len(plan.problems)} rejected {where}"
    return f"Import {plan.accepted} users"
