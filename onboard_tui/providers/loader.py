"""Finding and reading provider profiles: the shipped ones and those an admin adds.

Profiles are searched in this order, and the first profile with a given id wins, so an
admin can override a shipped profile by writing one with the same id:

1. the folders the caller passes (the session folder's `providers/`),
2. `$XDG_CONFIG_HOME/onboard-tui/providers/` (default `~/.config/onboard-tui/providers/`),
3. the profiles shipped in this package (`onboard_tui/providers/profiles/`).

API:

- `list_profiles(extra_dirs)` never raises for a bad file: it returns a `ProfileCatalogue`
  whose `.profiles` are the usable ones and whose `.errors` (`ProfileError`, or `.problems`
  as sentences) explain each file that was skipped, so one typo cannot hide the others.
- `load_profile(profile_id, extra_dirs)` returns one profile or raises `ProfileError`: the
  broken file when the wanted profile is the broken one, else the list of available ids.
- `read_profile(path)` reads one file (raises `ProfileError` naming file, field and line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from onboard_tui.providers.errors import ProfileError
from onboard_tui.providers.model import GIB, GeographyProfile, Profile
from onboard_tui.providers.reader import TableReader, line_of

SHIPPED_DIR = Path(__file__).parent / "profiles"
MAX_FILE_BYTES = 256 * 1024

_TOP_FIELDS = (
    "id",
    "name",
    "embedded",
    "cname_target",
    "quota_gb",
    "login_url",
    "terms",
    "terms_file",
    "geographies",
)
_GEOGRAPHY_FIELDS = ("name", "api_url", "smtp_host")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


@dataclass
class ProfileCatalogue:
    """The usable profiles, and why each skipped file was skipped."""

    profiles: list[Profile] = field(default_factory=list)
    errors: list[ProfileError] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """The errors as sentences, for a screen that lists them."""
        return [str(error) for error in self.errors]

    @property
    def ids(self) -> list[str]:
        return [profile.id for profile in self.profiles]

    def get(self, profile_id: str) -> Profile | None:
        return next((p for p in self.profiles if p.id == profile_id), None)


def user_profile_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The admin's own profiles folder (the XDG spec ignores a relative XDG_CONFIG_HOME)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "onboard-tui" / "providers"


def profile_dirs(extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """The folders searched, highest precedence first, each once."""
    seen: set[Path] = set()
    result: list[Path] = []
    for folder in (*extra_dirs, user_profile_dir(), SHIPPED_DIR):
        key = folder.expanduser().resolve()
        if key not in seen:
            seen.add(key)
            result.append(folder.expanduser())
    return result


def list_profiles(extra_dirs: Sequence[Path] = ()) -> ProfileCatalogue:
    """Every usable profile (real providers first, then by name) and every skipped file."""
    found: dict[str, Profile] = {}
    errors: list[ProfileError] = []
    for folder in profile_dirs(extra_dirs):
        here: dict[str, Path] = {}
        for file in _toml_files(folder, errors):
            try:
                profile = read_profile(file)
            except ProfileError as exc:
                errors.append(exc)
                continue
            if profile.id in here:
                errors.append(_duplicate(file, profile.id, here[profile.id]))
                continue
            here[profile.id] = file
            found.setdefault(profile.id, profile)
    profiles = sorted(found.values(), key=lambda p: (p.embedded, p.name.casefold(), p.id))
    return ProfileCatalogue(profiles, errors)


def load_profile(profile_id: str, extra_dirs: Sequence[Path] = ()) -> Profile:
    """The profile with this id; ProfileError if it is broken or does not exist."""
    catalogue = list_profiles(extra_dirs)
    for error in catalogue.errors:
        if error.path is not None and error.path.stem == profile_id:
            raise error
    profile = catalogue.get(profile_id)
    if profile is not None:
        return profile
    available = ", ".join(catalogue.ids) or "none"
    raise ProfileError(
        f'There is no provider profile with the id "{profile_id}".',
        field="id",
        hint=f"Available profiles: {available}. To add your own, write "
        f"{user_profile_dir() / (profile_id + '.toml')} (copy a shipped profile from "
        f"{SHIPPED_DIR}).",
    )


def read_profile(path: Path) -> Profile:
    """One profile file, checked field by field."""
    text = _read_text(path)
    top = TableReader(path, text, _parse(path, text))
    top.only(_TOP_FIELDS)
    profile_id = top.text_field("id", example='"acme-mail"')
    if not _ID.match(profile_id):
        top.fail(
            "id",
            f'must be lower-case letters, digits, ".", "_" or "-", not "{profile_id}".',
            'Write an id such as id = "acme-mail" (usually the file name without .toml).',
        )
    embedded = top.boolean("embedded", default=False)
    return Profile(
        id=profile_id,
        name=top.text_field("name", example='"Acme Mail"'),
        cname_target=top.host("cname_target", example='"collabserv.com"'),
        quota_bytes=top.whole_number("quota_gb", example="50") * GIB,
        geographies=_geographies(top, embedded),
        embedded=embedded,
        terms_text=_terms(top, path),
        login_url=top.url(
            "login_url", example='"https://mail.example.com/login"', required=not embedded
        ),
        source=path,
    )


def _geographies(top: TableReader, embedded: bool) -> dict[str, GeographyProfile]:
    table = top.table_field(
        "geographies", example="[geographies.na] with name, api_url and smtp_host."
    )
    result: dict[str, GeographyProfile] = {}
    for geo_id in table.table:
        if not _ID.match(geo_id):
            table.fail(
                geo_id,
                "has an id that is not lower-case letters, digits or dashes.",
                "Name the section like [geographies.na] or [geographies.eu-west].",
            )
        geo = table.table_field(geo_id, example=f"[geographies.{geo_id}] with name = ...")
        geo.only(_GEOGRAPHY_FIELDS)
        api_url = geo.url(
            "api_url", example=f'"https://api.{geo_id}.example.com"', required=not embedded
        )
        if embedded and api_url:
            geo.fail(
                "api_url",
                "must be left out in an embedded profile (the sandbox answers on its own address).",
                "Remove the api_url line, or set embedded = false for a real service.",
            )
        result[geo_id] = GeographyProfile(
            id=geo_id,
            name=geo.text_field("name", example='"North America"'),
            api_url=api_url,
            smtp_host=geo.host("smtp_host", example=f'"smtp.{geo_id}.example.com"'),
        )
    return result


def _terms(top: TableReader, path: Path) -> str:
    has_text, has_file = "terms" in top.table, "terms_file" in top.table
    if has_text and has_file:
        top.fail("terms_file", "cannot be given together with terms.", "Keep one of the two.")
    if not has_file:
        return top.text_field("terms", example='"""The provider\'s Terms of Use ..."""')
    name = top.text_field("terms_file", example='"acme-terms.txt"')
    if Path(name).name != name or name in (".", ".."):
        top.fail(
            "terms_file",
            f'must be a file name in the profile\'s own folder, not the path "{name}".',
            f'Put the file beside {path.name} and write terms_file = "{Path(name).name}".',
        )
    file = path.parent / name
    try:
        text = file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        top.fail(
            "terms_file",
            f"names {file}, which does not exist.",
            'Create that file, or write the text itself as terms = """...""".',
        )
    except (OSError, UnicodeDecodeError) as exc:
        top.fail(
            "terms_file",
            f"names {file}, which cannot be read as UTF-8 text ({exc}).",
            "Save the file as UTF-8 text readable by this user.",
        )
    if not text:
        top.fail("terms_file", f"names {file}, which is empty.", "Write the Terms of Use in it.")
    return text


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(
            f"the file cannot be read ({exc.strerror or exc}).",
            path=path,
            hint="Check that it exists and that this user may read it.",
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise ProfileError(
            f"the file is larger than {MAX_FILE_BYTES // 1024} KiB, too large for a profile.",
            path=path,
            hint="Move long Terms of Use text into a terms_file.",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError(
            "the file is not UTF-8 text.", path=path, hint="Save it as UTF-8 in your editor."
        ) from None


def _parse(path: Path, text: str) -> Mapping[str, object]:
    try:
        return tomlkit.parse(text).unwrap()
    except ParseError as exc:
        reason = re.sub(r" at line \d+ col \d+$", "", str(exc))
        line, where = exc.line, f" (column {exc.col + 1})"
        repeated = re.match(r'Key "(.+)" already exists', reason)
        if repeated:  # tomlkit reports the line after the repeated key; point at the key
            line, where = _last_definition(text, repeated.group(1), exc.line) or line, ""
        raise ProfileError(
            f"the file is not valid TOML: {reason.rstrip('.')}{where}.",
            path=path,
            line=line,
            hint='Fix the syntax there: text needs "double quotes", a section is written '
            "[geographies.na], and each key = value stands on its own line.",
        ) from None
    except TOMLKitError as exc:
        raise ProfileError(
            f"the file is not valid TOML: {exc}.",
            path=path,
            hint="Each key may appear only once per section.",
        ) from None


def _last_definition(text: str, key: str, before: int) -> int | None:
    """The last line up to `before` that sets `key` or opens a table named `key`."""
    quoted = rf"[\"']?{re.escape(key)}[\"']?"
    pattern = re.compile(rf"^\s*(?:{quoted}\s*=|\[\[?\s*(?:[^\]]*\.)?\s*{quoted}\s*\])")
    lines = text.splitlines()[:before]
    found = [number for number, raw in enumerate(lines, 1) if pattern.match(raw)]
    return found[-1] if found else None


def _toml_files(folder: Path, errors: list[ProfileError]) -> list[Path]:
    try:
        return sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError as exc:
        errors.append(
            ProfileError(
                f"the profiles folder cannot be read ({exc.strerror or exc}).",
                path=folder,
                hint="Check its permissions.",
            )
        )
        return []


def _duplicate(file: Path, profile_id: str, first: Path) -> ProfileError:
    text = file.read_text(encoding="utf-8", errors="replace")
    return ProfileError(
        f'the field id repeats "{profile_id}", already used by {first.name} in the same folder.',
        path=file,
        field="id",
        line=line_of(text, "id"),
        hint="Give each profile its own id.",
    )
