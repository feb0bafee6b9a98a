"""What every target offers the engine: folders, and storing a batch idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from onboard_tui.mail.errors import ItemRefused
from onboard_tui.mail.items import FolderPath, MailItem

#: The skip reason of an item the target refused (the detail holds the server's sentence).
SKIP_REFUSED = "refused by the target"


class TargetMailbox(Protocol):
    """One user's mailbox on the target, opened; not shared between threads."""

    def begin_folder(self, folder: FolderPath, special_use: str, ledger_high: int | None) -> None:
        """Make the folder ready (created if missing) before items are stored in it.

        `ledger_high` is the highest target UID the ledger knows for this folder (None:
        none). A target that is not idempotent by itself (IMAP) looks up what it holds
        beyond that, so items stored just before a crash are recognised, not stored twice.
        """
        ...

    def store(self, folder: FolderPath, items: Sequence[MailItem]) -> Sequence[str | ItemRefused]:
        """Store the items; a target reference per item, in order.

        A reference starting with "found:" means the item was already there; an
        `ItemRefused` in its place means the target refused that item alone (the others
        are stored), so the engine skips it with the reason instead of failing the job.
        """
        ...

    def close(self) -> None: ...


class MailTarget(Protocol):
    """A kind of target (the cloud API, an IMAP server)."""

    kind: str
    item_types: frozenset[str]
    #: The largest item the target accepts, or None.
    max_item_bytes: int | None

    def open(self, user: str) -> TargetMailbox: ...

    def describe(self) -> str: ...


def uid_of(ref: str) -> int | None:
    """The IMAP UID in a target reference ("123" or "found:123"), if any."""
    tail = ref.rpartition(":")[2]
    return int(tail) if tail.isdigit() else None
