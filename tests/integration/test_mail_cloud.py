"""A Maildir migrated into the sandbox's cloud API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard_tui.clock import SystemClock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.errors import CloudError
from onboard_tui.cloud.models import CloudLogon
from onboard_tui.cloud.sandbox import SandboxServer
from onboard_tui.mail.archive import MaildirSource
from onboard_tui.mail.cloud_target import CloudTarget
from onboard_tui.mail.engine import GroupPlan, MigrationEngine
from onboard_tui.providers import load_profile
from onboard_tui.session.model import TransferSettings
from onboard_tui.session.statedb import StateDB

USERS = ("jsmith@renovations.com", "adoe@renovations.com")


def make_maildirs(root: Path, per_folder: int = 30) -> int:
    n = 0
    for user in USERS:
        base = root / user.split("@")[0]
        for folder in ("", ".Sent", ".Projekte.&ANw-bersicht", ".Junk"):
            for sub in ("cur", "new", "tmp"):
                (base / folder / sub).mkdir(parents=True, exist_ok=True)
            for i in range(per_folder):
                n += 1
                name = f"{n}.M{n}P1.host:2,{'S' if i % 2 else ''}{'F' if i % 5 == 0 else ''}"
                path = base / folder / "cur" / name
                path.write_bytes(
                    f"Message-ID: <{n}@x>\nSubject: {n}\n\n".encode() + b"body\n" * (i * 40)
                )
                stamp = 1_700_000_000 + n * 60
                os.utime(path, (stamp, stamp))
    return n


def engine_for(
    db: StateDB, root: Path, sandbox: SandboxServer, logon: CloudLogon
) -> MigrationEngine:
    target = CloudTarget(lambda: CloudClient(sandbox.url, max_retries=0), logon)
    return MigrationEngine(
        db, MaildirSource(str(root / "{local}")), target, SystemClock(), batch_items=16
    )


def test_maildir_to_the_cloud_is_idempotent_and_survives_throttling(
    tmp_path: Path, sandbox: SandboxServer, logon: CloudLogon
) -> None:
    make_maildirs(tmp_path / "mail")
    db = StateDB(tmp_path / "state.db")
    sandbox.inject_fault("/v1/mailboxes", 429, count=3, retry_after=0.2)
    engine = engine_for(db, tmp_path / "mail", sandbox, logon)
    engine.start([GroupPlan("G", list(USERS), TransferSettings("default"))])
    assert engine.wait(60)
    snap = engine.snapshot()
    engine.stop()
    assert snap.overall.users["done"] == 2, snap.recent_errors
    assert snap.throttle_events >= 1
    with CloudClient(sandbox.url) as client:
        usage = {u: client.mailbox_usage(logon, u) for u in USERS}
        assert all(u.items == 90 for u in usage.values())  # Junk excluded by default
        assert usage[USERS[0]].quota_bytes == load_profile("sandbox").quota_bytes
        item = client.item(logon, USERS[0], "maildir:Projekte/Übersicht/62.M62P1.host")
        assert item.folder == "Projekte/%C3%9Cbersicht"
        assert item.flags == ("seen",)
        assert item.received_at == datetime.fromtimestamp(1_700_000_000 + 62 * 60, UTC)
        # Every copied item is in the ledger with the digest the cloud stored.
        assert db.query("SELECT count(*) FROM mail_ledger")[0][0] == 180
    # A second (delta) pass sends nothing new and the cloud still holds each item once.
    engine = engine_for(db, tmp_path / "mail", sandbox, logon)
    engine.start([GroupPlan("G", list(USERS), TransferSettings("default"))], delta=True)
    assert engine.wait(60)
    engine.stop()
    with CloudClient(sandbox.url) as client:
        assert client.mailbox_usage(logon, USERS[0]).items == 90
    db.close()


def test_put_item_is_idempotent_and_checks_quota_and_kind(
    sandbox: SandboxServer, logon: CloudLogon
) -> None:
    with CloudClient(sandbox.url) as client:
        body = b"Subject: hi\r\n\r\nhello\r\n"
        when = datetime(2024, 11, 2, 8, 41, 7, tzinfo=UTC)
        first = client.put_item(
            logon, USERS[0], "INBOX/1/4711", body, folder=["Inbox"], received=when
        )
        again = client.put_item(
            logon, USERS[0], "INBOX/1/4711", body, folder=["Inbox"], received=when
        )
        assert first.created and not again.created
        assert again.stored_at == first.stored_at and again.size == len(body)
        moved = client.put_item(
            logon, USERS[0], "INBOX/1/4711", body, folder=["Archive"], flags=["seen"], received=when
        )
        assert moved.folder == "Archive" and moved.flags == ("seen",)
        assert client.mailbox_usage(logon, USERS[0]).items == 1
        with pytest.raises(CloudError) as bad:
            client.put_item(logon, USERS[0], "x", b"no header", folder=["Inbox"], received=when)
        assert bad.value.kind == "validation"
        with pytest.raises(CloudError) as media:
            client.put_item(logon, USERS[0], "y", body, content_type="text/plain")
        assert media.value.kind == "unsupported-media-type"
        big = b"Subject: big\r\n\r\n" + b"x" * (2 * 1024 * 1024)
        stored = client.put_item(logon, USERS[1], "big", big, folder=["Inbox"], received=when)
        assert stored.size == len(big)  # over the 1 MiB limit of the rest of the API
