"""Maildir and mbox archives as sources.

Maildir++ (the layout Dovecot and Courier write): the root is INBOX, `.A.B` folders are
A/B, names in modified UTF-7 as Dovecot stores them. Flags come from the file name's
`:2,` info and the received date from the file's mtime (Dovecot's convention), so no
message is parsed. Python 3.11's `mailbox.Maildir` offers neither the info nor the file
names without parsing, so the tree is read with os.scandir.

mbox: a file is one folder (INBOX for a single file); a folder of files gives one folder
per file, sub-folders as the hierarchy. `mailbox.mbox` finds the message boundaries; the
bytes are then read straight from the file. The source id is the message's byte offset,
stable for an archive that is only appended to.
"""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from onboard_tui.mail import utf7
from onboard_tui.mail.errors import MailError
from onboard_tui.mail.items import (
    MAIL,
    SKIP_UNREADABLE,
    FolderPath,
    ItemRef,
    MailItem,
    SkippedItem,
    folder_name,
)
from onboard_tui.mail.source import FolderScan, SourceFolder

_MAILDIR_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "P": "$Forwarded",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}
_SPECIAL = {
    "sent": "\\Sent",
    "sent items": "\\Sent",
    "trash": "\\Trash",
    "deleted items": "\\Trash",
    "junk": "\\Junk",
    "drafts": "\\Drafts",
}


def user_root(template: str, user: str) -> Path:
    local = user.split("@", 1)[0]
    return Path(template.format(user=user, local=local)).expanduser()


def _special(path: FolderPath) -> str:
    return _SPECIAL.get(folder_name(path).casefold(), "") if len(path) == 1 else ""


class MaildirSource:
    """Maildir++ trees, one per user: `root` with `{user}` or `{local}` substituted."""

    kind = "maildir"
    item_types = frozenset({MAIL})

    def __init__(self, root: str) -> None:
        self.root = root

    def describe(self) -> str:
        return f"Maildir {self.root}"

    def open(self, user: str) -> MaildirMailbox:
        path = user_root(self.root, user)
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise MailError(f"{path} is not a Maildir (no cur/ or new/ folder) for {user}.")
        return MaildirMailbox(path)


class MaildirMailbox:
    """One user's Maildir++ tree."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folders(self) -> list[SourceFolder]:
        found = [SourceFolder(("INBOX",), "", "")]
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.name.startswith(".") and entry.name not in (".", "..") and entry.is_dir():
                parts = tuple(utf7.decode_lenient(p) for p in entry.name[1:].split(".") if p)
                if parts and (Path(entry.path) / "cur").is_dir():
                    found.append(SourceFolder(parts, entry.name, _special(parts)))
        return found

    def _dir(self, folder: SourceFolder) -> Path:
        return self.root / folder.locator if folder.locator else self.root

    def scan(self, folder: SourceFolder, validity: str, high_water: int) -> FolderScan:
        base = self._dir(folder)
        refs: list[ItemRef] = []
        for sub in ("new", "cur"):
            try:
                entries = list(os.scandir(base / sub))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                key, _, info = entry.name.partition(":")
                try:
                    st = entry.stat()
                except OSError:
                    continue
                flags = (
                    tuple(_MAILDIR_FLAGS[c] for c in info[2:] if c in _MAILDIR_FLAGS)
                    if info.startswith("2,")
                    else ()
                )
                refs.append(
                    ItemRef(
                        source_id=f"maildir:{folder_name(folder.path)}/{key}",
                        folder=folder.path,
                        size=st.st_size,
                        received=datetime.fromtimestamp(int(st.st_mtime), UTC),
                        flags=flags,
                        locator=f"{sub}/{entry.name}",
                    )
                )
        refs.sort(key=lambda r: (r.received, r.source_id))
        return FolderScan("maildir", refs)

    def read(
        self, folder: SourceFolder, refs: Sequence[ItemRef]
    ) -> Iterator[MailItem | SkippedItem]:
        base = self._dir(folder)
        for ref in refs:
            path = base / ref.locator
            try:
                body = path.read_bytes()
            except FileNotFoundError:
                # Another client moved it from new/ to cur/ or changed its flags.
                key = ref.locator.split("/", 1)[1].partition(":")[0]
                body = b""
                for sub in ("cur", "new"):
                    for candidate in (base / sub).glob(glob_escape(key) + "*"):
                        body = candidate.read_bytes()
                        break
                if not body:
                    yield SkippedItem(
                        ref.source_id, ref.folder, SKIP_UNREADABLE, "file vanished", ref.size
                    )
                    continue
            except OSError as exc:
                yield SkippedItem(
                    ref.source_id, ref.folder, SKIP_UNREADABLE, exc.strerror or str(exc), ref.size
                )
                continue
            yield MailItem(ref, body)

    def close(self) -> None:
        pass


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


_STATUS = re.compile(rb"^(X-)?Status:[ \t]*([A-Za-z]*)", re.I | re.M)


def _mbox_flags(header: bytes) -> tuple[str, ...]:
    flags: list[str] = []
    for found in _STATUS.finditer(header):
        letters = found.group(2).decode("ascii", "replace")
        if found.group(1):
            flags += [
                f
                for c, f in (
                    ("A", "\\Answered"),
                    ("F", "\\Flagged"),
                    ("T", "\\Draft"),
                    ("D", "\\Deleted"),
                )
                if c in letters
            ]
        elif "R" in letters:
            flags.append("\\Seen")
    return tuple(dict.fromkeys(flags))


def _from_date(line: bytes) -> datetime | None:
    words = line.decode("ascii", "replace").split()
    for start in range(len(words) - 4, 0, -1):
        try:
            return datetime.strptime(
                " ".join(words[start : start + 5]), "%a %b %d %H:%M:%S %Y"
            ).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


class MboxSource:
    """mbox archives: `root` (with `{user}`/`{local}`) is a file or a folder of files."""

    kind = "mbox"
    item_types = frozenset({MAIL})

    def __init__(self, root: str) -> None:
        self.root = root

    def describe(self) -> str:
        return f"mbox {self.root}"

    def open(self, user: str) -> MboxMailbox:
        path = user_root(self.root, user)
        if not path.exists():
            raise MailError(f"There is no mbox archive at {path} for {user}.")
        return MboxMailbox(path)


class MboxMailbox:
    """One user's mbox file or folder of mbox files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folders(self) -> list[SourceFolder]:
        if self.root.is_file():
            return [SourceFolder(("INBOX",), str(self.root))]
        found: list[SourceFolder] = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.suffix not in (".lock",):
                rel = (
                    path.relative_to(self.root).with_suffix("")
                    if path.suffix == ".mbox"
                    else path.relative_to(self.root)
                )
                parts = tuple(rel.parts)
                if len(parts) == 1 and parts[0].lower() == "inbox":
                    parts = ("INBOX",)
                found.append(SourceFolder(parts, str(path), _special(parts)))
        return found

    def scan(self, folder: SourceFolder, validity: str, high_water: int) -> FolderScan:
        box = mailbox.mbox(folder.locator, create=False)
        try:
            box.keys()  # builds the table of contents (boundaries only, nothing parsed)
            toc: dict[int, tuple[int, int]] = box.__dict__["_toc"]
        finally:
            box.close()
        refs: list[ItemRef] = []
        with open(folder.locator, "rb") as fh:
            for start, stop in sorted(toc.values()):
                fh.seek(start)
                head = fh.read(min(stop - start, 8192))
                from_line, _, rest = head.partition(b"\n")
                refs.append(
                    ItemRef(
                        source_id=f"mbox:{folder_name(folder.path)}/{start}",
                        folder=folder.path,
                        size=stop - start - len(from_line) - 1,
                        received=_from_date(from_line) or datetime(1970, 1, 1, tzinfo=UTC),
                        flags=_mbox_flags(rest.partition(b"\n\n")[0]),
                        locator=f"{start}:{stop}",
                    )
                )
        return FolderScan("mbox", refs)

    def read(
        self, folder: SourceFolder, refs: Sequence[ItemRef]
    ) -> Iterator[MailItem | SkippedItem]:
        try:
            fh = open(folder.locator, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            for ref in refs:
                yield SkippedItem(ref.source_id, ref.folder, SKIP_UNREADABLE, str(exc), ref.size)
            return
        with fh:
            for ref in refs:
                start, _stop = (int(x) for x in ref.locator.split(":"))
                fh.seek(start)
                fh.readline()  # the "From " line belongs to the archive, not the message
                body = fh.read(ref.size)
                if len(body) != ref.size:
                    yield SkippedItem(
                        ref.source_id, ref.folder, SKIP_UNREADABLE, "truncated", ref.size
                    )
                    continue
                if body.endswith(b"\n\n"):
                    body = body[:-1]  # the separator line before the next "From "
                yield MailItem(ref, _unescape_from(body))

    def close(self) -> None:
        pass


def _unescape_from(body: bytes) -> bytes:
    """mboxrd/mboxo escape "From " at a line start as ">From "; undo one level."""
    if b"\n>From " not in body:
        return body
    return re.sub(rb"\n>(>*From )", rb"\n\1", body)
