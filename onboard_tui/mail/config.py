"""The `[migration]` section of session.toml: where mail comes from and where it goes.

```toml
[migration]
concurrency = 4                 # jobs at once, overall
batch_items = 200               # items read and stored per batch (the unit of resume)

[migration.source]
kind = "imap"                   # "imap", "maildir" or "mbox"
host = "imap.renovations.com"
port = 993
security = "tls"                # "tls", "starttls" ("plain": 127.0.0.1 only)
login = "{user}"                # {user} is the email, {local} the part before the @
password = "file:/etc/onboard/pw/{local}"   # a secret reference, never a password
master_user = ""                # set to log in as "<login>*<master_user>"
master_password = "env:IMAP_MASTER"

[migration.target]
kind = "cloud"                  # "cloud" (the session's cloud API) or "imap" (fields as above)

[migration.groups.Pilot]
concurrency = 2                 # at most 2 jobs of this group at once
```

Read from the parsed document as it is (the session codec keeps tables it does not know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from onboard_tui.mail.archive import MaildirSource, MboxSource
from onboard_tui.mail.engine import DEFAULT_CONCURRENCY
from onboard_tui.mail.errors import MailError
from onboard_tui.mail.imap_source import ImapSource
from onboard_tui.mail.imap_target import ImapTarget
from onboard_tui.mail.imapconn import ImapEndpoint
from onboard_tui.mail.source import MailSource
from onboard_tui.mail.target import MailTarget

SOURCE_KINDS = ("imap", "maildir", "mbox")
TARGET_KINDS = ("cloud", "imap")


@dataclass
class MigrationConfig:
    """The `[migration]` section as plain data."""

    concurrency: int = DEFAULT_CONCURRENCY
    source: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=lambda: {"kind": "cloud"})
    group_concurrency: dict[str, int] = field(default_factory=dict)
    batch_items: int | None = None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> MigrationConfig:
        table = doc.get("migration")
        if table is not None and hasattr(table, "unwrap"):
            table = table.unwrap()
        raw: dict[str, Any] = dict(table or {})
        groups = raw.get("groups") or {}
        config = cls(
            concurrency=int(raw.get("concurrency", DEFAULT_CONCURRENCY)),
            batch_items=int(raw["batch_items"]) if raw.get("batch_items") else None,
            source=dict(raw.get("source") or {}),
            target=dict(raw.get("target") or {"kind": "cloud"}),
            group_concurrency={
                str(k): int(v.get("concurrency", DEFAULT_CONCURRENCY))
                for k, v in groups.items()
                if isinstance(v, Mapping)
            },
        )
        if config.concurrency < 1:
            raise MailError("[migration] concurrency must be 1 or more.")
        return config

    def concurrency_of(self, group: str) -> int:
        for name, value in self.group_concurrency.items():
            if name.casefold() == group.casefold():
                return max(1, min(value, self.concurrency))
        return self.concurrency


def endpoint(table: Mapping[str, Any], where: str) -> ImapEndpoint:
    """An ImapEndpoint from a `[migration.source]` or `[migration.target]` table."""
    if not table.get("host"):
        raise MailError(f"[migration.{where}] needs the IMAP host.")
    known = set(ImapEndpoint.__dataclass_fields__)
    unknown = set(table) - known - {"kind", "root", "user_map"}
    if unknown:
        raise MailError(f"[migration.{where}] has unknown keys: {', '.join(sorted(unknown))}.")
    values = {k: v for k, v in table.items() if k in known}
    values.setdefault("port", 993 if values.get("security", "tls") == "tls" else 143)
    return ImapEndpoint(**values)


def make_source(table: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> MailSource:
    kind = table.get("kind", "")
    if kind == "imap":
        return ImapSource(endpoint(table, "source"), environ=environ)
    if kind in ("maildir", "mbox"):
        root = str(table.get("root", ""))
        if not root:
            raise MailError(f"[migration.source] needs root, the {kind} path of each user.")
        return MaildirSource(root) if kind == "maildir" else MboxSource(root)
    raise MailError(
        f"[migration.source] kind must be one of {', '.join(SOURCE_KINDS)}, not '{kind}'."
    )


def make_imap_target(
    table: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> MailTarget:
    return ImapTarget(
        endpoint(table, "target"),
        environ=environ,
        user_map={str(k): str(v) for k, v in (table.get("user_map") or {}).items()},
    )
