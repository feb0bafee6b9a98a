"""Answers files: the wizard's automated mode, as an installer's preseed file.

An answers file (TOML) says what the administrator would type at each step. The UI's
driver (`onboard_tui.ui.answers_driver`) feeds these answers to the real screens, so an
automated run goes through exactly the code a person uses. Every section is optional: a
step without answers is left for the administrator. Passwords are secret references
(`env:NAME`, `file:PATH`, `prompt`), never values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
import tomlkit.exceptions

from onboard_tui.errors import OnboardError
from onboard_tui.session.locate import line_of
from onboard_tui.session.secrets import Secret, SecretError, SecretRef
from onboard_tui.session.typed_toml import TypedReader

T = TypeVar("T")

#: Step 3 has two: `users` (the Users and Settings tabs) and `migrate` (Staging), so that
#: an announcement can go out between them.
SECTIONS = ("setup", "verify", "users", "communicate", "migrate", "subscribe", "mx")


class AnswersError(OnboardError):
    """The answers file cannot be used; nothing was done."""


@dataclass(frozen=True)
class SetupAnswers:
    admin_email: str
    company: str
    password: SecretRef
    country: str
    language: str
    timezone: str
    geography: str


@dataclass(frozen=True)
class VerifyAnswers:
    domains: tuple[str, ...] = ()
    subdomains: tuple[str, ...] = ()
    #: Create the CNAME with the session's RFC 2136 settings (the demo has them).
    create_records: bool = False
    wait_minutes: int = 10
    remove_records: bool = False


@dataclass(frozen=True)
class GroupAnswer:
    name: str
    #: A filter rule of the group dialog ("email domain", "department", ...) and its value;
    #: empty means "every user not yet in a group".
    rule: str = ""
    value: str = ""
    setting: str = ""


@dataclass(frozen=True)
class SettingAnswer:
    name: str
    last_months: int = 0
    max_item_mb: int = 0


@dataclass(frozen=True)
class UsersAnswers:
    csv: Path | None = None
    skip_rejected: bool = True
    settings: tuple[SettingAnswer, ...] = ()
    groups: tuple[GroupAnswer, ...] = ()


@dataclass(frozen=True)
class MigrateAnswers:
    start: tuple[str, ...] = ()
    wait_minutes: int = 30
    delta_pass: bool = False
    #: The cloud administrator's password when the session asks for it (`prompt`).
    password: SecretRef | None = None


@dataclass(frozen=True)
class SubscribeAnswers:
    #: Write the CSV for the solution provider's portal (into the session folder).
    export: bool = False
    #: Provision and assign every user who needs a subscription ("mark assigned").
    assign_all: bool = False
    #: Watch activations arrive for at most this long (users who never log in stay listed).
    wait_activated_minutes: int = 0
    #: Then remind the users who have not activated.
    remind: bool = False


@dataclass(frozen=True)
class CommunicateAnswers:
    send: tuple[str, ...] = ()
    #: Written into the templates' values.toml (the "Dates & URL" editor) before sending.
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MxAnswers:
    switch: bool = False
    #: Type the domain name past conditions not known to be met (never past a hard block).
    despite_open_conditions: bool = False


@dataclass(frozen=True)
class Answers:
    path: Path
    setup: SetupAnswers | None = None
    verify: VerifyAnswers | None = None
    users: UsersAnswers | None = None
    migrate: MigrateAnswers | None = None
    subscribe: SubscribeAnswers | None = None
    communicate: CommunicateAnswers | None = None
    mx: MxAnswers | None = None
    #: Quit the wizard when the answers are done (always so when there is no terminal).
    quit_when_done: bool = False
    #: The cloud administrator's password, typed whenever the wizard asks for it again.
    admin_password: SecretRef | None = None
    steps: tuple[str, ...] = field(default=())


def load_answers(path: Path) -> Answers:
    """Read and check the whole file before anything is done."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersError(
            f"{path}: no such answers file.", hint="Give the path of a TOML answers file."
        ) from None
    except UnicodeDecodeError:
        raise AnswersError(f"{path}: not UTF-8 text.", hint="Save it as UTF-8.") from None
    except OSError as exc:
        raise AnswersError(f"{path}: {exc.strerror or exc}.") from None
    try:
        doc = tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        problem = str(exc).split(" at line ")[0]
        raise AnswersError(f"{path}, line {exc.line}: not valid TOML: {problem}.") from None
    return _Reader(path, text).answers(doc)


class _Reader(TypedReader):
    """Typed reads that fail with the file, the line and the field."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, table: str, key: str | None, problem: str, index: int = 0) -> AnswersError:
        line = line_of(self.text, table, key, index) or 1
        return AnswersError(f"{self.path}, line {line}: {problem}")

    def strings(self, values: dict[str, Any], table: str, key: str) -> tuple[str, ...]:
        items = self.get(values, table, key, list, [])
        if not all(isinstance(i, str) and i.strip() for i in items):
            raise self.fail(table, key, f"'{table}.{key}' must be a list of names in quotes.")
        return tuple(i.strip() for i in items)

    def secret(self, values: dict[str, Any], table: str, key: str) -> SecretRef:
        raw = self.get(values, table, key, str)
        try:
            return SecretRef.parse(raw, field=f"{table}.{key}")
        except SecretError as exc:
            raise self.fail(table, key, f"{exc} {exc.hint}") from None

    def path_of(self, values: dict[str, Any], table: str, key: str) -> Path | None:
        raw = self.get(values, table, key, str, "")
        if not raw:
            return None
        given = Path(raw).expanduser()
        return given if given.is_absolute() else (self.path.parent / given)

    def table(self, doc: dict[str, Any], name: str) -> dict[str, Any] | None:
        value = doc.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail("", name, f"'{name}' must be a table ([{name}]).")
        return value

    # --- the sections ---------------------------------------------------------------------

    def answers(self, doc: dict[str, Any]) -> Answers:
        unknown = sorted(set(doc) - set(SECTIONS) - {"quit_when_done", "admin_password"})
        if unknown:
            raise self.fail(
                "",
                unknown[0],
                f"'{unknown[0]}' is not a section of an answers file "
                f"(known: {', '.join(SECTIONS)}).",
            )
        quit_when_done = self.get(doc, "", "quit_when_done", bool, False)
        found = tuple(s for s in doc if s in SECTIONS)  # carried out in the file's order
        if not found:
            raise self.fail("", None, "no answers: add at least one of " + ", ".join(SECTIONS))
        return Answers(
            self.path,
            setup=self._setup(doc),
            verify=self._verify(doc),
            users=(users := self._users(doc)),
            migrate=self._migrate(doc, users),
            subscribe=self._subscribe(doc),
            communicate=self._communicate(doc),
            mx=self._mx(doc),
            quit_when_done=quit_when_done,
            admin_password=(
                self.secret(doc, "", "admin_password") if "admin_password" in doc else None
            ),
            steps=found,
        )

    def _setup(self, doc: dict[str, Any]) -> SetupAnswers | None:
        t = self.table(doc, "setup")
        if t is None:
            return None
        if not self.get(t, "setup", "accept_terms", bool, False):
            raise self.fail(
                "setup",
                "accept_terms",
                "the Terms of Use must be accepted: read them, then set accept_terms = true.",
            )
        text = {
            key: self.get(t, "setup", key, str, check=_not_empty)
            for key in ("admin_email", "company", "country", "language", "timezone", "geography")
        }
        return SetupAnswers(password=self.secret(t, "setup", "password"), **text)

    def _verify(self, doc: dict[str, Any]) -> VerifyAnswers | None:
        t = self.table(doc, "verify")
        if t is None:
            return None
        return VerifyAnswers(
            domains=self.strings(t, "verify", "domains"),
            subdomains=self.strings(t, "verify", "subdomains"),
            create_records=self.get(t, "verify", "create_records", bool, False),
            wait_minutes=self.get(t, "verify", "wait_minutes", int, 10, check=_minutes),
            remove_records=self.get(t, "verify", "remove_records", bool, False),
        )

    def _users(self, doc: dict[str, Any]) -> UsersAnswers | None:
        t = self.table(doc, "users")
        if t is None:
            return None
        settings = []
        for i, s in enumerate(self._list_of_tables(t, "settings")):
            where = "users.settings"
            settings.append(
                SettingAnswer(
                    self.get(s, where, "name", str, index=i, check=_not_empty),
                    self.get(s, where, "last_months", int, 0, index=i, check=_not_negative),
                    self.get(s, where, "max_item_mb", int, 0, index=i, check=_not_negative),
                )
            )
        groups = []
        names = {s.name for s in settings}
        for i, g in enumerate(self._list_of_tables(t, "groups")):
            where = "users.groups"
            setting = self.get(g, where, "setting", str, "", index=i)
            if setting and setting not in names:
                raise self.fail(
                    where, "setting", f"'{setting}' is not one of [[users.settings]].", i
                )
            groups.append(
                GroupAnswer(
                    self.get(g, where, "name", str, index=i, check=_not_empty),
                    self.get(g, where, "rule", str, "", index=i),
                    self.get(g, where, "value", str, "", index=i),
                    setting,
                )
            )
        return UsersAnswers(
            csv=self.path_of(t, "users", "csv"),
            skip_rejected=self.get(t, "users", "skip_rejected", bool, True),
            settings=tuple(settings),
            groups=tuple(groups),
        )

    def _migrate(self, doc: dict[str, Any], users: UsersAnswers | None) -> MigrateAnswers | None:
        t = self.table(doc, "migrate")
        if t is None:
            return None
        start = self.strings(t, "migrate", "start")
        known = {g.name for g in users.groups} if users else set()
        for name in start:
            if known and name not in known:
                raise self.fail("migrate", "start", f"'{name}' is not one of [[users.groups]].")
        password = self.secret(t, "migrate", "password") if "password" in t else None
        return MigrateAnswers(
            start=start,
            wait_minutes=self.get(t, "migrate", "wait_minutes", int, 30, check=_minutes),
            delta_pass=self.get(t, "migrate", "delta_pass", bool, False),
            password=password,
        )

    def _subscribe(self, doc: dict[str, Any]) -> SubscribeAnswers | None:
        t = self.table(doc, "subscribe")
        if t is None:
            return None
        return SubscribeAnswers(
            export=self.get(t, "subscribe", "export", bool, False),
            assign_all=self.get(t, "subscribe", "assign_all", bool, False),
            wait_activated_minutes=self.get(
                t, "subscribe", "wait_activated_minutes", int, 0, check=_not_negative
            ),
            remind=self.get(t, "subscribe", "remind", bool, False),
        )

    def _communicate(self, doc: dict[str, Any]) -> CommunicateAnswers | None:
        t = self.table(doc, "communicate")
        if t is None:
            return None
        values = self.get(t, "communicate", "values", dict, {})
        if not all(isinstance(v, str) for v in values.values()):
            raise self.fail("communicate", "values", "'communicate.values' must map names to text.")
        return CommunicateAnswers(
            send=self.strings(t, "communicate", "send"), values=tuple(values.items())
        )

    def _mx(self, doc: dict[str, Any]) -> MxAnswers | None:
        t = self.table(doc, "mx")
        if t is None:
            return None
        return MxAnswers(
            switch=self.get(t, "mx", "switch", bool, False),
            despite_open_conditions=self.get(t, "mx", "despite_open_conditions", bool, False),
        )

    def _list_of_tables(self, t: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = t.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail("users", key, f"'users.{key}' must be [[users.{key}]] tables.")
        return items


def _not_empty(value: str) -> str | None:
    return None if value.strip() else "must not be empty."


def _not_negative(value: int) -> str | None:
    return None if value >= 0 else "must be 0 or more."


def _minutes(value: int) -> str | None:
    return None if 0 < value <= 7 * 24 * 60 else "a number of minutes from 1 to 10080."


def resolve_secrets(answers: Answers, ask: Callable[[str], str] | None = None) -> dict[str, Secret]:
    """The passwords the answers refer to, read now, before the wizard starts.

    `setup` is the administrator password Step 1 registers; `cloud` is the one the wizard
    asks for again when the logon expires (the migration's, or else the same).
    """
    found: dict[str, Secret] = {}
    wanted = [("setup", answers.setup.password if answers.setup else None)]
    wanted.append(("cloud", answers.migrate.password if answers.migrate else None))
    if answers.admin_password is not None and not (answers.migrate and answers.migrate.password):
        wanted[-1] = ("cloud", answers.admin_password)
    for name, ref in wanted:
        if ref is None:
            continue
        if ref.needs_prompt:
            if ask is None:
                raise AnswersError(
                    f"{answers.path}: the {name} password is 'prompt' but there is no "
                    "terminal to type it in.",
                    hint="Use env:VARIABLE or file:PATH for automated runs.",
                )
            found[name] = Secret(ask(f"Password for the answers' {name} step: "))
        else:
            found[name] = ref.resolve()
    if "cloud" not in found and "setup" in found:
        found["cloud"] = found["setup"]
    return found
