"""The cloud API as the target: `PUT /v1/mailboxes/{user}/items/{source_id}`.

The PUT is idempotent, keyed by the source id, so no lookup is needed after a crash:
what the ledger missed is simply sent again and the service answers 200. The body is
passed through as the source gave it; folder, flags and received date travel in the
`Item-*` headers (docs/cloud-api.md 4.3). The client does not retry busy answers here:
a 429/503 reaches the engine as `Throttled` with the Retry-After, so the engine lowers
its concurrency and waits at least that long before sending the batch again. A 4xx
about the item itself (422 for a message with no header) is that item's `ItemRefused`:
it is skipped with the service's sentence, the rest of the batch is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from onboard_tui.clock import Clock
from onboard_tui.cloud.client import CloudClient
from onboard_tui.cloud.errors import (
    CloudBusy,
    CloudConflict,
    CloudError,
    CloudRejected,
    CloudUnauthorised,
    CloudUnreachable,
)
from onboard_tui.cloud.models import CloudLogon
from onboard_tui.mail.errors import ItemRefused, MailError, Throttled
from onboard_tui.mail.items import CALENDAR, CONTACTS, MAIL, TASKS, FolderPath, MailItem, is_inbox
from onboard_tui.session.secrets import Secret, SecretRef
from onboard_tui.session.store import SessionStore

#: IMAP flags as the contract names them; others (\\Deleted, keywords) are not carried.
_FLAGS = {
    "\\seen": "seen",
    "\\answered": "answered",
    "\\flagged": "flagged",
    "\\draft": "draft",
    "$forwarded": "forwarded",
}
MAX_ITEM_BYTES = 64 * 1024 * 1024
#: The body's media type per item type (docs/cloud-api.md 4.3): MIME, vCard, iCalendar.
CONTENT_TYPES = {
    MAIL: "message/rfc822",
    CONTACTS: "text/vcard",
    CALENDAR: "text/calendar",
    TASKS: "text/calendar",
}

#: 4xx answers about the item itself (bad request, too large, media type, validation);
#: 401, 403, 404 and 409 (quota) are about the logon or the mailbox and fail the job.
ITEM_STATUSES = frozenset({400, 413, 415, 422})

ClientFactory = Callable[[], CloudClient]


def cloud_flags(flags: Sequence[str]) -> list[str]:
    return [_FLAGS[f.lower()] for f in flags if f.lower() in _FLAGS]


def cloud_folder(folder: FolderPath) -> tuple[str, ...]:
    """IMAP's INBOX is the cloud's Inbox."""
    return ("Inbox",) if is_inbox(folder) else folder


class CloudTarget:
    """Every user's mailbox in the cloud API, through one logon."""

    kind = "cloud"
    item_types = frozenset(CONTENT_TYPES)
    max_item_bytes: int | None = MAX_ITEM_BYTES

    def __init__(
        self,
        client_factory: ClientFactory,
        logon: CloudLogon,
        *,
        user_map: Mapping[str, str] | None = None,
    ) -> None:
        self.client_factory = client_factory
        self.logon = logon
        self.user_map = dict(user_map or {})

    def describe(self) -> str:
        return "the cloud API"

    def open(self, user: str) -> CloudMailbox:
        return CloudMailbox(self.client_factory(), self.logon, self.user_map.get(user, user))


class CloudMailbox:
    """One user's cloud mailbox; one HTTP client (kept-alive connection) per job."""

    def __init__(self, client: CloudClient, logon: CloudLogon, email: str) -> None:
        self.client = client
        self.logon = logon
        self.email = email

    def begin_folder(self, folder: FolderPath, special_use: str, ledger_high: int | None) -> None:
        """Folders are created by the first PUT that names them."""

    def store(self, folder: FolderPath, items: Sequence[MailItem]) -> list[str | ItemRefused]:
        refs: list[str | ItemRefused] = []
        path = cloud_folder(folder)
        for item in items:
            try:
                stored = self.client.put_item(
                    self.logon,
                    self.email,
                    item.ref.source_id,
                    item.body,
                    content_type=CONTENT_TYPES[item.ref.item_type],
                    folder=path,
                    flags=cloud_flags(item.ref.flags),
                    received=item.ref.received,
                )
            except CloudBusy as exc:
                raise Throttled(
                    f"the cloud API is busy: {exc.message}",
                    retry_after=exc.retry_after,
                    kind="http",
                ) from None
            except CloudUnreachable as exc:
                raise Throttled(
                    f"the cloud API is unreachable: {exc.message}", kind="http"
                ) from None
            except CloudRejected as exc:
                if isinstance(exc, CloudUnauthorised | CloudConflict) or (
                    exc.status not in ITEM_STATUSES
                ):
                    raise MailError(
                        f"the cloud API refused {item.ref.source_id}: {exc.message}"
                    ) from None
                refs.append(refused(exc))
                continue
            except CloudError as exc:
                raise MailError(
                    f"the cloud API refused {item.ref.source_id}: {exc.message}"
                ) from None
            refs.append(f"sha256:{stored.sha256}")
        return refs

    def close(self) -> None:
        self.client.close()


def refused(exc: CloudRejected) -> ItemRefused:
    """The service's sentence and what it said of each field ("body: not a mail item")."""
    detail = " ".join(part for part in (exc.message, exc.hint) if part)
    return ItemRefused(f"the cloud API refused the item: {detail}", detail=detail)


def cloud_target_from_session(
    store: SessionStore,
    clock: Clock,
    *,
    embedded_url: str = "",
    environ: Mapping[str, str] | None = None,
    password: Secret | None = None,
) -> CloudTarget:
    """Log on as the organisation's administrator at `[cloud] api_url`, else `embedded_url`
    (the sandbox, or the geography's URL); the password is `password` when the caller
    asked for it, else read through `[cloud] admin_password` (a secret reference)."""
    data = store.data
    if data.organisation is None:
        raise MailError("The organisation is not registered yet (Step 1).")
    url = data.cloud.api_url or embedded_url
    if not url:
        raise MailError(
            "No cloud API address: set [cloud] api_url, or run the embedded sandbox.",
        )
    verify: bool | str = data.cloud.ca_file or data.cloud.verify_tls
    if password is None:
        ref = SecretRef.parse(data.cloud.admin_password, field="[cloud] admin_password")
        password = ref.resolve(dict(environ) if environ is not None else None)

    def factory() -> CloudClient:
        return CloudClient(url, verify=verify, clock=clock, max_retries=0, timeout=60.0)

    with factory() as client:
        logon = client.logon(data.organisation.admin_email, password)
    return CloudTarget(factory, logon)
