"""What a refused RFC 2136 update means, in words: one sentence and a hint per code."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UpdateError


@dataclass(frozen=True)
class UpdateContext:
    """What was sent where, for the sentences."""

    server: str
    zone: str
    key_name: str = ""
    algorithm: str = ""
    secret_ref: str = ""


def explain(code: str, ctx: UpdateContext) -> UpdateError:
    """The `UpdateError` for a DNS rcode or TSIG error word (`REFUSED`, `BADSIG`, ...)."""
    key = f"'{ctx.key_name.rstrip('.')}'" if ctx.key_name else "(no key)"
    secret = f" ({ctx.secret_ref})" if ctx.secret_ref else ""
    texts: dict[str, tuple[str, str]] = {
        "BADKEY": (
            f"{ctx.server} does not know the TSIG key {key} with algorithm {ctx.algorithm}.",
            "The key name and the algorithm must match the server's key definition exactly.",
        ),
        "BADSIG": (
            f"{ctx.server} knows the TSIG key {key}, but the signature does not match: "
            "the secret is wrong.",
            f"Check the secret{secret}: it must be the base64 text of the server's key.",
        ),
        "BADTIME": (
            f"{ctx.server} rejected the update's time stamp: this machine's clock and the "
            "server's differ by more than five minutes.",
            "Synchronise the clock (NTP) on this machine or on the server.",
        ),
        "BADTRUNC": (
            f"{ctx.server} rejected the truncated signature.",
            "Use a full-length HMAC for this key.",
        ),
        "REFUSED": (
            f"{ctx.server} refused the update to {ctx.zone}.",
            f"It does not allow updates with key {key} from this machine: ask for an update "
            "policy (BIND update-policy or allow-update, Knot acl with action: update).",
        ),
        "NOTAUTH": (
            f"{ctx.server} is not authoritative for {ctx.zone}, or does not accept "
            + (f"key {key} for it." if ctx.key_name else "unsigned updates for it."),
            "Send updates to the zone's primary server, check the zone name, and check that "
            "the server's access rules name this key.",
        ),
        "NOTZONE": (
            f"A name in the update is not inside the zone {ctx.zone}.",
            "Set the update zone to the zone that holds the domain.",
        ),
        "NXRRSET": (
            "The update was not applied: the records changed since they were shown.",
            "Check again, review the new records, then apply again.",
        ),
        "YXRRSET": (
            "The update was not applied: records exist that were expected to be absent.",
            "Check again, review the new records, then apply again.",
        ),
        "NXDOMAIN": (
            "The update was not applied: a name expected to exist does not.",
            "Check again, review the new records, then apply again.",
        ),
        "YXDOMAIN": (
            "The update was not applied: a name expected to be absent exists.",
            "Check again, review the new records, then apply again.",
        ),
        "SERVFAIL": (
            f"{ctx.server} failed while applying the update to {ctx.zone}.",
            "Look at the server's log; the zone may be read-only or signed elsewhere.",
        ),
        "NOTIMP": (
            f"{ctx.server} does not accept dynamic updates (RFC 2136).",
            "Create the records in your DNS host's management page instead.",
        ),
        "FORMERR": (
            f"{ctx.server} could not read the update.",
            "Check the zone and key settings; the server's log says more.",
        ),
        "UNSIGNED": (
            f"{ctx.server} answered without a TSIG signature, so its answer cannot be trusted.",
            "Check that the server has the key and that nothing between rewrites DNS.",
        ),
        "TIMEOUT": (
            f"{ctx.server} did not answer the update in time.",
            "Check the server address and port and that TCP to it is allowed.",
        ),
        "UNREACHABLE": (
            f"{ctx.server} cannot be reached.",
            "Check the server address and port and that TCP to it is allowed.",
        ),
    }
    message, hint = texts.get(
        code,
        (f"{ctx.server} did not apply the update ({code}).", "The server's log says more."),
    )
    return UpdateError(message, hint=hint, code=code)
