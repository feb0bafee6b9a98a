"""The status words of the JSON output and the UI, what each asks of the admin, exit codes."""

from __future__ import annotations

from enum import StrEnum


class Verification(StrEnum):
    """How the verification CNAME looks, per server and for the domain as a whole."""

    VERIFIED = "verified"
    PROPAGATING = "propagating"
    MISSING = "missing"
    WRONG_TARGET = "wrong_target"
    DOUBLED_NAME = "doubled_name"
    DOUBLED_TARGET = "doubled_target"
    WRONG_TYPE = "wrong_type"
    OLD_KEY = "old_key"
    UNREACHABLE = "unreachable"


class Mx(StrEnum):
    """How the domain's MX set looks, per server and as a whole."""

    OK = "ok"  # no host expected: the servers agree and nothing is wrong
    AS_EXPECTED = "as_expected"  # every server lists only the expected host
    PROPAGATING = "propagating"
    NOT_SWITCHED = "not_switched"
    DISAGREE = "disagree"
    NO_MX = "no_mx"
    PROBLEMS = "problems"
    UNREACHABLE = "unreachable"


#: One sentence per status saying what to do, for places that show the word alone.
ADVICE: dict[str, str] = {
    Verification.VERIFIED: "Nothing to do: once the service has verified the domain, "
    "you may remove the CNAME record.",
    Verification.PROPAGATING: "Wait: some name servers have the record and the others will "
    "catch up; do not restart verification.",
    Verification.MISSING: "Create the CNAME record with the key as alias/prefix and the "
    "target as destination/target host.",
    Verification.WRONG_TARGET: "Change the record's destination/target host to the target "
    "shown, keep the key as it is.",
    Verification.DOUBLED_NAME: "Your DNS host adds the domain itself: enter only the key "
    "in the alias/prefix field.",
    Verification.DOUBLED_TARGET: "Your DNS host added the domain to the target: enter the "
    "target with a final dot, or as your host's help says for external names.",
    Verification.WRONG_TYPE: "Delete the record of the wrong type and create a CNAME record "
    "instead.",
    Verification.OLD_KEY: "Replace the previous key with the current one in the record, "
    "then wait; do not restart verification.",
    Verification.UNREACHABLE: "Check that the name server named is running and serves the "
    "zone, or name the servers to check yourself.",
    Mx.OK: "Nothing to fix in the current MX set.",
    Mx.AS_EXPECTED: "Nothing to do: every name server sends mail to the new service.",
    Mx.PROPAGATING: "Wait: some name servers list the new MX and the others will catch up.",
    Mx.NOT_SWITCHED: "Delete every old MX record and add the new one (or apply the switch).",
    Mx.DISAGREE: "Wait until the name servers agree before changing the MX records.",
    Mx.NO_MX: "Add an MX record pointing to the SMTP host for your geography.",
    Mx.PROBLEMS: "Fix the problems listed before switching the MX records.",
    Mx.UNREACHABLE: "Check that the name server named is running and serves the zone, or "
    "name the servers to check yourself.",
}

_DONE = {Verification.VERIFIED.value, Mx.OK.value, Mx.AS_EXPECTED.value}
_ERROR = {Verification.UNREACHABLE.value, Mx.UNREACHABLE.value}

EXIT_OK = 0
EXIT_NOT_YET = 1
EXIT_ERROR = 2


def exit_code(status: str) -> int:
    """0 when verified / as expected, 1 when not yet, 2 when the check itself failed."""
    if status in _DONE:
        return EXIT_OK
    if status in _ERROR:
        return EXIT_ERROR
    return EXIT_NOT_YET
