"""Any IMAP server as the target.

APPEND keeps flags and the received date (INTERNALDATE); with MULTIAPPEND a batch is one
command (atomic on servers such as Dovecot), with LITERAL+ it is sent without waiting for
continuations. UIDPLUS's APPENDUID gives each item's target UID for the ledger. Folders
are created with the target's own separator and namespace prefix.

IMAP has no idempotent store, so before the first item of a folder is stored the target
is asked what it holds beyond the highest UID the ledger knows: anything the ledger
missed (stored just before a crash) is matched by Message-ID, received date and size,
as a multiset, so two identical messages in the source are still two in the target.

A NO to an APPEND that is not about load or the folder (Dovecot's "Can't save a zero
byte message") refuses a message, not the job: a MULTIAPPEND refused as a whole (it is
atomic, RFC 3502) is sent again one message at a time, and the message refused alone
becomes its `ItemRefused`, which the engine records as skipped.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from onboard_tui.mail.errors import ItemRefused
from onboard_tui.mail.imapconn import ImapConnection, ImapEndpoint, ImapFolder
from onboard_tui.mail.items import (
    MAIL,
    FolderPath,
    MailItem,
    WireBody,
    header_block,
    message_id,
    utc,
)
from onboard_tui.session.secrets import Secret

log = logging.getLogger(__name__)

Key = tuple[str, int, int]  # (Message-ID, received as epoch seconds, size in CRLF form)
MAX_APPEND_BYTES = 16 * 1024 * 1024


class ImapTarget:
    """An IMAP server receiving every user's mail."""

    kind = "imap"
    item_types = frozenset({MAIL})
    max_item_bytes: int | None = None

    def __init__(
        self,
        endpoint: ImapEndpoint,
        *,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Secret] | None = None,
        user_map: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.environ = environ
        self.secrets = dict(secrets or {})
        #: Source user -> target user, when the addresses differ (default: the same).
        self.user_map = dict(user_map or {})

    def describe(self) -> str:
        return f"IMAP {self.endpoint.host}:{self.endpoint.port}"

    def open(self, user: str) -> ImapTargetMailbox:
        user = self.user_map.get(user, user)
        secret = self.secrets.get(user) or self.endpoint.secret(user, self.environ)
        return ImapTargetMailbox(ImapConnection(self.endpoint, user, secret))


class ImapTargetMailbox:
    """One user's mailbox on the target IMAP server."""

    def __init__(self, conn: ImapConnection) -> None:
        self.conn = conn
        self._folders: dict[FolderPath, ImapFolder] | None = None
        self._raw: dict[FolderPath, str] = {}
        self._index: dict[FolderPath, Counter[Key]] = {}
        self.multi = "MULTIAPPEND" in conn.capabilities

    def _known(self) -> dict[FolderPath, ImapFolder]:
        if self._folders is None:
            self._folders = {tuple(p.casefold() for p in f.path): f for f in self.conn.folders()}
        return self._folders

    def _resolve(self, folder: FolderPath, special_use: str) -> tuple[str, bool]:
        """(wire name, already existed)."""
        known = self._known()
        found = known.get(tuple(p.casefold() for p in folder))
        if found is not None:
            return found.raw, True
        if special_use and len(folder) == 1:
            for f in known.values():
                if f.special_use.lower() == special_use.lower():
                    return f.raw, True
        return self.conn.wire_name(folder), False

    def begin_folder(self, folder: FolderPath, special_use: str, ledger_high: int | None) -> None:
        raw, exists = self._resolve(folder, special_use)
        self._raw[folder] = raw
        if not exists:
            self.conn.create(raw)
            self._folders = None
            self._index[folder] = Counter()
            return
        self._index[folder] = self._lookup(raw, ledger_high or 0)

    def _lookup(self, raw: str, after: int) -> Counter[Key]:
        _, exists = self.conn.select(raw, readonly=True)
        index: Counter[Key] = Counter()
        if not exists:
            return index
        uids = [u for u in self.conn.search_uids(f"UID {after + 1}:*") if u > after]
        for start in range(0, len(uids), 2000):
            for msg in self.conn.fetch(
                uids[start : start + 2000],
                "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
            ):
                when = int(msg.internaldate.timestamp()) if msg.internaldate else 0
                index[(message_id(msg.body or b""), when, msg.size)] += 1
        if index:
            log.info(
                "%s: %d message(s) beyond the ledger in %s",
                self.conn.user,
                sum(index.values()),
                raw,
            )
        return index

    def store(self, folder: FolderPath, items: Sequence[MailItem]) -> list[str | ItemRefused]:
        raw = self._raw.get(folder) or self.conn.wire_name(folder)
        index = self._index.get(folder)
        refs: list[str | ItemRefused] = [""] * len(items)
        pending: list[tuple[int, tuple[str, ...], datetime, WireBody]] = []
        for i, item in enumerate(items):
            body = WireBody(item.body)  # CRLF on the wire, never a second whole copy
            if index:
                key = (
                    message_id(header_block(item.body)),
                    int(utc(item.ref.received).timestamp()),
                    len(body),
                )
                if index[key] > 0:
                    index[key] -= 1
                    refs[i] = "found:"
                    continue
            pending.append((i, item.ref.flags, item.ref.received, body))
        # One MULTIAPPEND per chunk of at most MAX_APPEND_BYTES (one message when not offered).
        chunk: list[tuple[int, tuple[str, ...], datetime, WireBody]] = []
        size = 0
        for entry in pending:
            if chunk and (not self.multi or size + len(entry[3]) > MAX_APPEND_BYTES):
                self._append(raw, chunk, refs)
                chunk, size = [], 0
            chunk.append(entry)
            size += len(entry[3])
        if chunk:
            self._append(raw, chunk, refs)
        return refs

    def _append(
        self,
        raw: str,
        chunk: list[tuple[int, tuple[str, ...], datetime, WireBody]],
        refs: list[str | ItemRefused],
    ) -> None:
        messages = [(flags, when, body) for _, flags, when, body in chunk]
        try:
            uids = self.conn.append(raw, messages)
        except ItemRefused as refusal:
            if len(chunk) == 1:
                log.warning("%s: APPEND to %s refused: %s", self.conn.user, raw, refusal.detail)
                refs[chunk[0][0]] = refusal
                return
            # None of the chunk was stored; find the refused one(s) message by message.
            for entry in chunk:
                self._append(raw, [entry], refs)
            return
        for n, (i, *_rest) in enumerate(chunk):
            refs[i] = str(uids[n]) if uids else "appended"

    def close(self) -> None:
        self.conn.close()
