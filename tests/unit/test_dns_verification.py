"""Every per-server classification, from hand-built dnspython answers."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from onboard_tui.dns.nameservers import Server
from onboard_tui.dns.statuses import Verification
from onboard_tui.dns.transport import Reply, authority_problem
from onboard_tui.dns.verification import VerificationNames, classify

SERVER = Server("ns1.renovations.com", "192.0.2.53")
N = dns.name.from_text


def names(
    domain: str = "renovations.com", zone: str = "renovations.com", previous: str | None = None
) -> VerificationNames:
    return VerificationNames(
        domain=N(domain),
        zone=N(zone),
        key=dns.name.Name([b"k1"]),
        target=N("collabserv.com"),
        previous_key=dns.name.Name([previous.encode()]) if previous else None,
    )


def reply(
    qname: str,
    rdtype: str = "CNAME",
    *records: tuple[str, str, str],
    rcode: int = dns.rcode.NOERROR,
    aa: bool = True,
) -> Reply:
    query = dns.message.make_query(qname, rdtype)
    message = dns.message.make_response(query)
    message.set_rcode(dns.rcode.Rcode(rcode))
    if aa:
        message.flags |= dns.flags.AA
    for owner, kind, data in records:
        message.answer.append(dns.rrset.from_text(owner, 300, "IN", kind, data))
    return Reply(SERVER, message)


class FakeServer:
    """Answers follow-up questions from a table; anything else is NXDOMAIN."""

    def __init__(self, *answers: Reply) -> None:
        self.table = {
            (a.message.question[0].name, a.message.question[0].rdtype): a
            for a in answers
            if a.message
        }
        self.asked: list[tuple[str, str]] = []

    def __call__(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Reply:
        self.asked.append((qname.to_text(), dns.rdatatype.to_text(rdtype)))
        found = self.table.get((qname, rdtype))
        return found or reply(
            qname.to_text(), dns.rdatatype.to_text(rdtype), rcode=dns.rcode.NXDOMAIN
        )


RECORD = "k1.renovations.com."


def test_verified_with_any_case_and_no_follow_up() -> None:
    ask = FakeServer()
    verdict = classify(reply(RECORD, "CNAME", (RECORD, "CNAME", "CollabServ.COM.")), names(), ask)
    assert verdict.status == Verification.VERIFIED
    assert verdict.answer == "CNAME CollabServ.COM."
    assert ask.asked == []


def test_missing_on_nxdomain() -> None:
    verdict = classify(reply(RECORD, rcode=dns.rcode.NXDOMAIN), names(), FakeServer())
    assert (verdict.status, verdict.answer) == (Verification.MISSING, "NXDOMAIN")


def test_missing_on_empty_nodata() -> None:
    verdict = classify(reply(RECORD), names(), FakeServer())
    assert (verdict.status, verdict.answer) == (Verification.MISSING, "no CNAME (NODATA)")


def test_wrong_target_shows_it() -> None:
    verdict = classify(
        reply(RECORD, "CNAME", (RECORD, "CNAME", "example.net.")), names(), FakeServer()
    )
    assert verdict.status == Verification.WRONG_TARGET
    assert verdict.detail == "example.net."


@pytest.mark.parametrize(
    ("domain", "zone", "target"),
    [
        ("renovations.com", "renovations.com", "collabserv.com.renovations.com."),
        ("west.renovations.com", "renovations.com", "collabserv.com.renovations.com."),
        ("west.renovations.com", "renovations.com", "collabserv.com.west.renovations.com."),
    ],
)
def test_doubled_target(domain: str, zone: str, target: str) -> None:
    record = f"k1.{domain}."
    verdict = classify(
        reply(record, "CNAME", (record, "CNAME", target)), names(domain, zone), FakeServer()
    )
    assert verdict.status == Verification.DOUBLED_TARGET
    assert verdict.detail == target


@pytest.mark.parametrize(
    ("domain", "zone", "doubled"),
    [
        ("renovations.com", "renovations.com", "k1.renovations.com.renovations.com."),
        (
            "west.renovations.com",
            "renovations.com",
            "k1.west.renovations.com.west.renovations.com.",
        ),
        ("west.renovations.com", "renovations.com", "k1.west.renovations.com.renovations.com."),
    ],
)
def test_doubled_name(domain: str, zone: str, doubled: str) -> None:
    record = f"k1.{domain}."
    ask = FakeServer(reply(doubled, "CNAME", (doubled, "CNAME", "collabserv.com.")))
    verdict = classify(reply(record, rcode=dns.rcode.NXDOMAIN), names(domain, zone), ask)
    assert verdict.status == Verification.DOUBLED_NAME
    assert verdict.detail == doubled
    assert verdict.answer == f"{doubled} CNAME collabserv.com."


@pytest.mark.parametrize(
    ("kind", "data"),
    [("TXT", '"collabserv.com"'), ("A", "192.0.2.7"), ("MX", "10 collabserv.com.")],
)
def test_wrong_type(kind: str, data: str) -> None:
    ask = FakeServer(reply(RECORD, kind, (RECORD, kind, data)))
    verdict = classify(reply(RECORD), names(), ask)
    assert verdict.status == Verification.WRONG_TYPE
    assert verdict.detail == kind
    assert verdict.answer == f"{kind} {data}"


def test_nxdomain_skips_the_type_questions() -> None:
    ask = FakeServer()
    classify(reply(RECORD, rcode=dns.rcode.NXDOMAIN), names(), ask)
    assert all(kind == "CNAME" for _, kind in ask.asked)


def test_old_key() -> None:
    old = "k0.renovations.com."
    ask = FakeServer(reply(old, "CNAME", (old, "CNAME", "collabserv.com.")))
    verdict = classify(reply(RECORD, rcode=dns.rcode.NXDOMAIN), names(previous="k0"), ask)
    assert verdict.status == Verification.OLD_KEY
    assert verdict.detail == old


def test_old_key_to_another_target_is_just_missing() -> None:
    old = "k0.renovations.com."
    ask = FakeServer(reply(old, "CNAME", (old, "CNAME", "example.net.")))
    verdict = classify(reply(RECORD, rcode=dns.rcode.NXDOMAIN), names(previous="k0"), ask)
    assert verdict.status == Verification.MISSING


def test_same_previous_key_is_ignored() -> None:
    assert names(previous="k1").old_record is None


@pytest.mark.parametrize(
    ("rcode", "aa", "words"),
    [
        (dns.rcode.REFUSED, True, "REFUSED"),
        (dns.rcode.SERVFAIL, True, "SERVFAIL"),
        (dns.rcode.NOTAUTH, True, "NOTAUTH"),
        (dns.rcode.NOTIMP, True, "NOTIMP"),
        (dns.rcode.NOERROR, False, "AA flag"),
        (dns.rcode.NXDOMAIN, False, "AA flag"),
    ],
)
def test_unreachable_when_not_an_authoritative_answer(rcode: int, aa: bool, words: str) -> None:
    got = reply(RECORD, "CNAME", (RECORD, "CNAME", "collabserv.com."), rcode=rcode, aa=aa)
    verdict = classify(got, names(), FakeServer())
    assert verdict.status == Verification.UNREACHABLE
    assert words in verdict.error
    assert authority_problem(got.message) == verdict.error  # type: ignore[arg-type]


def test_unreachable_on_timeout() -> None:
    verdict = classify(
        Reply(SERVER, None, "no answer within 3 s", transport_failure=True), names(), FakeServer()
    )
    assert (verdict.status, verdict.error) == (Verification.UNREACHABLE, "no answer within 3 s")


def test_follow_up_that_fails_does_not_invent_a_status() -> None:
    def silent(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Reply:
        return Reply(SERVER, None, "no answer", transport_failure=True)

    verdict = classify(reply(RECORD), names(previous="k0"), silent)
    assert verdict.status == Verification.MISSING


def test_names_for_a_subdomain() -> None:
    sub = names("west.renovations.com", "renovations.com", previous="k0")
    assert sub.alias == "k1.west"
    assert [n.to_text() for n in sub.doubled_records] == [
        "k1.west.renovations.com.west.renovations.com.",
        "k1.west.renovations.com.renovations.com.",
    ]
    assert sub.old_record == N("k0.west.renovations.com")
    assert len(names().doubled_records) == 1


def test_names_too_long_to_double_are_left_out() -> None:
    long_domain = ".".join(["a" * 60] * 2) + ".example"
    assert names(long_domain, long_domain).doubled_records == ()
