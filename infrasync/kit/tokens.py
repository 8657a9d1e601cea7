"""Random tokens, their stored hashes, and HMAC signatures — all compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits: beyond guessing, and beyond the 128 bits invites must have


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps. A fast hash suffices: the tokens carry 256 random bits,
    so there is nothing for a slow hash to protect against."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, purpose: str, value: str) -> str:
    """An HMAC of `value` for one purpose, so a signature made for one use (a session)
    is worthless for another (a CSRF token)."""
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def equal(given: str | None, expected: str) -> bool:
    if given is None:
        return False
    return secrets.compare_digest(given.encode(), expected.encode())
