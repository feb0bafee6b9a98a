"""Members of a Transfer Group by rule: choose a condition, preview who joins and who
leaves, and only then save exactly that preview."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from onboard_tui.directory import (
    Condition,
    DirectoryService,
    MembershipPreview,
    Rule,
    UserFilter,
)
from onboard_tui.ui.dialogs.membership import has_change, preview_text
from onboard_tui.ui.messages import MembershipPreviewed
from onboard_tui.ui.widgets.field import Field
from onboard_tui.ui.widgets.literal import clean

RULES = (
    ("email domain is", Rule.EMAIL_DOMAIN.value),
    ("department is", Rule.DEPARTMENT.value),
    ("attribute equals", Rule.EQUALS.value),
    ("attribute contains", Rule.CONTAINS.value),
    ("OU / DN ends with", Rule.DN_SUFFIX.value),
    ("member of (memberOf)", Rule.MEMBER_OF.value),
)
EXAMPLES = {
    Rule.EMAIL_DOMAIN: "west.renovations.com",
    Rule.DEPARTMENT: "Sales",
    Rule.EQUALS: "Seattle",
    Rule.CONTAINS: "son",
    Rule.DN_SUFFIX: "OU=Sales,DC=renovations,DC=com",
    Rule.MEMBER_OF: "Wave1 or CN=Wave1,OU=Groups,DC=renovations,DC=com",
}


class GroupFilterDialog(ModalScreen[MembershipPreview | None]):
    """The group becomes exactly the users the filter matches; returns the saved preview."""

    CSS_PATH = ["prompts.tcss", "group_filter.tcss"]
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, directory: DirectoryService, group: str) -> None:
        super().__init__()
        self.directory = directory
        self.group = group
        self.preview: MembershipPreview | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-box"):
            yield Static(
                f"Members of '{clean(self.group)}' by filter",
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                "The group becomes the users who match: Preview shows who joins (and "
                "from which group) and who leaves, before anything is saved.",
                id="filter-intro",
            )
            with VerticalScroll(id="filter-form"):
                yield Field(
                    "Rule",
                    Select(
                        RULES,
                        value=Rule.EMAIL_DOMAIN.value,
                        allow_blank=False,
                        id="filter-rule",
                        compact=True,
                    ),
                )
                yield Field(
                    "Attribute (a column: email, department, source_login, dn, or a CSV "
                    "column such as Office)",
                    Input(id="filter-attribute", compact=True, placeholder="Office"),
                )
                yield Field(
                    "Value",
                    Input(id="filter-value", compact=True),
                    help_text=f"e.g. {EXAMPLES[Rule.EMAIL_DOMAIN]}",
                )
                yield Static("", id="filter-preview")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Preview", id="filter-run", variant="primary", compact=True)
                yield Button("Save", id="filter-save", variant="success", compact=True)
                yield Button("Cancel", id="filter-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#field-filter-attribute").display = False
        self.query_one("#filter-save", Button).disabled = True
        self.query_one("#filter-value", Input).focus()

    def _rule(self) -> Rule:
        value = self.query_one("#filter-rule", Select).value
        return Rule(value) if isinstance(value, str) else Rule.EMAIL_DOMAIN

    @on(Select.Changed, "#filter-rule")
    def _rule_changed(self, event: Select.Changed) -> None:
        event.stop()
        rule = self._rule()
        self.query_one("#field-filter-attribute").display = rule in (Rule.EQUALS, Rule.CONTAINS)
        self.query_one("#field-filter-value", Field).set_help(f"e.g. {EXAMPLES[rule]}")
        self._forget()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._forget()

    def _forget(self) -> None:
        """The condition changed: the shown preview no longer applies."""
        if self.preview is not None:
            self.preview = None
            self.query_one("#filter-preview", Static).update("")
        self.query_one("#filter-save", Button).disabled = True

    def _filter(self) -> UserFilter | None:
        rule = self._rule()
        value = self.query_one("#filter-value", Input).value.strip()
        attribute = self.query_one("#filter-attribute", Input).value.strip()
        if not value:
            self.notify("Type the value the users must match.", severity="warning")
            self.query_one("#filter-value", Input).focus()
            return None
        if rule in (Rule.EQUALS, Rule.CONTAINS) and not attribute:
            self.notify("Type the attribute to compare (for example Office).", severity="warning")
            self.query_one("#filter-attribute", Input).focus()
            return None
        return UserFilter((Condition(rule, value, attribute),))

    @on(Input.Submitted)
    @on(Button.Pressed, "#filter-run")
    def _run(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        user_filter = self._filter()
        if user_filter is not None:
            self.query_one("#filter-preview", Static).update("Looking for matching users…")
            self.run_preview(user_filter)

    @work(thread=True, exclusive=True, group="filter-preview", exit_on_error=False)
    def run_preview(self, user_filter: UserFilter) -> None:
        self.post_message(
            MembershipPreviewed(self.directory.preview_filter(self.group, user_filter))
        )

    def on_membership_previewed(self, message: MembershipPreviewed) -> None:
        message.stop()
        self.preview = message.preview
        text = preview_text(message.preview)
        text.append_text(
            _line(
                "Save to apply exactly this change."
                if has_change(message.preview)
                else "Nothing would change."
            )
        )
        self.query_one("#filter-preview", Static).update(text)
        save = self.query_one("#filter-save", Button)
        save.disabled = not has_change(message.preview)
        if not save.disabled:
            save.focus()

    @on(Button.Pressed, "#filter-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        if self.preview is not None:
            self.dismiss(self.preview)

    @on(Button.Pressed, "#filter-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _line(text: str) -> Text:
    return Text(text, style="italic")
