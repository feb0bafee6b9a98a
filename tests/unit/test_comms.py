"""Communications: templates, placeholders, errors with file and line, pace, sent state."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.comms import (
    ALL,
    FAILED_ONLY,
    GROUP,
    NOT_YET,
    SENT,
    Audience,
    CommsService,
    TemplateError,
)
from onboard_tui.comms.ledger import SentLedger
from onboard_tui.comms.message import AddressError, build_message, parse_address
from onboard_tui.comms.ratelimit import RateLimiter
from onboard_tui.comms.templates import DEFAULTS, SUFFIX, parse_template
from onboard_tui.providers import load_profile
from onboard_tui.session.model import SessionData, SmtpSettings, TransferGroup
from onboard_tui.session.statedb import UserRow
from onboard_tui.session.store import SessionStore

USERS = [
    UserRow("alice.adams@renovations.com", "Alice Adams", "Alice", "Adams", group_name="Pilot"),
    UserRow("bruno.baker@renovations.com", "Bruno Baker", "Bruno", "Baker"),
    # directory data that looks like a template must be printed as it is
    UserRow("eve@renovations.com", "{email} {0.__class__}", "{login_url}", "}{"),
]


VALUES = 'migration_date = "Saturday 5 December 2026"\ncompany = "Renovations"\n'
VALUES += 'admin_email = "it@renovations.com"\nlogin_url = "https://mail.renovations.test/login"\n'


@pytest.fixture
def comms(store: SessionStore, clock: FrozenClock) -> CommsService:
    store.db.upsert_users(USERS, clock.now())

    def change(data: SessionData) -> None:
        data.transfer_groups.append(TransferGroup("Pilot"))

    store.update(change)
    service = CommsService(store, load_profile("sandbox"), clock)
    service.ensure_files()
    service.save_values(VALUES)
    return service


def test_defaults_are_written_once_and_never_overwritten(comms: CommsService) -> None:
    names = [t.name for t in comms.templates()]
    assert names == list(DEFAULTS)
    path = comms.folder / ("first-announcement" + SUFFIX)
    path.write_text("Subject: Mine\n\nHello {first_name}\n", encoding="utf-8")
    comms.ensure_files()
    assert path.read_text(encoding="utf-8").startswith("Subject: Mine")
    assert (path.stat().st_mode & 0o077) == 0


def test_first_announcement_says_what_the_seed_says(comms: CommsService) -> None:
    preview = comms.preview("first-announcement", "alice.adams@renovations.com")
    assert not preview.problem
    assert preview.subject.endswith("on Saturday 5 December 2026")
    body = " ".join(preview.body.split())
    assert "Dear Alice," in body
    assert "new mail is no longer delivered to your old mail system" in body
    assert "You must log in once to activate your new account" in body
    assert "Logon name: alice.adams@renovations.com" in body


def test_group_date_wins_over_the_general_one(comms: CommsService) -> None:
    comms.save_values(
        VALUES.replace("Saturday 5 December 2026", "5 December")
        + '[groups."Pilot"]\nmigration_date = "28 November"\n'
    )
    alice = comms.preview("migration-scheduled", "alice.adams@renovations.com")
    bruno = comms.preview("migration-scheduled", "bruno.baker@renovations.com")
    assert "28 November" in alice.subject and "5 December" in bruno.subject


def test_user_data_is_never_a_format_string(comms: CommsService) -> None:
    preview = comms.preview("first-announcement", "eve@renovations.com")
    assert not preview.problem
    assert "Dear {login_url}," in preview.body  # the first name, printed as it is
    assert "{email} {0.__class__}" in preview.to


def test_unknown_placeholder_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "x.eml.txt"
    with pytest.raises(TemplateError) as info:
        parse_template(path, "Subject: Hi {first_name}\n\nLine one\nHello {firstname}\n")
    assert info.value.path == path and info.value.line == 4
    assert "{firstname}" in str(info.value) and f"{path}, line 4" in str(info.value)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Subject: {email.__class__}\n\nbody\n", 1, "unknown placeholder"),
        ("Subject: ok\n\nbody {email!r}\n", 3, "takes no format"),
        ("Subject: ok\n\nbody {email:>30}\n", 3, "takes no format"),
        ("Subject: ok\n\n\nbody {email\n", 4, "brace"),
        ("Hello\n\nbody\n", 1, "not a header"),
        ("Subject:\n\nbody\n", 1, "subject is empty"),
        ("Subject: ok\n\n\n", 2, "no text"),
    ],
)
def test_template_mistakes_are_reported_with_their_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(tmp_path / "t.eml.txt", text)
    assert info.value.line == line
    assert words in str(info.value)


def test_literal_braces_and_comments(tmp_path: Path) -> None:
    t = parse_template(tmp_path / "t.eml.txt", "# note\nSubject: {{x}} {email}\n\nA {{b}}\n")
    assert t.render({"email": "a@b.c"}) == ("{x} a@b.c", "A {b}")


def test_a_missing_value_says_where_to_set_it(comms: CommsService) -> None:
    comms.save_values(VALUES.replace("Saturday 5 December 2026", ""))
    preview = comms.preview("first-announcement", "bruno.baker@renovations.com")
    assert "first-announcement.eml.txt, line 1" in preview.problem
    assert "values.toml" in preview.problem


def test_a_bad_save_keeps_the_file(comms: CommsService) -> None:
    before = comms.template_text("cutover-notice")
    with pytest.raises(TemplateError) as info:
        comms.save_template("cutover-notice", "Subject: x\n\n{nope}\n")
    assert info.value.line == 3
    assert comms.template_text("cutover-notice") == before
    with pytest.raises(TemplateError) as bad:
        comms.save_values('migration_date = "x"\nlogin_url = 3\n')
    assert bad.value.line == 2


def test_header_injection_is_impossible(comms: CommsService, store: SessionStore) -> None:
    store.db.upsert_users(
        [UserRow("mal@renovations.com", "M", "A\r\nBcc: x@evil.test")], FrozenClock().now()
    )
    comms.save_template("t1", "Subject: Hi {first_name}\n\nBody\n")
    preview = comms.preview("t1", "mal@renovations.com")
    assert "\n" not in preview.subject and "\r" not in preview.subject
    with pytest.raises(AddressError):
        parse_address("a@b.c\r\nBcc: x@evil.test")


def test_message_headers(clock: FrozenClock) -> None:
    msg = build_message(
        sender=parse_address("it@renovations.com", "IT Ünit"),
        recipient=parse_address("zoe@rénovations.com", "Zoë Zähl"),
        subject="Votre courrier déménage",
        body="Bonjour Zoë,\nà bientôt",
        at=clock.now(),
        message_id="<1@renovations.com>",
        template="first-announcement",
    )
    raw = bytes(msg)
    assert b"\r\n" in raw and raw.isascii() and b"=?utf-8?" in raw.lower()
    assert msg["Message-ID"] == "<1@renovations.com>"
    assert msg["Date"] == "Wed, 25 Nov 2026 09:00:00 +0000"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().startswith("Bonjour Zoë")
    assert msg["To"].addresses[0].domain == "xn--rnovations-b7a.com"
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    with pytest.raises(AddressError, match="non-ASCII"):
        parse_address("zoë@renovations.com")


def test_rate_limiter_spaces_messages(clock: FrozenClock) -> None:
    limiter = RateLimiter(clock, 30)
    start = clock.monotonic()
    times = []
    for _ in range(5):
        assert limiter.acquire()
        times.append(clock.monotonic() - start)
    assert times == [0.0, 2.0, 4.0, 6.0, 8.0]
    clock.advance(timedelta(minutes=5))  # idle time is not saved up for a burst
    t0 = clock.monotonic()
    limiter.acquire()
    limiter.acquire()
    assert clock.monotonic() - t0 == 2.0


def test_no_double_send_unless_forced(comms: CommsService, clock: FrozenClock) -> None:
    ledger = SentLedger(comms.store.db)
    ledger.begin("first-announcement", "alice.adams@renovations.com", "<a@x>", clock.now())
    ledger.sent("first-announcement", "alice.adams@renovations.com", clock.now())
    ledger.begin("first-announcement", "bruno.baker@renovations.com", "<b@x>", clock.now())
    ledger.failed("first-announcement", "bruno.baker@renovations.com", "451 later", clock.now())
    ledger.begin("first-announcement", "eve@renovations.com", "<c@x>", clock.now())  # unknown

    plan = comms.plan("first-announcement", Audience(ALL))
    assert [r.email for r in plan.recipients] == ["bruno.baker@renovations.com"]
    assert (plan.already_sent, plan.uncertain) == (1, 1)
    assert "already received it" in comms.confirmation(plan)
    forced = comms.plan("first-announcement", Audience(ALL), force=True)
    assert forced.count == 3
    failed = comms.plan("first-announcement", Audience(FAILED_ONLY))
    assert [r.email for r in failed.recipients] == ["bruno.baker@renovations.com"]
    group = comms.plan("first-announcement", Audience(GROUP, "Pilot"), force=True)
    assert [r.email for r in group.recipients] == ["alice.adams@renovations.com"]
    assert comms.counts("first-announcement")[SENT] == 1
    assert comms.plan("cutover-notice", Audience(NOT_YET)).count == 3


def test_export_writes_eml_and_records_nothing(comms: CommsService, tmp_path: Path) -> None:
    plan = comms.plan("activation-instructions", Audience(ALL))
    report = comms.export(plan, tmp_path / "out")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert report.written == 3 and files[0] == "alice.adams@renovations.com.eml"
    assert b"Subject: Activate your" in (tmp_path / "out" / files[0]).read_bytes()
    assert comms.ledger.counts("activation-instructions") == {}


def test_smtp_settings_round_trip_keep_a_reference(store: SessionStore, clock: FrozenClock) -> None:
    comms = CommsService(store, load_profile("sandbox"), clock)
    comms.save_smtp(
        SmtpSettings(
            host="127.0.0.1",
            port=2525,
            security="none",
            username="u",
            password="env:SMTP_PW",
            from_address="it@renovations.com",
        )
    )
    reopened = SessionStore.open(store.path, read_only=True)
    try:
        assert reopened.data.smtp == comms.smtp_settings()
    finally:
        reopened.close()
    text = store.path.read_text()
    assert 'password = "env:SMTP_PW"' in text and "[smtp]" in text
    with pytest.raises(Exception, match="not a secret reference"):
        comms.save_smtp(SmtpSettings(host="h", password="hunter2hunter2"))
    assert "hunter2" not in store.path.read_text()


def test_smtp_table_errors_name_the_line(store: SessionStore) -> None:
    from onboard_tui.session.errors import SessionFileError

    store.close()
    text = store.path.read_text() + '\n[smtp]\nhost = "h"\nsecurity = "ssl"\n'
    store.path.write_text(text)
    with pytest.raises(SessionFileError) as info:
        SessionStore.open(store.path)
    assert (
        "ssl" in str(info.value)
        and info.value.line == text.splitlines().index('security = "ssl"') + 1
    )
