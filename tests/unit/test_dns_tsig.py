"""TSIG keys from secret references, and refused updates explained in words."""

from __future__ import annotations

import base64

import dns.exception
import dns.message
import dns.rcode
import dns.tsig
import dns.update
import pytest

from onboard_tui.dns.checker import DnsChecker
from onboard_tui.dns.errors import DnsInputError, UpdateError
from onboard_tui.dns.tsig import UpdateSettings, make_key, parse_algorithm
from onboard_tui.dns.update_errors import UpdateContext, explain
from onboard_tui.dns.updater import DnsUpdater, _unreadable
from onboard_tui.session.secrets import Secret, SecretRef

SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
CTX = UpdateContext(
    "ns1 (192.0.2.53)", "renovations.com", "onboard-update.", "hmac-sha256", "env:TSIG"
)


def settings(**changes: object) -> UpdateSettings:
    values: dict[str, object] = {
        "server": "192.0.2.53",
        "key_name": "onboard-update.",
        "secret": SecretRef.parse("env:TSIG"),
    }
    values.update(changes)
    return UpdateSettings(**values)  # type: ignore[arg-type]


def test_algorithm_is_explicit_and_checked() -> None:
    assert UpdateSettings().algorithm == "hmac-sha256"
    assert parse_algorithm("HMAC-SHA512.") == "hmac-sha512"
    with pytest.raises(DnsInputError, match="not a TSIG algorithm"):
        parse_algorithm("sha256")


def test_key_from_secret() -> None:
    key = make_key(settings(algorithm="hmac-sha384"), Secret(SECRET))
    assert key.name == dns.name.from_text("onboard-update.")
    assert key.algorithm == dns.tsig.HMAC_SHA384
    assert SECRET not in repr(key) and SECRET not in str(key)


@pytest.mark.parametrize("bad", ["not base64 at all!", "c2VjcmV0=x"])
def test_bad_secret_never_appears_in_the_error(bad: str) -> None:
    with pytest.raises(DnsInputError) as caught:
        make_key(settings(), Secret(bad))
    text = f"{caught.value} {caught.value.hint} {caught.value!r}"
    assert bad not in text
    assert "env:TSIG" in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_updater_needs_a_secret_reference_for_a_key() -> None:
    with pytest.raises(DnsInputError, match="no secret reference"):
        DnsUpdater(settings(secret=None), checker=DnsChecker())
    with pytest.raises(DnsInputError, match="algorithm"):
        DnsUpdater(settings(algorithm="rot13"), checker=DnsChecker())


def test_updater_reads_the_secret_only_from_its_reference() -> None:
    updater = DnsUpdater(settings(), checker=DnsChecker(), environ={"TSIG": SECRET})
    key = updater._key()
    assert key is not None and key.secret == base64.b64decode(SECRET)
    missing = DnsUpdater(settings(), checker=DnsChecker(), environ={})
    with pytest.raises(Exception, match="TSIG is not set"):
        missing._key()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("BADKEY", "does not know the TSIG key 'onboard-update' with algorithm hmac-sha256"),
        ("BADSIG", "the secret is wrong"),
        ("BADTIME", "clock"),
        ("REFUSED", "refused the update to renovations.com"),
        ("NOTAUTH", "not authoritative for renovations.com"),
        ("NOTZONE", "not inside the zone renovations.com"),
        ("NXRRSET", "changed since they were shown"),
        ("SERVFAIL", "failed while applying"),
        ("NOTIMP", "does not accept dynamic updates"),
        ("TIMEOUT", "did not answer"),
        ("UNSIGNED", "without a TSIG signature"),
        ("WEIRD", "did not apply the update (WEIRD)"),
    ],
)
def test_every_refusal_is_explained(code: str, words: str) -> None:
    error = explain(code, CTX)
    assert isinstance(error, UpdateError)
    assert error.code == code
    assert words in error.message
    assert error.hint


def test_bad_signature_hint_names_the_reference_not_the_secret() -> None:
    assert "env:TSIG" in explain("BADSIG", CTX).hint


def test_prerequisite_failures_are_flagged() -> None:
    assert explain("NXRRSET", CTX).prerequisite_failed
    assert explain("YXRRSET", CTX).prerequisite_failed
    assert not explain("REFUSED", CTX).prerequisite_failed


def _signed_update() -> dns.update.UpdateMessage:
    update = dns.update.UpdateMessage(
        "renovations.com", keyring=dns.tsig.Key("onboard-update.", SECRET, "hmac-sha256")
    )
    update.to_wire()
    return update


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (dns.tsig.PeerBadKey(), "BADKEY"),
        (dns.tsig.PeerBadSignature(), "BADSIG"),
        (dns.tsig.PeerBadTime(), "BADTIME"),
    ],
)
def test_tsig_errors_map_to_words(exc: Exception, code: str) -> None:
    error = _unreadable(exc, b"", _signed_update(), CTX)
    assert isinstance(error, UpdateError) and error.code == code


@pytest.mark.parametrize(
    ("rcode", "code"),
    [
        (dns.rcode.NOTAUTH, "NOTAUTH"),
        (dns.rcode.REFUSED, "REFUSED"),
        (dns.rcode.NOERROR, "UNSIGNED"),
    ],
)
def test_unsigned_reply_to_a_signed_update(rcode: int, code: str) -> None:
    update = _signed_update()
    reply = dns.message.make_response(dns.message.make_query("renovations.com", "SOA"))
    reply.set_rcode(dns.rcode.Rcode(rcode))
    error = _unreadable(dns.exception.FormError("requires a TSIG"), reply.to_wire(), update, CTX)
    assert isinstance(error, UpdateError) and error.code == code
