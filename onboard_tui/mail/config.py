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

# or Exchange 2010/2013/2016 through EWS, one account with ApplicationImpersonation:
[migration.source]
kind = "ews"
url = "https://mail.renovations.com/EWS/Exchange.asmx"
impersonation_user = "migration-admin@renovations.com"
password = "env:EWS_PASSWORD"   # a secret reference
version = "2016"                # 2010, 2010_SP1, 2010_SP2, 2013, 2013_SP1, 2016
ca_file = ""                    # the CA of the server's certificate, if not a public one
verify_tls = true               # false only for tests: shown wherever the source is named

[migration.groups.Pilot]
concurrency = 2                 # at most 2 jobs of this group at once
```

Read from the parsed document as it is (the session codec keeps tables it does not know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from onboard_tui.mail.archive import MaildirSource, MboxSource
from onboard_tui.mail.engine import DEFAULT_CONCURRENCY
from onboard_tui.mail.errors import MailError
from onboard_tui.mail.imap_source import ImapSource
from onboard_tui.mail.imap_target import ImapTarget
from onboard_tui.mail.imapconn import ImapEndpoint
from onboard_tui.mail.source import MailSource
from onboard_tui.mail.target import MailTarget
from onboard_tui.session.secrets import SecretError, SecretRef

if TYPE_CHECKING:
    from onboard_tui.mail.ews_source import EwsSettings

SOURCE_KINDS = ("imap", "maildir", "mbox", "ews")
#: Exchange versions EWS is asked for (exchangelib then never guesses).
EWS_VERSIONS = ("2010", "2010_SP1", "2010_SP2", "2013", "2013_SP1", "2016")
_EWS_KEYS = {
    "kind", "url", "impersonation_user", "password", "version", "autodiscover", "ca_file",
    "verify_tls", "max_wait", "max_connections", "page_size",
}  # fmt: skip
_WHERE = "session.toml [migration.source]"
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
        raw = _mapping(table, "[migration]")
        groups = _mapping(raw.get("groups"), "[migration.groups]")
        config = cls(
            concurrency=_whole(raw.get("concurrency", DEFAULT_CONCURRENCY), "concurrency"),
            batch_items=_whole(raw["batch_items"], "batch_items")
            if raw.get("batch_items")
            else None,
            source=_mapping(raw.get("source"), "[migration.source]"),
            target=_mapping(raw.get("target"), "[migration.target]") or {"kind": "cloud"},
            group_concurrency={
                str(k): _whole(v.get("concurrency", DEFAULT_CONCURRENCY), f"groups.{k}.concurrency")
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


def _mapping(value: Any, where: str) -> dict[str, Any]:
    """A table of `[migration]` as a dict, or a sentence when it is not a table."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MailError(f"session.toml {where} must be a table, not {value!r}.")
    return dict(value)


def _whole(value: Any, key: str) -> int:
    """A whole number of `[migration]`, or a sentence naming the key."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MailError(f"session.toml [migration] {key} must be a whole number, not {value!r}.")
    return value


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


def ews_settings(table: Mapping[str, Any]) -> EwsSettings:
    """`[migration.source]` with kind = "ews", checked field by field."""
    from onboard_tui.mail.ews_source import EwsSettings

    unknown = set(table) - _EWS_KEYS
    if unknown:
        raise MailError(f"{_WHERE} has unknown keys for EWS: {', '.join(sorted(unknown))}.")
    if table.get("autodiscover"):
        raise MailError(
            f"{_WHERE} autodiscover: not available in this version of onboard-tui.",
            hint="Set url to the EWS address (https://<server>/EWS/Exchange.asmx).",
        )
    url = str(table.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise MailError(
            f"{_WHERE} url: '{url}' is not an EWS address.",
            hint="Write https://<server>/EWS/Exchange.asmx.",
        )
    if parts.scheme == "http" and not parts.hostname.startswith("127."):
        raise MailError(
            f"{_WHERE} url: plain http would send the password unencrypted; use https.",
        )
    user = str(table.get("impersonation_user") or "").strip()
    if "@" not in user:
        raise MailError(
            f"{_WHERE} impersonation_user: '{user}' is not an email address.",
            hint="Name the account that holds the ApplicationImpersonation role.",
        )
    password = str(table.get("password") or "")
    try:
        ref = SecretRef.parse(password, field=f"{_WHERE} password")
    except SecretError as exc:
        raise MailError(exc.message, hint=exc.hint) from None
    if ref.needs_prompt:
        raise MailError(
            f"{_WHERE} password: 'prompt' cannot serve a migration that runs unattended.",
            hint="Write env:VARIABLE or file:/path/to/file (mode 0600).",
        )
    version = str(table.get("version", "2016"))
    if version not in EWS_VERSIONS:
        raise MailError(f"{_WHERE} version: '{version}' is not one of {', '.join(EWS_VERSIONS)}.")
    ca_file = str(table.get("ca_file") or "")
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise MailError(f"{_WHERE} ca_file: {ca_file} does not exist.")
    verify = table.get("verify_tls", True)
    if not isinstance(verify, bool):
        raise MailError(f"{_WHERE} verify_tls: write true or false.")
    numbers: dict[str, Any] = {}
    for key, kind in (("max_wait", float), ("max_connections", int), ("page_size", int)):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise MailError(f"{_WHERE} {key}: write a number above 0, not '{value}'.")
            numbers[key] = kind(value)
    return EwsSettings(
        url, user, password, version, str(Path(ca_file).expanduser()) if ca_file else "",
        verify, **numbers,
    )  # fmt: skip


def make_source(table: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> MailSource:
    kind = table.get("kind", "")
    if kind == "ews":
        from onboard_tui.mail.ews_source import EwsSource

        return EwsSource(ews_settings(table), environ=environ)
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
