"""Secrets are references, never values: `env:NAME`, `file:PATH` or `prompt`.

A resolved secret lives only in memory inside `Secret`, whose repr and str never show it,
so it cannot leak into a log line, a traceback or the session file by accident.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from onboard_tui.errors import OnboardError


class Secret:
    """A value that refuses to be printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself, for the one call that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SecretError(OnboardError):
    """A secret reference that cannot be resolved."""


@dataclass(frozen=True)
class SecretRef:
    """Where a secret comes from; this, not the secret, is what the session stores."""

    kind: str  # "env", "file" or "prompt"
    target: str = ""

    @classmethod
    def parse(cls, text: str, *, field: str = "secret") -> SecretRef:
        """Read `env:NAME`, `file:PATH` or `prompt`; anything else is a clear error."""
        text = text.strip()
        if text == "prompt":
            return cls("prompt")
        kind, sep, target = text.partition(":")
        if sep and kind in ("env", "file") and target:
            return cls(kind, target)
        raise SecretError(
            f"{field}: '{_redact(text)}' is not a secret reference.",
            hint="Write env:VARIABLE, file:/path/to/file (mode 0600) or prompt; "
            "never the password itself.",
        )

    def __str__(self) -> str:
        return "prompt" if self.kind == "prompt" else f"{self.kind}:{self.target}"

    @property
    def needs_prompt(self) -> bool:
        return self.kind == "prompt"

    def resolve(self, environ: dict[str, str] | None = None) -> Secret:
        """Read the secret now; `prompt` references must be answered by the caller."""
        env = os.environ if environ is None else environ
        if self.kind == "env":
            value = env.get(self.target)
            if not value:
                raise SecretError(
                    f"The environment variable {self.target} is not set or is empty.",
                    hint=f"Export {self.target} before starting onboard-tui.",
                )
            return Secret(value)
        if self.kind == "file":
            return Secret(_read_private_file(Path(self.target).expanduser()))
        raise SecretError("This secret must be typed in when it is needed.")


def _redact(text: str) -> str:
    """Show enough of a wrong value to recognise it, never enough to leak it."""
    return text[:2] + "…" if len(text) > 4 else "…"


def _read_private_file(path: Path) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SecretError(f"The secret file {path} does not exist.") from None
    except OSError as exc:
        raise SecretError(f"The secret file {path} cannot be read: {exc.strerror}.") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"The secret file {path} can be read by other users "
            f"(mode {stat.S_IMODE(info.st_mode):04o}).",
            hint=f"Run: chmod 600 {path}",
        )
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"The secret file {path} cannot be read: {exc}.") from None
    if not value:
        raise SecretError(f"The secret file {path} is empty.")
    return value
