"""Exchange 2010/2013/2016 as a source, through EWS (exchangelib) with impersonation.

One admin account with the ApplicationImpersonation role reads every mailbox
(`Account(user, access_type=IMPERSONATION)`), at an explicit EWS URL with the Exchange
version set, so exchangelib neither guesses the version nor the authentication.
Folders come from one deep FindFolder under the message root; a full scan takes the
folder's SyncFolderItems state first, then lists the items with FindItem page by page; a
delta scan asks SyncFolderItems for what was created since that state. The EWS ItemId is
the source id. Mail, contacts and calendar entries come as `MimeContent` (MIME, vCard,
iCalendar); tasks, which Exchange will not give as MIME, are written as iCalendar VTODO.

Busy answers (ErrorServerBusy with BackOffMilliseconds, HTTP 503) are retried by
exchangelib's FaultTolerance policy up to a ceiling; each one is reported to the engine's
ThrottleController (lower concurrency, counted), and beyond the ceiling the engine gets
`Throttled` and backs off itself. A 401 is a login failure at once, never retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import urllib3
from exchangelib import (
    BASIC,
    DEEP,
    IMPERSONATION,
    Account,
    Configuration,
    Credentials,
    FaultTolerance,
    Version,
)
from exchangelib.errors import (
    ErrorInvalidSyncStateData,
    EWSError,
    UnauthorizedError,
)
from exchangelib.folders import Folder, FolderCollection, MsgFolderRoot
from exchangelib.items import Message
from exchangelib.properties import ItemId
from exchangelib.protocol import Protocol
from exchangelib.version import (
    EXCHANGE_2010,
    EXCHANGE_2010_SP1,
    EXCHANGE_2010_SP2,
    EXCHANGE_2013,
    EXCHANGE_2013_SP1,
    EXCHANGE_2016,
)
from requests.adapters import HTTPAdapter

from onboard_tui.mail.errors import MailError
from onboard_tui.mail.ews_errors import translate
from onboard_tui.mail.ews_items import BODY_START, flags_of, item_type, task_ical
from onboard_tui.mail.items import (
    CALENDAR,
    CONTACTS,
    ITEM_TYPES,
    MAIL,
    SKIP_UNREADABLE,
    TASKS,
    ItemRef,
    MailItem,
    SkippedItem,
)
from onboard_tui.mail.source import FolderScan, SourceFolder
from onboard_tui.session.secrets import Secret, SecretError, SecretRef

log = logging.getLogger(__name__)
# exchangelib logs request headers (Basic credentials) at DEBUG: never let them through.
logging.getLogger("exchangelib").setLevel(logging.WARNING)

VERSIONS = {
    "2010": EXCHANGE_2010,
    "2010_SP1": EXCHANGE_2010_SP1,
    "2010_SP2": EXCHANGE_2010_SP2,
    "2013": EXCHANGE_2013,
    "2013_SP1": EXCHANGE_2013_SP1,
    "2016": EXCHANGE_2016,
}
#: Seconds exchangelib may wait for one busy answer before the engine takes over.
MAX_WAIT = 60.0
PAGE_SIZE = 500
SYNC_PAGE = 512
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: How a distinguished folder is known to the Transfer Group Settings' exclusion rules.
_SPECIAL = {
    "deleteditems": "\\Trash",
    "junkemail": "\\Junk",
    "sentitems": "\\Sent",
    "drafts": "\\Drafts",
}
_DISTINGUISHED = ("inbox", *_SPECIAL)
_STATE = "ews-sync:"
_META = ("id", "changekey", "size", "datetime_received")
_TASK_FIELDS = ("subject", "body", "status", "due_date", "start_date", "complete_date",
                "percent_complete")  # fmt: skip

BusyListener = Callable[[float | None], object]


@dataclass(frozen=True)
class EwsSettings:
    """`[migration.source]` with kind = "ews", checked (see mail/config.py)."""

    url: str
    impersonation_user: str
    password: str
    version: str = "2016"
    ca_file: str = ""
    verify_tls: bool = True
    max_wait: float = MAX_WAIT
    max_connections: int = 4
    page_size: int = PAGE_SIZE


class _BusyPolicy(FaultTolerance):  # type: ignore[misc]
    """FaultTolerance that tells the engine about each back-off and fails a 401 at once."""

    def __init__(self, max_wait: float, source: EwsSource) -> None:
        super().__init__(max_wait=max_wait)
        self._source = source

    def back_off(self, seconds: float | None) -> None:
        self._source.busy_signals += 1
        listener = self._source.listener
        if listener is not None:
            listener(seconds)
        super().back_off(seconds)

    def raise_response_errors(self, response: Any) -> None:
        if response.status_code == 401:
            raise UnauthorizedError(f"Invalid credentials for {response.url}")
        super().raise_response_errors(response)


class _VerifyAdapter(HTTPAdapter):
    """Sends with this source's CA file (or no verification) whatever the environment says.

    requests lets REQUESTS_CA_BUNDLE override a session's `verify`, so the choice is
    made here, at the adapter, for every request to the EWS URL.
    """

    def __init__(self, verify: bool | str) -> None:
        super().__init__(pool_block=True, pool_connections=1, pool_maxsize=1, max_retries=0)
        self.verify = verify

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["verify"] = self.verify
        return super().send(request, *args, **kwargs)


class _Protocol(Protocol):  # type: ignore[misc]
    """exchangelib's Protocol with this source's TLS choice on every session."""

    #: True: the system's trust store; a CA file path; False: not verified (shown).
    verify: bool | str = True

    def create_session(self) -> Any:
        session = super().create_session()
        if self.verify is not True:
            session.mount(self.service_endpoint, _VerifyAdapter(self.verify))
        return session


class EwsSource:
    """Every mailbox of an Exchange organisation, read through one impersonation account."""

    kind = "ews"
    item_types = frozenset(ITEM_TYPES)

    def __init__(
        self,
        settings: EwsSettings,
        *,
        environ: Mapping[str, str] | None = None,
        password: Secret | None = None,
    ) -> None:
        self.settings = settings
        self.environ = environ
        self._password = password
        self._protocol: _Protocol | None = None
        self._config: Configuration | None = None
        self._lock = threading.Lock()
        #: Busy answers exchangelib retried itself (each also told to `listener`).
        self.busy_signals = 0
        self.listener: BusyListener | None = None

    def listen_throttle(self, listener: BusyListener) -> None:
        """The engine's ThrottleController.on_throttle hears of every busy answer."""
        self.listener = listener

    def describe(self) -> str:
        s = self.settings
        tls = ""
        if s.url.startswith("https:") and not s.verify_tls:
            tls = ", TLS verification OFF"
        elif s.url.startswith("https:") and s.ca_file:
            tls = f", CA {s.ca_file}"
        return f"Exchange {s.version} (EWS) {s.url}{tls}"

    def _configuration(self) -> tuple[Configuration, _Protocol]:
        with self._lock:
            if self._config is None or self._protocol is None:
                s = self.settings
                try:
                    secret = self._password or SecretRef.parse(
                        s.password, field="[migration.source] password"
                    ).resolve(dict(self.environ) if self.environ is not None else None)
                except SecretError as exc:
                    raise MailError(f"EWS password: {exc.message}", hint=exc.hint) from None
                config = Configuration(
                    service_endpoint=s.url,
                    credentials=Credentials(s.impersonation_user, secret.reveal()),
                    auth_type=BASIC,
                    version=Version(build=VERSIONS[s.version]),
                    retry_policy=_BusyPolicy(s.max_wait, self),
                    max_connections=s.max_connections,
                )
                # A private Protocol (not exchangelib's shared cache): our TLS and policy.
                protocol = type.__call__(_Protocol, config=config)
                protocol.verify = (s.ca_file or True) if s.verify_tls else False
                if not s.verify_tls:
                    # Said once here and in describe(), not by urllib3 on every request.
                    log.warning("EWS %s: TLS certificate verification is OFF", s.url)
                    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
                self._config, self._protocol = config, protocol
            return self._config, self._protocol

    def open(self, user: str) -> EwsMailbox:
        config, protocol = self._configuration()
        try:
            account = Account(
                primary_smtp_address=user,
                config=config,
                autodiscover=False,
                access_type=IMPERSONATION,
                default_timezone=_utc_zone(),
            )
        except (ValueError, EWSError) as exc:
            raise MailError(f"{user} cannot be opened on Exchange: {exc}") from None
        account.protocol = protocol
        return EwsMailbox(self, account)

    def fail(self, exc: BaseException, user: str) -> MailError:
        return translate(
            exc, url=self.settings.url, admin=self.settings.impersonation_user, user=user
        )


def plain_utc(when: datetime) -> datetime:
    """A stdlib UTC datetime from exchangelib's EWSDateTime (which refuses stdlib zones)."""
    return datetime.fromtimestamp(when.timestamp(), UTC)


def _utc_zone() -> Any:
    from exchangelib import EWSTimeZone

    return EWSTimeZone("UTC")


class EwsMailbox:
    """One user's mailbox seen through impersonation; folders cached after the first call."""

    def __init__(self, source: EwsSource, account: Account) -> None:
        self.source = source
        self.account = account
        self.user = str(account.primary_smtp_address)
        self._folders: dict[str, Folder] = {}

    def _call(self, what: Callable[[], Any]) -> Any:
        try:
            return what()
        except MailError:
            raise
        except (EWSError, OSError) as exc:
            raise self.source.fail(exc, self.user) from None

    # --- folders -----------------------------------------------------------------------

    def folders(self) -> list[SourceFolder]:
        return list(self._call(self._folder_tree))

    def _folder_tree(self) -> list[SourceFolder]:
        root = self.account.root
        top = MsgFolderRoot.get_distinguished(root=root)
        found = list(
            FolderCollection(account=self.account, folders=[top]).find_folders(
                depth=DEEP, page_size=self.source.settings.page_size
            )
        )
        for f in found:
            if isinstance(f, Exception):
                raise f
        special = self._distinguished(root)
        by_id = {f.id: f for f in found}
        out = []
        for f in found:
            path, cur, seen = [], f, set()
            while cur is not None and cur.id not in seen:
                seen.add(cur.id)
                path.append(str(cur.name or ""))
                parent = cur.parent_folder_id.id if cur.parent_folder_id else None
                cur = by_id.get(parent) if parent else None
            self._folders[f.id] = f
            out.append(SourceFolder(tuple(reversed(path)), f.id, special.get(f.id, "")))
        return out

    def _distinguished(self, root: Any) -> dict[str, str]:
        """Folder id -> special use of Inbox, Sent, Deleted Items, Junk, Drafts."""
        from exchangelib.folders import DeletedItems, Drafts, Inbox, JunkEmail, SentItems

        wanted = [cls(root=root) for cls in (Inbox, SentItems, DeletedItems, JunkEmail, Drafts)]
        out = {}
        for got in FolderCollection(account=self.account, folders=wanted).resolve():
            if isinstance(got, Exception):
                continue  # a mailbox without Junk, say: nothing to mark
            dist = getattr(got, "DISTINGUISHED_FOLDER_ID", "") or ""
            if dist in _SPECIAL:
                out[got.id] = _SPECIAL[dist]
        return out

    def _folder(self, folder: SourceFolder) -> Folder:
        if folder.locator not in self._folders:
            self.folders()
        return self._folders[folder.locator]

    # --- scanning ----------------------------------------------------------------------

    def scan(self, folder: SourceFolder, validity: str, high_water: int) -> FolderScan:
        return self._call(lambda: self._scan(folder, validity, high_water))  # type: ignore[no-any-return]

    def _fields(self, ews_folder: Folder) -> list[str]:
        messages = any(issubclass(m, Message) for m in ews_folder.supported_item_models)
        return [*_META, "is_read"] if messages else list(_META)

    def _ref(self, folder: SourceFolder, item: Any) -> ItemRef:
        received = item.datetime_received
        return ItemRef(
            source_id=f"ews:{item.id}",
            folder=folder.path,
            size=int(item.size or 0),
            received=plain_utc(received) if received else _EPOCH,
            flags=flags_of(item),
            item_type=item_type(item),
            locator=str(item.id),
        )

    def _scan(self, folder: SourceFolder, validity: str, high_water: int) -> FolderScan:
        ews_folder = self._folder(folder)
        fields = self._fields(ews_folder)
        if validity.startswith(_STATE) and high_water > 0:
            scan = FolderScan(validity, high_water=high_water, delta=True)
            try:
                for change, item in ews_folder.sync_items(
                    sync_state=validity[len(_STATE) :],
                    only_fields=fields,
                    max_changes_returned=SYNC_PAGE,
                ):
                    if change == "create" and not isinstance(item, Exception):
                        scan.refs.append(self._ref(folder, item))
            except ErrorInvalidSyncStateData:
                log.info("%s %s: sync state no longer valid; full scan", self.user, folder.path)
            else:
                scan.validity = _STATE + str(ews_folder.item_sync_state)
                return scan
        # Full: take the sync state first, so what arrives during the listing is in the delta.
        for _change in ews_folder.sync_items(
            only_fields=["id", "changekey"], max_changes_returned=SYNC_PAGE
        ):
            pass
        scan = FolderScan(_STATE + str(ews_folder.item_sync_state), high_water=1)
        query = ews_folder.all().only(*fields)
        query.page_size = self.source.settings.page_size
        for item in query:
            if not isinstance(item, Exception):
                scan.refs.append(self._ref(folder, item))
        return scan

    # --- reading -----------------------------------------------------------------------

    def read(
        self, folder: SourceFolder, refs: Sequence[ItemRef]
    ) -> Iterator[MailItem | SkippedItem]:
        ews_folder = self._folder(folder)
        tasks = [r for r in refs if r.item_type == TASKS]
        others = [r for r in refs if r.item_type != TASKS]
        got: dict[str, MailItem | SkippedItem] = {}
        if others:
            items = self._call(
                lambda: list(
                    self.account.fetch(
                        ids=[ItemId(id=r.locator) for r in others],
                        folder=ews_folder,
                        only_fields=["mime_content"],
                    )
                )
            )
            for ref, item in zip(others, items, strict=True):
                got[ref.source_id] = self._mime(ref, item)
        if tasks:
            items = self._call(
                lambda: list(
                    self.account.fetch(
                        ids=[ItemId(id=r.locator) for r in tasks],
                        folder=ews_folder,
                        only_fields=list(_TASK_FIELDS),
                    )
                )
            )
            for ref, item in zip(tasks, items, strict=True):
                got[ref.source_id] = self._task(ref, item)
        for ref in refs:
            yield got[ref.source_id]

    def _skip(self, ref: ItemRef, detail: str) -> SkippedItem:
        return SkippedItem(
            ref.source_id, ref.folder, SKIP_UNREADABLE, detail, ref.size, ref.item_type
        )

    def _mime(self, ref: ItemRef, item: Any) -> MailItem | SkippedItem:
        if isinstance(item, Exception):
            return self._skip(ref, f"Exchange: {type(item).__name__}: {item}")
        body = item.mime_content
        if isinstance(body, str):
            body = body.encode()
        if not body:
            return self._skip(ref, "Exchange returned no MIME content")
        want = BODY_START.get(ref.item_type)
        if want is not None and not body.lstrip().upper().startswith(want):
            return self._skip(ref, f"not a {ref.item_type} body ({want.decode()} expected)")
        return MailItem(ref, body)

    def _task(self, ref: ItemRef, item: Any) -> MailItem | SkippedItem:
        if isinstance(item, Exception):
            return self._skip(ref, f"Exchange: {type(item).__name__}: {item}")
        body = task_ical(
            ref.locator,
            subject=str(item.subject or ""),
            body=str(item.body or ""),
            status=str(item.status or ""),
            due=item.due_date,
            start=item.start_date,
            completed=item.complete_date,
            percent=int(item.percent_complete) if item.percent_complete is not None else None,
            now=ref.received,
        )
        return MailItem(ref, body)

    def close(self) -> None:
        """Sessions belong to the source's protocol and are reused by the next mailbox."""
        self._folders.clear()


__all__ = ["CALENDAR", "CONTACTS", "MAIL", "EwsMailbox", "EwsSettings", "EwsSource"]
