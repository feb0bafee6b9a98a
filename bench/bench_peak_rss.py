"""Peak RSS while migrating one mailbox of 50,000 messages and one 100 MB message.

The source is a Maildir generated in a temporary folder; the target is a private local
Dovecot over IMAP (APPEND). Dovecot, not the sandbox cloud API, because the cloud
target refuses items over 64 MB (they are recorded as skipped, never read), so only an
IMAP target really carries the 100 MB message through the engine, as an IMAP-to-IMAP or
Domino-to-IMAP migration would.

The migration runs in a child process (the engine with its default settings: 4
workers, batches of 200 items or 8 MB); the parent reads the child's peak RSS from
wait4()'s ru_maxrss, and the child reports its own VmHWM and its RSS before the copy
(the interpreter and imports). Figures are printed; the goal (issue 6) is < 250 MB.

    .venv/bin/python bench/bench_peak_rss.py                     # the issue's sizes
    .venv/bin/python bench/bench_peak_rss.py --messages 5000 --large-mb 20   # quicker
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboard_tui.clock import SystemClock  # noqa: E402
from onboard_tui.mail.archive import MaildirSource  # noqa: E402
from onboard_tui.mail.engine import GroupPlan, MigrationEngine  # noqa: E402
from onboard_tui.mail.imap_target import ImapTarget  # noqa: E402
from onboard_tui.mail.imapconn import ImapEndpoint  # noqa: E402
from onboard_tui.session.model import TransferSettings  # noqa: E402
from onboard_tui.session.statedb import StateDB  # noqa: E402

GOAL_MB = 250
LINE = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghij.\n"


def write_source(root: Path, messages: int, large_mb: int) -> int:
    """One Maildir: `messages` of 2-6 KB over three folders, plus one of `large_mb` MB."""
    folders = ("", ".Sent", ".Archive")
    for folder in folders:
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(messages):
        head = f"Message-ID: <{i}@rss.bench>\nFrom: a@b\nSubject: {i}\n\n".encode()
        body = head + LINE * (30 + i % 60)
        (root / folders[i % 3] / "cur" / f"{1_700_000_000 + i}.M{i}P1.bench:2,S").write_bytes(body)
        total += len(body)
    with (root / "cur" / "1690000000.Mbig.bench:2,S").open("wb") as fh:
        fh.write(b"Message-ID: <large@rss.bench>\nFrom: a@b\nSubject: large\n\n")
        chunk = LINE * (1024 * 1024 // len(LINE))
        for _ in range(large_mb):
            fh.write(chunk)
        total += fh.tell()
    return total


def vm(field: str) -> int:
    """A VmXxx figure of this process from /proc, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(source: str, folder: str) -> int:
    """Run the migration (the measured process); print figures for the parent."""
    before = vm("VmRSS")
    env = {"PW_t0": os.environ["BENCH_IMAP_PASSWORD"]}
    ep = ImapEndpoint(
        os.environ["BENCH_IMAP_HOST"],
        int(os.environ["BENCH_IMAP_PORT"]),
        security="plain",
        login="{user}",
        password="env:PW_{user}",
    )
    db = StateDB(Path(folder) / "state.db")
    engine = MigrationEngine(
        db,
        MaildirSource(source + "/{user}"),
        ImapTarget(ep, environ=env, user_map={"s0": "t0"}),
        SystemClock(),
    )
    t0 = time.monotonic()
    engine.start([GroupPlan("rss", ["s0"], TransferSettings("all", exclude_folders=[]))])
    engine.wait()
    seconds = time.monotonic() - t0
    snap = engine.snapshot()
    engine.stop()
    db.close()
    o = snap.overall
    print(f"CHILD before={before} hwm={vm('VmHWM')} seconds={seconds:.1f}")
    print(f"CHILD items={o.items_done} bytes={o.bytes_done} skipped={o.items_skipped}")
    print(f"CHILD done={o.users.get('done', 0)} errors={list(snap.recent_errors)}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--large-mb", type=int, default=100)
    ap.add_argument("--child", nargs=2, metavar=("SOURCE", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)

    from tests.integration.servers import dovecot

    dovecot.USERS = ("t0",)
    with (
        tempfile.TemporaryDirectory(prefix="bench-rss-") as tmp,
        dovecot.start_dovecot(Path(tmp) / "dovecot", timeout=15) as server,
    ):
        t0 = time.monotonic()
        total = write_source(Path(tmp) / "source" / "s0", args.messages, args.large_mb)
        print(
            f"run: one mailbox, {args.messages:,} messages of 2-6 KB and one of "
            f"{args.large_mb} MB ({total / 1e6:.0f} MB in all), Maildir -> local Dovecot "
            f"IMAP; generated in {time.monotonic() - t0:.1f} s"
        )
        env = dict(
            os.environ,
            BENCH_IMAP_HOST=server.host,
            BENCH_IMAP_PORT=str(server.port),
            BENCH_IMAP_PASSWORD=server.password("t0"),
        )
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", str(Path(tmp) / "source"), tmp],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here, for its rusage
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        figures = dict(
            part.split("=", 1)
            for line in out.splitlines()
            if line.startswith("CHILD ")
            for part in line[6:].split(" ", 2)
            if "=" in part
        )
    if code != 0 or not figures:
        print(out)
        print(f"the migration child failed (exit {code})")
        return 1
    peak_kb = usage.ru_maxrss  # kB on Linux
    print(
        f"migrated: {int(figures['items']):,} items, {int(figures['bytes']) / 1e6:.0f} MB in "
        f"{figures['seconds']} s; users done: {figures['done']}; errors: {figures['errors']}"
    )
    print(f"RSS before the copy (interpreter and imports): {int(figures['before']) / 1024:.0f} MB")
    print(
        f"peak RSS of the migrating process: {peak_kb / 1024:.0f} MB "
        f"(VmHWM {int(figures['hwm']) / 1024:.0f} MB) (goal: < {GOAL_MB} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
