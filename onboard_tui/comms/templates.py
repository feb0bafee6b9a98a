"""Message templates: editable text files in `<session>/templates/`, one per message.

A template file looks like a short email: header lines, a blank line, the body.

```
Subject: Your mail moves to {service_name} on {migration_date}

Dear {first_name},
...
```

Placeholders are `{name}` from `PLACEHOLDERS`; `{{` and `}}` write a brace. Rendering
substitutes values in one pass and never reads a value as a template, so a user's name
such as "{email}" or "{0.__class__}" is printed exactly as it is.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from onboard_tui.errors import OnboardError
from onboard_tui.session.atomic import write_atomic

SUFFIX = ".eml.txt"

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the user's first name (the display name, or the email, when missing)",
    "last_name": "the user's last name",
    "display_name": "the user's display name",
    "email": "the user's email address",
    "logon_name": "the user's logon name in the cloud (the email address)",
    "migration_date": "when the user's mail moves (templates/values.toml, per group)",
    "login_url": "where users log in to activate (values.toml, else the profile's)",
    "group": "the user's Transfer Group",
    "company": "your organisation's name (Step 1)",
    "admin_email": "the company administrator's logon (who users may reply to)",
    "service_name": "the cloud mail service's name (the provider profile)",
}

_HEADERS = ("subject",)


class TemplateError(OnboardError):
    """A template that cannot be used, with the file and line to fix."""

    def __init__(self, path: Path, line: int, problem: str, *, hint: str = "") -> None:
        super().__init__(f"{path}, line {line}: {problem}", hint=hint)
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Template:
    """A parsed template; `body_line` is the file line where the body starts."""

    name: str
    path: Path
    subject: str
    subject_line: int
    body: str
    body_line: int

    @property
    def title(self) -> str:
        return self.name.replace("-", " ").capitalize()

    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for _, line_no, text in self._lines():
            found.update(_fields(self.path, line_no, text))
        return found

    def _lines(self) -> list[tuple[str, int, str]]:
        result = [("subject", self.subject_line, self.subject)]
        for offset, text in enumerate(self.body.split("\n")):
            result.append(("body", self.body_line + offset, text))
        return result

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """(subject, body) with every placeholder replaced; TemplateError names the line."""
        subject = _substitute(self.path, self.subject_line, self.subject, values)
        subject = " ".join(subject.split())  # a value never adds a header line
        body = "\n".join(
            _substitute(self.path, self.body_line + i, text, values)
            for i, text in enumerate(self.body.split("\n"))
        )
        return subject, body


def _fields(path: Path, line_no: int, text: str) -> list[str]:
    """The placeholder names of one line, checked: known names, no format tricks."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(
            path, line_no, f"{exc} (write {{{{ or }}}} for a literal brace)."
        ) from None
    names: list[str] = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            known = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
            shown = field if len(field) <= 40 else field[:40] + "…"
            raise TemplateError(
                path,
                line_no,
                f"unknown placeholder {{{shown}}}.",
                hint=f"Known placeholders: {known}.",
            )
        if spec or conversion:
            raise TemplateError(
                path, line_no, f"{{{field}}} takes no format (remove ':' or '!' and what follows)."
            )
        names.append(field)
    return names


def _substitute(path: Path, line_no: int, text: str, values: Mapping[str, str]) -> str:
    out: list[str] = []
    parts = list(string.Formatter().parse(text)) if "{" in text or "}" in text else None
    if parts is None:
        return text
    _fields(path, line_no, text)
    for literal_text, field, _, _ in parts:
        out.append(literal_text)
        if field is not None:
            value = values.get(field)
            if value is None or value == "":
                raise TemplateError(
                    path,
                    line_no,
                    f"{{{field}}} has no value for this user.",
                    hint=_missing_hint(field),
                )
            out.append(value)
    return "".join(out)


def _missing_hint(field: str) -> str:
    if field in ("company", "admin_email"):
        return f"Complete Step 1, or set {field} in templates/values.toml."
    if field in ("migration_date", "login_url"):
        return f'Set {field} in templates/values.toml (per group under [groups."NAME"]).'
    return "Fill it in the directory (Step 3), or remove it from the template."


def parse_template(path: Path, text: str) -> Template:
    """Parse and check a template's text (as read from `path`)."""
    lines = text.replace("\r\n", "\n").split("\n")
    headers: dict[str, tuple[int, str]] = {}
    index = 0
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        if line.lstrip().startswith("#"):
            index += 1
            continue
        key, sep, value = line.partition(":")
        name = key.strip().lower()
        if not sep or name not in _HEADERS:
            raise TemplateError(
                path,
                index + 1,
                f"'{line[:40]}' is not a header this file can have.",
                hint="Start with 'Subject: ...', then an empty line, then the message.",
            )
        headers[name] = (index + 1, value.strip())
        index += 1
    if "subject" not in headers:
        raise TemplateError(
            path, 1, "there is no 'Subject:' line.", hint="The first line is 'Subject: ...'."
        )
    subject_line, subject = headers["subject"]
    if not subject:
        raise TemplateError(path, subject_line, "the subject is empty.")
    body_start = index + 1  # skip the blank line
    body = "\n".join(lines[body_start:]).rstrip("\n")
    if not body.strip():
        raise TemplateError(path, body_start, "the message has no text.")
    template = Template(
        name=path.name.removesuffix(SUFFIX),
        path=path,
        subject=subject,
        subject_line=subject_line,
        body=body,
        body_line=body_start + 1,
    )
    template.placeholders()  # every line checked now, not when a user is rendered
    return template


def load_template(path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(path, 1, f"not UTF-8 text ({exc.reason}).") from None
    except OSError as exc:
        raise TemplateError(path, 1, f"cannot be read: {exc.strerror}.") from None
    return parse_template(path, text)


def save_template_text(path: Path, text: str) -> Template:
    """Check `text` first, then write it atomically; a bad template is never saved."""
    template = parse_template(path, text)
    if not text.endswith("\n"):
        text += "\n"
    write_atomic(path, text.encode("utf-8"))
    return template


def template_paths(folder: Path) -> list[Path]:
    """The template files of the folder, in the order DEFAULTS lists them, then by name."""
    order = {name: i for i, name in enumerate(DEFAULTS)}
    found = [p for p in folder.glob("*" + SUFFIX) if p.is_file()]
    return sorted(found, key=lambda p: (order.get(p.name.removesuffix(SUFFIX), 99), p.name))


def ensure_defaults(folder: Path) -> list[Path]:
    """Write the default templates that are missing (never overwrites an edited one)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for name, text in DEFAULTS.items():
        path = folder / (name + SUFFIX)
        if not path.exists():
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
    return written


FIRST_ANNOUNCEMENT = """\
Subject: Your mail is moving to {service_name} on {migration_date}

Dear {first_name},

{company} is moving its email to {service_name} in the cloud. Your mailbox is
scheduled to move on {migration_date}. Your existing mail, contacts, calendar
entries and tasks will move with it.

After your mail is migrated, new mail is no longer delivered to your old mail
system: from {migration_date} on, read and send your mail in {service_name}.

You must log in once to activate your new account. Until you log in for the
first time and create a new permanent password, your account is not active,
and mail sent to you after the migration will not reach you. Please activate
your account as soon as you receive your login details:

    Log in at:    {login_url}
    Logon name:   {logon_name}

To make the move faster, consider deleting older or unwanted email now.

If you have questions, reply to this message or write to {admin_email}.

Thank you,
The {company} mail team
"""

ACTIVATION_INSTRUCTIONS = """\
Subject: Activate your {service_name} account now

Dear {first_name},

Your {service_name} account is ready. Please activate it today: until you log
in for the first time and create a new permanent password, your account is not
active, and after your mail is migrated no new mail is delivered to your old
mail system.

How to activate:

  1. Open {login_url}
  2. Log in with your logon name: {logon_name}
     and the temporary password you were given.
  3. Create a new permanent password when asked.

That is all: your account is active from then on.

If you cannot log in, write to {admin_email}.

The {company} mail team
"""

MIGRATION_SCHEDULED = """\
Subject: Your mailbox moves on {migration_date}

Dear {first_name},

The move of your mailbox ({email}) to {service_name} is scheduled for
{migration_date}.

Before that date:
  - log in once at {login_url} with your logon name {logon_name} to activate
    your account, if you have not done so yet;
  - if you can, delete older or unwanted mail to make the move faster.

After the move, new mail arrives only in {service_name}; your old mail system
no longer receives it.

The {company} mail team
"""

CUTOVER_NOTICE = """\
Subject: Your mail now arrives in {service_name}

Dear {first_name},

The move to {service_name} is complete. From now on, all mail sent to
{email} is delivered to {service_name}; no mail reaches the old mail system.

Read and send your mail at {login_url} (logon name: {logon_name}).
If you have not activated your account yet, log in now: until you do, you
cannot read the mail that is waiting for you.

If something is missing, write to {admin_email}.

The {company} mail team
"""

DEFAULTS: dict[str, str] = {
    "first-announcement": FIRST_ANNOUNCEMENT,
    "activation-instructions": ACTIVATION_INSTRUCTIONS,
    "migration-scheduled": MIGRATION_SCHEDULED,
    "cutover-notice": CUTOVER_NOTICE,
}
