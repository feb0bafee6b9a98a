"""No secret at rest, none on a command line, and a private session folder.

A session goes through what a real onboarding does with known passwords: Step 1
registration (the admin password), an LDAP bind (slapd), IMAP logins (Dovecot), an SMTP
login and sending (aiosmtpd with AUTH), and the headless runner migrating with the cloud
admin password from the environment. Then every byte of every file in the session folder
(session.toml and its backup, state.db with its WAL, the log, the sandbox's database) is
searched for each password, raw and as SMTP AUTH would encode it; the runner's and its
children's /proc/PID/cmdline are read while it runs; and the modes are checked.
"""

from __future__ import annotations

import base64
import logging
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard_tui.logs import log_to_folder
from onboard_tui.mail.imapconn import ImapConnection, ImapEndpoint
from onboard_tui.service import OnboardingService
from onboard_tui.session.model import LdapSource, SessionData, SmtpSettings
from tests.migration_session import PASSWORD, PASSWORD_ENV, make_migration_session

from .servers.base import LOOPBACK
from .servers.dovecot import DovecotServer
from .servers.slapd import SlapdServer
from .servers.smtp import start_smtp

CLI = [str(Path(sys.executable).with_name("onboard-tui"))]


@pytest.fixture
def private_log(tmp_path: Path) -> Iterator[Path]:
    """The session's log handler, as the CLI installs it; pytest's handlers put back after."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    folder = tmp_path / "session"
    log_to_folder(folder)
    yield folder
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)


def encodings(secret: str, user: str = "") -> list[bytes]:
    """The forms a password could leak in: raw, UTF-16, base64 and SMTP AUTH PLAIN/LOGIN."""
    raw = secret.encode()
    forms = [raw, secret.encode("utf-16-le"), base64.b64encode(raw)]
    if user:
        forms.append(base64.b64encode(b"\0" + user.encode() + b"\0" + raw))
    return forms


def files_holding(folder: Path, secrets: dict[str, list[bytes]]) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [
            f"{path}: {name}" for name, forms in secrets.items() if any(f in data for f in forms)
        ]
    return found


def copied(folder: Path) -> int:
    try:
        with sqlite3.connect(f"file:{folder / 'state.db'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM mail_ledger").fetchone()[0])
    except sqlite3.Error:
        return 0


def descendants(pid: int) -> list[int]:
    children = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
        except OSError:
            continue
        if int(text[text.rfind(")") + 2 :].split()[1]) == pid:
            child = int(stat_file.parent.name)
            children += [child, *descendants(child)]
    return children


def cmdlines(pid: int) -> list[bytes]:
    lines = []
    for each in (pid, *descendants(pid)):
        try:
            lines.append(Path(f"/proc/{each}/cmdline").read_bytes())
        except OSError:
            continue
    return lines


def test_no_password_in_the_session_folder_nor_on_the_runner_command_line(
    private_log: Path,
    slapd_server: SlapdServer,
    dovecot_server: DovecotServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = private_log
    ldap_pw, imap_pw = slapd_server.reader_password, dovecot_server.password("alice")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv("ONBOARD_TEST_LDAP_PW", ldap_pw)
    monkeypatch.setenv("ONBOARD_TEST_IMAP_PW", imap_pw)
    # Step 1 registers with PASSWORD; the cloud admin password is env:ONBOARD_TEST_ADMIN_PW.
    make_migration_session(folder, messages=200, item_delay_ms=20)

    with start_smtp(require_auth=True) as smtp:
        assert smtp.password is not None
        monkeypatch.setenv("ONBOARD_TEST_SMTP_PW", smtp.password)
        svc = OnboardingService.open(folder)
        try:
            # LDAP: a bind with the directory reader's password (a reference in the session).
            ad = LdapSource(
                url=slapd_server.url,
                security="plain",
                bind_user=slapd_server.reader_dn,
                bind_password="env:ONBOARD_TEST_LDAP_PW",
                base_dn=slapd_server.base_dn,
            )

            def set_ad(data: SessionData) -> None:
                data.directory.ad = ad

            svc.store.update(set_ad)
            assert svc.directory.test_connection().ok
            # IMAP: a user's login against Dovecot.
            endpoint = ImapEndpoint(
                dovecot_server.host,
                dovecot_server.port,
                security="plain",
                login="{local}",
                password="env:ONBOARD_TEST_IMAP_PW",
            )
            ImapConnection(endpoint, "alice", endpoint.secret("alice@renovations.com")).close()
            # SMTP: a login, then the first announcement to every user.
            svc.comms.ensure_files()
            svc.comms.save_smtp(
                SmtpSettings(
                    host=LOOPBACK,
                    port=smtp.port,
                    security="none",
                    from_address="it@renovations.com",
                    username=smtp.username or "",
                    password="env:ONBOARD_TEST_SMTP_PW",
                    rate_per_minute=6000,
                    timeout=10,
                )
            )
            assert "logged in" in svc.comms.check_smtp()
        finally:
            svc.close()
        smtp_pw, smtp_user = smtp.password, smtp.username or ""

    # The headless runner, the admin password in its environment only.
    runner = subprocess.Popen(
        [*CLI, "run", str(folder), "--watch"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    seen: list[bytes] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and runner.poll() is None:
            seen += cmdlines(runner.pid)
            if copied(folder):  # the runner is migrating: its command line is final
                break
            time.sleep(0.2)
        seen += cmdlines(runner.pid)
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        _, err = runner.communicate(timeout=120)
    assert seen, "the runner's command line was never read"
    assert not [c for c in seen if PASSWORD.encode() in c]
    assert PASSWORD.encode() not in err

    secrets = {
        "admin password": encodings(PASSWORD),
        "LDAP bind password": encodings(ldap_pw),
        "IMAP password": encodings(imap_pw),
        "SMTP password": encodings(smtp_pw, smtp_user),
    }
    assert files_holding(folder, secrets) == []
    # The TSIG key the session's DNS updates sign with lives in its own 0600 file only
    # (the session refers to it as file:PATH) and nowhere else.
    key_file = folder / "demo-dns" / "tsig.key"
    tsig = {"TSIG secret": encodings(key_file.read_text().strip())}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert files_holding(folder, tsig) == [f"{key_file}: TSIG secret"]
    assert copied(folder) > 0

    # Private: the folder 0700, every file the program wrote 0600.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    loose = [
        f"{p}: {oct(stat.S_IMODE(p.stat().st_mode))}"
        for p in folder.iterdir()
        if p.is_file() and stat.S_IMODE(p.stat().st_mode) != 0o600
    ]
    assert loose == []
