"""DNS answers the servers should not send, and the verdicts made of them.

Properties: the verification and MX logic fed with arbitrary answer sets (any rcode and
flags, several records, random and non-ASCII CNAME targets, any TTL) gives each server a
known status and the domain one sentence; a real UDP server on 127.0.0.1 that answers
garbage, cut-short or wrong-id replies gives `check-domain --nameserver` and `check-mx`
a per-server verdict sentence and exit code 1 or 2, never a traceback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from onboard_tui.cli import main
from onboard_tui.dns.mx import mx_overall, mx_problems, read_mx, server_status
from onboard_tui.dns.nameservers import Server
from onboard_tui.dns.report import MxTarget, ServerResult
from onboard_tui.dns.statuses import Mx, Verification
from onboard_tui.dns.transport import Reply
from onboard_tui.dns.verdict import verification_overall
from onboard_tui.dns.verification import VerificationNames, classify

from .settings import examples

DOMAIN = dns.name.from_text("renovations.com")
NAMES = VerificationNames(
    domain=DOMAIN,
    zone=DOMAIN,
    key=dns.name.Name([b"domino-1jkkiaojd-rules"]),
    target=dns.name.from_text("collabserv.com"),
    previous_key=dns.name.Name([b"old-key"]),
)
SERVER = Server("ns1.renovations.com", "127.0.0.1", 53)

labels = st.one_of(
    st.binary(min_size=1, max_size=12),
    st.sampled_from([b"collabserv", b"com", b"renovations", b"*", b"xn--bcher-kva", b"\xc3\xa9"]),
)
names = st.one_of(
    st.lists(labels, min_size=0, max_size=4).map(lambda ls: dns.name.Name([*ls, b""])),
    st.sampled_from(
        [
            NAMES.target,
            NAMES.record,
            dns.name.from_text("collabserv.com.renovations.com"),
            dns.name.from_text("domino-1jkkiaojd-rules.renovations.com.renovations.com"),
            dns.name.root,
        ]
    ),
)
rdtypes = st.sampled_from(
    [dns.rdatatype.CNAME, dns.rdatatype.TXT, dns.rdatatype.A, dns.rdatatype.MX]
)


def rdata_for(rdtype: dns.rdatatype.RdataType, target: dns.name.Name, n: int) -> dns.rdata.Rdata:
    text = {
        dns.rdatatype.CNAME: target.to_text(),
        dns.rdatatype.TXT: f'"v={n} \\255"',
        dns.rdatatype.A: f"192.0.2.{n % 256}",
        dns.rdatatype.MX: f"{n % 65536} {target.to_text()}",
    }[rdtype]
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)


@st.composite
def messages(draw: st.DrawFn, owner: dns.name.Name) -> dns.message.Message:
    msg = dns.message.Message(id=draw(st.integers(0, 65535)))
    msg.flags = dns.flags.QR | (dns.flags.AA if draw(st.integers(0, 4)) else 0)
    msg.set_rcode(draw(st.sampled_from(list(dns.rcode.Rcode))))
    for _ in range(draw(st.integers(0, 3))):
        rdtype = draw(rdtypes)
        where = owner if draw(st.booleans()) else draw(names)
        rrset = dns.rrset.RRset(where, dns.rdataclass.IN, rdtype)
        for n in range(draw(st.integers(1, 3))):
            rrset.add(rdata_for(rdtype, draw(names), n))
        rrset.update_ttl(draw(st.sampled_from([0, 1, 300, 2**31 - 1, 2**32 - 1])))
        msg.answer.append(rrset)
    return msg


def replies(owner: dns.name.Name) -> st.SearchStrategy[Reply]:
    return st.one_of(
        messages(owner).map(lambda m: Reply(SERVER, m)),
        st.sampled_from(
            ["no answer within 3 s", "cannot be reached: connection refused", "sent a reply"]
        ).map(lambda e: Reply(SERVER, None, e, transport_failure=True)),
    )


def assert_sentence(text: str) -> None:
    assert text.strip() and "Traceback" not in text
    assert text.rstrip().endswith((".", ")")), text


@examples(200)
@given(
    first=st.lists(replies(NAMES.record), min_size=1, max_size=4),
    follow=st.data(),
)
def test_verification_verdict_from_arbitrary_answers(first: list[Reply], follow: st.DataObject):
    results = []
    for n, reply in enumerate(first):

        def ask(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Reply:
            return follow.draw(replies(qname))

        verdict = classify(reply, NAMES, ask)
        assert verdict.status in set(Verification)
        results.append(
            ServerResult(
                f"ns{n}.renovations.com",
                f"127.0.0.{n + 1}",
                verdict.status,
                verdict.answer,
                verdict.error,
                detail=verdict.detail,
                transport_failure=reply.message is None,
            )
        )
    overall = verification_overall(results, NAMES)
    assert overall.status in set(Verification)
    assert_sentence(overall.message)
    assert 0 <= overall.agreeing <= overall.total == len(results)


@examples(200)
@given(
    answers=st.lists(replies(DOMAIN), min_size=1, max_size=4),
    expect=st.sampled_from(["", "smtp.notes.na.collabserv.com.", "."]),
    targets=st.lists(
        st.builds(
            MxTarget,
            st.sampled_from(["mx1.renovations.com.", "\\195\\169.example."]),
            st.lists(st.sampled_from(["192.0.2.1", "2001:db8::1"]), max_size=2).map(tuple),
            st.sampled_from(["", "real.example."]),
            st.sampled_from(["", "address lookup failed: SERVFAIL"]),
        ),
        max_size=3,
    ),
)
def test_mx_verdict_from_arbitrary_answers(
    answers: list[Reply], expect: str, targets: list[MxTarget]
) -> None:
    read = [read_mx(reply, DOMAIN) for reply in answers]
    results = [
        ServerResult(f"ns{n}", f"127.0.0.{n + 1}", server_status(mx.records, expect), mx.answer)
        for n, mx in enumerate(read)
    ]
    sets = [mx.records for mx in read]
    up = [(r.server, s) for r, s in zip(results, sets, strict=True) if s is not None]
    problems = mx_problems(up, targets)
    for problem in problems:
        assert_sentence(problem.message)
    overall = mx_overall(results, sets, problems, DOMAIN, expect)
    assert overall.status in set(Mx)
    assert_sentence(overall.message)


# --- a real UDP server on 127.0.0.1 that answers badly --------------------------------------


class BadServer:
    """Answers every query with `make(query bytes)`; None means stay silent."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.payload: bytes = b""
        self.mode = "garbage"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def answer(self, query: bytes) -> bytes | None:
        if self.mode == "garbage":
            return self.payload
        request = dns.message.from_wire(query)
        reply = dns.message.make_response(request)
        reply.flags |= dns.flags.AA
        question = request.question[0].name
        rrset = reply.find_rrset(
            reply.answer, question, dns.rdataclass.IN, dns.rdatatype.CNAME, create=True
        )
        rrset.add(dns.rdata.from_text("IN", "CNAME", "collabserv.com."), 300)
        wire = reply.to_wire()
        if self.mode == "truncated":
            return wire[: len(self.payload) % max(1, len(wire))]
        if self.mode == "wrong_id":
            return bytes([wire[0] ^ 0xFF]) + wire[1:]
        return wire + self.payload  # "trailing": junk after a good reply

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            try:
                data = self.answer(query)
            except Exception:  # a query we cannot parse: stay silent
                data = None
            if data is not None:
                self.sock.sendto(data, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def bad_server() -> Iterator[BadServer]:
    server = BadServer()
    yield server
    server.close()


def run_cli(server: BadServer, *args: str) -> tuple[int, str]:
    ns = f"127.0.0.1:{server.port}"
    extra = ["--nameserver", ns, "--resolver", ns, "--no-system-resolver", "--timeout", "0.3"]
    result = CliRunner().invoke(main, [*args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@examples(25)
@given(
    mode=st.sampled_from(["garbage", "truncated", "wrong_id", "trailing"]),
    payload=st.binary(max_size=64),
    command=st.sampled_from(["check-domain", "check-mx"]),
)
def test_malformed_wire_answers_get_a_verdict_sentence(
    bad_server: BadServer, mode: str, payload: bytes, command: str
) -> None:
    bad_server.mode, bad_server.payload = mode, payload
    if command == "check-domain":
        code, output = run_cli(
            bad_server, "check-domain", "renovations.com", "--key", "domino-1jkkiaojd-rules"
        )
    else:
        code, output = run_cli(bad_server, "check-mx", "renovations.com")
    assert code in (0, 1, 2), output
    assert output.strip(), "no sentence at all"
    if mode != "trailing" or payload:  # every bad reply is named with its server
        assert f"127.0.0.1:{bad_server.port}" in output, output
