"""A small fake Exchange Web Services endpoint on 127.0.0.1 for the EWS source tests.

It answers the SOAP operations exchangelib sends for a migration (GetFolder, FindFolder,
FindItem, GetItem with MimeContent, SyncFolderItems), with Basic authentication, the
ExchangeImpersonation header, per-user mailboxes (folders holding mail, contacts, calendar
entries and tasks), and switches for what a loaded or misconfigured Exchange does:
ErrorServerBusy with BackOffMilliseconds, HTTP 503, and ErrorImpersonateUserDenied.
Optionally over HTTPS with a certificate of its own (untrusted unless its CA is given).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from .base import LOOPBACK, free_port

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"

#: Element name and folder class of each kind of item.
Row = TypeVar("Row")

ITEM_TAGS = {"mail": "Message", "contact": "Contact", "event": "CalendarItem", "task": "Task"}
FOLDER_TAGS = {
    "IPF.Note": "Folder",
    "IPF.Contact": "ContactsFolder",
    "IPF.Appointment": "CalendarFolder",
    "IPF.Task": "TasksFolder",
}


@dataclass
class FakeItem:
    """One item; `body` is what GetItem returns as MimeContent (none for tasks)."""

    id: str
    kind: str
    body: bytes
    received: dt.datetime
    seq: int
    is_read: bool = False
    subject: str = ""
    due: dt.datetime | None = None
    status: str = "NotStarted"


@dataclass
class FakeFolder:
    """One folder of a mailbox."""

    id: str
    name: str
    parent: str
    folder_class: str = "IPF.Note"
    distinguished: str = ""
    items: list[FakeItem] = field(default_factory=list)


class Mailbox:
    """A user's folders, from msgfolderroot down."""

    def __init__(self, server: FakeEws, user: str) -> None:
        self.server = server
        self.user = user
        self.folders: dict[str, FakeFolder] = {}
        top = self._add("Root", "", "", "root")
        self.root = self._add("Top of Information Store", top.id, "IPF.Note", "msgfolderroot")
        for name, cls, dist in (
            ("Inbox", "IPF.Note", "inbox"),
            ("Sent Items", "IPF.Note", "sentitems"),
            ("Deleted Items", "IPF.Note", "deleteditems"),
            ("Junk Email", "IPF.Note", "junkemail"),
            ("Drafts", "IPF.Note", "drafts"),
            ("Contacts", "IPF.Contact", "contacts"),
            ("Calendar", "IPF.Appointment", "calendar"),
            ("Tasks", "IPF.Task", "tasks"),
        ):
            self._add(name, self.root.id, cls, dist)

    def _add(self, name: str, parent: str, cls: str, dist: str = "") -> FakeFolder:
        folder = FakeFolder(self.server.new_id("F"), name, parent, cls, dist)
        self.folders[folder.id] = folder
        return folder

    def folder(self, path: str, folder_class: str = "IPF.Note") -> FakeFolder:
        """The folder at "Inbox/Projects" (created with its parents when missing)."""
        parent = self.root
        for part in path.split("/"):
            found = next(
                (f for f in self.folders.values() if f.parent == parent.id and f.name == part),
                None,
            )
            parent = found or self._add(part, parent.id, folder_class)
        return parent

    def add(self, path: str, kind: str, body: bytes = b"", **fields: object) -> FakeItem:
        folder = self.folder(path)
        when = fields.pop("received", dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC))
        assert isinstance(when, dt.datetime)
        item = FakeItem(
            self.server.new_id("I"),
            kind,
            body,
            when,
            self.server.next_seq(),
            **fields,  # type: ignore[arg-type]
        )
        folder.items.append(item)
        return item


class FakeEws:
    """The server's state and switches; `url` once started."""

    def __init__(self, admin: str = "migration-admin@renovations.com", password: str = "") -> None:
        self.admin = admin
        self.password = (
            password
            or "Ews-" + base64.b32encode(dt.datetime.now().isoformat().encode()).decode()[:12]
        )
        self.mailboxes: dict[str, Mailbox] = {}
        #: Users the admin may not impersonate (ErrorImpersonateUserDenied).
        self.denied: set[str] = set()
        #: The next `busy` requests answer ErrorServerBusy with `busy_ms` back-off.
        self.busy = 0
        self.busy_ms = 300
        #: The next `unavailable` requests answer HTTP 503 (Retry-After: 1).
        self.unavailable = 0
        self.requests: list[str] = []
        self.url = ""
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        return base64.b64encode(f"{prefix}{next(self._ids):08d}".encode() + b"\0" * 30).decode()

    def next_seq(self) -> int:
        return next(self._seq)

    def mailbox(self, user: str) -> Mailbox:
        if user not in self.mailboxes:
            self.mailboxes[user] = Mailbox(self, user)
        return self.mailboxes[user]

    def count(self, operation: str) -> int:
        return sum(1 for r in self.requests if r == operation)

    # --- answering -----------------------------------------------------------------------

    def handle(self, auth: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        expected = "Basic " + base64.b64encode(f"{self.admin}:{self.password}".encode()).decode()
        if auth != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="ews"'}, b""
        envelope = ET.fromstring(body)
        op = envelope.find(f"{{{SOAP}}}Body")[0]  # type: ignore[index]
        name = op.tag.split("}")[1]
        with self._lock:
            self.requests.append(name)
            if self.unavailable:
                self.unavailable -= 1
                return 503, {"Retry-After": "1"}, b"Service Unavailable"
            if self.busy:
                self.busy -= 1
                return (
                    500,
                    {},
                    fault(
                        "ErrorServerBusy",
                        "The server cannot service this request right now. Try again later.",
                        f'<t:MessageXml><t:Value Name="BackOffMilliseconds">{self.busy_ms}'
                        "</t:Value></t:MessageXml>",
                    ),
                )
        who = envelope.find(f".//{{{T}}}ExchangeImpersonation//{{{T}}}PrimarySmtpAddress")
        user = (who.text or "") if who is not None else self.admin
        if user in self.denied:
            return (
                500,
                {},
                fault(
                    "ErrorImpersonateUserDenied",
                    "The account does not have permission to impersonate the requested user.",
                ),
            )
        if user not in self.mailboxes:
            return (
                500,
                {},
                fault(
                    "ErrorNonExistentMailbox",
                    "The SMTP address has no mailbox associated with it.",
                ),
            )
        mailbox = self.mailboxes[user]
        handler = getattr(self, "op_" + name, None)
        if handler is None:
            return 500, {}, fault("ErrorInvalidRequest", f"{name} is not supported here.")
        return 200, {}, envelope_of(handler(mailbox, op))

    def _folder(self, mailbox: Mailbox, ref: ET.Element) -> FakeFolder | None:
        if ref.tag == f"{{{T}}}DistinguishedFolderId":
            return next(
                (f for f in mailbox.folders.values() if f.distinguished == ref.get("Id")), None
            )
        return mailbox.folders.get(ref.get("Id", ""))

    def op_GetFolder(self, mailbox: Mailbox, op: ET.Element) -> str:
        out = []
        for ref in op.find(f"{{{M}}}FolderIds") or []:
            folder = self._folder(mailbox, ref)
            if folder is None:
                out.append(error_message("GetFolder", "ErrorFolderNotFound", "No such folder."))
            else:
                out.append(success("GetFolder", f"<m:Folders>{folder_xml(folder)}</m:Folders>"))
        return response("GetFolder", "".join(out))

    def op_FindFolder(self, mailbox: Mailbox, op: ET.Element) -> str:
        deep = op.get("Traversal") == "Deep"
        out = []
        for ref in op.find(f"{{{M}}}ParentFolderIds") or []:
            top = self._folder(mailbox, ref)
            if top is None:
                out.append(error_message("FindFolder", "ErrorFolderNotFound", "No such folder."))
                continue
            found, todo = [], [top.id]
            while todo:
                parent = todo.pop(0)
                for f in mailbox.folders.values():
                    if f.parent == parent:
                        found.append(f)
                        if deep:
                            todo.append(f.id)
            page, offset, last = paged(op, "IndexedPageFolderView", found)
            out.append(
                success(
                    "FindFolder",
                    f'<m:RootFolder IndexedPagingOffset="{offset}" TotalItemsInView="{len(found)}"'
                    f' IncludesLastItemInRange="{str(last).lower()}"><t:Folders>'
                    + "".join(folder_xml(f) for f in page)
                    + "</t:Folders></m:RootFolder>",
                )
            )
        return response("FindFolder", "".join(out))

    def op_FindItem(self, mailbox: Mailbox, op: ET.Element) -> str:
        out = []
        for ref in op.find(f"{{{M}}}ParentFolderIds") or []:
            folder = self._folder(mailbox, ref)
            if folder is None:
                out.append(error_message("FindItem", "ErrorFolderNotFound", "No such folder."))
                continue
            page, offset, last = paged(op, "IndexedPageItemView", folder.items)
            out.append(
                success(
                    "FindItem",
                    f'<m:RootFolder IndexedPagingOffset="{offset}"'
                    f' TotalItemsInView="{len(folder.items)}"'
                    f' IncludesLastItemInRange="{str(last).lower()}"><t:Items>'
                    + "".join(item_xml(i) for i in page)
                    + "</t:Items></m:RootFolder>",
                )
            )
        return response("FindItem", "".join(out))

    def op_GetItem(self, mailbox: Mailbox, op: ET.Element) -> str:
        items = {i.id: i for f in mailbox.folders.values() for i in f.items}
        mime = any(p.get("FieldURI") == "item:MimeContent" for p in op.iter(f"{{{T}}}FieldURI"))
        out = []
        for ref in op.find(f"{{{M}}}ItemIds") or []:
            item = items.get(ref.get("Id", ""))
            if item is None:
                out.append(error_message("GetItem", "ErrorItemNotFound", "Not found."))
            elif mime and item.kind == "task":
                out.append(
                    error_message(
                        "GetItem",
                        "ErrorUnsupportedMimeConversion",
                        "Converting a task to MIME is not supported.",
                    )
                )
            else:
                out.append(success("GetItem", f"<m:Items>{item_xml(item, mime=mime)}</m:Items>"))
        return response("GetItem", "".join(out))

    def op_SyncFolderItems(self, mailbox: Mailbox, op: ET.Element) -> str:
        ref = op.find(f"{{{M}}}SyncFolderId")
        folder = self._folder(mailbox, ref[0]) if ref is not None and len(ref) else None
        if folder is None:
            return response(
                "SyncFolderItems", error_message("SyncFolderItems", "ErrorFolderNotFound", "No.")
            )
        state = op.findtext(f"{{{M}}}SyncState") or ""
        since = 0
        if state:
            try:
                fid, _, seq = base64.b64decode(state).decode().rpartition(":")
                since = int(seq)
            except ValueError:
                fid = ""
            if fid != folder.id:
                return response(
                    "SyncFolderItems",
                    error_message("SyncFolderItems", "ErrorInvalidSyncStateData", "Bad state."),
                )
        limit = int(op.findtext(f"{{{M}}}MaxChangesReturned") or 100)
        new = sorted((i for i in folder.items if i.seq > since), key=lambda i: i.seq)
        page, last = new[:limit], len(new) <= limit
        high = page[-1].seq if page else since
        token = base64.b64encode(f"{folder.id}:{high}".encode()).decode()
        changes = "".join(f"<t:Create>{item_xml(i)}</t:Create>" for i in page)
        return response(
            "SyncFolderItems",
            success(
                "SyncFolderItems",
                f"<m:SyncState>{token}</m:SyncState>"
                f"<m:IncludesLastItemInRange>{str(last).lower()}</m:IncludesLastItemInRange>"
                f"<m:Changes>{changes}</m:Changes>",
            ),
        )


def paged(op: ET.Element, view: str, rows: list[Row]) -> tuple[list[Row], int, bool]:
    """The page an IndexedPage*View asks for, the next offset, and whether it is the last."""
    page = op.find(f"{{{M}}}{view}")
    offset = int(page.get("Offset", "0")) if page is not None else 0
    size = int(page.get("MaxEntriesReturned", "1000")) if page is not None else 1000
    chunk = rows[offset : offset + size]
    end = offset + len(chunk)
    return chunk, end, end >= len(rows)


def when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def folder_xml(f: FakeFolder) -> str:
    tag = FOLDER_TAGS.get(f.folder_class, "Folder")
    parent = f'<t:ParentFolderId Id="{f.parent}" ChangeKey="AQ"/>' if f.parent else ""
    return (
        f'<t:{tag}><t:FolderId Id="{f.id}" ChangeKey="AQ"/>{parent}'
        f"<t:FolderClass>{f.folder_class}</t:FolderClass>"
        f"<t:DisplayName>{escape(f.name)}</t:DisplayName>"
        f"<t:TotalCount>{len(f.items)}</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>"
        f"</t:{tag}>"
    )


def item_xml(i: FakeItem, *, mime: bool = False) -> str:
    tag = ITEM_TAGS[i.kind]
    parts = [f"<t:{tag}>"]
    if mime:
        parts.append(
            '<t:MimeContent CharacterSet="UTF-8">'
            f"{base64.b64encode(i.body).decode()}</t:MimeContent>"
        )
    parts.append(f'<t:ItemId Id="{i.id}" ChangeKey="CQ"/>')
    parts.append(f"<t:Subject>{escape(i.subject)}</t:Subject>")
    parts.append(f"<t:DateTimeReceived>{when(i.received)}</t:DateTimeReceived>")
    parts.append(f"<t:Size>{len(i.body) or 200}</t:Size>")
    if i.kind == "task":
        if i.due:
            parts.append(f"<t:DueDate>{when(i.due)}</t:DueDate>")
        parts.append(f"<t:Status>{i.status}</t:Status>")
    if i.kind == "mail":
        parts.append(f"<t:IsRead>{str(i.is_read).lower()}</t:IsRead>")
    parts.append(f"</t:{tag}>")
    return "".join(parts)


def success(op: str, inner: str) -> str:
    return (
        f'<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        f"{inner}</m:{op}ResponseMessage>"
    )


def error_message(op: str, code: str, text: str) -> str:
    # Exchange's SyncFolderItems errors still carry an empty SyncState (exchangelib reads it).
    sync = (
        "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>"
        if op == "SyncFolderItems"
        else ""
    )
    return (
        f'<m:{op}ResponseMessage ResponseClass="Error">'
        f"<m:MessageText>{escape(text)}</m:MessageText>"
        f"<m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
        f"{sync}</m:{op}ResponseMessage>"
    )


def response(op: str, messages: str) -> str:
    return f"<m:{op}Response><m:ResponseMessages>{messages}</m:ResponseMessages></m:{op}Response>"


_HEAD = (
    f'<s:Envelope xmlns:s="{SOAP}" xmlns:m="{M}" xmlns:t="{T}"><s:Header>'
    '<t:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507"'
    ' MinorBuildNumber="6" Version="V2017_07_11"/></s:Header><s:Body>'
)


def envelope_of(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>{_HEAD}{body}</s:Body></s:Envelope>'.encode()


def fault(code: str, text: str, extra: str = "") -> bytes:
    return envelope_of(
        "<s:Fault><faultcode>a:" + code + "</faultcode>"
        f"<faultstring>{escape(text)}</faultstring><detail>"
        f'<e:ResponseCode xmlns:e="{E}">{code}</e:ResponseCode>'
        f'<e:Message xmlns:e="{E}">{escape(text)}</e:Message>{extra}'
        "</detail></s:Fault>"
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            status, headers, answer = self.server.ews.handle(
                self.headers.get("Authorization", ""), body
            )
        except ET.ParseError:
            status, headers, answer = 400, {}, b"not XML"
        self.send_response(status)
        content_type = "text/xml; charset=utf-8" if answer.startswith(b"<?xml") else "text/plain"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests look at `FakeEws.requests` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ews: FakeEws, port: int) -> None:
        self.ews = ews
        super().__init__((LOOPBACK, port), _Handler)


@contextlib.contextmanager
def start_fake_ews(ews: FakeEws, *, cert: tuple[Path, Path] | None = None) -> Iterator[FakeEws]:
    """Serve `ews` on a free port of 127.0.0.1 (HTTPS with `cert`=(cert, key)); stop on exit."""
    server = _Server(ews, free_port())
    scheme = "http"
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    ews.url = f"{scheme}://{LOOPBACK}:{server.server_address[1]}/EWS/Exchange.asmx"
    thread = threading.Thread(target=server.serve_forever, name="fake-ews", daemon=True)
    thread.start()
    try:
        yield ews
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
