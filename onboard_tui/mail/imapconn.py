"""One IMAP connection (imaplib) with what both the source and the target need.

TLS (implicit, port 993) or STARTTLS with certificate verification on by default; plain
IMAP only to 127.0.0.1 unless allowed on purpose. Login with the user's own password (a
secret reference, `{user}` substituted) or as a master user (`user*master`, the IMAP
analogue of Exchange impersonation). Folder names are modified UTF-7 on the wire and
paths of components here, whatever the server's hierarchy separator.

imaplib has no MULTIAPPEND, LITERAL+ or APPENDUID; `append` sends the command itself over
imaplib's connection and lets imaplib read the answer, so the message bytes go to the
socket as they are (imaplib's own `append` copies them once more to fix line ends).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from onboard_tui.mail import utf7
from onboard_tui.mail.errors import ItemRefused, LoginFailed, MailError, Throttled, Unreachable
from onboard_tui.mail.items import FolderPath, WireBody, is_inbox
from onboard_tui.providers.reader import is_loopback
from onboard_tui.session.secrets import Secret, SecretRef

log = logging.getLogger(__name__)

SECURITY = ("tls", "starttls", "plain")
#: Response codes (RFC 5530) and words that mean "busy, come back later", not "no".
_BUSY_CODES = ("[INUSE]", "[LIMIT]", "[UNAVAILABLE]", "[SERVERBUG]", "[EXPUNGEISSUED]")
_BUSY_WORDS = ("try again", "too many", "throttl", "rate limit", "busy", "temporarily")
#: Codes of a NO to APPEND that are about the mailbox or folder, not the message sent.
_MAILBOX_CODES = (
    "[TRYCREATE]",
    "[OVERQUOTA]",
    "[NOPERM]",
    "[AUTHORIZATIONFAILED]",
    "[NONEXISTENT]",
)
#: What connecting can fail with that a server restarting or overloaded also causes.
_TRANSIENT_CONNECT = (
    ConnectionRefusedError,
    ConnectionResetError,
    ConnectionAbortedError,
    TimeoutError,
)


@dataclass(frozen=True)
class ImapEndpoint:
    """An IMAP server and how to log in to each user's mailbox on it.

    `login` is the login name, with `{user}` (the user's email) and `{local}` (the part
    before the @) substituted. `password` is a secret reference, also substituted, so
    `file:/etc/onboard/pw/{local}` gives each user a password file. With `master_user`
    set, every mailbox is opened as `<login><separator><master_user>` with
    `master_password` instead.
    """

    host: str
    port: int = 993
    security: str = "tls"
    verify_tls: bool = True
    ca_file: str = ""
    login: str = "{user}"
    password: str = "prompt"  # noqa: S105 - a secret reference
    master_user: str = ""
    master_password: str = ""
    master_separator: str = "*"
    timeout: float = 60.0
    allow_plain: bool = False

    def login_name(self, user: str) -> str:
        local = user.split("@", 1)[0]
        name = self.login.format(user=user, local=local)
        if self.master_user:
            return f"{name}{self.master_separator}{self.master_user}"
        return name

    def secret(self, user: str, environ: Mapping[str, str] | None = None) -> Secret:
        """The password to send for `user` (the master's when a master user is set)."""
        local = user.split("@", 1)[0]
        ref_text = self.master_password if self.master_user else self.password
        ref = SecretRef.parse(ref_text.format(user=user, local=local), field="IMAP password")
        return ref.resolve(dict(environ) if environ is not None else None)


@dataclass(frozen=True)
class ImapFolder:
    """A folder as LIST shows it."""

    path: FolderPath
    raw: str  # the wire name (modified UTF-7, the server's separator)
    attributes: tuple[str, ...] = ()

    @property
    def selectable(self) -> bool:
        return not any(a.lower() in ("\\noselect", "\\nonexistent") for a in self.attributes)

    @property
    def special_use(self) -> str:
        uses = ("\\sent", "\\trash", "\\junk", "\\drafts", "\\archive", "\\all", "\\flagged")
        return next((a for a in self.attributes if a.lower() in uses), "")


@dataclass
class FetchedMessage:
    """One message of a FETCH answer."""

    uid: int
    flags: tuple[str, ...] = ()
    internaldate: datetime | None = None
    size: int = 0
    body: bytes | None = field(default=None, repr=False)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def internaldate(when: datetime) -> str:
    """`"05-Mar-2024 09:15:00 +0000"` for APPEND."""
    return when.astimezone(UTC).strftime('"%d-%b-%Y %H:%M:%S +0000"')


_DATE = re.compile(rb'INTERNALDATE "\s?(\d{1,2}-\w{3}-\d{4} \d\d:\d\d:\d\d [+-]\d{4})"')
# At most 20 digits: int() refuses numbers past 4300 digits, and none of these is that big.
_UID = re.compile(rb"\bUID (\d{1,20})(?!\d)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d{1,20})(?!\d)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_LIST = re.compile(rb'^\((?P<attrs>[^)]*)\) (?P<sep>"(?:\\.|[^"])*"|NIL) ?(?P<name>.*)$')
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}


def parse_internaldate(text: bytes) -> datetime | None:
    found = _DATE.search(text)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1).decode("ascii"), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _parse_meta(meta: bytes, msg: FetchedMessage) -> None:
    if (found := _UID.search(meta)) is not None:
        msg.uid = int(found.group(1))
    if (found := _SIZE.search(meta)) is not None:
        msg.size = int(found.group(1))
    if (found := _FLAGS.search(meta)) is not None:
        msg.flags = tuple(f.decode("utf-8", "replace") for f in found.group(1).split())
    if b"INTERNALDATE" in meta:
        msg.internaldate = parse_internaldate(meta)


def parse_fetch(data: Sequence[Any]) -> list[FetchedMessage]:
    """imaplib's FETCH data (bytes and (prefix, literal) tuples) as messages."""
    out: list[FetchedMessage] = []
    for part in data:
        if isinstance(part, tuple):
            msg = FetchedMessage(0)
            _parse_meta(part[0], msg)
            msg.body = part[1]
            out.append(msg)
        elif isinstance(part, bytes) and part:
            if re.match(rb"^\d+ \(", part):
                msg = FetchedMessage(0)
                _parse_meta(part, msg)
                out.append(msg)
            elif out:  # what follows a literal: " UID 5 FLAGS (\Seen))"
                _parse_meta(part, out[-1])
    return [m for m in out if m.uid]


def _unquote(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    if text.startswith('"') and text.endswith('"'):
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def uid_ranges(uids: Iterable[int]) -> str:
    """`1:3,7,9:10` from sorted or unsorted UIDs."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def _text(data: Sequence[Any]) -> str:
    return " ".join(
        (d if isinstance(d, bytes) else b"").decode("utf-8", "replace") for d in data
    ).strip()


def _failure(what: str, typ: str, data: Sequence[Any]) -> MailError:
    text = _text(data)
    upper = text.upper()
    if any(code in upper for code in _BUSY_CODES) or any(w in text.lower() for w in _BUSY_WORDS):
        return Throttled(f"{what}: the server is busy ({typ} {text}).", kind="imap-no")
    return MailError(f"{what} failed: {typ} {text}".strip())


class ImapConnection:
    """A logged-in connection to one user's mailbox."""

    def __init__(self, endpoint: ImapEndpoint, user: str, secret: Secret) -> None:
        self.endpoint = endpoint
        self.user = user
        self.separator = "/"
        self.personal_prefix = ""
        self.selected: str | None = None
        self._imap = self._connect()
        try:
            self._login(secret)
            self.capabilities = self._capabilities()
            self._namespace()
        except BaseException:
            self.close()
            raise

    # --- connecting ----------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        e = self.endpoint
        context = ssl.create_default_context(cafile=e.ca_file or None)
        if not e.verify_tls:
            log.warning("TLS certificate verification is OFF for %s", e.host)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> imaplib.IMAP4:
        e = self.endpoint
        if e.security not in SECURITY:
            raise MailError(
                f"IMAP security must be one of {', '.join(SECURITY)}, not {e.security}."
            )
        if e.security == "plain" and not (is_loopback(e.host) or e.allow_plain):
            raise MailError(
                f"Plain IMAP to {e.host} would send passwords unencrypted.",
                hint="Use security = tls or starttls (plain is for 127.0.0.1 only).",
            )
        try:
            if e.security == "tls":
                return imaplib.IMAP4_SSL(
                    e.host, e.port, ssl_context=self._tls_context(), timeout=e.timeout
                )
            imap = imaplib.IMAP4(e.host, e.port, timeout=e.timeout)
            if e.security == "starttls":
                imap.starttls(self._tls_context())
            return imap
        except ssl.SSLCertVerificationError as exc:
            raise MailError(
                f"The certificate of {e.host}:{e.port} cannot be verified ({exc.verify_message}).",
                hint="Give the server's CA file (ca_file), or fix the server's certificate.",
            ) from None
        except _TRANSIENT_CONNECT as exc:
            raise Unreachable(f"Cannot connect to IMAP {e.host}:{e.port}: {exc}.") from None
        except imaplib.IMAP4.abort as exc:  # greeting cut short, or a BYE instead of it
            raise Unreachable(f"Cannot connect to IMAP {e.host}:{e.port}: {exc}.") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailError(f"Cannot connect to IMAP {e.host}:{e.port}: {exc}.") from None

    def _login(self, secret: Secret) -> None:
        name = self.endpoint.login_name(self.user)
        try:
            self._imap.login(name, secret.reveal())
        except imaplib.IMAP4.abort as exc:
            raise Throttled(f"IMAP {self.endpoint.host} dropped the login: {exc}.") from None
        except imaplib.IMAP4.error as exc:
            text = str(exc)
            if any(code in text.upper() for code in _BUSY_CODES):
                raise Throttled(f"IMAP {self.endpoint.host} is busy: {text}") from None
            how = "as master user " + self.endpoint.master_user if self.endpoint.master_user else ""
            raise LoginFailed(
                f"IMAP {self.endpoint.host} refused the login of {self.user} {how}: {text}".replace(
                    "  ", " "
                ),
                hint="Check the login name pattern and the password reference.",
            ) from None

    def _capabilities(self) -> frozenset[str]:
        _typ, data = self._imap.capability()
        words = _text(data).upper().split()
        return frozenset(words)

    def _namespace(self) -> None:
        """The personal namespace's prefix and separator (RFC 2342), else LIST "" ""."""
        with contextlib.suppress(imaplib.IMAP4.error):
            if "NAMESPACE" in self.capabilities:
                typ, data = self._imap.namespace()
                found = re.match(rb'^\(\("([^"]*)" (?:"((?:\\.|[^"])*)"|NIL)\)', data[0] or b"")
                if typ == "OK" and found:
                    self.personal_prefix = found.group(1).decode("utf-8", "replace")
                    if found.group(2) is not None:
                        self.separator = _unquote(b'"' + found.group(2) + b'"')
                    return
            typ, data = self._imap.list('""', '""')
            if typ == "OK" and data and isinstance(data[0], bytes):
                found2 = _LIST.match(data[0])
                if found2 and found2.group("sep") != b"NIL":
                    self.separator = _unquote(found2.group("sep"))

    @property
    def imap(self) -> imaplib.IMAP4:
        return self._imap

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._imap.logout()
        with contextlib.suppress(Exception):
            self._imap.shutdown()

    # --- names ---------------------------------------------------------------------------

    def wire_name(self, path: FolderPath) -> str:
        """The server's name of a folder path (prefix, separator, modified UTF-7)."""
        if is_inbox(path):
            return "INBOX"
        parts = [p.replace(self.separator, "_") if self.separator else p for p in path]
        if parts and parts[0].upper() == "INBOX":
            parts[0] = "INBOX"
            return utf7.encode(self.separator.join(parts))
        return self.personal_prefix + utf7.encode(self.separator.join(parts))

    def folder_path(self, raw: str, separator: str) -> FolderPath:
        name = utf7.decode_lenient(raw)
        prefix = utf7.decode_lenient(self.personal_prefix)
        if prefix and name.startswith(prefix) and name.upper() != "INBOX":
            name = name[len(prefix) :]
        parts = tuple(name.split(separator)) if separator else (name,)
        if parts and parts[0].upper() == "INBOX":
            parts = ("INBOX", *parts[1:])
        return tuple(p for p in parts if p) or ("INBOX",)

    # --- commands ------------------------------------------------------------------------

    def _run(self, what: str, call: Any, *args: Any) -> list[Any]:
        try:
            typ, data = call(*args)
        except imaplib.IMAP4.abort as exc:
            raise Throttled(
                f"{what}: the server closed the connection ({exc}).", kind="bye"
            ) from None
        except imaplib.IMAP4.error as exc:
            raise MailError(f"{what} failed: {exc}") from None
        except (OSError, EOFError) as exc:
            raise Throttled(f"{what}: connection lost ({exc}).", kind="bye") from None
        if typ != "OK":
            raise _failure(what, typ, data)
        return list(data)

    def folders(self) -> list[ImapFolder]:
        data = self._run("LIST", self._imap.list, '""', "*")
        folders: list[ImapFolder] = []
        pending: bytes | None = None
        for part in data:
            if isinstance(part, tuple):  # the name came as a literal
                line, name_bytes = part
                found = _LIST.match(line)
                raw = name_bytes.decode("utf-8", "replace")
            elif isinstance(part, bytes):
                found = _LIST.match(part)
                raw = _unquote(found.group("name")) if found else ""
            else:
                continue
            if not found or not raw:
                continue
            sep = "" if found.group("sep") == b"NIL" else _unquote(found.group("sep"))
            attrs = tuple(found.group("attrs").decode("utf-8", "replace").split())
            folders.append(ImapFolder(self.folder_path(raw, sep), raw, attrs))
        del pending
        return folders

    def select(self, raw: str, *, readonly: bool) -> tuple[int, int]:
        """(UIDVALIDITY, EXISTS) of the selected folder."""
        data = self._run(f"SELECT {raw}", self._imap.select, quote(raw), readonly)
        exists = int(data[0]) if data and data[0] else 0
        _typ, validity = self._imap.response("UIDVALIDITY")
        value = int(validity[0]) if validity and validity[0] else 0
        self.selected = raw
        return value, exists

    def create(self, raw: str) -> None:
        try:
            typ, data = self._imap.create(quote(raw))
        except imaplib.IMAP4.abort as exc:
            raise Throttled(f"CREATE {raw}: connection lost ({exc}).", kind="bye") from None
        # Another connection may have made it meanwhile; anything else is a failure.
        if (
            typ != "OK"
            and "[ALREADYEXISTS]" not in _text(data).upper()
            and not any(f.raw == raw for f in self.folders())
        ):
            raise _failure(f"CREATE {raw}", typ, data)

    def search_uids(self, criteria: str = "ALL") -> list[int]:
        data = self._run("UID SEARCH", self._imap.uid, "SEARCH", criteria)
        return [int(x) for x in b" ".join(d for d in data if isinstance(d, bytes)).split()]

    def fetch(self, uids: Iterable[int], items: str) -> list[FetchedMessage]:
        uid_set = uid_ranges(uids)
        if not uid_set:
            return []
        return parse_fetch(self._run("UID FETCH", self._imap.uid, "FETCH", uid_set, items))

    def append(
        self, raw: str, messages: Sequence[tuple[tuple[str, ...], datetime, bytes | WireBody]]
    ) -> list[int] | None:
        """APPEND the messages (one MULTIAPPEND when offered); their UIDs if UIDPLUS says.

        Each message is (flags, INTERNALDATE, CRLF bytes or a WireBody sent in pieces).
        """
        imap = self._imap
        plus = "LITERAL+" in self.capabilities
        tag: bytes = imap._new_tag()
        head = tag + b" APPEND " + quote(raw).encode("utf-8")
        try:
            for index, (flags, when, body) in enumerate(messages):
                flag_text = " (" + " ".join(f for f in flags if f.lower() != "\\recent") + ")"
                line = (head if index == 0 else b"") + (
                    f"{flag_text} {internaldate(when)} {{{len(body)}{'+' if plus else ''}}}"
                ).encode("ascii")
                imap.send(line + b"\r\n")
                if not plus:
                    while imap._get_response():
                        if imap.tagged_commands[tag]:  # NO or BAD instead of "+"
                            break
                    if imap.tagged_commands[tag]:
                        break
                for piece in body.chunks() if isinstance(body, WireBody) else (body,):
                    imap.send(piece)
            else:
                imap.send(b"\r\n")
            typ, data = imap._command_complete("APPEND", tag)
        except imaplib.IMAP4.abort as exc:
            raise Throttled(f"APPEND to {raw}: the server closed the connection ({exc}).") from None
        except imaplib.IMAP4.error as exc:
            raise MailError(f"APPEND to {raw} failed: {exc}") from None
        except (TimeoutError, OSError, EOFError) as exc:
            raise Throttled(f"APPEND to {raw}: connection lost ({exc}).", kind="bye") from None
        if typ != "OK":
            failure = _failure(f"APPEND to {raw}", typ, data)
            text = _text(data)
            if type(failure) is MailError and not any(c in text.upper() for c in _MAILBOX_CODES):
                # Not load, not the folder: the server refused what was sent (with
                # MULTIAPPEND, one of the messages; RFC 3502 then stores none of them).
                raise ItemRefused(failure.message, detail=f"{typ} {text}".strip())
            raise failure
        _, codes = imap._untagged_response(typ, data, "APPENDUID")
        if not codes or not codes[-1]:
            return None
        words = codes[-1].split()
        if len(words) < 2:
            return None
        uids: list[int] = []
        for chunk in words[1].decode("ascii").split(","):
            low, _, high = chunk.partition(":")
            uids.extend(range(int(low), int(high or low) + 1))
        return uids if len(uids) == len(messages) else None
