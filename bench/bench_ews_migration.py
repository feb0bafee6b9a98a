"""EWS to the sandbox cloud: the engine with the EWS source against the same mail from Maildir.

The fake Exchange of the tests (tests/integration/servers/fake_ews.py, one Python process,
loopback HTTP) holds --users mailboxes of --messages messages (about 4 KB, three folders);
the same messages are also written as Maildir. Both are migrated into the embedded
sandbox by the engine (4 workers); the Maildir run is the target-side baseline, so the
ratio shows what EWS (SOAP, base64 MimeContent, FindItem paging, a SyncFolderItems pass
per folder) costs on top. Figures are printed; there is no pass/fail. The fake server is
not Exchange: absolute figures say little about a real server, the request counts do.

    .venv/bin/python bench/bench_ews_migration.py --users 4 --messages 500
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboard_tui.clock import SystemClock  # noqa: E402
from onboard_tui.cloud.client import CloudClient  # noqa: E402
from onboard_tui.cloud.models import CloudLogon, Registration  # noqa: E402
from onboard_tui.cloud.sandbox import SandboxServer  # noqa: E402
from onboard_tui.mail.archive import MaildirSource  # noqa: E402
from onboard_tui.mail.cloud_target import CloudTarget  # noqa: E402
from onboard_tui.mail.engine import GroupPlan, MigrationEngine  # noqa: E402
from onboard_tui.mail.ews_source import EwsSettings, EwsSource  # noqa: E402
from onboard_tui.mail.source import MailSource  # noqa: E402
from onboard_tui.providers import load_profile  # noqa: E402
from onboard_tui.session.model import TransferSettings  # noqa: E402
from onboard_tui.session.secrets import Secret  # noqa: E402
from onboard_tui.session.statedb import StateDB  # noqa: E402
from tests.integration.servers.fake_ews import FakeEws, start_fake_ews  # noqa: E402

FOLDERS = ("Inbox", "Sent Items", "Archive")
MAILDIR = ("", ".Sent Items", ".Archive")
ADMIN = "admin@renovations.com"
PASSWORD = "Bench-Horse-9-battery"


def message(user: str, i: int) -> bytes:
    head = f"Message-ID: <{user}.{i}@bench>\r\nFrom: a@b\r\nSubject: {i}\r\n\r\n"
    line = "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghij.\r\n"
    return (head + line * 58).encode()


def migrate(
    source: MailSource, users: list[str], sandbox: SandboxServer, logon: CloudLogon, db: Path
) -> tuple[float, int, int]:
    target = CloudTarget(lambda: CloudClient(sandbox.url, max_retries=0), logon)
    state = StateDB(db)
    engine = MigrationEngine(state, source, target, SystemClock(), workers=4)
    began = time.perf_counter()
    engine.start([GroupPlan("Bench", users, TransferSettings("full", exclude_folders=[]))])
    engine.wait(3600)
    took = time.perf_counter() - began
    snap = engine.snapshot()
    engine.stop()
    state.close()
    return took, snap.overall.items_done, snap.overall.bytes_done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ews = FakeEws()
        users = [f"user{u}@renovations.com" for u in range(args.users)]
        for user in users:
            box = ews.mailbox(user)
            local = base / "maildir" / user.split("@")[0]
            for folder in MAILDIR:
                for sub in ("cur", "new", "tmp"):
                    (local / folder / sub).mkdir(parents=True, exist_ok=True)
            for i in range(args.messages):
                body = message(user, i)
                box.add(FOLDERS[i % 3], "mail", body)
                name = f"{1_700_000_000 + i}.M{i}P1.bench:2,S"
                (local / MAILDIR[i % 3] / "cur" / name).write_bytes(body)
        sandbox = SandboxServer(base / "sandbox.db", load_profile("sandbox"))
        sandbox.start()
        try:
            with CloudClient(sandbox.url) as client:
                client.register(
                    Registration(ADMIN, Secret(PASSWORD), "US", "en-US", "UTC", "na", True)
                )
                logon = client.logon(ADMIN, Secret(PASSWORD))
            with start_fake_ews(ews):
                source = EwsSource(
                    EwsSettings(ews.url, ews.admin, "env:EWS_BENCH"),
                    environ={"EWS_BENCH": ews.password},
                )
                ews_time, items, size = migrate(source, users, sandbox, logon, base / "e.db")
                requests = Counter(ews.requests)
            # The Maildir run stores the same bodies again under other source ids.
            maildir = MaildirSource(str(base / "maildir" / "{local}"))
            dir_time, dir_items, _ = migrate(maildir, users, sandbox, logon, base / "m.db")
        finally:
            sandbox.stop()
    total = args.users * args.messages
    print(f"{args.users} mailboxes x {args.messages} messages ({total} items, {size / 1e6:.1f} MB)")
    print(f"CPUs: {os.cpu_count()}")
    print(
        f"EWS -> sandbox:     {items} items in {ews_time:.2f} s = {items / ews_time:,.0f} items/s,"
        f" {size / ews_time / 1e6:.2f} MB/s"
    )
    print(
        f"Maildir -> sandbox: {dir_items} items in {dir_time:.2f} s ="
        f" {dir_items / dir_time:,.0f} items/s (target-side baseline)"
    )
    print(f"EWS time / Maildir time: {ews_time / dir_time:.2f}")
    print("EWS requests: " + ", ".join(f"{k} {v}" for k, v in sorted(requests.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
