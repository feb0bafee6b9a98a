"""session.toml against hand edits gone wrong: a line and a sentence, never a traceback.

Properties: arbitrary TOML documents and mutated valid files (keys deleted or replaced,
wrong types, huge numbers, invalid dates, non-UTF-8 bytes, cut short) either load into
values of the declared types or raise SessionFileError naming the file and a line; what
loads also writes back and reads again to the same values, and the `[migration]` and
Transfer Group Settings it holds are usable; a valid file saved without changes stays
byte for byte the same (comments kept), and any text in names and descriptions survives
a save and a reload.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import tomlkit
from hypothesis import given
from hypothesis import strategies as st

from onboard_tui.errors import OnboardError
from onboard_tui.mail.config import MigrationConfig
from onboard_tui.mail.rules import Selection
from onboard_tui.session.codec import read_session, write_session
from onboard_tui.session.errors import SessionFileError
from onboard_tui.session.model import (
    DomainRecord,
    SessionData,
    TransferGroup,
    TransferSettings,
)
from onboard_tui.session.store import SessionStore, load

from .settings import examples

GOOD = """# onboard-tui session, edited by hand
schema_version = 1

[session]
name = "acme"   # the company
created = 2026-11-20T10:00:00Z
provider = "sandbox"
geography = "na"
current_step = "migrate"
tour_seen = true

[organisation]
admin_email = "admin@renovations.com"
country = "US"
language = "en"
timezone = "America/New_York"
company = "Renovations"
registered_at = 2026-11-20T11:00:00Z

[cloud]
verify_tls = true
admin_password = "env:CLOUD_PASSWORD"
sandbox_port = 8443

[steps.setup]
state = "done"
updated = 2026-11-20T11:00:00Z

[steps.verify]
state = "in_progress"
reason = "waiting for DNS"

[[transfer_groups]]
name = "Pilot"
setting = "recent"
description = "the first wave"

[[transfer_groups]]
name = "Sales"

[[transfer_settings]]
name = "recent"
mode = "selective"
item_types = ["mail", "calendar"]
last_months = 6
exclude_folders = ["Deleted Items", "Junk"]
max_item_mb = 25

[[transfer_settings]]
name = "archive"
mode = "selective"
since = 2020-01-01
exclude_folders = []

[directory.ad]
url = "ldaps://dc1.renovations.com"
bind_user = "svc-onboard"
bind_password = "env:AD_PASSWORD"
base_dn = "dc=renovations,dc=com"
page_size = 500

[[domains]]
name = "renovations.com"   # the root
subdomains = ["west.renovations.com"]
key = "domino-1jkkiaojd-rules"
begun_at = 2026-11-21T08:00:00Z
status = "propagating"
nameservers = ["ns1.renovations.com"]
update_server = "127.0.0.1"
update_port = 5353
update_key_name = "onboard"
update_algorithm = "hmac-sha256"
update_secret = "file:/etc/onboard/tsig.key"

[smtp]
host = "smtp.renovations.com"
port = 587
security = "starttls"
password = "env:SMTP_PASSWORD"
rate_per_minute = 30

[migration]
concurrency = 4
batch_items = 200

[migration.source]
kind = "maildir"
root = "/srv/mail/{local}"

[migration.groups.Pilot]
concurrency = 2
"""

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="badinput-session-") as name:
        yield Path(name)


def write(folder: Path, raw: bytes) -> Path:
    path = Path(tempfile.mkdtemp(dir=folder)) / "session.toml"
    path.write_bytes(raw)
    return path


def check_types(data: SessionData) -> None:
    """What loaded has the types the model declares (no `false` where a date belongs)."""
    assert isinstance(data.name, str) and isinstance(data.created, datetime)
    org = data.organisation
    if org is not None:
        assert org.registered_at is None or isinstance(org.registered_at, datetime)
    for record in data.steps.values():
        assert record.updated is None or isinstance(record.updated, datetime)
    for s in data.transfer_settings:
        assert s.last_months is None or (isinstance(s.last_months, int) and s.last_months > 0)
        assert s.max_item_mb is None or (isinstance(s.max_item_mb, int) and s.max_item_mb > 0)
        assert s.since is None or type(s.since) is date
    for d in data.domains:
        for when in (d.begun_at, d.verified_at, d.checked_at, d.mx_switched_at):
            assert when is None or isinstance(when, datetime)


def load_or_explain(path: Path) -> None:
    """The loader's contract: usable values, or one sentence with the file and a line."""
    try:
        data, doc = load(path)
    except SessionFileError as exc:
        text = str(exc)
        assert text.startswith(f"{path}, line "), text
        assert exc.line is not None and exc.line >= 1
        return
    check_types(data)
    # What loaded writes back and reads again to the same values.
    write_session(data, doc)
    text = tomlkit.dumps(doc)
    again = read_session(tomlkit.parse(text), text, path, None)
    assert again == data
    # The parts other areas read from the same document are usable or explained.
    try:
        MigrationConfig.from_document(doc)
    except OnboardError as exc:
        assert "[migration" in str(exc)
    for settings in data.transfer_settings:
        since = Selection(settings, NOW).since
        assert since is None or since <= NOW


# --- mutations of a valid file --------------------------------------------------------------

VALUES = st.one_of(
    st.sampled_from(
        [
            '""',
            '"text"',
            "0",
            "-1",
            "99999999999999999999999999999",
            "9223372036854775807",
            "1e400",
            "inf",
            "nan",
            "true",
            "false",
            "2026-11-25",
            "2026-11-25T09:00:00Z",
            "09:00:00",
            "2026-02-30T10:00:00Z",
            "2026-13-45T25:61:00Z",
            "2026-11-25T09:00:00",
            "[]",
            '["a", 1]',
            "[[1]]",
            "{}",
            '{ a = 1, b = "x" }',
            "bare",
            '"env:"',
            '"file:relative"',
            '"prompt"',
            '"\\u00e9\\u0000"',
        ]
    ),
    st.integers().map(str),
    st.text(max_size=12).map(lambda t: tomlkit.string(t).as_string()),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    lines = GOOD.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["delete", "replace", "duplicate", "insert_key", "bytes", "cut"])
        )
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        if kind == "delete":
            del lines[index]
        elif kind == "replace" and "=" in line:
            key = line.split("=", 1)[0]
            lines[index] = f"{key}= {draw(VALUES)}\n"
        elif kind == "duplicate":
            lines.insert(index, line)
        elif kind == "insert_key":
            key = draw(st.sampled_from(["name", "port", "state", "mode", "x", "since", "url"]))
            lines.insert(index, f"{key} = {draw(VALUES)}\n")
        elif kind == "bytes":
            junk = draw(st.binary(min_size=1, max_size=4)).decode("latin-1")
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + junk + line[at:]
        if len(lines) < 2:
            break
    raw = "".join(lines).encode()
    if draw(st.booleans()) and draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return raw


def test_the_valid_file_loads(folder: Path) -> None:
    data, _ = load(write(folder, GOOD.encode()))
    check_types(data)
    assert [g.name for g in data.transfer_groups] == ["Pilot", "Sales"]


@examples(300)
@given(raw=mutated())
def test_mutated_session_file(folder: Path, raw: bytes) -> None:
    load_or_explain(write(folder, raw))


# --- arbitrary TOML documents ---------------------------------------------------------------

scalars = st.one_of(
    st.text(max_size=10),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
)
keys = st.sampled_from(
    [
        "schema_version",
        "session",
        "name",
        "created",
        "provider",
        "organisation",
        "steps",
        "setup",
        "state",
        "transfer_groups",
        "transfer_settings",
        "domains",
        "directory",
        "ad",
        "url",
        "smtp",
        "port",
        "cloud",
        "migration",
        "groups",
        "concurrency",
        "source",
        "last_months",
        "registered_at",
        "updated",
    ]
) | st.text(min_size=1, max_size=6)
tomls = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@examples(200)
@given(doc=st.dictionaries(keys, tomls, max_size=8), base=st.booleans())
def test_arbitrary_toml_document(folder: Path, doc: dict[str, object], base: bool) -> None:
    if base:  # on top of a minimal valid session, so the deeper tables get read too
        doc = {
            "schema_version": 1,
            "session": {"name": "x", "created": NOW, "provider": "sandbox"},
            **doc,
        }
    try:
        text = tomlkit.dumps(doc)
    except Exception:  # tomlkit cannot write every dict; not our input
        return
    load_or_explain(write(folder, text.encode()))


# --- round trips ----------------------------------------------------------------------------


def test_valid_file_saved_unchanged_is_byte_identical(folder: Path) -> None:
    path = write(folder, GOOD.encode())
    store = SessionStore.open(path)
    try:
        store.update(lambda data: None)
    finally:
        store.close()
    assert path.read_text(encoding="utf-8") == GOOD


free_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


@examples(100)
@given(
    groups=st.lists(
        st.tuples(free_text.filter(lambda t: t.strip()), free_text),
        max_size=4,
        unique_by=lambda g: g[0].casefold(),
    ),
    activity=free_text,
    last_months=st.none() | st.integers(1, 1200),
)
def test_any_text_survives_save_and_reload(
    folder: Path, groups: list[tuple[str, str]], activity: str, last_months: int | None
) -> None:
    path = write(folder, GOOD.encode())
    store = SessionStore.open(path)

    def change(data: SessionData) -> None:
        data.transfer_groups = [TransferGroup(n, description=d) for n, d in groups]
        data.last_activity = activity
        data.transfer_settings.append(
            TransferSettings("extra", mode="selective", last_months=last_months)
        )
        data.domains.append(DomainRecord("example.org", message=activity))

    try:
        store.update(change)
        expected = store.data
    finally:
        store.close()
    data, _ = load(path)
    assert data == expected
    text = path.read_text(encoding="utf-8")
    assert "# onboard-tui session, edited by hand" in text
    assert "# the root" in text


# --- regressions found by the properties above ----------------------------------------------


def test_regression_key_written_twice_names_its_line(folder: Path) -> None:
    """A key defined twice raised tomlkit's KeyAlreadyPresent (a traceback)."""
    raw = GOOD.replace('name = "acme"   # the company\n', 'name = "acme"\nname = "again"\n')
    path = write(folder, raw.encode())
    with pytest.raises(SessionFileError) as caught:
        load(path)
    assert caught.value.line == raw.splitlines().index('name = "again"') + 1
    assert "already exists" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("registered_at = 2026-11-20T11:00:00Z", 'registered_at = ""', "registered_at"),
        ("updated = 2026-11-20T11:00:00Z", "updated = false", "steps.setup.updated"),
        ("last_months = 6", "last_months = 0", "transfer_settings.last_months"),
        ("max_item_mb = 25", "max_item_mb = false", "transfer_settings.max_item_mb"),
    ],
)
def test_regression_falsy_values_are_checked(folder: Path, old: str, new: str, where: str) -> None:
    """`x = ""` / `false` / `0` passed unchecked where a date or a number belongs."""
    raw = GOOD.replace(old, new)
    with pytest.raises(SessionFileError) as caught:
        load(write(folder, raw.encode()))
    assert caught.value.line == raw.splitlines().index(new) + 1
    assert where in str(caught.value)


@pytest.mark.parametrize(
    "migration",
    ['concurrency = "four"', "concurrency = [4]", "groups = 3", 'source = "maildir"'],
)
def test_regression_migration_table_of_the_wrong_type(folder: Path, migration: str) -> None:
    """[migration] values of the wrong type raised TypeError/ValueError when a run began."""
    doc = tomlkit.parse(f"[migration]\n{migration}\n")
    with pytest.raises(OnboardError, match=r"session\.toml \[migration"):
        MigrationConfig.from_document(doc)


def test_regression_huge_number_of_months_means_every_date() -> None:
    """last_months = 100000 made Selection.since raise ValueError (year before 1)."""
    settings = TransferSettings("all", mode="selective", last_months=100_000)
    assert Selection(settings, NOW).since is None
    settings.last_months = 14
    assert Selection(settings, NOW).since == datetime(2025, 9, 25, 9, 0, tzinfo=UTC)


def test_regression_adding_a_domain_keeps_the_comments_of_the_others(folder: Path) -> None:
    """Adding a domain rebuilt every [[domains]] table and lost the admin's comments."""
    path = write(folder, GOOD.encode())
    store = SessionStore.open(path)
    try:
        store.update(lambda data: data.domains.append(DomainRecord("example.org")))
    finally:
        store.close()
    text = path.read_text(encoding="utf-8")
    assert 'name = "renovations.com"   # the root' in text
    assert [d.name for d in load(path)[0].domains] == ["renovations.com", "example.org"]
