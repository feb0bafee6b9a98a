"""The EWS source's pure parts: [migration.source] parsing, item mapping, error sentences."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from exchangelib import Contact, Message, Task
from exchangelib.errors import (
    ErrorImpersonateUserDenied,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    RateLimitError,
    TransportError,
    UnauthorizedError,
)

from onboard_tui.mail.config import ews_settings, make_source
from onboard_tui.mail.errors import LoginFailed, MailError, Throttled
from onboard_tui.mail.ews_errors import ImpersonationDenied, translate
from onboard_tui.mail.ews_items import flags_of, item_type, task_ical
from onboard_tui.mail.ews_source import EwsSource

URL = "https://mail.renovations.com/EWS/Exchange.asmx"
GOOD: dict[str, Any] = {
    "kind": "ews",
    "url": URL,
    "impersonation_user": "migration-admin@renovations.com",
    "password": "env:EWS_PASSWORD",
}


def test_a_complete_table_gives_the_settings() -> None:
    settings = ews_settings({**GOOD, "version": "2010_SP2", "max_wait": 30, "page_size": 100})
    assert (settings.url, settings.version, settings.max_wait, settings.page_size) == (
        URL,
        "2010_SP2",
        30.0,
        100,
    )
    assert settings.verify_tls and settings.ca_file == ""
    source = make_source(GOOD, environ={})
    assert isinstance(source, EwsSource)
    assert source.item_types == {"mail", "contacts", "calendar", "tasks"}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"url": ""}, "url: '' is not an EWS address"),
        ({"url": "ftp://mail.renovations.com/ews"}, "is not an EWS address"),
        ({"url": "http://mail.renovations.com/EWS/Exchange.asmx"}, "plain http"),
        ({"impersonation_user": "admin"}, "impersonation_user: 'admin' is not an email"),
        ({"password": "hunter2hunter2"}, "password: 'hu…' is not a secret reference"),
        ({"password": "prompt"}, "password: 'prompt' cannot serve"),
        ({"version": "2007"}, "version: '2007' is not one of 2010"),
        ({"ca_file": "/nonexistent/ca.pem"}, "ca_file: /nonexistent/ca.pem does not exist"),
        ({"verify_tls": "no"}, "verify_tls: write true or false"),
        ({"max_wait": -1}, "max_wait: write a number above 0"),
        ({"autodiscover": True}, "autodiscover: not available"),
        ({"server": "x"}, "unknown keys for EWS: server"),
    ],
)
def test_each_bad_field_is_named_with_the_file(change: dict[str, Any], words: str) -> None:
    with pytest.raises(MailError) as bad:
        ews_settings({**GOOD, **change})
    assert "session.toml [migration.source]" in str(bad.value)
    assert words in str(bad.value)
    assert "hunter2hunter2" not in str(bad.value)


def test_plain_http_is_allowed_on_loopback_only_and_the_ca_file_is_kept(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    local = ews_settings({**GOOD, "url": "http://127.0.0.1:8080/EWS/Exchange.asmx"})
    assert local.url.startswith("http://127.0.0.1")
    assert ews_settings({**GOOD, "ca_file": str(ca)}).ca_file == str(ca)


def test_turning_verification_off_is_shown() -> None:
    source = EwsSource(ews_settings({**GOOD, "verify_tls": False}))
    assert source.describe() == f"Exchange 2016 (EWS) {URL}, TLS verification OFF"


def test_item_types_and_flags_come_from_the_ews_classes() -> None:
    assert item_type(Message()) == "mail"
    assert item_type(Contact()) == "contacts"
    assert item_type(Task()) == "tasks"
    assert flags_of(Message(is_read=True, is_draft=False)) == ("\\Seen",)
    assert flags_of(Message(is_read=False, is_draft=True)) == ("\\Draft",)
    assert flags_of(Contact()) == ()


def test_a_task_becomes_a_vtodo_with_escaped_text_and_folded_lines() -> None:
    when = dt.datetime(2024, 3, 5, 9, 30, tzinfo=dt.UTC)
    body = task_ical(
        "AAMkAD=",
        subject="Order tiles; call Bo, then " + "x" * 80,
        body="line one\nline two",
        status="InProgress",
        due=dt.date(2024, 3, 8),
        completed=when,
        percent=150,
        now=when,
    )
    text = body.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "BEGIN:VTODO\r\n" in text and "UID:AAMkAD=\r\n" in text
    assert "SUMMARY:Order tiles\\; call Bo\\, then " in text
    assert "DESCRIPTION:line one\\nline two\r\n" in text
    assert "STATUS:IN-PROCESS\r\n" in text
    assert "DUE;VALUE=DATE:20240308\r\n" in text
    assert "COMPLETED:20240305T093000Z\r\n" in text and "DTSTAMP:20240305T093000Z" in text
    assert "PERCENT-COMPLETE:100\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n x" in text  # the long summary is folded, not cut


def _say(exc: BaseException) -> MailError:
    return translate(exc, url=URL, admin="migration-admin@renovations.com", user="a@r.com")


def test_errors_become_sentences_of_the_right_kind() -> None:
    denied = _say(ErrorImpersonateUserDenied("The account does not have permission"))
    assert isinstance(denied, ImpersonationDenied) and isinstance(denied, LoginFailed)
    assert "a@r.com" in denied.message and "ApplicationImpersonation" in denied.message
    assert "New-ManagementRoleAssignment" in denied.hint
    assert "-User migration-admin@renovations.com" in denied.hint
    assert isinstance(_say(UnauthorizedError("Invalid credentials")), LoginFailed)
    busy = _say(ErrorServerBusy("busy", back_off=2.5))
    assert isinstance(busy, Throttled) and busy.retry_after == 2.5
    ceiling = _say(RateLimitError("Max timeout reached", wait=120))
    assert isinstance(ceiling, Throttled) and ceiling.retry_after == 120.0
    unreachable = _say(ErrorTimeoutExpired("Reraised from ConnectionError(refused)"))
    assert "cannot be reached" in unreachable.message
    tls = _say(TransportError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    assert "not trusted" in tls.message and "ca_file" in tls.hint


def test_a_missing_password_is_a_sentence_before_any_request() -> None:
    source = EwsSource(ews_settings(GOOD), environ={})
    with pytest.raises(MailError, match="EWS password: The environment variable EWS_PASSWORD"):
        source.open("a@renovations.com")
