"""Provider profiles: the shipped ones load with the seed's values, an admin's own file is
found, and every bad file is reported with its path and the field or line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboard_tui.clock import FrozenClock
from onboard_tui.cloud.access import CloudAccess
from onboard_tui.errors import OnboardError
from onboard_tui.providers import (
    SHIPPED_DIR,
    ProfileError,
    list_profiles,
    load_profile,
    profile_dirs,
    read_profile,
    user_profile_dir,
)
from onboard_tui.providers.model import GIB
from onboard_tui.providers.reader import line_of
from onboard_tui.session.model import CloudSettings

GOOD = """\
# An admin's own provider
id = "acme-mail"
name = "Acme Mail"
cname_target = "verify.acme.example.com"
quota_gb = 25
login_url = "https://mail.acme.example.com/login"
terms = "Acme's Terms of Use."

[geographies.eu]
name = "Europe"
api_url = "https://api.eu.acme.example.com/"
smtp_host = "SMTP.eu.acme.example.com."

[geographies.us]
name = "United States"
api_url = "https://api.us.acme.example.com"
smtp_host = "smtp.us.acme.example.com"
"""


@pytest.fixture(autouse=True)
def _private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the developer's own ~/.config/onboard-tui/providers out of these tests."""
    config = tmp_path / "xdg-config"
    config.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def bad(tmp_path: Path, text: str) -> ProfileError:
    """Read a broken profile and return the error it must raise."""
    path = write(tmp_path / "providers", "acme-mail.toml", text)
    with pytest.raises(ProfileError) as caught:
        read_profile(path)
    error = caught.value
    assert error.path == path
    assert str(path) in str(error)
    assert "Traceback" not in str(error)
    return error


# --- the shipped profiles -----------------------------------------------------------------


def test_smartcloud_notes_carries_the_seed_values() -> None:
    profile = load_profile("smartcloud-notes")
    assert profile.id == "smartcloud-notes"
    assert profile.name == "IBM SmartCloud Notes"
    assert profile.embedded is False
    assert profile.cname_target == "collabserv.com"
    assert profile.quota_gb == 50
    assert profile.quota_bytes == 50 * 1024**3
    assert list(profile.geographies) == ["na", "ap", "ce"]
    assert {g.id: g.smtp_host for g in profile.geographies.values()} == {
        "na": "smtp.notes.na.collabserv.com",
        "ap": "smtp.notes.ap.collabserv.com",
        "ce": "smtp.notes.ce.collabserv.com",
    }
    assert profile.geographies["na"].name == "North America"
    assert profile.geographies["ce"].api_url == "https://api.notes.ce.collabserv.com"
    assert profile.login_url == "https://apps.na.collabserv.com"
    assert profile.terms_text.startswith("Terms of Use and privacy practices")
    assert profile.source == SHIPPED_DIR / "smartcloud-notes.toml"


def test_sandbox_profile_is_embedded_without_api_urls() -> None:
    profile = load_profile("sandbox")
    assert profile.embedded is True
    assert profile.cname_target == "collabserv.com"
    assert profile.quota_gb == 50
    assert list(profile.geographies) == ["na", "ap", "ce"]
    assert all(g.api_url == "" for g in profile.geographies.values())
    assert profile.geographies["ap"].smtp_host == "smtp.ap.sandbox.onboard.test"
    assert profile.login_url == ""
    assert "sandbox" in profile.terms_text.lower()


def test_shipped_catalogue_is_clean_and_puts_real_providers_first() -> None:
    catalogue = list_profiles()
    assert catalogue.errors == []
    assert catalogue.problems == []
    assert catalogue.ids == ["smartcloud-notes", "sandbox"]


# --- admin-added profiles -----------------------------------------------------------------


def test_profile_in_an_extra_folder_is_found(tmp_path: Path) -> None:
    extra = tmp_path / "session" / "providers"
    write(extra, "acme-mail.toml", GOOD)
    catalogue = list_profiles([extra])
    assert catalogue.ids == ["acme-mail", "smartcloud-notes", "sandbox"]
    profile = load_profile("acme-mail", [extra])
    assert profile.source == extra / "acme-mail.toml"
    assert profile.quota_bytes == 25 * GIB
    # Normalised: lower-case host without the trailing dot, URL without the trailing slash.
    assert profile.geographies["eu"].smtp_host == "smtp.eu.acme.example.com"
    assert profile.geographies["eu"].api_url == "https://api.eu.acme.example.com"
    assert list(profile.geographies) == ["eu", "us"]
    assert profile.terms_text == "Acme's Terms of Use."


def test_profile_in_the_user_config_folder_is_found(_private_config: Path) -> None:
    folder = _private_config / "onboard-tui" / "providers"
    assert user_profile_dir() == folder
    write(folder, "acme-mail.toml", GOOD)
    assert load_profile("acme-mail").source == folder / "acme-mail.toml"


def test_relative_xdg_config_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_profile_dir({"XDG_CONFIG_HOME": "relative/dir", "HOME": "/x"}) == (
        Path.home() / ".config" / "onboard-tui" / "providers"
    )
    assert user_profile_dir({"XDG_CONFIG_HOME": "/etc/xdg"}) == Path(
        "/etc/xdg/onboard-tui/providers"
    )


def test_extra_folder_overrides_a_shipped_profile(tmp_path: Path) -> None:
    extra = tmp_path / "providers"
    text = GOOD.replace('id = "acme-mail"', 'id = "smartcloud-notes"').replace(
        "quota_gb = 25", "quota_gb = 100"
    )
    write(extra, "smartcloud-notes.toml", text)
    profile = load_profile("smartcloud-notes", [extra])
    assert profile.quota_gb == 100
    assert profile.source == extra / "smartcloud-notes.toml"
    assert list_profiles([extra]).ids.count("smartcloud-notes") == 1


def test_search_order_puts_extra_folders_first(tmp_path: Path, _private_config: Path) -> None:
    extra = tmp_path / "providers"
    assert profile_dirs([extra, extra]) == [
        extra,
        _private_config / "onboard-tui" / "providers",
        SHIPPED_DIR,
    ]


def test_terms_file_beside_the_profile(tmp_path: Path) -> None:
    folder = tmp_path / "providers"
    write(folder, "acme-terms.txt", "  Read these terms.\n")
    path = write(
        folder,
        "acme-mail.toml",
        GOOD.replace('terms = "Acme\'s Terms of Use."', 'terms_file = "acme-terms.txt"'),
    )
    assert read_profile(path).terms_text == "Read these terms."


def test_one_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    extra = tmp_path / "providers"
    write(extra, "acme-mail.toml", GOOD)
    broken = write(extra, "broken.toml", 'id = "broken"\nname = \n')
    catalogue = list_profiles([extra])
    assert catalogue.ids == ["acme-mail", "smartcloud-notes", "sandbox"]
    assert len(catalogue.errors) == 1
    assert catalogue.errors[0].path == broken
    assert catalogue.problems[0].startswith(f"{broken}, line 2: the file is not valid TOML")


def test_two_files_with_one_id_in_a_folder(tmp_path: Path) -> None:
    extra = tmp_path / "providers"
    write(extra, "a.toml", GOOD)
    second = write(extra, "b.toml", GOOD)
    catalogue = list_profiles([extra])
    assert catalogue.ids.count("acme-mail") == 1
    assert catalogue.get("acme-mail") is not None
    [error] = catalogue.errors
    assert error.path == second
    assert error.field == "id"
    assert error.line == 2
    assert "already used by a.toml" in str(error)


def test_loading_a_broken_wanted_profile_reports_its_file(tmp_path: Path) -> None:
    extra = tmp_path / "providers"
    path = write(extra, "acme-mail.toml", GOOD.replace("quota_gb = 25", 'quota_gb = "lots"'))
    with pytest.raises(ProfileError) as caught:
        load_profile("acme-mail", [extra])
    assert caught.value.path == path
    assert caught.value.field == "quota_gb"
    assert caught.value.line == 5


def test_unknown_profile_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("nonesuch", [tmp_path / "providers"])
    message = str(caught.value)
    assert 'There is no provider profile with the id "nonesuch".' in message
    assert "Available profiles: smartcloud-notes, sandbox." in message
    assert caught.value.field == "id"


# --- bad profiles: file, field and line --------------------------------------------------


def test_toml_syntax_error_names_the_line_and_column(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace("quota_gb = 25", "quota_gb = "))
    assert error.line == 5
    assert str(error).startswith(f"{error.path}, line 5: the file is not valid TOML")
    assert "(column 12)" in str(error)


def test_unterminated_string(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace('name = "Acme Mail"', 'name = "Acme Mail'))
    assert error.line == 3


def test_duplicate_key(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace("quota_gb = 25", "quota_gb = 25\nquota_gb = 30"))
    assert error.line == 6
    assert 'Key "quota_gb" already exists.' in str(error)


@pytest.mark.parametrize(
    ("field", "line"),
    [("name", None), ("cname_target", None), ("quota_gb", None), ("terms", None)],
)
def test_missing_top_level_field(tmp_path: Path, field: str, line: int | None) -> None:
    text = "\n".join(x for x in GOOD.splitlines() if not x.startswith(f"{field} ="))
    error = bad(tmp_path, text)
    assert error.field == field
    assert error.line == line
    assert f"the field {field} is missing." in str(error)
    assert f"Add it, for example: {field} =" in error.hint


def test_missing_field_of_a_geography_points_at_its_section(tmp_path: Path) -> None:
    text = GOOD.replace('smtp_host = "SMTP.eu.acme.example.com."\n', "")
    error = bad(tmp_path, text)
    assert error.field == "geographies.eu.smtp_host"
    assert error.line == 9  # the [geographies.eu] header
    assert str(error).startswith(f"{error.path}, line 9: the field geographies.eu.smtp_host")


def test_missing_geographies(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.split("[geographies.eu]")[0])
    assert error.field == "geographies"
    assert "is missing" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "words"),
    [
        ("quota_gb = 25", 'quota_gb = "25"', "quota_gb", 5, 'not the text "25"'),
        ("quota_gb = 25", "quota_gb = 2.5", "quota_gb", 5, "not the number 2.5"),
        ("quota_gb = 25", "quota_gb = 0", "quota_gb", 5, "above zero, not the number 0"),
        ("quota_gb = 25", "quota_gb = true", "quota_gb", 5, "not the boolean true"),
        ("quota_gb = 25", "quota_gb = 1979-05-27", "quota_gb", 5, "not a date"),
        ('name = "Acme Mail"', 'name = ["Acme"]', "name", 3, "must be text, not a list"),
        ('name = "Acme Mail"', 'name = "  "', "name", 3, "is empty"),
        ('id = "acme-mail"', 'id = "Acme Mail"', "id", 2, "lower-case letters"),
        ("quota_gb = 25", 'quota_gb = 25\nembedded = "no"', "embedded", 6, "true or false"),
        (
            'name = "United States"',
            "name = 7",
            "geographies.us.name",
            15,
            "must be text, not the number 7",
        ),
    ],
)
def test_wrong_type_or_value(
    tmp_path: Path, old: str, new: str, field: str, line: int, words: str
) -> None:
    assert old in GOOD
    error = bad(tmp_path, GOOD.replace(old, new, 1))
    assert error.field == field
    assert error.line == line
    assert f"the field {field} " in str(error)
    assert words in str(error)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.eu.acme.example.com",  # plain http to a real host
        "not a url",
        "ftp://api.eu.acme.example.com",
        "https://",
        "https://[::1",  # urlsplit itself raises on this one
        "https://api.eu.acme.example.com:99999",
        "https://user:secret@api.eu.acme.example.com",
        "https://api eu.acme.example.com",
        "https://api.eu.acme.example.com/?x=1",
        "https://api.eu.acme.example.com/#top",
    ],
)
def test_bad_api_url(tmp_path: Path, url: str) -> None:
    error = bad(tmp_path, GOOD.replace("https://api.eu.acme.example.com/", url))
    assert error.field == "geographies.eu.api_url"
    assert error.line == 11
    assert "must be an https:// address" in str(error)
    assert "secret" not in error.hint


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:9000/", "http://[::1]:80"]
)
def test_plain_http_is_accepted_on_loopback(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, "acme-mail.toml", GOOD.replace("https://api.eu.acme.example.com/", url))
    assert read_profile(path).geographies["eu"].api_url == url.rstrip("/")


def test_bad_login_url(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace("https://mail.acme", "ftp://mail.acme"))
    assert error.field == "login_url"
    assert error.line == 6


def test_bad_host_name(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace('"verify.acme.example.com"', '"acme"'))
    assert error.field == "cname_target"
    assert error.line == 4
    assert 'must be a host name such as collabserv.com, not "acme"' in str(error)


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace("quota_gb = 25", "quota_gb = 25\nqouta_gb = 3"))
    assert error.field == "qouta_gb"
    assert error.line == 6
    assert error.hint == "Did you mean quota_gb?"


def test_unknown_field_in_a_geography(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace('name = "Europe"', 'name = "Europe"\nsmtp = "x"'))
    assert error.field == "geographies.eu.smtp"
    assert error.line == 11


@pytest.mark.parametrize(
    ("geographies", "field", "line", "words"),
    [
        ('geographies = "na"\n', "geographies", 9, 'not the text "na"'),
        ("[geographies]\n", "geographies", 9, "at least one entry"),
        ('[geographies]\nna = "North America"\n', "geographies.na", 10, "must be a table"),
        ("[[geographies]]\nname = 'x'\n", "geographies", 9, "not a list"),
        (
            "[geographies.EU]\nname = 'x'\n",
            "geographies.EU",
            9,
            "not lower-case letters, digits or dashes",
        ),
        (
            "geographies = { eu = { name = 'E', api_url = 'https://a.example.com', "
            "smtp_host = 5 } }\n",
            "geographies.eu.smtp_host",
            9,
            "must be text, not the number 5",
        ),
    ],
)
def test_bad_geographies(
    tmp_path: Path, geographies: str, field: str, line: int, words: str
) -> None:
    error = bad(tmp_path, GOOD.split("[geographies.eu]")[0] + geographies)
    assert error.field == field
    assert error.line == line
    assert words in str(error)


def test_geography_section_with_only_a_name(tmp_path: Path) -> None:
    """A stray [geographies.xx] (say, a reference to a region never filled in)."""
    error = bad(tmp_path, GOOD + '\n[geographies.ap]\nname = "Asia Pacific"\n')
    assert error.field == "geographies.ap.api_url"
    assert error.line == 19


def test_embedded_profile_must_not_have_api_urls(tmp_path: Path) -> None:
    error = bad(tmp_path, GOOD.replace("quota_gb = 25", "quota_gb = 25\nembedded = true"))
    assert error.field == "geographies.eu.api_url"
    assert "must be left out in an embedded profile" in str(error)


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        ('terms = "x"\nterms_file = "t.txt"', "cannot be given together with terms"),
        ('terms_file = "nope.txt"', "which does not exist"),
        ('terms_file = "../secret.txt"', "must be a file name in the profile's own folder"),
        ('terms_file = "/etc/passwd"', "must be a file name in the profile's own folder"),
    ],
)
def test_bad_terms(tmp_path: Path, terms: str, words: str) -> None:
    error = bad(tmp_path, GOOD.replace('terms = "Acme\'s Terms of Use."', terms))
    assert error.field == "terms_file"
    assert error.line is not None
    assert words in str(error)


def test_empty_terms_file(tmp_path: Path) -> None:
    write(tmp_path / "providers", "empty.txt", "  \n")
    error = bad(
        tmp_path, GOOD.replace('terms = "Acme\'s Terms of Use."', 'terms_file = "empty.txt"')
    )
    assert "which is empty" in str(error)


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "acme-mail.toml"
    path.write_bytes(b'id = "acme"\nname = "\xff"\n')
    with pytest.raises(ProfileError) as caught:
        read_profile(path)
    assert str(caught.value).startswith(f"{path}: the file is not UTF-8 text.")


def test_file_that_is_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "acme-mail.toml", GOOD + "#" * 300_000)
    with pytest.raises(ProfileError) as caught:
        read_profile(path)
    assert "too large for a profile" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.toml"
    with pytest.raises(ProfileError) as caught:
        read_profile(path)
    assert caught.value.path == path
    assert "the file cannot be read (No such file or directory)" in str(caught.value)


def test_line_of_finds_keys_headers_and_inline_tables() -> None:
    text = 'id = "x"\n[geographies.na]\nname = "N"\n[geographies.ap]\n'
    assert line_of(text, "id") == 1
    assert line_of(text, "geographies") == 2
    assert line_of(text, "geographies.na.name") == 3
    assert line_of(text, "geographies.ap.smtp_host") == 4
    assert line_of(text, "cname_target") is None
    assert line_of("a = 1\ngeo = { na = { x = 1 } }\n", "geo.na.x") == 2


# --- which geography ----------------------------------------------------------------------


def test_unknown_geography_reference_is_a_sentence() -> None:
    access = CloudAccess(load_profile("smartcloud-notes"), CloudSettings(), FrozenClock())
    assert access.api_url("ap") == "https://api.notes.ap.collabserv.com"
    assert access.api_url() == "https://api.notes.na.collabserv.com"
    with pytest.raises(OnboardError) as caught:
        access.api_url("eu")
    assert str(caught.value) == (
        "The provider profile 'smartcloud-notes' has no geography 'eu'. Choose one of: na, ap, ce."
    )


def test_session_api_url_overrides_the_profile() -> None:
    settings = CloudSettings(api_url="https://cloud.test.example.com/")
    access = CloudAccess(load_profile("smartcloud-notes"), settings, FrozenClock())
    assert access.api_url("ce") == "https://cloud.test.example.com"


def test_embedded_profile_needs_its_sandbox() -> None:
    access = CloudAccess(load_profile("sandbox"), CloudSettings(), FrozenClock())
    with pytest.raises(OnboardError, match="The embedded sandbox is not running"):
        access.api_url("na")
    running = CloudAccess(
        load_profile("sandbox"), CloudSettings(), FrozenClock(), embedded_url="http://127.0.0.1:1"
    )
    assert running.api_url("na") == "http://127.0.0.1:1"
    assert [g.api_url for g in running.profile_geographies()] == ["http://127.0.0.1:1"] * 3
