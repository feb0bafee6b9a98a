"""Typed names become dnspython Names (IDN through IDNA 2008); bad input gets a sentence."""

from __future__ import annotations

import dns.name
import pytest

from onboard_tui.dns.errors import DnsInputError
from onboard_tui.dns.names import parse_domain, parse_host, parse_key, relative_text, show, under
from onboard_tui.dns.nameservers import parse_nameserver


def test_domain_case_and_final_dot_do_not_matter() -> None:
    assert parse_domain("Renovations.COM.") == parse_domain("renovations.com")
    assert parse_domain(" renovations.com ").to_text() == "renovations.com."


def test_idn_domain_uses_idna_2008() -> None:
    name = parse_domain("Bücher.example")
    assert name == dns.name.from_text("xn--bcher-kva.example")
    assert show(name) == "bücher.example"
    # IDNA 2008, not 2003: ß is kept (2003 would map it to "ss").
    assert parse_domain("straße.de").to_text() == "xn--strae-oqa.de."


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("https://renovations.com/", "web address"),
        ("admin@renovations.com", "email address"),
        ("renovations .com", "space"),
        ("com", "not a full"),
        ("bad_char$.com", "cannot contain"),
        ("-lead.com", "cannot contain"),
        ("a" * 64 + ".com", "not a valid"),
    ],
)
def test_bad_domains_are_explained(text: str, words: str) -> None:
    with pytest.raises(DnsInputError) as caught:
        parse_domain(text)
    assert words in caught.value.message


def test_email_hint_suggests_the_domain() -> None:
    with pytest.raises(DnsInputError) as caught:
        parse_domain("admin@renovations.com")
    assert "renovations.com" in caught.value.hint


def test_key_is_one_label() -> None:
    assert parse_key("Domino-1jkkiaojd-Rules").to_text() == "domino-1jkkiaojd-rules"
    assert not parse_key("k").is_absolute()
    with pytest.raises(DnsInputError, match="dot"):
        parse_key("domino-1.renovations.com")
    with pytest.raises(DnsInputError, match="characters"):
        parse_key("key with space")
    with pytest.raises(DnsInputError, match="empty"):
        parse_key("  ")


def test_under_and_relative() -> None:
    zone = parse_domain("renovations.com")
    record = under(parse_key("k1"), parse_domain("west.renovations.com"))
    assert record.to_text() == "k1.west.renovations.com."
    assert relative_text(record, zone) == "k1.west"
    assert under(record, zone).to_text() == "k1.west.renovations.com.renovations.com."
    assert relative_text(zone, parse_domain("example.org")) == "renovations.com."
    assert parse_host("localhost").to_text() == "localhost."


@pytest.mark.parametrize(
    ("text", "host", "port", "address"),
    [
        ("ns1.renovations.com", "ns1.renovations.com", 53, None),
        ("NS1.Renovations.com:5353", "ns1.renovations.com", 5353, None),
        ("192.0.2.1", "192.0.2.1", 53, "192.0.2.1"),
        ("127.0.0.1:5300", "127.0.0.1", 5300, "127.0.0.1"),
        ("[2001:db8::53]:5353", "2001:db8::53", 5353, "2001:db8::53"),
        ("[::1]", "::1", 53, "::1"),
        ("2001:db8::1", "2001:db8::1", 53, "2001:db8::1"),
    ],
)
def test_nameserver_specs(text: str, host: str, port: int, address: str | None) -> None:
    spec = parse_nameserver(text)
    assert (spec.host, spec.port, spec.address, spec.text) == (host, port, address, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "host:",
        "host:0",
        "host:70000",
        "host:abc",
        "[2001:db8::1",
        "[192.0.2.1]:53",
        "[::1]x",
        "a:b:c",
    ],
)
def test_bad_nameserver_specs(text: str) -> None:
    with pytest.raises(DnsInputError) as caught:
        parse_nameserver(text)
    assert "[" in caught.value.hint  # the hint shows the IPv6 form


def test_bad_input_fails_before_any_query() -> None:
    from onboard_tui.dns import DnsChecker, VerificationRequest

    class NoNetwork:
        def resolve(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("no query may be sent for bad input")

    checker = DnsChecker(resolver=NoNetwork())  # type: ignore[arg-type]
    good = VerificationRequest("renovations.com", "k1")
    with pytest.raises(DnsInputError, match="web address"):
        checker.check_many([good, VerificationRequest("http://x.com", "k1")])
    with pytest.raises(DnsInputError, match="port"):
        checker.check_domain("renovations.com", "k1", nameservers=["ns1:99999"])
    with pytest.raises(DnsInputError, match="dot"):
        checker.check_domain("renovations.com", "k1.renovations.com")
    with pytest.raises(DnsInputError):
        checker.check_mx("renovations.com", expect="not a host")
