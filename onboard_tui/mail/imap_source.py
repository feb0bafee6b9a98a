"""Any IMAP server as a source (Domino with IMAP enabled, Dovecot, Exchange's IMAP...).

The source id is folder + UIDVALIDITY + UID. A scan fetches only metadata
(`UID FLAGS INTERNALDATE RFC822.SIZE`); bodies come by UID sets with `BODY.PEEK[]`, so
nothing is marked \\Seen on the source. Only mail: the engine reports contacts, calendar
and tasks as not available from this source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

from onboard_tui.mail.imapconn import ImapConnection, ImapEndpoint
from onboard_tui.mail.items import (
    MAIL,
    SKIP_UNREADABLE,
    ItemRef,
    MailItem,
    SkippedItem,
    folder_name,
)
from onboard_tui.mail.source import FolderScan, SourceFolder
from onboard_tui.session.secrets import Secret

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ImapSource:
    """An IMAP server holding every user's mailbox."""

    kind = "imap"
    item_types = frozenset({MAIL})

    def __init__(
        self,
        endpoint: ImapEndpoint,
        *,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Secret] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.environ = environ
        self.secrets = dict(secrets or {})

    def describe(self) -> str:
        return f"IMAP {self.endpoint.host}:{self.endpoint.port}"

    def open(self, user: str) -> ImapMailbox:
        secret = self.secrets.get(user) or self.endpoint.secret(user, self.environ)
        return ImapMailbox(ImapConnection(self.endpoint, user, secret))


class ImapMailbox:
    """One user's IMAP mailbox, one connection reused for every folder."""

    def __init__(self, conn: ImapConnection) -> None:
        self.conn = conn

    def folders(self) -> list[SourceFolder]:
        return [
            SourceFolder(f.path, f.raw, f.special_use) for f in self.conn.folders() if f.selectable
        ]

    def scan(self, folder: SourceFolder, validity: str, high_water: int) -> FolderScan:
        uidvalidity, exists = self.conn.select(folder.locator, readonly=True)
        delta = validity == str(uidvalidity) and high_water > 0
        scan = FolderScan(str(uidvalidity), delta=delta, high_water=high_water if delta else 0)
        if not exists:
            return scan
        if delta:
            uids = [u for u in self.conn.search_uids(f"UID {high_water + 1}:*") if u > high_water]
        else:
            uids = self.conn.search_uids("ALL")
        name = folder_name(folder.path)
        for start in range(0, len(uids), 5000):
            for msg in self.conn.fetch(
                uids[start : start + 5000], "(UID FLAGS INTERNALDATE RFC822.SIZE)"
            ):
                scan.refs.append(
                    ItemRef(
                        source_id=f"imap:{name}:{uidvalidity}:{msg.uid}",
                        folder=folder.path,
                        size=msg.size,
                        received=msg.internaldate or _EPOCH,
                        flags=tuple(f for f in msg.flags if f.lower() != "\\recent"),
                        locator=str(msg.uid),
                    )
                )
                scan.high_water = max(scan.high_water, msg.uid)
        return scan

    def read(
        self, folder: SourceFolder, refs: Sequence[ItemRef]
    ) -> Iterator[MailItem | SkippedItem]:
        if self.conn.selected != folder.locator:
            self.conn.select(folder.locator, readonly=True)
        fetched = {
            m.uid: m.body
            for m in self.conn.fetch((int(r.locator) for r in refs), "(UID BODY.PEEK[])")
        }
        for ref in refs:
            body = fetched.pop(int(ref.locator), None)
            if body is None:
                yield SkippedItem(
                    ref.source_id, ref.folder, SKIP_UNREADABLE, "expunged or not returned", ref.size
                )
            else:
                yield MailItem(ref, body)

    def close(self) -> None:
        self.conn.close()
