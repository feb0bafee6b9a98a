"""RFC 2136 with TSIG against knotd: the verification CNAME, bad keys, the MX switch.

Uses the shared session knotd (`knot_server`), each test under names of its own, so the
zone the other tests rely on is left as it was.
"""

from __future__ import annotations

import logging
import secrets

import dns.resolver
import dns.tsig
import dns.update
import pytest

from onboard_tui.dns import (
    DnsChecker,
    DnsUpdater,
    Mx,
    UpdateError,
    UpdateSettings,
    Verification,
    plan_mx_switch,
    read_back_mx,
    read_back_verification,
)
from onboard_tui.session.secrets import SecretRef

from .servers.knot import KnotServer

pytestmark = pytest.mark.integration

WRONG_SECRET = "d3JvbmcgIHNlY3JldCB3cm9uZyBzZWNyZXQ="


@pytest.fixture
def checker(knot_server: KnotServer) -> DnsChecker:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [knot_server.host]
    resolver.port = knot_server.port
    resolver.cache = None
    return DnsChecker(resolver=resolver, port=knot_server.port, timeout=2.0)


def settings_for(knot: KnotServer, **changes: object) -> UpdateSettings:
    values: dict[str, object] = {
        "server": knot.host,
        "port": knot.port,
        "key_name": knot.tsig_key_name,
        "algorithm": knot.tsig_algorithm,
        "secret": SecretRef.parse("env:ONBOARD_TSIG"),
    }
    values.update(changes)
    return UpdateSettings(**values)  # type: ignore[arg-type]


def updater_for(
    knot: KnotServer, checker: DnsChecker, secret: str | None = None, **changes: object
) -> DnsUpdater:
    environ = {"ONBOARD_TSIG": knot.tsig_secret if secret is None else secret}
    return DnsUpdater(settings_for(knot, **changes), checker=checker, environ=environ)


def fresh(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# -- the verification CNAME ------------------------------------------------------------


def test_create_read_back_and_remove(knot_server: KnotServer, checker: DnsChecker) -> None:
    key = fresh("ibm")
    updater = updater_for(knot_server, checker)
    created = updater.create_verification_record("renovations.com", key)
    assert created.signed and created.zone == "renovations.com"
    report = read_back_verification(checker, "renovations.com", key, settle=3)
    assert report.status == Verification.VERIFIED
    assert report.servers[0].server == "ns1.renovations.com"

    updater.remove_verification_record("renovations.com", key)
    gone = read_back_verification(checker, "renovations.com", key, present=False, settle=3)
    assert gone.status == Verification.MISSING


def test_create_replaces_a_wrong_target(knot_server: KnotServer, checker: DnsChecker) -> None:
    key = fresh("ibm")
    updater = updater_for(knot_server, checker)
    updater.create_verification_record("west.renovations.com", key, "collabserv.example")
    wrong = checker.check_domain("west.renovations.com", key)
    assert wrong.status == Verification.WRONG_TARGET
    updater.create_verification_record("west.renovations.com", key)
    right = read_back_verification(checker, "west.renovations.com", key, settle=3)
    assert right.status == Verification.VERIFIED
    updater.remove_verification_record("west.renovations.com", key)


def test_zone_found_without_settings(knot_server: KnotServer, checker: DnsChecker) -> None:
    """No server and no zone set: the zone from the resolver, the server from its SOA."""
    key = fresh("ibm")
    # The SOA names ns1.renovations.com, which the test resolver maps to 127.0.0.1.
    updater = updater_for(knot_server, checker, server="", port=knot_server.port)
    result = updater.create_verification_record("renovations.com", key)
    assert (result.server, result.address) == ("ns1.renovations.com", "127.0.0.1")
    updater.remove_verification_record("renovations.com", key)


# -- keys that do not work ------------------------------------------------------------


def test_wrong_secret_is_badsig_and_never_shown(
    knot_server: KnotServer, checker: DnsChecker, caplog: pytest.LogCaptureFixture
) -> None:
    key = fresh("ibm")
    caplog.set_level(logging.DEBUG)
    updater = updater_for(knot_server, checker, secret=WRONG_SECRET)
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("renovations.com", key)
    error = caught.value
    assert error.code == "BADSIG"
    assert "the secret is wrong" in error.message and "env:ONBOARD_TSIG" in error.hint
    for text in (str(error), repr(error), error.hint, caplog.text):
        assert WRONG_SECRET not in text and knot_server.tsig_secret not in text
    assert "the secret is wrong" in caplog.text  # the failure is logged, the secret is not
    nothing = checker.check_domain("renovations.com", key)
    assert nothing.status == Verification.MISSING


def test_unknown_key_is_badkey(knot_server: KnotServer, checker: DnsChecker) -> None:
    updater = updater_for(knot_server, checker, key_name="someone-else.")
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("renovations.com", fresh("ibm"))
    assert caught.value.code == "BADKEY"
    assert "does not know the TSIG key 'someone-else'" in caught.value.message


def test_wrong_algorithm_is_badkey(knot_server: KnotServer, checker: DnsChecker) -> None:
    updater = updater_for(knot_server, checker, algorithm="hmac-sha512")
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("renovations.com", fresh("ibm"))
    assert caught.value.code == "BADKEY"
    assert "hmac-sha512" in caught.value.message


def test_unsigned_update_is_refused(knot_server: KnotServer, checker: DnsChecker) -> None:
    updater = DnsUpdater(
        UpdateSettings(server=knot_server.host, port=knot_server.port), checker=checker
    )
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("renovations.com", fresh("ibm"))
    assert caught.value.code in {"NOTAUTH", "REFUSED"}  # knotd says NOTAUTH
    assert "unsigned updates" in caught.value.message or "refused" in caught.value.message


def test_name_outside_the_zone_is_notzone(knot_server: KnotServer, checker: DnsChecker) -> None:
    updater = updater_for(knot_server, checker, zone="renovations.com")
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("example.org", fresh("ibm"))
    assert caught.value.code == "NOTZONE"


def test_zone_the_server_does_not_serve(knot_server: KnotServer, checker: DnsChecker) -> None:
    updater = updater_for(knot_server, checker, zone="example.org")
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("example.org", fresh("ibm"))
    assert caught.value.code == "NOTAUTH"
    assert "not authoritative for example.org" in caught.value.message


def test_nothing_listening_is_unreachable(knot_server: KnotServer, checker: DnsChecker) -> None:
    updater = updater_for(knot_server, checker, port=1, zone="renovations.com")
    with pytest.raises(UpdateError) as caught:
        updater.create_verification_record("renovations.com", fresh("ibm"))
    assert caught.value.code in {"UNREACHABLE", "TIMEOUT"}


# -- the MX switch ------------------------------------------------------------------------


def _seed_mx(knot: KnotServer, domain: str, *records: str) -> None:
    """Give `domain` an MX set and the new SMTP host an address, straight through dnspython."""
    update = dns.update.UpdateMessage("renovations.com", keyring=knot.tsig_key())
    for record in records:
        update.add(f"{domain}.", 300, "MX", record)  # a name without a dot is relative
    update.replace(f"smtp.{domain}.", 300, "A", "192.0.2.30")
    update.replace(f"mail2.{domain}.", 300, "A", "192.0.2.26")
    reply = dns.query.tcp(update, knot.host, port=knot.port, timeout=5)
    assert reply.rcode() == 0


def test_mx_switch_read_back_and_undo(knot_server: KnotServer, checker: DnsChecker) -> None:
    domain = f"{fresh('mx')}.renovations.com"
    _seed_mx(knot_server, domain, "10 mail.renovations.com.", f"20 mail2.{domain}.")
    before = checker.check_mx(domain, expect=f"smtp.{domain}")
    assert before.status == Mx.NOT_SWITCHED
    plan = plan_mx_switch(before, f"smtp.{domain}")
    assert len(plan.delete) == 2  # every old MX goes

    updater = updater_for(knot_server, checker)
    updater.apply_mx_plan(plan)
    after = read_back_mx(checker, plan, settle=3)
    assert after.status == Mx.AS_EXPECTED
    assert after.servers[0].answer == f"10 smtp.{domain}."

    undo = plan.inverse()
    updater.apply_mx_plan(undo)
    restored = read_back_mx(checker, undo, settle=3)
    assert restored.current == before.current
    assert restored.status == Mx.OK


def test_mx_switch_refused_when_the_set_changed_meanwhile(
    knot_server: KnotServer, checker: DnsChecker
) -> None:
    domain = f"{fresh('mx')}.renovations.com"
    _seed_mx(knot_server, domain, "10 mail.renovations.com.")
    shown = checker.check_mx(domain)
    plan = plan_mx_switch(shown, f"smtp.{domain}")

    # Somebody else adds a backup MX between the check and the switch.
    _seed_mx(knot_server, domain, f"20 mail2.{domain}.")

    updater = updater_for(knot_server, checker)
    with pytest.raises(UpdateError) as caught:
        updater.apply_mx_plan(plan)
    assert caught.value.code == "NXRRSET"
    assert caught.value.prerequisite_failed
    assert "changed since they were shown" in caught.value.message

    now = checker.check_mx(domain)
    assert now.servers[0].answer == f"10 mail.renovations.com., 20 mail2.{domain}."


def test_mx_switch_for_a_domain_without_mx(knot_server: KnotServer, checker: DnsChecker) -> None:
    domain = f"{fresh('mx')}.renovations.com"
    _seed_mx(knot_server, domain)
    empty = checker.check_mx(domain)
    assert empty.status == Mx.NO_MX and empty.current == ()
    plan = plan_mx_switch(empty, f"smtp.{domain}")
    updater_for(knot_server, checker).apply_mx_plan(plan)
    assert read_back_mx(checker, plan, settle=3).status == Mx.AS_EXPECTED
    with pytest.raises(UpdateError) as caught:  # the set is no longer empty
        updater_for(knot_server, checker).apply_mx_plan(plan)
    assert caught.value.code == "YXRRSET"
