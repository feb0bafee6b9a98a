"""`check-domain` and `check-mx` against a real knotd: the documented JSON and exit codes."""

from __future__ import annotations

import json
import secrets

import dns.query
import dns.update
from click.testing import CliRunner, Result

from onboard_tui.cli import main

from .servers.knot import KnotServer


def cli(knot: KnotServer, *args: str, servers: str = "") -> Result:
    """Ask `servers` (default knotd); knotd also stands in for this machine's resolver."""
    ns = f"{knot.host}:{knot.port}"
    extra = ["--nameserver", servers or ns, "--resolver", ns, "--no-system-resolver"]
    result = CliRunner().invoke(main, [*args, *extra])
    assert "Traceback" not in result.output
    return result


def update(knot: KnotServer, *records: tuple[str, str, str]) -> None:
    message = dns.update.UpdateMessage("renovations.com", keyring=knot.tsig_key())
    for owner, rdtype, value in records:
        message.add(owner, 300, rdtype, value)
    assert dns.query.tcp(message, knot.host, port=knot.port, timeout=5).rcode() == 0


def test_check_domain_verified_then_missing(knot_server: KnotServer) -> None:
    key = f"domino-{secrets.token_hex(4)}-rules"
    update(knot_server, (key, "CNAME", "collabserv.com."))
    ok = cli(knot_server, "check-domain", "renovations.com", "--key", key)
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("renovations.com: verified")

    other = f"domino-{secrets.token_hex(4)}-rules"
    missing = cli(knot_server, "check-domain", "renovations.com", "--key", other, "--json")
    assert missing.exit_code == 1
    report = json.loads(missing.output)
    assert set(report) == {"domain", "status", "message", "servers", "warnings"}
    assert report["status"] == "missing"
    assert report["servers"][0]["address"] == knot_server.host
    assert set(report["servers"][0]) == {"server", "address", "status", "answer", "error"}


def test_check_domain_wrong_target(knot_server: KnotServer) -> None:
    key = f"domino-{secrets.token_hex(4)}-rules"
    update(knot_server, (key, "CNAME", "collabserv.net."))
    result = cli(knot_server, "check-domain", "renovations.com", "--key", key, "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["status"] == "wrong_target"


def test_check_mx_as_expected_and_not(knot_server: KnotServer) -> None:
    # A name of its own, so other tests' view of the shared zone stays as it was.
    domain = f"mx{secrets.token_hex(3)}.renovations.com"
    update(
        knot_server,
        (domain + ".", "MX", f"10 mail.{domain}."),
        (f"mail.{domain}.", "A", "127.0.0.25"),
    )
    same = cli(knot_server, "check-mx", domain, "--expect", f"mail.{domain}")
    assert same.exit_code == 0, same.output
    other = cli(
        knot_server, "check-mx", domain, "--expect", "smtp.notes.na.collabserv.com", "--json"
    )
    assert other.exit_code == 1
    assert json.loads(other.output)["status"] == "not_switched"

    lame = f"lame{secrets.token_hex(3)}.renovations.com"
    update(knot_server, (lame + ".", "MX", f"10 nowhere.{lame}."))
    bare = cli(knot_server, "check-mx", lame, "--json")
    assert bare.exit_code == 1
    report = json.loads(bare.output)
    assert report["status"] == "problems" and "has no address" in report["message"]


def test_bad_arguments_and_a_silent_server_exit_2(knot_server: KnotServer) -> None:
    bad = cli(knot_server, "check-domain", "bad domain!", "--key", "k")
    assert bad.exit_code == 2 and "contains a space" in bad.stderr
    silent = cli(
        knot_server, "check-mx", "renovations.com", "--timeout", "0.3", servers="127.0.0.1:9"
    )
    assert silent.exit_code == 2 and "unreachable" in silent.output
