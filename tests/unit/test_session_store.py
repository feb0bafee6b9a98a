"""session.toml: round trips, hand edits kept, atomic saves, damaged files never overwritten."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.roadmap import StepId, StepState
from onboard_tui.session.errors import SessionFileError, SessionWriteError
from onboard_tui.session.model import Organisation, SessionData, TransferGroup
from onboard_tui.session.store import SessionStore, load, restore_backup

GOOD = """# my own comment at the top
schema_version = 1

[session]
name = "acme"   # the company
created = 2026-11-20T10:00:00Z
provider = "sandbox"
current_step = "verify"

[steps.setup]
state = "done"
"""


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "session.toml"
    path.write_text(text)
    return path


def test_create_then_open_round_trips(store: SessionStore) -> None:
    org = Organisation("admin@renovations.com", "US", "en", "America/New_York", company="Reno")
    org.registered_at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def change(data: SessionData) -> None:
        data.organisation = org
        data.step_record(StepId.SETUP).state = StepState.DONE
        data.transfer_groups.append(TransferGroup("Pilot", setting="full"))
        data.current_step = StepId.VERIFY

    store.update(change)
    path = store.path
    store.close()
    reopened = SessionStore.open(path)
    try:
        assert reopened.data.organisation == org
        assert reopened.data.steps[StepId.SETUP].state is StepState.DONE
        assert reopened.data.transfer_groups == [TransferGroup("Pilot", setting="full")]
        assert reopened.data.current_step is StepId.VERIFY
    finally:
        reopened.close()


def test_hand_edits_and_comments_survive_a_save(tmp_path: Path) -> None:
    path = write(tmp_path / "s", GOOD)
    store = SessionStore.open(path)
    store.update(lambda d: setattr(d, "tour_seen", True))
    store.close()
    text = path.read_text()
    assert text.startswith("# my own comment at the top\n")
    assert 'name = "acme"   # the company' in text
    assert "tour_seen = true" in text


def test_files_are_private_and_the_previous_version_is_kept(store: SessionStore) -> None:
    before = store.path.read_text()
    store.update(lambda d: setattr(d, "tour_seen", True))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.backup_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((store.folder / "state.db").stat().st_mode) == 0o600
    assert store.backup_path.read_text() == before


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ('schema_version = 1\n[session]\nname = "x\n', 3, "not valid TOML"),
        ("schema_version = 1\n", 1, "[session] table is missing"),
        (GOOD.replace('provider = "sandbox"', "provider = 3"), 7, "session.provider"),
        (GOOD.replace('"verify"', '"nowhere"'), 8, "not one of"),
        (GOOD.replace('state = "done"', 'state = "finished"'), 11, "steps.setup.state"),
        (GOOD.replace("schema_version = 1", "schema_version = 99"), 2, "newer onboard-tui"),
        (
            GOOD + "\n[[transfer_groups]]\nname = 'A'\n[[transfer_groups]]\nname = 'a'\n",
            16,
            "twice",
        ),
    ],
)
def test_bad_files_name_the_line_and_are_never_touched(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = write(tmp_path / "s", text)
    with pytest.raises(SessionFileError) as caught:
        SessionStore.open(path)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(path) in str(caught.value)
    assert path.read_text() == text


def test_truncated_file_offers_the_backup_and_restoring_keeps_the_damaged_one(
    store: SessionStore, clock: object
) -> None:
    store.update(lambda d: setattr(d, "tour_seen", True))
    path = store.path
    good = path.read_text()
    store.close()
    path.write_text(good[: len(good) // 3])
    with pytest.raises(SessionFileError) as caught:
        load(path)
    assert caught.value.backup == path.with_name("session.toml.bak")
    damaged = path.read_text()
    kept = restore_backup(path, datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    assert kept.read_text() == damaged
    data, _ = load(path)
    assert data.name == "test"


def test_a_save_that_fails_midway_changes_nothing(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.path.read_text()

    def broken(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("onboard_tui.session.store.write_atomic", broken)
    with pytest.raises(SessionWriteError, match="No space left"):
        store.update(lambda d: setattr(d, "tour_seen", True))
    assert store.data.tour_seen is False
    assert store.path.read_text() == before


def test_second_opener_is_read_only(store: SessionStore) -> None:
    other = SessionStore.open(store.path)
    try:
        assert other.read_only
        with pytest.raises(SessionWriteError, match="read-only"):
            other.update(lambda d: setattr(d, "tour_seen", True))
    finally:
        other.close()


def test_creating_over_an_existing_session_is_refused(store: SessionStore) -> None:
    data = SessionData(name="again", created=datetime.now(UTC), provider="sandbox")
    with pytest.raises(SessionWriteError, match="already exists"):
        SessionStore.create(store.path, data)


def test_secret_references_are_validated(tmp_path: Path) -> None:
    text = GOOD + '\n[cloud]\nadmin_password = "hunter2hunter2"\n'
    path = write(tmp_path / "s", text)
    with pytest.raises(SessionFileError) as caught:
        SessionStore.open(path)
    assert caught.value.line == 14
    assert "hunter2hunter2" not in str(caught.value)
