"""Salted PBKDF2 password hashes: the sandbox keeps these, never the password."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

ITERATIONS = 200_000
_ALGORITHM = "pbkdf2_sha256"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    """`pbkdf2_sha256$<iterations>$<salt>$<hash>`; the iteration count travels with it."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{_ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        candidate = hashlib.pbkdf2_hmac(
            "sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations)
        )
    except ValueError:
        return False
    return algorithm == _ALGORITHM and hmac.compare_digest(candidate, expected)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend as long as a real check, so an unknown logon name is not told apart by timing."""
    verify_password(password, _dummy_hash())
