"""Secrets at rest: AES-256-GCM with key ids, and keyed hashes (blind indexes) for look-ups.

A ciphertext reads `<key id>:<base64url(nonce || ciphertext+tag)>`, so several keys can be
configured at once and `paylink rotate-keys` re-encrypts everything under the newest one. The
associated data names the column a value belongs to, so a ciphertext copied into another column
does not decrypt.

Contact data that must be searched (a customer's email) is stored encrypted *and* as an HMAC
under a key derived from the newest key, which finds equal values without revealing them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConfigurationError

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_NONCE_BYTES = 12


class DecryptionError(ConfigurationError):
    """A stored ciphertext that no configured key opens: a missing key, or tampering."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_key() -> str:
    """A new 256-bit key, base64url encoded, for PAYLINK_ENCRYPTION_KEYS."""
    return _b64encode(AESGCM.generate_key(bit_length=256))


class Keyring:
    """The configured keys, newest first. Encrypts under the newest, decrypts under any."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ConfigurationError("at least one encryption key is needed")
        for key_id, key in keys:
            if not _KEY_ID.match(key_id):
                raise ConfigurationError(f"encryption key id {key_id!r}: use 1-32 of [A-Za-z0-9_-]")
            if len(key) != 32:
                raise ConfigurationError(f"encryption key {key_id!r} must be 32 bytes (AES-256)")
        if len({key_id for key_id, _ in keys}) != len(keys):
            raise ConfigurationError("encryption key ids must be unique")
        # One cipher per key, made once: an AESGCM keeps only its key (no state between
        # operations, so threads share it), and making one per value cost more than sealing it.
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}
        self.current_id = keys[0][0]
        self._index_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"paylink blind index"
        ).derive(keys[0][1])

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Read `id:base64key,id:base64key` (newest first), the PAYLINK_ENCRYPTION_KEYS format."""
        keys = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key_id, sep, encoded = item.partition(":")
            if not sep:
                raise ConfigurationError("PAYLINK_ENCRYPTION_KEYS items are written id:base64key")
            try:
                keys.append((key_id, _b64decode(encoded)))
            except ValueError:
                raise ConfigurationError(f"encryption key {key_id!r} is not base64") from None
        return cls(keys)

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        return f"{self.current_id}:{_b64encode(nonce + sealed)}"

    def decrypt(self, ciphertext: str, context: str) -> str:
        key_id, _, body = ciphertext.partition(":")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"no configured key has id {key_id!r}")
        raw = _b64decode(body)
        try:
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DecryptionError(
                f"a {context} value does not decrypt under key {key_id!r}"
            ) from None
        return plain.decode("utf-8")

    def key_id_of(self, ciphertext: str) -> str:
        return ciphertext.partition(":")[0]

    def needs_rotation(self, ciphertext: str) -> bool:
        return self.key_id_of(ciphertext) != self.current_id

    def blind_index(self, value: str, context: str) -> str:
        """Keyed hash of a normalised value, to find equal values without storing them clear.

        Derived from the newest key: after adding a key, `paylink rotate-keys` re-encrypts every
        value and recomputes every index under it, in the same pass.
        """
        digest = hmac.new(self._index_key, f"{context}\x00{value}".encode(), hashlib.sha256)
        return digest.hexdigest()
