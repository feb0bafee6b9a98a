"""The demo's mail source: Maildir++ mailboxes for the demo users, generated once.

About 40 users and 20,000 messages, written as raw bytes (no MIME objects are built per
message, so it takes seconds): nested and non-ASCII folder names (modified UTF-7 on
disk), a few items of 10-25 MB, some messages without a Message-ID, Deleted Items and
Junk (excluded by default, so the Complete tab has skipped items to explain). The
session's `[migration.source]` points at it and `[sandbox] item_delay_ms` slows the
sandbox's imports to a realistic pace so the dashboard is worth watching.
"""

from __future__ import annotations

import base64
import csv
import logging
import os
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from onboard_tui.mail import utf7
from onboard_tui.session.store import SessionStore

log = logging.getLogger(__name__)

DEMO_MAIL = "demo-mail"
DONE_MARK = ".generated"
ITEM_DELAY_MS = 25
USERS_CSV = Path(__file__).resolve().parents[2] / "sample_configs" / "demo-users.csv"

#: (folder path, share of a user's messages)
FOLDERS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("INBOX",), 0.34),
    (("Sent",), 0.16),
    (("Drafts",), 0.02),
    (("Archive", "2023"), 0.12),
    (("Archive", "2024"), 0.12),
    (("Projekte", "Übersicht"), 0.06),
    (("Clients", "Société Générale"), 0.06),
    (("会議",), 0.04),
    (("Deleted Items",), 0.05),
    (("Junk",), 0.03),
)
SUBJECTS = (
    "Quarterly figures",
    "Re: site visit on Tuesday",
    "Invoice 2024-{n}",
    "Kitchen renovation quote",
    "Fwd: planning permission",
    "Réunion de chantier",
    "Lunch?",
    "Übersicht der Projekte",
    "見積書の件",
    "Your order has shipped",
)
WORDS = (
    b"renovation budget schedule contractor tiles plumbing permit invoice drawing kitchen "
    b"bathroom roof timber window quote delivery site meeting client approval deadline "
).split()


@dataclass(frozen=True)
class DemoStats:
    """What was generated."""

    users: int
    messages: int
    large: int
    without_message_id: int
    bytes: int
    seconds: float


def demo_users(path: Path = USERS_CSV) -> list[tuple[str, float]]:
    """(email, mailbox size in GB) of the demo CSV's valid addresses."""
    found = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            email = (row.get("Email") or "").strip().lower()
            local, _, domain = email.partition("@")
            if not local or "." not in domain:
                continue
            try:
                size = float(row.get("Mailbox Size (GB)") or 1)
            except ValueError:
                size = 1.0
            found.append((email, size))
    return found


def maildir_name(path: Sequence[str]) -> str:
    """The Maildir++ directory of a folder ("" for INBOX)."""
    if path == ("INBOX",):
        return ""
    return "." + ".".join(utf7.encode(p) for p in path)


def _body(rng: random.Random, size: int) -> bytes:
    line = b" ".join(rng.choice(WORDS) for _ in range(11)) + b"\r\n"
    return line * max(1, size // len(line))


def _message(
    rng: random.Random, n: int, user: str, when: datetime, size: int, with_id: bool
) -> bytes:
    subject = rng.choice(SUBJECTS).replace("{n}", str(n))
    sender = rng.choice(("alice.adams", "bruno.baker", "supplier", "noreply")) + "@example.net"
    head = (
        f"From: {sender}\r\nTo: {user}\r\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\r\n"
        + (f"Message-ID: <demo.{n}@renovations.example>\r\n" if with_id else "")
        + "Subject: =?utf-8?b?"
    ).encode()
    head += base64.b64encode(subject.encode()) + b"?=\r\nMIME-Version: 1.0\r\n"
    head += b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    return head + _body(rng, size)


def generate(
    root: Path,
    users: Sequence[tuple[str, float]],
    *,
    messages: int = 20_000,
    large: int = 8,
    large_mb: tuple[int, int] = (10, 25),
    seed: int = 246,
) -> DemoStats:
    """Write every user's Maildir under root/<email>/; marked done when complete."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    weights = [max(0.5, min(size, 30.0)) for _, size in users]
    total_weight = sum(weights)
    counts = [max(5, round(messages * w / total_weight)) for w in weights]
    big_users = (
        sorted(range(len(users)), key=lambda i: -weights[i])[: max(1, large)] if large else []
    )
    now = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    written = no_id = big = size_sum = n = 0
    pid = os.getpid()
    for index, ((user, _), count) in enumerate(zip(users, counts, strict=True)):
        base = root / user
        for path, _share in FOLDERS:
            for sub in ("cur", "new", "tmp"):
                (base / maildir_name(path) / sub).mkdir(parents=True, exist_ok=True)
        shares = [share for _, share in FOLDERS]
        plan = rng.choices(range(len(FOLDERS)), weights=shares, k=count)
        if index in big_users and big < large:
            plan.append(0)
        for k, folder_index in enumerate(plan):
            n += 1
            path = FOLDERS[folder_index][0]
            stamp = now - rng.randint(0, 3 * 365 * 86400)
            when = datetime.fromtimestamp(stamp, UTC)
            is_big = k == count and index in big_users
            size = (
                rng.randint(large_mb[0], large_mb[1]) * 1_000_000
                if is_big
                else int(rng.lognormvariate(7.6, 0.9)) + 300
            )
            with_id = n % 23 != 0
            data = _message(rng, n, user, when, size, with_id)
            flags = "S" if rng.random() < 0.8 else ""
            flags += "F" if rng.random() < 0.05 else ""
            name = f"{stamp}.M{n}P{pid}.demo:2,{flags}"
            file = base / maildir_name(path) / "cur" / name
            file.write_bytes(data)
            os.utime(file, (stamp, stamp))
            written += 1
            no_id += not with_id
            big += is_big
            size_sum += len(data)
    (root / DONE_MARK).write_text(f"{written} messages for {len(users)} users\n")
    return DemoStats(len(users), written, big, no_id, size_sum, time.monotonic() - started)


def ensure_demo_mail(folder: Path, users_csv: Path = USERS_CSV) -> DemoStats | None:
    """Generate `folder/demo-mail` once (None when it is there already)."""
    root = folder / DEMO_MAIL
    if (root / DONE_MARK).exists():
        return None
    if root.exists():  # an interrupted generation: start again
        shutil.rmtree(root)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # the session folder, private
    root.mkdir(mode=0o700)
    stats = generate(root, demo_users(users_csv))
    log.info("demo mail: %s", stats)
    return stats


def configure_demo_source(store: SessionStore) -> bool:
    """Point `[migration.source]` at the demo Maildir and pace the sandbox (first time only)."""
    root = store.folder / DEMO_MAIL
    if store.read_only or not (root / DONE_MARK).exists() or "migration" in store.doc:
        return False
    doc = store.doc

    def change(_data: object) -> None:
        migration = tomlkit.table()
        migration.add(tomlkit.comment("The demo: generated mailboxes into the sandbox's cloud."))
        migration["concurrency"] = 4
        source = tomlkit.table()
        source["kind"] = "maildir"
        source["root"] = str(root / "{user}")
        migration["source"] = source
        target = tomlkit.table()
        target["kind"] = "cloud"
        migration["target"] = target
        doc["migration"] = migration
        if "sandbox" not in doc:
            sandbox = tomlkit.table()
            sandbox.add(
                tomlkit.comment("Demo only: each imported item waits, for a realistic pace.")
            )
            sandbox["item_delay_ms"] = ITEM_DELAY_MS
            doc["sandbox"] = sandbox

    store.update(change)
    return True
