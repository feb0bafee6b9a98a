"""Domain names, keys, hosts and name servers as people type them.

Properties: any text is either accepted as a valid name or refused with a sentence
(an OnboardError), never a traceback; what is accepted is valid (LDH labels, at most 63
octets each, 255 in all, at least two labels for a domain) and reads back to itself;
Step 1's logon email and Step 2's domain list agree on which domains exist.
"""

from __future__ import annotations

import dns.name
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboard_tui.directory.checks import email_problem as csv_email_problem
from onboard_tui.dns.errors import DnsInputError
from onboard_tui.dns.names import parse_domain, parse_host, parse_key, show
from onboard_tui.dns.nameservers import parse_nameserver
from onboard_tui.domains.service import mail_domain
from onboard_tui.errors import OnboardError
from onboard_tui.setup.validation import email_problem as setup_email_problem

from .settings import examples

LDH = set("abcdefghijklmnopqrstuvwxyz0123456789-")

label_chars = st.sampled_from(
    [*"abcxyz019-_.", *"éüßİﬁ", "\uff11", "\uff21", "\u0663", "²", "\u200d", "⒈", "\x00", " "]
)
domainish = st.one_of(
    st.text(max_size=40),
    st.text(label_chars, max_size=70),
    st.lists(st.text(label_chars, min_size=0, max_size=70), min_size=1, max_size=6).map(".".join),
    st.builds(lambda n: "a" * n + ".com", st.integers(60, 70)),
    st.builds(lambda n: ".".join(["abcdefghi"] * n), st.integers(20, 30)),
)


def assert_sentence(exc: OnboardError) -> None:
    text = str(exc)
    assert text.strip() and "Traceback" not in text
    assert exc.message.rstrip().endswith((".", ")", "'")), text


def assert_valid(name: dns.name.Name, min_labels: int) -> None:
    assert name.is_absolute()
    labels = name.labels[:-1]
    assert len(labels) >= min_labels
    assert len(name.to_wire()) <= 255
    for label in labels:
        assert 1 <= len(label) <= 63
        text = label.decode("ascii")
        assert set(text.lower()) <= LDH | {"_"}, text
        assert not text.startswith("-") and not text.endswith("-")


@examples(400)
@given(text=domainish)
def test_parse_domain_accepts_valid_names_or_says_why(text: str) -> None:
    try:
        name = parse_domain(text)
    except DnsInputError as exc:
        assert_sentence(exc)
        return
    assert_valid(name, 2)
    assert parse_domain(show(name)) == name
    assert parse_domain(name.to_text()) == name


@examples(300)
@given(text=domainish)
def test_mail_domain_is_a_fixed_point_without_underscores(text: str) -> None:
    try:
        listed = mail_domain(text)
    except OnboardError as exc:
        assert_sentence(exc)
        return
    assert "_" not in listed
    assert listed == listed.lower() and not listed.endswith(".")
    assert mail_domain(listed) == listed
    assert_valid(parse_domain(listed), 2)


@examples(300)
@given(local=st.sampled_from(["admin", "a.b", "x+y"]), text=domainish)
def test_step1_email_and_step2_domain_agree(local: str, text: str) -> None:
    """A logon email Step 1 accepts has a domain Step 2 can list, and the reverse."""
    try:
        listed = mail_domain(text)
    except OnboardError:
        listed = None
    if listed is not None:
        assert setup_email_problem(f"{local}@{listed}") is None, listed
    problem = setup_email_problem(f"{local}@{text}")
    if problem is None:
        mail_domain(text)  # must not raise: the admin could never verify that domain


@examples(200)
@given(text=st.one_of(st.text(max_size=30), st.text(label_chars, max_size=70)))
def test_parse_key_and_host(text: str) -> None:
    try:
        key = parse_key(text)
    except DnsInputError as exc:
        assert_sentence(exc)
    else:
        assert len(key.labels) == 1
        assert set(key.labels[0].decode("ascii")) <= LDH | {"_"}
    try:
        host = parse_host(text)
    except DnsInputError as exc:
        assert_sentence(exc)
    else:
        assert_valid(host, 1)


nameserverish = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda h, p: f"{h}:{p}",
        st.sampled_from(["127.0.0.1", "ns1.example.com", "[::1]", "::1", "[127.0.0.1]", ""]),
        st.one_of(
            st.integers(-5, 70000).map(str),
            st.text(st.sampled_from("0123456789²³¹\u0663\u0661\u0966\U0001d7d8"), max_size=6),
            st.just("9" * 5000),
        ),
    ),
)


@examples(300)
@given(text=nameserverish)
def test_parse_nameserver(text: str) -> None:
    try:
        spec = parse_nameserver(text)
    except OnboardError as exc:
        assert_sentence(exc)
        return
    assert 1 <= spec.port <= 65535
    assert spec.host


@examples(300)
@given(
    text=st.one_of(st.text(max_size=40), st.builds("{}@{}".format, st.text(max_size=10), domainish))
)
def test_csv_and_setup_email_checks_never_raise(text: str) -> None:
    for check in (csv_email_problem, setup_email_problem):
        problem = check(text)
        assert problem is None or problem.strip().endswith((".", ")"))


# --- regressions found by the properties above ----------------------------------------------


@pytest.mark.parametrize("text", ["127.0.0.1:²", "ns1.example.com:٣٣", "127.0.0.1:" + "9" * 5000])
def test_regression_port_of_unicode_digits(text: str) -> None:
    """str.isdigit() accepts '²'; int('²') then raised ValueError."""
    with pytest.raises(DnsInputError, match="no valid port"):
        parse_nameserver(text)


@pytest.mark.parametrize("text", ["İ", "\u212a", "keyİ"])
def test_regression_key_with_unicode_that_folds_to_ascii(text: str) -> None:
    """ "İ" matched [a-z] under re.IGNORECASE, then .encode("ascii") raised."""
    with pytest.raises(DnsInputError):
        parse_key(text)


@pytest.mark.parametrize("domain", [".".join(["abcdefghi"] * 26), "⒈a", "a\u200c.com", "0.0"])
def test_regression_step1_refuses_a_domain_step2_cannot_list(domain: str) -> None:
    """Step 1 (IDNA 2003) took domains Step 2 (IDNA 2008) refuses; Step 2 took "0.0"."""
    with pytest.raises(OnboardError):
        mail_domain(domain)
    assert setup_email_problem(f"admin@{domain}") is not None


def test_step1_still_takes_internationalised_domains() -> None:
    assert setup_email_problem("admin@bücher.example") is None
    assert setup_email_problem("admin@xn--bcher-kva.example") is None
    assert setup_email_problem("admin@renovations.com.") is not None
