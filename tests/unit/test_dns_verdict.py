"""The domain's one status from its servers', the sentences, the JSON shape, exit codes."""

from __future__ import annotations

import json

import dns.name
import pytest

from onboard_tui.dns.checker import _resolver_warning
from onboard_tui.dns.report import ServerResult, VerificationReport
from onboard_tui.dns.statuses import ADVICE, Mx, Verification, exit_code
from onboard_tui.dns.verdict import discount_ipv6, verification_overall
from onboard_tui.dns.verification import VerificationNames

V = Verification
NAMES = VerificationNames(
    domain=dns.name.from_text("renovations.com"),
    zone=dns.name.from_text("renovations.com"),
    key=dns.name.Name([b"k1"]),
    target=dns.name.from_text("collabserv.com"),
)


def server(
    i: int, status: str, *, answer: str = "", error: str = "", detail: str = "", address: str = ""
) -> ServerResult:
    return ServerResult(
        f"ns{i}.renovations.com",
        address or f"192.0.2.{i}",
        status,
        answer=answer,
        error=error,
        detail=detail,
        transport_failure=bool(error),
    )


def test_verified_when_every_server_has_it() -> None:
    overall = verification_overall([server(1, V.VERIFIED), server(2, V.VERIFIED)], NAMES)
    assert (overall.status, overall.agreeing, overall.total) == (V.VERIFIED, 2, 2)
    assert "Every authoritative name server (2)" in overall.message
    assert "remove" in overall.message


def test_propagating_says_k_of_n() -> None:
    results = [
        server(1, V.VERIFIED),
        server(2, V.MISSING),
        server(3, V.VERIFIED),
        server(4, V.MISSING),
    ]
    overall = verification_overall(results, NAMES)
    assert overall.status == V.PROPAGATING
    assert overall.message.startswith("2 of 4 authoritative name servers")
    assert "do not restart" in overall.message
    assert (overall.agreeing, overall.total) == (2, 4)


def test_propagating_with_a_silent_server_warns_about_it() -> None:
    results = [
        server(1, V.VERIFIED),
        server(2, V.MISSING),
        server(3, V.UNREACHABLE, error="no answer within 3 s"),
    ]
    overall = verification_overall(results, NAMES)
    assert overall.status == V.PROPAGATING
    assert any(
        "ns3.renovations.com (192.0.2.3) no answer within 3 s" in w for w in overall.warnings
    )


def test_unreachable_when_the_rest_is_good() -> None:
    results = [server(1, V.VERIFIED), server(2, V.UNREACHABLE, error="no answer within 3 s")]
    overall = verification_overall(results, NAMES)
    assert overall.status == V.UNREACHABLE
    assert overall.message.startswith(
        "1 of 2 name servers answer correctly, but ns2.renovations.com (192.0.2.2)"
    )


def test_unreachable_when_nobody_answers() -> None:
    results = [server(1, V.UNREACHABLE, error="refused the query (REFUSED)")]
    overall = verification_overall(results, NAMES)
    assert overall.status == V.UNREACHABLE
    assert "ns1.renovations.com (192.0.2.1) refused the query (REFUSED)" in overall.message
    assert verification_overall([], NAMES).status == V.UNREACHABLE


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([V.MISSING, V.DOUBLED_NAME], V.DOUBLED_NAME),
        ([V.MISSING, V.DOUBLED_TARGET], V.DOUBLED_TARGET),
        ([V.WRONG_TARGET, V.MISSING], V.WRONG_TARGET),
        ([V.WRONG_TYPE, V.MISSING], V.WRONG_TYPE),
        ([V.OLD_KEY, V.MISSING], V.OLD_KEY),
        ([V.MISSING, V.MISSING], V.MISSING),
        ([V.MISSING, V.UNREACHABLE], V.MISSING),
    ],
)
def test_most_telling_mistake_wins(statuses: list[Verification], expected: Verification) -> None:
    results = [
        server(i, s, answer=s.value, error="x" if s == V.UNREACHABLE else "")
        for i, s in enumerate(statuses, 1)
    ]
    overall = verification_overall(results, NAMES)
    assert overall.status == expected
    assert overall.agreeing == 0


@pytest.mark.parametrize(
    ("status", "detail", "words"),
    [
        (
            V.MISSING,
            "",
            "create one with alias/prefix k1 and destination/target host collabserv.com",
        ),
        (V.WRONG_TARGET, "example.net.", "is a CNAME to example.net, not collabserv.com"),
        (
            V.DOUBLED_NAME,
            "k1.renovations.com.renovations.com.",
            "enter only k1 in the alias/prefix field",
        ),
        (
            V.DOUBLED_TARGET,
            "collabserv.com.renovations.com.",
            'enter "collabserv.com." (with a final dot)',
        ),
        (V.WRONG_TYPE, "TXT", "has a TXT record instead of a CNAME"),
        (V.OLD_KEY, "k0.renovations.com.", "previous key (k0.renovations.com)"),
    ],
)
def test_each_mistake_says_what_to_do(status: Verification, detail: str, words: str) -> None:
    overall = verification_overall([server(1, status, detail=detail)], NAMES)
    assert overall.status == status
    assert words in overall.message
    assert overall.message.count(". ") == 0  # one sentence


def test_disagreeing_mistakes_are_warned_about() -> None:
    results = [
        server(1, V.WRONG_TARGET, answer="CNAME a.example."),
        server(2, V.MISSING, answer="NXDOMAIN"),
    ]
    overall = verification_overall(results, NAMES)
    assert overall.warnings and "disagree" in overall.warnings[0]


def test_unreachable_ipv6_is_not_counted_when_ipv4_answers() -> None:
    results = [
        server(1, V.VERIFIED),
        server(
            1,
            V.UNREACHABLE,
            error="cannot be reached: network is unreachable",
            address="2001:db8::1",
        ),
        server(2, V.VERIFIED),
    ]
    kept, warnings = discount_ipv6(results)
    assert [r.counted for r in kept] == [True, False, True]
    assert "IPv6" in warnings[0]
    assert verification_overall(kept, NAMES).status == V.VERIFIED


def test_unreachable_ipv6_counts_when_the_server_is_down_everywhere() -> None:
    results = [
        server(1, V.UNREACHABLE, error="no answer", address="2001:db8::1"),
        server(2, V.VERIFIED),
    ]
    kept, warnings = discount_ipv6(results)
    assert all(r.counted for r in kept) and not warnings


def test_json_has_exactly_the_documented_shape() -> None:
    report = VerificationReport(
        domain="renovations.com",
        status=V.PROPAGATING,
        message="1 of 2 ...",
        servers=(
            server(1, V.VERIFIED, answer="CNAME collabserv.com."),
            server(2, V.MISSING, answer="NXDOMAIN"),
        ),
        warnings=("w",),
        key="k1",
        record="k1.renovations.com",
        target="collabserv.com",
    )
    data = json.loads(json.dumps(report.to_json()))
    assert list(data) == ["domain", "status", "message", "servers", "warnings"]
    assert data["status"] == "propagating"
    assert data["servers"][0] == {
        "server": "ns1.renovations.com",
        "address": "192.0.2.1",
        "status": "verified",
        "answer": "CNAME collabserv.com.",
        "error": "",
    }
    assert data["warnings"] == ["w"]
    assert report.exit_code == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (V.VERIFIED, 0),
        (Mx.AS_EXPECTED, 0),
        (Mx.OK, 0),
        (V.PROPAGATING, 1),
        (V.MISSING, 1),
        (V.WRONG_TARGET, 1),
        (V.DOUBLED_NAME, 1),
        (V.DOUBLED_TARGET, 1),
        (V.WRONG_TYPE, 1),
        (V.OLD_KEY, 1),
        (Mx.NOT_SWITCHED, 1),
        (Mx.PROBLEMS, 1),
        (V.UNREACHABLE, 2),
        (Mx.UNREACHABLE, 2),
    ],
)
def test_exit_codes(status: str, code: int) -> None:
    assert exit_code(status) == code


def test_every_status_word_has_advice() -> None:
    words = {s.value for s in Verification} | {s.value for s in Mx}
    assert words <= set(ADVICE)
    assert {s.value for s in Verification} == {
        "verified", "propagating", "missing", "wrong_target", "doubled_name",
        "doubled_target", "wrong_type", "old_key", "unreachable",
    }  # fmt: skip


def test_system_resolver_view_is_reported_apart() -> None:
    stale = ServerResult("system resolver", "127.0.0.53", V.MISSING, "NXDOMAIN")
    assert "caching" in _resolver_warning(stale, V.VERIFIED)[0]
    assert _resolver_warning(stale, V.DOUBLED_NAME) == []  # it cannot see the doubled name
    assert _resolver_warning(stale, V.PROPAGATING) == []
    down = ServerResult(
        "system resolver", "127.0.0.53", V.UNREACHABLE, error="did not answer in time"
    )
    assert _resolver_warning(down, V.VERIFIED) == [
        "The system resolver (127.0.0.53) did not answer in time."
    ]
