"""Stored values as netcoach 0.1 wrote them, built from the format, not from our code.

Tokens were ``enc1:<key id>:<base64url(nonce || ciphertext || tag)>`` with only
``enc1:<key id>`` as associated data; blind indexes were an HMAC of the normalised name
alone, under a key derived from the encryption key or a fixed salt without one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.crypto import key_id_of, normalise_for_index

__all__ = ["legacy_index", "legacy_token"]

_UNKEYED = b"netcoach blind index v1 (no encryption key configured)"


def _derived(key: str, purpose: bytes) -> bytes:
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(raw)


def legacy_token(key: str, plain: str) -> str:
    """An ``enc1`` token of `plain` under `key`, bound to nothing but the key."""
    aead = AESGCM(_derived(key, b"netcoach field encryption v1"))
    key_id = key_id_of(key)
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plain.encode(), f"enc1:{key_id}".encode())
    return f"enc1:{key_id}:" + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def legacy_index(key: str | None, name: str) -> str:
    """The member-less blind index of `name` under `key` (None: as written without a key)."""
    index_key = _UNKEYED if key is None else _derived(key, b"netcoach blind index v1")
    return hmac.new(index_key, normalise_for_index(name).encode(), hashlib.sha256).hexdigest()
