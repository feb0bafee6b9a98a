"""Reading `application/problem+json` (RFC 9457) answers, with server text made safe to show.

Text from the server is untrusted: control characters are removed, length is capped, and
any secret the request carried is redacted in case a server echoes it back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from onboard_tui.session.secrets import Secret

MAX_TEXT = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True)
class Problem:
    """The parts of a problem document the client uses."""

    status: int
    title: str = ""
    detail: str = ""
    type: str = "about:blank"
    field_errors: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The last part of the type (`restart-too-early`), or "" for about:blank."""
        return "" if self.type == "about:blank" else self.type.rsplit(":", 1)[-1]


_STANDARD = {"type", "title", "status", "detail", "instance", "errors"}


def clean_text(value: object, redact: Sequence[Secret] = ()) -> str:
    """Server text as one safe line: no control characters, no secrets, not too long."""
    if not isinstance(value, str):
        return ""
    text = value
    for secret in redact:  # before anything else changes the text, so every copy matches
        if secret:
            text = text.replace(secret.reveal(), "********")
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def sentence(text: str) -> str:
    return text if not text or text.endswith((".", "!", "?", "…")) else text + "."


def read_problem(response: httpx.Response, redact: Sequence[Secret] = ()) -> Problem:
    """The problem document of an error answer; only the status when there is none."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Problem(status=response.status_code, title=response.reason_phrase)
    return Problem(
        status=response.status_code,
        title=clean_text(body.get("title"), redact),
        detail=clean_text(body.get("detail"), redact),
        type=clean_text(body.get("type"), redact) or "about:blank",
        field_errors=_field_errors(body.get("errors"), redact),
        extensions={
            str(k): clean_text(v, redact)
            for k, v in body.items()
            if k not in _STANDARD and isinstance(v, str)
        },
    )


def _field_errors(value: object, redact: Sequence[Secret]) -> dict[str, str]:
    """The contract's `errors: [{field, detail}]`; a `{field: detail}` object is accepted too."""
    pairs: list[tuple[object, object]] = []
    if isinstance(value, list):
        pairs = [(e.get("field"), e.get("detail")) for e in value if isinstance(e, dict)]
    elif isinstance(value, dict):
        pairs = list(value.items())
    result: dict[str, str] = {}
    for name, detail in pairs:
        key, text = clean_text(name, redact), clean_text(detail, redact)
        if key and text:
            result.setdefault(key, sentence(text))
    return result
