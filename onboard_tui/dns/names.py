"""Domain names as the admin types them, turned into dnspython `Name` objects.

Everything is compared as `Name` (case and the final dot do not matter); internationalised
domains go through IDNA 2008 with UTS 46 mapping, so `bücher.example` and
`xn--bcher-kva.example` are the same domain.
"""

from __future__ import annotations

import re

import dns.exception
import dns.name

from .errors import DnsInputError

IDNA = dns.name.IDNA_2008

# ASCII: with Unicode case folding "İ" and "K" (Kelvin) would match [a-z].
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$", re.IGNORECASE | re.ASCII)


def parse_domain(text: str, *, what: str = "domain", min_labels: int = 2) -> dns.name.Name:
    """An absolute `Name` from what was typed, or a `DnsInputError` saying what is wrong."""
    raw = text.strip()
    if raw.endswith(".") and not raw.endswith(".."):
        raw = raw[:-1]
    if not raw:
        raise DnsInputError(f"The {what} is empty.", hint="Type a name such as renovations.com.")
    if "://" in raw or "/" in raw:
        raise DnsInputError(
            f"'{raw}' is a web address, not a {what}.",
            hint="Type only the name, such as renovations.com.",
        )
    if "@" in raw:
        raise DnsInputError(
            f"'{raw}' is an email address, not a {what}.",
            hint=f"Type only the part after @: {raw.rpartition('@')[2]}.",
        )
    if any(ch.isspace() for ch in raw):
        raise DnsInputError(f"The {what} '{raw}' contains a space.")
    try:
        name = dns.name.from_unicode(raw, idna_codec=IDNA)
    except dns.name.IDNAException as exc:
        raise DnsInputError(
            f"'{raw}' is not a valid internationalised {what}.", hint=_idna_hint(exc)
        ) from None
    except dns.exception.DNSException:
        raise DnsInputError(
            f"'{raw}' is not a valid {what}.",
            hint="Use letters, digits and hyphens, labels of at most 63 characters "
            "separated by dots.",
        ) from None
    labels = [label.decode("ascii", "replace") for label in name.labels[:-1]]
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        raise DnsInputError(
            f"'{raw}' is not a valid {what}: the part '{bad[0]}' has characters a domain "
            "cannot contain.",
            hint="Use letters, digits and hyphens (not at the start or end of a part).",
        )
    if len(labels) < min_labels:
        raise DnsInputError(
            f"'{raw}' is not a full {what}.", hint="Type the whole name, such as renovations.com."
        )
    return name.canonicalize()


def parse_host(text: str, *, what: str = "host name") -> dns.name.Name:
    """A host name such as an MX target or a CNAME target (one label is enough)."""
    return parse_domain(text, what=what, min_labels=1)


def parse_key(text: str) -> dns.name.Name:
    """The verification key: one label, relative (`domino-1jkkiaojd-rules`)."""
    raw = text.strip()
    if not raw:
        raise DnsInputError("The verification key is empty.")
    if "." in raw:
        raise DnsInputError(
            f"The key '{raw}' contains a dot.",
            hint="The key is one word such as domino-1jkkiaojd-rules, without the domain.",
        )
    if not _LABEL.match(raw):
        raise DnsInputError(
            f"The key '{raw}' has characters a DNS label cannot contain.",
            hint="Copy the key exactly as the Internet Domain Verification window shows it.",
        )
    return dns.name.Name([raw.lower().encode("ascii")])


def under(label: dns.name.Name, parent: dns.name.Name) -> dns.name.Name:
    """`label.parent`, where `label` may be relative or absolute (its root is dropped)."""
    labels = label.labels[:-1] if label.is_absolute() else label.labels
    return dns.name.Name(labels).concatenate(parent)


def show(name: dns.name.Name) -> str:
    """A name as a person reads it: Unicode, without the final dot."""
    if name == dns.name.root:
        return "."
    try:
        return name.to_unicode(omit_final_dot=True, idna_codec=IDNA)
    except dns.exception.DNSException:
        return name.to_text(omit_final_dot=True)


def ascii_text(name: dns.name.Name) -> str:
    """A name as a zone file wants it: ASCII (A-labels), with the final dot."""
    return name.to_text()


def relative_text(name: dns.name.Name, origin: dns.name.Name) -> str:
    """`name` relative to `origin` as ASCII (`key.west` under `renovations.com`), else absolute."""
    if name.is_subdomain(origin) and name != origin:
        return name.relativize(origin).to_text()
    return name.to_text()


def _idna_hint(exc: Exception) -> str:
    detail = str(exc).strip()
    return f"Check the spelling ({detail})." if detail else "Check the spelling."
