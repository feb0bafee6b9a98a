"""The answers file: every mistake names the file, the line and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboard_tui.answers import AnswersError, load_answers, resolve_secrets

SAMPLE = Path(__file__).parents[2] / "sample_configs" / "demo-answers.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sample_walks_every_step_and_keeps_no_password() -> None:
    answers = load_answers(SAMPLE)
    assert answers.steps == (
        "setup",
        "verify",
        "users",
        "communicate",
        "migrate",
        "subscribe",
        "mx",
    )
    assert answers.setup is not None and str(answers.setup.password) == "env:ONBOARD_DEMO_PASSWORD"
    assert answers.users is not None and answers.users.csv == SAMPLE.parent / "demo-users.csv"
    assert [g.setting for g in answers.users.groups] == ["Everything", "Last 12 months"]
    assert answers.migrate is not None and answers.migrate.start == ("Head office", "West")
    assert answers.mx is not None and answers.mx.switch


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[setup\n", "line 1: not valid TOML"),
        ("", "no answers"),
        ("[setpu]\nx = 1\n", "line 1: 'setpu' is not a section"),
        (
            '[setup]\nadmin_email = "a@b.c"\npassword = "hunter2"\n',
            "Terms of Use must be accepted",
        ),
        (
            '[setup]\naccept_terms = true\nadmin_email = "a@b.c"\ncompany = "C"\n'
            'country = "x"\nlanguage = "x"\ntimezone = "x"\ngeography = "x"\n'
            'password = "hunter2"\n',
            "line 9: setup.password: 'hu…' is not a secret reference",
        ),
        ("[verify]\nwait_minutes = 0\n", "line 2: 'verify.wait_minutes': a number of minutes"),
        ('[verify]\ndomains = "a.com"\n', "line 2: 'verify.domains' must be a list"),
        (
            '[users]\n[[users.groups]]\nname = "A"\n[migrate]\nstart = ["B"]\n',
            "line 5: 'B' is not one of [[users.groups]]",
        ),
        (
            '[users]\n[[users.groups]]\nname = "A"\nsetting = "S"\n',
            "line 4: 'S' is not one of [[users.settings]]",
        ),
        ("[mx]\nswitch = 1\n", "line 2: 'mx.switch' must be true or false, not 1"),
    ],
)
def test_mistakes_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AnswersError) as caught:
        load_answers(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_missing_or_binary_file_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(AnswersError, match="no such answers file"):
        load_answers(tmp_path / "nope.toml")
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(AnswersError, match="not UTF-8"):
        load_answers(path)


def test_secrets_are_read_before_the_wizard_and_prompt_needs_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONBOARD_DEMO_PASSWORD", "Lakeside-Harbour-42")
    secrets = resolve_secrets(load_answers(SAMPLE))
    assert secrets["setup"].reveal() == "Lakeside-Harbour-42"
    assert secrets["cloud"] == secrets["setup"]
    assert "Lakeside" not in repr(secrets)

    path = write(tmp_path, SAMPLE.read_text().replace('"env:ONBOARD_DEMO_PASSWORD"', '"prompt"'))
    with pytest.raises(AnswersError, match="no terminal"):
        resolve_secrets(load_answers(path))
    assert resolve_secrets(load_answers(path), lambda _: "typed")["setup"].reveal() == "typed"

    monkeypatch.delenv("ONBOARD_DEMO_PASSWORD")
    with pytest.raises(Exception, match="ONBOARD_DEMO_PASSWORD is not set"):
        resolve_secrets(load_answers(SAMPLE))
