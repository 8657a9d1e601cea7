"""Secrets at rest: Fernet under `INFRASYNC_ENCRYPTION_KEYS` (SPEC §3, §6).

The first key encrypts; every key decrypts, so an operator rotates by putting a new key
first, running `infrasync admin rotate-keys`, and removing the old key afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionFailed(Exception):
    """No configured key opens a stored secret. The message names no secret."""


class SecretBox:
    """Encrypts and decrypts short secrets (tokens, webhook URLs) as text columns."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_keys(cls, keys: Sequence[str]) -> SecretBox:
        """Built from `Settings.fernet_keys` (first key encrypts, all decrypt)."""
        return cls(keys)

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise DecryptionFailed(_NO_KEY_OPENS) from None

    def reseal(self, ciphertext: str) -> str:
        """The same secret encrypted under the first key (MultiFernet.rotate keeps the
        original timestamp, so nothing about the secret's age changes)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise DecryptionFailed(_NO_KEY_OPENS) from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"


_NO_KEY_OPENS = (
    "a stored secret cannot be decrypted with any key in INFRASYNC_ENCRYPTION_KEYS; "
    "was the key it was encrypted with removed?"
)
