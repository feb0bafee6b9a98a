"""IMAP to IMAP on a private local Dovecot: the engine against a plain FETCH+APPEND loop.

Source mailboxes are written as Maildir files (sizes log-uniform from 2 KB to 1 MB,
three folders each), then copied twice in the same run:
  * by the migration engine (workers, batched UID FETCH BODY.PEEK[], MULTIAPPEND with
    LITERAL+, ledger in a fresh state.db), into one set of target users;
  * by a plain single-connection loop (per message: UID FETCH, then imaplib APPEND),
    over the first --plain-users mailboxes, into another set.
Figures are printed; there is no pass/fail. Goal (issue 6): >= 1,500 messages/s and
>= 3x the plain loop.

    .venv/bin/python bench/bench_imap_migration.py            # 20 x 1,000 (the issue's)
    .venv/bin/python bench/bench_imap_migration.py --users 4 --messages 500   # quicker
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboard_tui.clock import SystemClock  # noqa: E402
from onboard_tui.mail.engine import GroupPlan, MigrationEngine  # noqa: E402
from onboard_tui.mail.imap_source import ImapSource  # noqa: E402
from onboard_tui.mail.imap_target import ImapTarget  # noqa: E402
from onboard_tui.mail.imapconn import ImapEndpoint, internaldate, parse_fetch  # noqa: E402
from onboard_tui.session.model import TransferSettings  # noqa: E402
from onboard_tui.session.statedb import StateDB  # noqa: E402
from tests.integration.servers import dovecot  # noqa: E402

FOLDERS = ("", ".Sent", ".Archive")
LINE = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghij.\n"


def sizes(rng: random.Random, n: int, low: int, high: int) -> list[int]:
    return [int(math.exp(rng.uniform(math.log(low), math.log(high)))) for _ in range(n)]


def write_maildir(
    base: Path, user: str, n: int, rng: random.Random, high: int, uid: int, gid: int
) -> int:
    total = 0
    root = base / user / "Maildir"
    for folder in FOLDERS:
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    for i, size in enumerate(sizes(rng, n, 2048, high)):
        folder = FOLDERS[i % len(FOLDERS)]
        head = f"Message-ID: <{user}.{i}@bench>\nFrom: a@b\nSubject: {i}\n\n".encode()
        body = head + (LINE * (size // len(LINE) + 1))[: max(0, size - len(head))]
        path = root / folder / "cur" / f"{1_700_000_000 + i}.M{i}P1.bench:2,S"
        path.write_bytes(body)
        total += len(body)
    for dirpath, _dirs, files in os.walk(base / user):
        os.chown(dirpath, uid, gid)
        for f in files:
            os.chown(os.path.join(dirpath, f), uid, gid)
    return total


def plain_loop(server: dovecot.DovecotServer, source: str, target: str) -> tuple[int, int]:
    """One connection each side; per message UID FETCH BODY.PEEK[] then APPEND."""
    src, dst = server.connect(source), server.connect(target)
    count = size = 0
    for folder in ("INBOX", "Sent", "Archive"):
        if folder != "INBOX":
            dst.create(folder)
        src.select(folder, readonly=True)
        _, data = src.uid("SEARCH", "ALL")
        for uid in data[0].split():
            _, got = src.uid("FETCH", uid, "(UID FLAGS INTERNALDATE BODY.PEEK[])")
            (msg,) = parse_fetch(got)
            when = internaldate(msg.internaldate or datetime.now(UTC))
            dst.append(folder, "(\\Seen)", when, msg.body or b"")
            count += 1
            size += len(msg.body or b"")
    src.logout()
    dst.logout()
    return count, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--messages", type=int, default=1000, help="per mailbox")
    ap.add_argument("--max-kb", type=int, default=1024, help="largest message (KB)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--plain-users", type=int, default=2)
    args = ap.parse_args()
    n_users = args.users
    sources = [f"s{i}" for i in range(n_users)]
    engine_targets = [f"e{i}" for i in range(n_users)]
    plain_targets = [f"p{i}" for i in range(args.plain_users)]
    dovecot.USERS = (*sources, *engine_targets, *plain_targets)  # the private server's users
    rng = random.Random(42)
    with (
        tempfile.TemporaryDirectory(prefix="bench-imap-") as tmp,
        dovecot.start_dovecot(Path(tmp) / "dovecot", timeout=15) as server,
    ):
        st = server.mail_root.stat()
        t0 = time.monotonic()
        total_bytes = sum(
            write_maildir(
                server.mail_root, u, args.messages, rng, args.max_kb * 1024, st.st_uid, st.st_gid
            )
            for u in sources
        )
        print(
            f"run: {n_users} mailboxes x {args.messages} messages, 2 KB to {args.max_kb} KB "
            f"(log-uniform), {total_bytes / 1e6:.0f} MB in all; concurrency {args.concurrency}; "
            f"{os.cpu_count()} CPUs; generated in {time.monotonic() - t0:.1f} s"
        )
        # Let Dovecot index the sources once, so neither contender pays for it.
        for u in sources:
            imap = server.connect(u)
            for f in ("INBOX", "Sent", "Archive"):
                imap.select(f, readonly=True)
                imap.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
            imap.logout()
        env = {f"PW_{u}": p for u, p in server.users.items()}
        ep = ImapEndpoint(
            server.host, server.port, security="plain", login="{user}", password="env:PW_{user}"
        )
        db = StateDB(Path(tmp) / "state.db")
        engine = MigrationEngine(
            db,
            ImapSource(ep, environ=env),
            ImapTarget(ep, environ=env, user_map=dict(zip(sources, engine_targets, strict=True))),
            SystemClock(),
            workers=args.concurrency,
        )
        t0 = time.monotonic()
        engine.start(
            [
                GroupPlan(
                    "bench", sources, TransferSettings("all", exclude_folders=[]), args.concurrency
                )
            ]
        )
        engine.wait()
        engine_s = time.monotonic() - t0
        snap = engine.snapshot()
        engine.stop()
        db.close()
        copied = snap.overall.items_done
        assert snap.overall.users["done"] == n_users, snap.recent_errors
        e_rate, e_mb = copied / engine_s, snap.overall.bytes_done / engine_s / 1e6
        print(
            f"engine: {copied} messages, {snap.overall.bytes_done / 1e6:.0f} MB "
            f"in {engine_s:.1f} s: "
            f"{e_rate:,.0f} messages/s, {e_mb:.1f} MB/s"
        )
        t0 = time.monotonic()
        p_count = p_bytes = 0
        for s, p in zip(sources, plain_targets, strict=False):
            c, b = plain_loop(server, s, p)
            p_count += c
            p_bytes += b
        plain_s = time.monotonic() - t0
        p_rate, p_mb = p_count / plain_s, p_bytes / plain_s / 1e6
        print(
            f"plain FETCH+APPEND loop ({len(plain_targets)} mailboxes, 1 connection each side): "
            f"{p_count} messages, {p_bytes / 1e6:.0f} MB in {plain_s:.1f} s: "
            f"{p_rate:,.0f} messages/s, {p_mb:.1f} MB/s"
        )
        print(
            f"ratio engine/plain: {e_rate / p_rate:.1f}x messages/s, {e_mb / p_mb:.1f}x MB/s "
            f"(goal: >= 1,500 messages/s and >= 3x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
