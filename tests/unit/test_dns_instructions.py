"""The verification record in the forms DNS hosts use, never with a secret in it."""

from __future__ import annotations

from onboard_tui.dns.instructions import verification_instructions


def test_root_domain_record() -> None:
    copy = verification_instructions("Renovations.com", "domino-1jkkiaojd-rules")
    assert copy.zone_line == "domino-1jkkiaojd-rules.renovations.com. 3600 IN CNAME collabserv.com."
    assert copy.fields() == [
        ("alias / prefix", "domino-1jkkiaojd-rules"),
        ("destination / target host", "collabserv.com"),
    ]
    assert copy.nsupdate.splitlines() == [
        "; Create the verification record of renovations.com.",
        "; Run: nsupdate -k /path/to/tsig.key this-file",
        "; (the key file holds the TSIG secret; this script does not)",
        "zone renovations.com.",
        "update delete domino-1jkkiaojd-rules.renovations.com. CNAME",
        "update add domino-1jkkiaojd-rules.renovations.com. 3600 IN CNAME collabserv.com.",
        "send",
    ]
    assert copy.nsupdate.endswith("send\n")
    assert "update add" not in copy.nsupdate_remove
    assert "update delete domino-1jkkiaojd-rules.renovations.com. CNAME" in copy.nsupdate_remove


def test_subdomain_prefix_is_relative_to_the_zone() -> None:
    copy = verification_instructions(
        "west.renovations.com",
        "k1",
        zone="renovations.com",
        server="192.0.2.53",
        port=5353,
    )
    assert copy.alias == "k1.west"
    assert copy.record == "k1.west.renovations.com."
    assert "server 192.0.2.53 5353" in copy.nsupdate.splitlines()
    assert "zone renovations.com." in copy.nsupdate.splitlines()
    assert copy.zone_line.startswith("k1.west.renovations.com. 3600 IN CNAME")


def test_idn_domain_is_written_as_a_labels() -> None:
    copy = verification_instructions("bücher.example", "k1")
    assert copy.domain == "bücher.example"
    assert copy.record == "k1.xn--bcher-kva.example."


def test_no_key_or_secret_statement_in_the_script() -> None:
    copy = verification_instructions("renovations.com", "k1")
    for line in copy.nsupdate.splitlines() + copy.nsupdate_remove.splitlines():
        assert not line.startswith("key ")
