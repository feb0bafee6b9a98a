"""session.toml <-> SessionData, with every problem tied to its file and line.

Writing updates the parsed tomlkit document in place and only where a value changed, so
an administrator's comments, order and formatting survive every save.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.locate import line_of
from onboard_tui.session.model import (
    ITEM_TYPES,
    SCHEMA_VERSION,
    SMTP_SECURITY,
    CloudSettings,
    DirectorySettings,
    DnsUpdateConfig,
    DomainRecord,
    LdapSource,
    Organisation,
    SessionData,
    SmtpSettings,
    StepRecord,
    TransferGroup,
    TransferSettings,
)
from onboard_tui.session.secrets import SecretRef
from onboard_tui.session.typed_toml import TypedReader

T = TypeVar("T")
HEADER_COMMENT = (
    "onboard-tui session. You may edit this file by hand while onboard-tui is closed;\n"
    "comments and order are kept. Never write a password here: secrets are references\n"
    "(env:VARIABLE, file:/path/with/mode/0600, or prompt)."
)


class _Reader(TypedReader):
    """Typed access to the parsed document that fails with file, line and what to do."""

    def __init__(self, doc: TOMLDocument, text: str, path: Path, backup: Path | None) -> None:
        self.doc = doc
        self.text = text
        self.path = path
        self.backup = backup

    def fail(self, table: str, key: str | None, problem: str, index: int = 0) -> SessionFileError:
        line = line_of(self.text, table, key, index)
        if line is None:
            line = max(1, self.text.count("\n"))
        return SessionFileError(self.path, problem, line=line, backup=self.backup)

    def table(self, name: str, *, required: bool) -> dict[str, Any]:
        value = self.doc.get(name)
        if value is None:
            if required:
                raise self.fail(
                    "", None, f"the [{name}] table is missing (is the file cut short?)."
                )
            return {}
        if not isinstance(value, dict):
            raise self.fail("", name, f"'{name}' must be a table ([{name}]).")
        return value


def _one_of(enum: Any) -> Callable[[str], str | None]:
    allowed = [m.value for m in enum]
    return lambda v: None if v in allowed else f"'{v}' is not one of {', '.join(allowed)}."


def _secret_ref(value: str) -> str | None:
    try:
        SecretRef.parse(value)
    except Exception as exc:
        return str(exc)
    return None


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "a port is 0 (any free one) to 65535."


def parse_document(text: str, path: Path, backup: Path | None) -> TOMLDocument:
    """Parse the TOML syntax, reporting the line of a syntax error."""
    if not text.strip():
        raise SessionFileError(path, "the file is empty.", line=1, backup=backup)
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        problem = str(exc).split(" at line ")[0]
        raise SessionFileError(
            path, f"not valid TOML: {problem}.", line=exc.line, column=exc.col, backup=backup
        ) from None
    except tomlkit.exceptions.TOMLKitError as exc:  # a key defined twice: no position in it
        problem = str(exc).rstrip(".")
        raise SessionFileError(
            path, f"not valid TOML: {problem}.", line=_strict_line(text), backup=backup
        ) from None


def _strict_line(text: str) -> int:
    """The line the standard library's stricter parser stops at (1 when it does not)."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        return int(found.group(1)) if found else 1
    return 1


def read_session(doc: TOMLDocument, text: str, path: Path, backup: Path | None) -> SessionData:
    """Validate the document and build the dataclasses."""
    r = _Reader(doc, text, path, backup)
    version = r.get(doc, "", "schema_version", int)
    if version > SCHEMA_VERSION:
        raise SessionFileError(
            path,
            f"this session was written by a newer onboard-tui (schema {version}; this "
            f"version reads up to {SCHEMA_VERSION}).",
            line=line_of(text, "", "schema_version"),
            hint="Upgrade onboard-tui to open it. The file has not been changed.",
        )
    if version < 1:
        raise r.fail("", "schema_version", f"schema_version {version} is not valid.")
    s = r.table("session", required=True)
    data = SessionData(
        name=r.get(s, "session", "name", str),
        created=r.get(s, "session", "created", datetime),
        provider=r.get(s, "session", "provider", str),
        geography=r.get(s, "session", "geography", str, ""),
        current_step=StepId(
            r.get(s, "session", "current_step", str, "setup", check=_one_of(StepId))
        ),
        tour_seen=r.get(s, "session", "tour_seen", bool, False),
        last_activity=r.get(s, "session", "last_activity", str, ""),
        schema_version=version,
    )
    o = r.table("organisation", required=False)
    if o:
        data.organisation = Organisation(
            admin_email=r.get(o, "organisation", "admin_email", str),
            country=r.get(o, "organisation", "country", str),
            language=r.get(o, "organisation", "language", str),
            timezone=r.get(o, "organisation", "timezone", str),
            company=r.get(o, "organisation", "company", str, ""),
            org_id=r.get(o, "organisation", "org_id", str, ""),
            home_url=r.get(o, "organisation", "home_url", str, ""),
            registered_at=r.get(o, "organisation", "registered_at", datetime)
            if "registered_at" in o
            else None,
        )
    c = r.table("cloud", required=False)
    data.cloud = CloudSettings(
        api_url=r.get(c, "cloud", "api_url", str, ""),
        verify_tls=r.get(c, "cloud", "verify_tls", bool, True),
        ca_file=r.get(c, "cloud", "ca_file", str, ""),
        admin_password=r.get(c, "cloud", "admin_password", str, "prompt", check=_secret_ref),
        sandbox_port=r.get(c, "cloud", "sandbox_port", int, 0, check=_port),
        demo_dns_port=r.get(c, "cloud", "demo_dns_port", int, 0, check=_port),
        demo_smtp_port=r.get(c, "cloud", "demo_smtp_port", int, 0, check=_port),
    )
    steps = r.table("steps", required=False)
    for key, value in steps.items():
        table = f"steps.{key}"
        if key not in {m.value for m in StepId}:
            raise r.fail(table, None, f"unknown step '{key}'; steps are {', '.join(StepId)}.")
        if not isinstance(value, dict):
            raise r.fail("steps", key, f"'{table}' must be a table.")
        data.steps[StepId(key)] = StepRecord(
            state=StepState(r.get(value, table, "state", str, check=_one_of(StepState))),
            reason=r.get(value, table, "reason", str, ""),
            updated=r.get(value, table, "updated", datetime) if "updated" in value else None,
        )
    groups = doc.get("transfer_groups", [])
    if not isinstance(groups, list):
        raise r.fail("", "transfer_groups", "'transfer_groups' must be [[transfer_groups]].")
    names: set[str] = set()
    for index, g in enumerate(groups):
        if not isinstance(g, dict):
            raise r.fail("", "transfer_groups", "each transfer group must be a table.")
        name = r.get(g, "transfer_groups", "name", str, index=index, check=_non_empty)
        if name.casefold() in names:
            raise r.fail(
                "transfer_groups", "name", f"the group name '{name}' is used twice.", index
            )
        names.add(name.casefold())
        data.transfer_groups.append(
            TransferGroup(
                name=name,
                setting=r.get(g, "transfer_groups", "setting", str, "", index=index),
                description=r.get(g, "transfer_groups", "description", str, "", index=index),
            )
        )
    data.transfer_settings = _read_settings(r)
    data.directory = _read_directory(r)
    data.domains = _read_domains(r)
    data.smtp = _read_smtp(r)
    return data


def _read_domains(r: _Reader) -> list[DomainRecord]:
    found = r.doc.get("domains", [])
    t = "domains"
    if not isinstance(found, list):
        raise r.fail("", t, "'domains' must be [[domains]].")
    result: list[DomainRecord] = []
    names: set[str] = set()
    for i, v in enumerate(found):
        if not isinstance(v, dict):
            raise r.fail("", t, "each domain must be a table.")
        name = r.get(v, t, "name", str, index=i, check=_non_empty).strip().rstrip(".")
        if name.casefold() in names:
            raise r.fail(t, "name", f"the domain '{name}' is listed twice.", i)
        names.add(name.casefold())

        def when(key: str, values: dict[str, Any] = v, index: int = i) -> datetime | None:
            if key not in values:
                return None
            return r.get(values, t, key, datetime, index=index)

        update = None
        if "update_server" in v:
            update = DnsUpdateConfig(
                server=r.get(v, t, "update_server", str, index=i, check=_non_empty),
                port=r.get(v, t, "update_port", int, 53, index=i, check=_port_number),
                zone=r.get(v, t, "update_zone", str, "", index=i),
                key_name=r.get(v, t, "update_key_name", str, "", index=i),
                algorithm=r.get(v, t, "update_algorithm", str, "hmac-sha256", index=i),
                secret=r.get(v, t, "update_secret", str, "", index=i, check=_optional_secret),
            )
        result.append(
            DomainRecord(
                name=name,
                subdomains=_strings(r, v, t, "subdomains", [], i),
                key=r.get(v, t, "key", str, "", index=i),
                previous_key=r.get(v, t, "previous_key", str, "", index=i),
                begun_at=when("begun_at"),
                verified_at=when("verified_at"),
                status=r.get(v, t, "status", str, "", index=i),
                message=r.get(v, t, "message", str, "", index=i),
                checked_at=when("checked_at"),
                nameservers=_strings(r, v, t, "nameservers", [], i),
                update=update,
                mx_previous=_strings(r, v, t, "mx_previous", [], i),
                mx_applied=_strings(r, v, t, "mx_applied", [], i),
                mx_switched_at=when("mx_switched_at"),
            )
        )
    return result


def _port_number(value: int) -> str | None:
    return None if 0 < value <= 65535 else "a port is 1 to 65535."


def _optional_secret(value: str) -> str | None:
    return _secret_ref(value) if value else None


def _read_settings(r: _Reader) -> list[TransferSettings]:
    found = r.doc.get("transfer_settings", [])
    if not isinstance(found, list):
        raise r.fail("", "transfer_settings", "'transfer_settings' must be [[transfer_settings]].")
    result: list[TransferSettings] = []
    names: set[str] = set()
    t = "transfer_settings"
    for i, v in enumerate(found):
        if not isinstance(v, dict):
            raise r.fail("", t, "each transfer setting must be a table.")
        name = r.get(v, t, "name", str, index=i, check=_non_empty)
        if name.casefold() in names:
            raise r.fail(t, "name", f"the setting name '{name}' is used twice.", i)
        names.add(name.casefold())
        defaults = TransferSettings(name)
        since = v.get("since")
        result.append(
            TransferSettings(
                name=name,
                mode=r.get(v, t, "mode", str, "full", index=i, check=_among(("full", "selective"))),
                item_types=_strings(r, v, t, "item_types", defaults.item_types, i, ITEM_TYPES),
                since=None if since is None else _plain_date(r.get(v, t, "since", date, index=i)),
                last_months=r.get(v, t, "last_months", int, index=i, check=_positive)
                if "last_months" in v
                else None,
                include_folders=_strings(r, v, t, "include_folders", [], i),
                exclude_folders=_strings(r, v, t, "exclude_folders", defaults.exclude_folders, i),
                max_item_mb=r.get(v, t, "max_item_mb", int, index=i, check=_positive)
                if "max_item_mb" in v
                else None,
            )
        )
    return result


def _plain_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _read_directory(r: _Reader) -> DirectorySettings:
    d = r.table("directory", required=False)
    result = DirectorySettings()
    for kind in ("ad", "domino"):
        if kind not in d:
            continue
        v = d[kind]
        t = f"directory.{kind}"
        if not isinstance(v, dict):
            raise r.fail("directory", kind, f"'{t}' must be a table ([{t}]).")
        base = LdapSource()
        source = LdapSource(
            url=r.get(v, t, "url", str, check=_ldap_url),
            security=r.get(v, t, "security", str, base.security, check=_among(_SECURITY)),
            verify_tls=r.get(v, t, "verify_tls", bool, True),
            ca_file=r.get(v, t, "ca_file", str, ""),
            bind_method=r.get(v, t, "bind_method", str, "simple", check=_among(_BINDS)),
            bind_user=r.get(v, t, "bind_user", str, ""),
            bind_password=r.get(v, t, "bind_password", str, "prompt", check=_secret_ref),
            base_dn=r.get(v, t, "base_dn", str, ""),
            filter=r.get(v, t, "filter", str, ""),
            page_size=r.get(v, t, "page_size", int, base.page_size, check=_positive),
            timeout=r.get(v, t, "timeout", int, base.timeout, check=_positive),
        )
        setattr(result, kind, source)
    return result


_SECURITY = ("ldaps", "starttls", "plain")
_BINDS = ("simple", "ntlm")


def _among(allowed: tuple[str, ...]) -> Callable[[str], str | None]:
    return lambda v: None if v in allowed else f"'{v}' is not one of {', '.join(allowed)}."


def _positive(value: int) -> str | None:
    return None if value > 0 else "must be a whole number above 0."


def _ldap_url(value: str) -> str | None:
    ok = value.startswith(("ldap://", "ldaps://")) and len(value.split("://", 1)[1]) > 0
    return None if ok else "must look like ldaps://dc1.example.com or ldap://host:389."


def _strings(
    r: _Reader,
    values: dict[str, Any],
    table: str,
    key: str,
    default: list[str],
    index: int,
    allowed: tuple[str, ...] = (),
) -> list[str]:
    if key not in values:
        return list(default)
    items = r.get(values, table, key, list, index=index)
    result = [_plain(x) for x in items]
    for item in result:
        if not isinstance(item, str):
            raise r.fail(table, key, f"'{table}.{key}' must list text in quotes.", index)
        if allowed and item not in allowed:
            raise r.fail(table, key, f"'{item}' is not one of {', '.join(allowed)}.", index)
    return result


def _non_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty."


def _set(table: Container | Table | dict[str, Any], key: str, value: Any) -> None:
    """Assign only on change, so untouched lines keep their exact text; None removes."""
    if value is None:
        if key in table:
            del table[key]
    elif key in table:
        if _plain(table[key]) != value:
            table[key] = value
    elif value != "":
        table[key] = value


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _table(doc: TOMLDocument | Table, name: str) -> Table:
    if name not in doc:
        doc[name] = tomlkit.table()
    found = doc[name]
    assert isinstance(found, Table)
    return found


def new_document() -> TOMLDocument:
    doc = tomlkit.document()
    for line in HEADER_COMMENT.splitlines():
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    doc["schema_version"] = SCHEMA_VERSION
    return doc


def write_session(data: SessionData, doc: TOMLDocument) -> None:
    """Bring the document in line with `data`, touching only what changed."""
    _set(doc, "schema_version", data.schema_version)
    s = _table(doc, "session")
    _set(s, "name", data.name)
    _set(s, "created", data.created)
    _set(s, "provider", data.provider)
    _set(s, "geography", data.geography)
    _set(s, "current_step", data.current_step.value)
    _set(s, "tour_seen", data.tour_seen)
    _set(s, "last_activity", data.last_activity)
    org = data.organisation
    if org is None:
        if "organisation" in doc:
            del doc["organisation"]
    else:
        o = _table(doc, "organisation")
        for key in ("admin_email", "country", "language", "timezone", "company", "org_id"):
            _set(o, key, getattr(org, key))
        _set(o, "home_url", org.home_url)
        _set(o, "registered_at", org.registered_at)
    defaults = CloudSettings()
    keys = (
        "api_url",
        "verify_tls",
        "ca_file",
        "admin_password",
        "sandbox_port",
        "demo_dns_port",
        "demo_smtp_port",
    )
    if "cloud" in doc or any(getattr(data.cloud, k) != getattr(defaults, k) for k in keys):
        c = _table(doc, "cloud")
        for key in keys:
            value = getattr(data.cloud, key)
            if key in c or value != getattr(defaults, key):
                _set(c, key, value)
    if data.steps:
        steps = _table(doc, "steps")
        for step_id, record in data.steps.items():
            if step_id.value not in steps:
                steps[step_id.value] = tomlkit.table()
            t = steps[step_id.value]
            _set(t, "state", record.state.value)
            _set(t, "reason", record.reason)
            _set(t, "updated", record.updated)
    _write_groups(data.transfer_groups, doc)
    _write_settings(data.transfer_settings, doc)
    _write_directory(data.directory, doc)
    _write_domains(data.domains, doc)
    _write_smtp(data.smtp, doc)


def _settings_values(item: TransferSettings) -> dict[str, Any]:
    defaults = TransferSettings(item.name)
    values: dict[str, Any] = {"name": item.name, "mode": item.mode}
    for key in ("item_types", "since", "last_months", "include_folders", "exclude_folders"):
        value = getattr(item, key)
        values[key] = (
            None if value == getattr(defaults, key) and key != "exclude_folders" else value
        )
    values["max_item_mb"] = item.max_item_mb
    return values


def _write_settings(items: list[TransferSettings], doc: TOMLDocument) -> None:
    current = doc.get("transfer_settings")
    if isinstance(current, AoT) and len(current) == len(items):
        for table, item in zip(current, items, strict=True):
            for key, value in _settings_values(item).items():
                _set(table, key, value)
        return
    if not items:
        if "transfer_settings" in doc:
            del doc["transfer_settings"]
        return
    aot = tomlkit.aot()
    for item in items:
        t = tomlkit.table()
        for key, value in _settings_values(item).items():
            _set(t, key, value)
        aot.append(t)
    doc["transfer_settings"] = aot


def _write_directory(settings: DirectorySettings, doc: TOMLDocument) -> None:
    for kind in ("ad", "domino"):
        source: LdapSource | None = getattr(settings, kind)
        present = "directory" in doc and kind in doc["directory"]
        if source is None:
            if present:
                del doc["directory"][kind]
            continue
        d = _table(doc, "directory")
        if kind not in d:
            d[kind] = tomlkit.table()
        t = d[kind]
        base = LdapSource()
        for key in LdapSource.__dataclass_fields__:
            value = getattr(source, key)
            if key in t or value != getattr(base, key) or key == "url":
                _set(t, key, value)


def _domain_values(domain: DomainRecord) -> dict[str, Any]:
    """Key order as written; None (or empty) leaves a key out."""
    update = domain.update
    return {
        "name": domain.name,
        "subdomains": domain.subdomains or None,
        "key": domain.key,
        "previous_key": domain.previous_key,
        "begun_at": domain.begun_at,
        "verified_at": domain.verified_at,
        "status": domain.status,
        "message": domain.message,
        "checked_at": domain.checked_at,
        "nameservers": domain.nameservers or None,
        "update_server": update.server if update else None,
        "update_port": update.port if update and update.port != 53 else None,
        "update_zone": update.zone if update else None,
        "update_key_name": update.key_name if update else None,
        "update_algorithm": update.algorithm if update else None,
        "update_secret": update.secret if update else None,
        "mx_previous": domain.mx_previous or None,
        "mx_applied": domain.mx_applied or None,
        "mx_switched_at": domain.mx_switched_at,
    }


def _write_domains(domains: list[DomainRecord], doc: TOMLDocument) -> None:
    current = doc.get("domains")
    if isinstance(current, AoT) and len(current) == len(domains):
        tables = list(current)
    elif (
        isinstance(current, AoT)
        and 0 < len(current) < len(domains)
        and [_plain(t.get("name")) for t in current] == [d.name for d in domains[: len(current)]]
    ):  # domains added at the end: the listed ones keep their comments
        for _ in domains[len(current) :]:
            current.append(tomlkit.table())
        tables = list(current)
    else:
        if "domains" in doc:
            del doc["domains"]
        if not domains:
            return
        aot = tomlkit.aot()
        for _ in domains:
            aot.append(tomlkit.table())
        doc["domains"] = aot
        tables = list(doc["domains"])
    for table, domain in zip(tables, domains, strict=True):
        for key, value in _domain_values(domain).items():
            if value == "" and key in table:
                del table[key]
            else:
                _set(table, key, value)


def _write_groups(groups: list[TransferGroup], doc: TOMLDocument) -> None:
    current = doc.get("transfer_groups")
    if isinstance(current, AoT) and len(current) == len(groups):
        for table, group in zip(current, groups, strict=True):
            _set(table, "name", group.name)
            _set(table, "setting", group.setting)
            _set(table, "description", group.description)
        return
    if not groups:
        if "transfer_groups" in doc:
            del doc["transfer_groups"]
        return
    aot = tomlkit.aot()
    for group in groups:
        t = tomlkit.table()
        t["name"] = group.name
        if group.setting:
            t["setting"] = group.setting
        if group.description:
            t["description"] = group.description
        aot.append(t)
    doc["transfer_groups"] = aot


def _read_smtp(r: _Reader) -> SmtpSettings | None:
    v = r.table("smtp", required=False)
    if not v:
        return None
    t, base = "smtp", SmtpSettings()
    return SmtpSettings(
        host=r.get(v, t, "host", str, ""),
        port=r.get(v, t, "port", int, base.port, check=_port_number),
        security=r.get(v, t, "security", str, base.security, check=_among(SMTP_SECURITY)),
        username=r.get(v, t, "username", str, ""),
        password=r.get(v, t, "password", str, "", check=_optional_secret),
        from_address=r.get(v, t, "from_address", str, ""),
        from_name=r.get(v, t, "from_name", str, ""),
        reply_to=r.get(v, t, "reply_to", str, ""),
        verify_tls=r.get(v, t, "verify_tls", bool, True),
        ca_file=r.get(v, t, "ca_file", str, ""),
        rate_per_minute=r.get(v, t, "rate_per_minute", int, base.rate_per_minute, check=_positive),
        timeout=r.get(v, t, "timeout", int, base.timeout, check=_positive),
    )


def _write_smtp(smtp: SmtpSettings | None, doc: TOMLDocument) -> None:
    if smtp is None:
        if "smtp" in doc:
            del doc["smtp"]
        return
    t, base = _table(doc, "smtp"), SmtpSettings()
    for key in SmtpSettings.__dataclass_fields__:
        value = getattr(smtp, key)
        if value == "" and key in t:
            del t[key]
        elif key in t or value != getattr(base, key) or key in ("host", "port", "security"):
            _set(t, key, value)
