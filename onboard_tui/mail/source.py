"""What every source offers the engine: folders, a cheap scan, then bodies in batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from onboard_tui.mail.items import FolderPath, ItemRef, MailItem, SkippedItem


@dataclass(frozen=True)
class SourceFolder:
    """A folder of a source mailbox; `locator` is the source's own name for it."""

    path: FolderPath
    locator: str
    special_use: str = ""


@dataclass
class FolderScan:
    """The items of a folder (metadata only) and the folder's validity token.

    `validity` changes when the source renumbers the folder (IMAP UIDVALIDITY); a delta
    scan after a complete pass lists only what arrived after `high_water`.
    """

    validity: str
    refs: list[ItemRef] = field(default_factory=list)
    high_water: int = 0
    delta: bool = False


class SourceMailbox(Protocol):
    """One user's mailbox, opened; not shared between threads."""

    def folders(self) -> list[SourceFolder]: ...

    def scan(self, folder: SourceFolder, validity: str, high_water: int) -> FolderScan:
        """All items, or only those after `high_water` when `validity` still holds."""
        ...

    def read(
        self, folder: SourceFolder, refs: Sequence[ItemRef]
    ) -> Iterator[MailItem | SkippedItem]:
        """The bodies of `refs`, in order; an unreadable one is a SkippedItem."""
        ...

    def close(self) -> None: ...


class MailSource(Protocol):
    """A kind of source (IMAP server, Maildir tree, mbox files)."""

    kind: str
    #: Item types this source can deliver; the others are reported "not available".
    item_types: frozenset[str]

    def open(self, user: str) -> SourceMailbox: ...

    def describe(self) -> str: ...
