"""A labelled form field with room for its own error, so problems show where they are."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """Label, control, optional help line and an error line that is empty when all is well."""

    DEFAULT_CSS = """
    Field { height: auto; margin-bottom: 1; }
    Field > .field-label { text-style: bold; }
    Field > .field-help { color: $text-muted; }
    Field > .field-error { color: $error; display: none; }
    Field.-invalid > .field-error { display: block; }
    """

    def __init__(self, label: str, control: Widget, *, help_text: str = "") -> None:
        super().__init__(id=f"field-{control.id}")
        self.label = label
        self.control = control
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label", markup=False)
        yield self.control
        help_line = Static(self.help_text, classes="field-help", markup=False)
        help_line.display = bool(self.help_text)
        yield help_line
        yield Static("", classes="field-error", markup=False)

    def set_help(self, text: str) -> None:
        help_line = self.query_one(".field-help", Static)
        help_line.update(text)
        help_line.display = bool(text)

    def set_error(self, message: str | None) -> None:
        self.query_one(".field-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")
