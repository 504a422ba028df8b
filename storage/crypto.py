"""Field encryption for free text about third parties: keys, tokens, blind indexes.

Stored forms of a text value:

- ``enc2:<key-id>:<base64url(nonce || ciphertext || tag)>`` -- AES-256-GCM with a random
  96-bit nonce. The associated data names the key and the value's place (`Binding`:
  table, column, owner and row), so a token copied to another row or member, or
  relabelled to another key, fails to decrypt.
- ``enc1:<key-id>:<...>`` -- the earlier form, bound only to its key. Still read (from
  any configured key) until `netcoach keys rotate` has rewritten it as ``enc2``.
- ``enc0:<text>`` -- plain text that itself starts like a token (``enc<digits>:``),
  escaped when written without a key so it is never mistaken for ciphertext.
- anything else -- plain text, as written without a key (or before one was set).

Keys are 32 random bytes in URL-safe base64. Each key has a short public id (derived
from the key, not secret) so several keys can be configured during a rotation: values
are encrypted with the primary (first) key and decrypted with whichever key matches.

Blind indexes (keyed hashes for finding a contact by name) include the member, so equal
names of two members never share an index value; look-ups try every configured key and
the no-key form, and the earlier member-less form, so no row is missed mid-rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_BYTES",
    "LEGACY_TOKEN_PREFIX",
    "TOKEN_PREFIX",
    "Binding",
    "DecryptionError",
    "FieldCipher",
    "blind_index",
    "blind_index_candidates",
    "blind_index_candidates_of",
    "configure_cipher",
    "current_cipher",
    "from_stored",
    "generate_key",
    "is_encrypted",
    "key_id_of",
    "normalise_for_index",
    "to_stored",
    "token_key_id",
    "using_cipher",
]

KEY_BYTES = 32
TOKEN_PREFIX = "enc2:"
LEGACY_TOKEN_PREFIX = "enc1:"
_ESCAPE_PREFIX = "enc0:"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID_BYTES = 4
_RESERVED = re.compile(r"enc\d+:")
# Separates the parts of associated data and of blind-index input; never in a name.
_SEPARATOR = "\x1f"
_KEY_HELP = (
    "NETCOACH_ENCRYPTION_KEY must be 32 bytes in URL-safe base64; "
    "generate one with `netcoach keys generate`"
)
# Used for blind indexes when no key is configured: not secret, it only keeps the index
# stable and distinct from a bare hash of the name.
_UNKEYED_INDEX_KEY = b"netcoach blind index v1 (no encryption key configured)"
_UNKEYED_MEMBER_INDEX_KEY = b"netcoach blind index v2 (no encryption key configured)"


class DecryptionError(Exception):
    """A stored value could not be decrypted: wrong or missing key, or tampered data.

    `reason` is one word for logs and metrics: ``unknown_key`` (written with a key that
    is not configured), ``no_key`` (encrypted, but no key is set), ``failed`` (failed
    authentication: tampered, moved, or other key material) or ``malformed``.
    """

    def __init__(self, message: str, *, key_id: str | None = None, reason: str) -> None:
        super().__init__(message)
        self.key_id = key_id
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a stored text belongs: its table and column, its owner and its row.

    The owner is the member's user id (the admin's Telegram id for a broadcast); the
    row is the primary key. All four are authenticated with the ciphertext.
    """

    table: str
    column: str
    owner: int | str
    row: int | str

    def associated_data(self, key_id: str) -> bytes:
        """The associated data of a token under `key_id` in this place."""
        parts = (f"{TOKEN_PREFIX}{key_id}", f"{self.table}.{self.column}", self.owner, self.row)
        return _SEPARATOR.join(str(part) for part in parts).encode("utf-8")


def generate_key() -> str:
    """Return a new random key as URL-safe base64 text (no padding), fit for an env var."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii").rstrip("=")


def _parse_key(key: str | bytes) -> bytes:
    if isinstance(key, bytes):
        raw = key
    else:
        text = key.strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", text):
            raise ValueError(_KEY_HELP)
        text = text.rstrip("=")
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(_KEY_HELP) from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{_KEY_HELP} (got {len(raw)} bytes)")
    return raw


def _derive(key: bytes, purpose: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(key)


def key_id_of(key: str | bytes) -> str:
    """Return the public id of a key (8 hex digits), as shown in tokens and errors."""
    return _derive(_parse_key(key), b"netcoach key id v1", _KEY_ID_BYTES).hex()


@dataclass(frozen=True, repr=False)
class _Key:
    raw: bytes
    key_id: str
    legacy_aead: AESGCM
    aead: AESGCM
    legacy_index_key: bytes
    index_key: bytes

    @classmethod
    def from_raw(cls, raw: bytes) -> _Key:
        return cls(
            raw=raw,
            key_id=_derive(raw, b"netcoach key id v1", _KEY_ID_BYTES).hex(),
            legacy_aead=AESGCM(_derive(raw, b"netcoach field encryption v1")),
            aead=AESGCM(_derive(raw, b"netcoach field encryption v2 (bound to its place)")),
            legacy_index_key=_derive(raw, b"netcoach blind index v1"),
            index_key=_derive(raw, b"netcoach blind index v2 (per member)"),
        )


def normalise_for_index(value: str) -> str:
    """Fold a name for matching: Unicode NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _legacy_index(index_key: bytes, value: str) -> str:
    data = normalise_for_index(value).encode("utf-8")
    return hmac.new(index_key, data, hashlib.sha256).hexdigest()


def _member_index(index_key: bytes, value: str, owner: int) -> str:
    data = f"{owner}{_SEPARATOR}{normalise_for_index(value)}".encode()
    return hmac.new(index_key, data, hashlib.sha256).hexdigest()


def is_encrypted(value: str) -> bool:
    """Tell whether a stored value is a ciphertext token (as opposed to plain text)."""
    return value.startswith((TOKEN_PREFIX, LEGACY_TOKEN_PREFIX))


def token_key_id(value: str) -> str | None:
    """The id of the key a token was written with (None for plain or malformed values)."""
    if not is_encrypted(value):
        return None
    key_id = value[len(TOKEN_PREFIX) :].partition(":")[0]
    return key_id if re.fullmatch(r"[0-9a-f]{8}", key_id) else None


class FieldCipher:
    """AES-256-GCM over text values with one primary key and any number of older keys.

    `encrypt` always uses the primary key and binds the token to its place; `decrypt`
    picks the key named in the token and passes plain (never-encrypted) values through.
    """

    def __init__(self, primary: str | bytes, *previous: str | bytes) -> None:
        keys: dict[str, _Key] = {}
        for candidate in (primary, *previous):
            key = _Key.from_raw(_parse_key(candidate))
            if key.key_id in keys:
                raise ValueError(f"encryption key {key.key_id} is configured twice")
            keys[key.key_id] = key
        self._keys = keys
        self._primary = next(iter(keys.values()))

    @classmethod
    def from_setting(cls, value: str, *older: str) -> FieldCipher:
        """Build from settings: keys separated by commas, primary first, then `older` ones."""
        parts = [part for text in (value, *older) for part in re.split(r"[,\s]+", text) if part]
        if not parts:
            raise ValueError(_KEY_HELP)
        return cls(*parts)

    @property
    def primary_key_id(self) -> str:
        """The id of the key new values are encrypted with."""
        return self._primary.key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every configured key, primary first."""
        return tuple(self._keys)

    def accepting(self, other: FieldCipher | None) -> FieldCipher:
        """The same primary key, also able to decrypt whatever `other` can."""
        raws = [key.raw for key in self._keys.values()]
        if other is not None:
            raws += [key.raw for key in other._keys.values() if key.key_id not in self._keys]
        return FieldCipher(*raws)

    def encrypt(self, text: str, binding: Binding) -> str:
        """Encrypt text under the primary key, bound to `binding`; the result is ASCII."""
        key = self._primary
        nonce = os.urandom(_NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, text.encode("utf-8"), binding.associated_data(key.key_id))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{TOKEN_PREFIX}{key.key_id}:{body}"

    def decrypt(self, token: str, binding: Binding | None = None) -> str:
        """Decrypt a token found at `binding`; plain and escaped values come back as they are.

        Raises:
            DecryptionError: the token names an unknown key, is malformed, fails
                authentication (wrong key material, tampering, or moved from another
                place), or is an ``enc2`` token read without its place.
        """
        if not is_encrypted(token):
            return _plain_from_stored(token)
        legacy = token.startswith(LEGACY_TOKEN_PREFIX)
        key_id, body = _split_token(token)
        key = self._keys.get(key_id)
        if key is None:
            known = ", ".join(self._keys)
            raise DecryptionError(
                f"value was encrypted with key {key_id}, which is not configured "
                f"(configured: {known})",
                key_id=key_id,
                reason="unknown_key",
            )
        if legacy:
            aead, associated = key.legacy_aead, f"{LEGACY_TOKEN_PREFIX}{key_id}".encode("ascii")
        elif binding is None:
            raise DecryptionError(
                f"value under key {key_id} read without its place",
                key_id=key_id,
                reason="malformed",
            )
        else:
            aead, associated = key.aead, binding.associated_data(key_id)
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError(
                f"value under key {key_id} is not valid base64", key_id=key_id, reason="malformed"
            ) from None
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError(
                f"value under key {key_id} is truncated", key_id=key_id, reason="malformed"
            )
        try:
            plain = aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated)
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError(
                f"value under key {key_id} failed authentication (tampered, moved from "
                "another row or member, or a different key with the same id)",
                key_id=key_id,
                reason="failed",
            ) from None

    def is_current(self, value: str) -> bool:
        """Tell whether a stored value is already a bound token under the primary key."""
        return value.startswith(f"{TOKEN_PREFIX}{self._primary.key_id}:")

    def blind_index(self, value: str, owner: int) -> str:
        """Keyed hash of the member and a normalised name under the primary key (hex)."""
        return _member_index(self._primary.index_key, value, owner)

    def blind_index_candidates(self, value: str, owner: int) -> tuple[str, ...]:
        """Every index this name of this member may be stored under, primary key's first.

        Each configured key in the member's form, then each in the earlier member-less
        form (rows not yet rotated).
        """
        keys = self._keys.values()
        return (
            *(_member_index(key.index_key, value, owner) for key in keys),
            *(_legacy_index(key.legacy_index_key, value) for key in keys),
        )

    def __repr__(self) -> str:
        return f"FieldCipher(primary={self.primary_key_id!r}, keys={len(self._keys)})"


def _split_token(token: str) -> tuple[str, str]:
    key_id, sep, body = token[len(TOKEN_PREFIX) :].partition(":")
    if not sep or not re.fullmatch(r"[0-9a-f]{8}", key_id):
        raise DecryptionError(
            "value looks encrypted but its key id is malformed", reason="malformed"
        )
    return key_id, body


def _plain_from_stored(value: str) -> str:
    if value.startswith(_ESCAPE_PREFIX):
        return value[len(_ESCAPE_PREFIX) :]
    if _RESERVED.match(value):
        raise DecryptionError(
            f"value uses an unknown storage format {value.split(':', 1)[0]!r}",
            reason="malformed",
        )
    return value


def to_stored(text: str, cipher: FieldCipher | None, binding: Binding) -> str:
    """The form a text is stored in at `binding`: a token with a cipher, else plain."""
    if cipher is not None:
        return cipher.encrypt(text, binding)
    if _RESERVED.match(text):
        return _ESCAPE_PREFIX + text
    return text


def from_stored(value: str, cipher: FieldCipher | None, binding: Binding | None = None) -> str:
    """The text behind a value stored at `binding`.

    Raises:
        DecryptionError: the value is encrypted and `cipher` cannot decrypt it here (or
            is None).
    """
    if cipher is not None:
        return cipher.decrypt(value, binding)
    if is_encrypted(value):
        key_id, _ = _split_token(value)
        raise DecryptionError(
            f"value was encrypted with key {key_id} but no NETCOACH_ENCRYPTION_KEY is set",
            key_id=key_id,
            reason="no_key",
        )
    return _plain_from_stored(value)


_current: FieldCipher | None = None


def configure_cipher(cipher: FieldCipher | None) -> None:
    """Set the process-wide cipher used by encrypted columns (once, at start-up)."""
    global _current
    _current = cipher


def current_cipher() -> FieldCipher | None:
    """The process-wide cipher, or None when free text is stored in plain."""
    return _current


@contextmanager
def using_cipher(cipher: FieldCipher | None) -> Iterator[FieldCipher | None]:
    """Use `cipher` inside the block and restore the previous one after (for tests, tools)."""
    previous = _current
    configure_cipher(cipher)
    try:
        yield cipher
    finally:
        configure_cipher(previous)


def blind_index(value: str, owner: int, cipher: FieldCipher | None = None) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a member's normalised name, for exact-match lookups.

    Keyed by `cipher` (default: the current one) through its primary key, or by a fixed
    non-secret salt when there is none. "Anna", " anna " and "ANNA" give the same
    index for one member; two members' "Anna" give two different ones.
    """
    cipher = cipher if cipher is not None else current_cipher()
    if cipher is None:
        return _member_index(_UNKEYED_MEMBER_INDEX_KEY, value, owner)
    return cipher.blind_index(value, owner)


def blind_index_candidates(value: str, owner: int) -> tuple[str, ...]:
    """Every index a member's name may be stored under: each key, no key, earlier forms.

    Looking up by all of them finds a contact written before a key was set, under an
    older key, or before indexes included the member, so nothing is created twice.
    """
    cipher = current_cipher()
    keyed = cipher.blind_index_candidates(value, owner) if cipher is not None else ()
    unkeyed = (
        _member_index(_UNKEYED_MEMBER_INDEX_KEY, value, owner),
        _legacy_index(_UNKEYED_INDEX_KEY, value),
    )
    return tuple(dict.fromkeys((*keyed, *unkeyed)))


def blind_index_candidates_of(values: Sequence[str], owner: int) -> list[tuple[str, ...]]:
    """`blind_index_candidates` of many names of one member, each in the same order.

    For the runs of words of a whole text: each name is normalised once, and each key's
    HMAC state is prepared once and copied per name (a fresh HMAC hashes its key again).
    """
    cipher = current_cipher()
    keys = list(cipher._keys.values()) if cipher is not None else []
    # The order of `blind_index_candidates`: keyed member forms, keyed earlier forms, then
    # the unkeyed member form and the unkeyed earlier form.
    prototypes = [
        *((hmac.new(key.index_key, digestmod=hashlib.sha256), True) for key in keys),
        *((hmac.new(key.legacy_index_key, digestmod=hashlib.sha256), False) for key in keys),
        (hmac.new(_UNKEYED_MEMBER_INDEX_KEY, digestmod=hashlib.sha256), True),
        (hmac.new(_UNKEYED_INDEX_KEY, digestmod=hashlib.sha256), False),
    ]
    member_prefix = f"{owner}{_SEPARATOR}".encode()
    found = []
    for value in values:
        name = normalise_for_index(value).encode("utf-8")
        digests = []
        for prototype, with_member in prototypes:
            state = prototype.copy()
            state.update(member_prefix + name if with_member else name)
            digests.append(state.hexdigest())
        found.append(tuple(dict.fromkeys(digests)))
    return found
