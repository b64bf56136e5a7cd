"""The only place where plaintext meets ciphertext.

Layout: master keys (from configuration) wrap per-record data keys; data keys encrypt fields.
Deleting a record deletes its wrapped data key, so its ciphertext becomes unrecoverable
(crypto-shredding). Every ciphertext carries associated data naming its record and field, so a
blob copied onto another row or column fails to decrypt instead of being silently accepted.
Storage names a record once, opens it (`Cipher.new_record`, `Cipher.record`) and seals or
opens its fields by name through the `SealedRecord` it gets back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_VERSION = 1
_FIELD_VERSION = 1
_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")


class KeyConfigError(ValueError):
    """The master key setting is malformed; the message never contains key material."""


class DecryptionError(Exception):
    """Ciphertext could not be authenticated: tampered, moved, or under an unknown/wrong key."""


def length_prefixed(*parts: str | bytes) -> bytes:
    """Length-prefix each part so that ("ab", "c") and ("a", "bc") never collide."""
    out = bytearray()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def _b64url_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class MasterKey:
    """A configured master key; `key` is excluded from repr so it cannot reach a log by accident."""

    key_id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID_RE.fullmatch(self.key_id):
            raise KeyConfigError("master key id must match [A-Za-z0-9_-]{1,32}")
        if len(self.key) != KEY_BYTES:
            raise KeyConfigError(f"master key {self.key_id!r} must be exactly {KEY_BYTES} bytes")


def parse_master_keys(value: str) -> list[MasterKey]:
    """Parse "ID:BASE64URL[,ID:BASE64URL...]", newest first.

    Commas, spaces and newlines all separate entries, so the value can come from a one-line
    environment variable or a multi-line secret file.
    """
    return [MasterKey(key_id, raw) for key_id, raw in _parse_key_entries(value, "master key")]


def generate_master_key() -> str:
    """Return a new "k<UTC timestamp>-<random>:<base64url>" entry.

    The id sorts by creation time; the random part keeps two keys made in the same second apart.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"k{stamp}-{secrets.token_hex(3)}:{_b64url_encode(secrets.token_bytes(KEY_BYTES))}"


class KeyWrapper(Protocol):
    """Wraps data keys under a key kept apart from the database.

    This is the seam for sealed mode: there case keys are wrapped to a desk public key (HPKE,
    `DeskKeyWrapper`), so the side that seals a record cannot unwrap it. `Cipher` and
    `SealedRecord` only call it, so callers of those do not change when the wrapper does.
    """

    @property
    def newest_key_id(self) -> str:
        """The key id new wraps are made under."""
        ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, blob: bytes, context: bytes) -> bytes: ...

    def key_id_of(self, blob: bytes) -> str: ...

    @property
    def can_unwrap(self) -> bool:
        """False on a side that can seal records but never open them (the sealed intake)."""
        ...


def _split_wrapped(blob: bytes) -> tuple[bytes, str, bytes, bytes]:
    """(header, key id, nonce, sealed) of a blob made by `MasterKeyWrapper.wrap`."""
    if len(blob) < 2 or blob[0] != _WRAP_VERSION:
        raise DecryptionError("wrapped key has an unknown format")
    end = 2 + blob[1]
    if len(blob) < end + NONCE_BYTES + 16:
        raise DecryptionError("wrapped key is truncated")
    try:
        key_id = blob[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("wrapped key has an unknown format") from None
    if not _KEY_ID_RE.fullmatch(key_id):
        raise DecryptionError("wrapped key has an unknown format")
    return blob[:end], key_id, blob[end : end + NONCE_BYTES], blob[end + NONCE_BYTES :]


def wrapped_key_id(blob: bytes) -> str:
    """The id of the master key a wrapped data key is under, read without any key.

    The id is not secret (it is authenticated, not encrypted); this lets an operator see which
    master keys are still needed. Blobs sealed to a desk key (`DeskKeyWrapper`, version 2) give
    their desk key id. Raises DecryptionError for a blob of another format.
    """
    if blob[:1] == bytes([_DESK_WRAP_VERSION]):
        return _split_desk_wrapped(blob)[1]
    return _split_wrapped(blob)[1]


class MasterKeyWrapper:
    """AES-256-GCM under the newest master key; older keys stay usable for unwrapping.

    Blob: version byte, key id length byte, key id, nonce, ciphertext+tag. The header and the
    caller's context are both authenticated as associated data.
    """

    def __init__(self, keys: Sequence[MasterKey]) -> None:
        if not keys:
            raise KeyConfigError("no master key given")
        by_id: dict[str, AESGCM] = {}
        for key in keys:
            if key.key_id in by_id:
                raise KeyConfigError(f"master key id {key.key_id!r} appears more than once")
            by_id[key.key_id] = AESGCM(key.key)
        self._by_id = by_id
        self.newest_key_id: str = keys[0].key_id

    @property
    def can_unwrap(self) -> bool:
        return True

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        key_id = self.newest_key_id.encode()
        header = bytes([_WRAP_VERSION, len(key_id)]) + key_id
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._by_id[self.newest_key_id].encrypt(nonce, data_key, header + context)
        return header + nonce + sealed

    def key_id_of(self, blob: bytes) -> str:
        return wrapped_key_id(blob)

    def unwrap(self, blob: bytes, context: bytes) -> bytes:
        header, key_id, nonce, sealed = _split_wrapped(blob)
        aead = self._by_id.get(key_id)
        if aead is None:
            raise DecryptionError("wrapped key names a master key that is not configured")
        try:
            return aead.decrypt(nonce, sealed, header + context)
        except InvalidTag:
            raise DecryptionError("wrapped key failed authentication") from None


class Cipher:
    """Field encryption with per-record data keys, bound to (record, field) by associated data.

    Storage opens a record with `new_record` or `record` and seals its fields through the
    `SealedRecord` it gets; the key-level methods below (`wrap_key`, `encrypt`, ...) are the
    format those are built on, kept for rotation and for tests that pin the bytes.
    """

    def __init__(self, wrapper: KeyWrapper) -> None:
        self._wrapper = wrapper

    @staticmethod
    def new_data_key() -> bytes:
        return secrets.token_bytes(KEY_BYTES)

    def wrap_key(self, data_key: bytes, record: str) -> bytes:
        _check_key(data_key)
        return self._wrapper.wrap(data_key, length_prefixed("data-key", record))

    def unwrap_key(self, blob: bytes, record: str) -> bytes:
        data_key = self._wrapper.unwrap(blob, length_prefixed("data-key", record))
        if len(data_key) != KEY_BYTES:
            raise DecryptionError("unwrapped data key has the wrong length")
        return data_key

    @property
    def newest_key_id(self) -> str:
        """The master key id that `wrap_key` uses."""
        return self._wrapper.newest_key_id

    def key_id_of(self, blob: bytes) -> str:
        """The master key id a wrapped data key is under (DecryptionError if unparseable)."""
        return self._wrapper.key_id_of(blob)

    @property
    def can_open(self) -> bool:
        """Whether `record` can work here: False on the sealed intake, which only seals."""
        return self._wrapper.can_unwrap

    def rewrap_key(self, blob: bytes, record: str) -> bytes:
        """The same data key, wrapped anew under the newest master key (for key rotation).

        Raises DecryptionError if the blob does not unwrap for `record` with the keys at hand.
        """
        return self.wrap_key(self.unwrap_key(blob, record), record)

    def encrypt(self, data_key: bytes, record: str, field: str, plaintext: bytes) -> bytes:
        _check_key(data_key)
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = length_prefixed("field", str(_FIELD_VERSION), record, field)
        return bytes([_FIELD_VERSION]) + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)

    def decrypt(self, data_key: bytes, record: str, field: str, blob: bytes) -> bytes:
        _check_key(data_key)
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[0] != _FIELD_VERSION:
            raise DecryptionError("ciphertext has an unknown format or is truncated")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        aad = length_prefixed("field", str(blob[0]), record, field)
        try:
            return AESGCM(data_key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None

    def encrypt_json(self, data_key: bytes, record: str, field: str, value: Any) -> bytes:
        return self.encrypt(data_key, record, field, _json_bytes(value))

    def decrypt_json(self, data_key: bytes, record: str, field: str, blob: bytes) -> Any:
        return json.loads(self.decrypt(data_key, record, field, blob))

    def new_record(self, record: str) -> tuple[SealedRecord, bytes]:
        """A fresh data key for `record`: (the opened record, its wrapped key blob to store).

        Storing the blob with the row is what makes deleting the row shred its fields.
        """
        data_key = self.new_data_key()
        return SealedRecord(self, record, data_key), self.wrap_key(data_key, record)

    def record(self, record: str, wrapped: bytes) -> SealedRecord:
        """Open a stored record from its wrapped key blob.

        Raises DecryptionError if the blob was wrapped for another record or under a master
        key that is not configured.
        """
        return SealedRecord(self, record, self.unwrap_key(wrapped, record))

    def new_secret(self, record: str) -> bytes:
        """The blob to store of a fresh random key used outside this module (the pseudonym
        HMAC key), wrapped like a data key for `record`; `open_secret` gives the key back.
        """
        return self.wrap_key(self.new_data_key(), record)

    def open_secret(self, record: str, wrapped: bytes) -> bytes:
        """The key of a blob made by `new_secret` for the same record; DecryptionError if not."""
        return self.unwrap_key(wrapped, record)


class SealedRecord:
    """One record with its data key opened: seals and opens the record's named fields.

    Callers name only the field; the record name is bound once, when the record is opened, so
    a field cannot be sealed under one record name and opened under another by a slip. The
    bytes are exactly those of `Cipher.encrypt` for (record, field), so rows written before
    this interface existed still open. In sealed mode the intake side, holding only the
    desk's public key, gets records only from `Cipher.new_record`: it seals with the fresh key
    and forgets it, and `Cipher.record` (opening a stored one) fails there.
    """

    __slots__ = ("_cipher", "_data_key", "record")

    def __init__(self, cipher: Cipher, record: str, data_key: bytes) -> None:
        _check_key(data_key)
        self._cipher = cipher
        self._data_key = data_key
        self.record = record

    def __repr__(self) -> str:
        return f"SealedRecord({self.record!r}, <key hidden>)"

    def seal(self, field: str, plaintext: bytes) -> bytes:
        return self._cipher.encrypt(self._data_key, self.record, field, plaintext)

    def open(self, field: str, blob: bytes) -> bytes:
        """The plaintext of `field`; DecryptionError if the blob was sealed elsewhere."""
        return self._cipher.decrypt(self._data_key, self.record, field, blob)

    def seal_text(self, field: str, text: str) -> bytes:
        return self.seal(field, text.encode())

    def open_text(self, field: str, blob: bytes) -> str:
        return self.open(field, blob).decode()

    def seal_json(self, field: str, value: Any) -> bytes:
        return self.seal(field, _json_bytes(value))

    def open_json(self, field: str, blob: bytes) -> Any:
        return json.loads(self.open(field, blob))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _check_key(data_key: bytes) -> None:
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"data keys are {KEY_BYTES} bytes")


class Pseudonymizer:
    """Keyed pseudonyms for Telegram ids.

    Telegram ids have at most 52 bits, so a plain hash is reversed by enumeration; an HMAC under
    a key kept apart from the database is not. `kind` separates domains so a person and a
    volunteer with the same id get unrelated pseudonyms. int 5 and str "5" map to the same value.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"pseudonym keys are at least {KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymizer(<key hidden>)"

    def __call__(self, kind: str, value: int | str) -> str:
        if not kind:
            raise ValueError("kind must not be empty")
        if isinstance(value, bool):
            raise TypeError("value must be an int or a str")
        message = length_prefixed("pseudonym", kind, str(value))
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


# --- sealed mode: desk keys (HPKE, RFC 9180) ------------------------------------------------------
#
# The intake side holds only the desk's public key: it wraps each record's data key to it and
# forgets the data key, so nothing it keeps opens the record again. The desk holds the private
# keys (newest first, older ones during a rotation). HPKE's single-shot API has no associated
# data of its own beyond `info`; the blob's header and the caller's context (record and field)
# go into `info`, which the key schedule binds (RFC 9180 section 8.1), so a blob moved to
# another record, or given another header, fails to open exactly like a master-key blob.

_DESK_WRAP_VERSION = 2
_HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_HPKE_OVERHEAD = 32 + 16  # the encapsulated X25519 key, then the AES-GCM tag


def _x25519_public(raw: bytes) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise KeyConfigError(f"desk public keys are exactly {KEY_BYTES} bytes") from None


def _x25519_private(raw: bytes) -> X25519PrivateKey:
    try:
        return X25519PrivateKey.from_private_bytes(raw)
    except ValueError:
        raise KeyConfigError(f"desk private keys are exactly {KEY_BYTES} bytes") from None


def _hpke_encrypt(public: X25519PublicKey, plaintext: bytes, info: bytes) -> bytes:
    try:
        return _HPKE_SUITE.encrypt(plaintext, public, info=info)
    except ValueError:  # a low-order point: no shared secret, nothing could ever open it
        raise KeyConfigError("desk public key is not a usable X25519 public key") from None


def _hpke_decrypt(private: X25519PrivateKey, blob: bytes, info: bytes) -> bytes:
    if len(blob) < _HPKE_OVERHEAD:
        raise DecryptionError("sealed blob is truncated")
    try:
        return _HPKE_SUITE.decrypt(blob, private, info=info)
    except (InvalidTag, ValueError):
        raise DecryptionError("sealed blob failed authentication") from None


def hpke_seal(public_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """`plaintext` sealed to a raw 32-byte X25519 public key, bound to `context`.

    Whoever holds only the public key (this side, afterwards) cannot open it. The output is the
    encapsulated key followed by the AES-256-GCM ciphertext; it names no key. KeyConfigError
    (a ValueError) for a key of the wrong length or a low-order point.
    """
    return _hpke_encrypt(_x25519_public(public_key), plaintext, length_prefixed("hpke", context))


def hpke_open(private_key: bytes, blob: bytes, context: bytes) -> bytes:
    """The plaintext of a `hpke_seal` blob; DecryptionError on any failure (wrong key, other
    context, tampered, truncated, a malformed key)."""
    try:
        private = _x25519_private(private_key)
    except KeyConfigError:
        raise DecryptionError("sealed blob cannot be opened with a malformed key") from None
    return _hpke_decrypt(private, blob, length_prefixed("hpke", context))


@dataclass(frozen=True)
class DeskPublicKey:
    """The desk's X25519 public key, as the intake side holds it: seals, never opens."""

    key_id: str
    key: bytes

    def __post_init__(self) -> None:
        if not _KEY_ID_RE.fullmatch(self.key_id):
            raise KeyConfigError("desk key id must match [A-Za-z0-9_-]{1,32}")
        if len(self.key) != KEY_BYTES:
            raise KeyConfigError(
                f"desk public key {self.key_id!r} must be exactly {KEY_BYTES} bytes"
            )
        # Refuse now a key nothing could ever be opened under (a low-order point), not at the
        # first submission.
        _hpke_encrypt(_x25519_public(self.key), b"", b"check")

    def entry(self) -> str:
        """The "ID:BASE64URL" form INTAKE_DESK_PUBLIC_KEY takes (a public key: not secret)."""
        return _desk_entry(self.key, self.key_id)


@dataclass(frozen=True)
class DeskPrivateKey:
    """A desk X25519 private key; `key` is excluded from repr so it cannot reach a log."""

    key_id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID_RE.fullmatch(self.key_id):
            raise KeyConfigError("desk key id must match [A-Za-z0-9_-]{1,32}")
        if len(self.key) != KEY_BYTES:
            raise KeyConfigError(
                f"desk private key {self.key_id!r} must be exactly {KEY_BYTES} bytes"
            )

    def public(self) -> DeskPublicKey:
        """The public half, under the same id: what the intake host is given."""
        raw = _x25519_private(self.key).public_key().public_bytes_raw()
        return DeskPublicKey(self.key_id, raw)


def _desk_entry(raw: bytes, key_id: str) -> str:
    return f"{key_id}:{_b64url_encode(raw)}"


def generate_desk_key_pair() -> tuple[str, str]:
    """A new desk key pair as ("ID:BASE64URL" private entry, "ID:BASE64URL" public entry).

    Both carry the same id, "d<UTC timestamp>-<random>", so that the intake's blobs name the
    private key that opens them.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    key_id = f"d{stamp}-{secrets.token_hex(3)}"
    private = X25519PrivateKey.generate()
    return (
        _desk_entry(private.private_bytes_raw(), key_id),
        _desk_entry(private.public_key().public_bytes_raw(), key_id),
    )


def _parse_key_entries(value: str, what: str) -> list[tuple[str, bytes]]:
    """(id, raw key) of each "ID:BASE64URL" entry; `what` names the kind of key in messages,
    which name entries by number and id, never by their content."""
    entries = [item for item in re.split(r"[,\s]+", value) if item]
    if not entries:
        raise KeyConfigError(f"no {what} given")
    out: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        if not sep:
            raise KeyConfigError(f"{what} entry {number} is not of the form ID:BASE64URL")
        if not _KEY_ID_RE.fullmatch(key_id):
            raise KeyConfigError(f"{what} entry {number}: id must match [A-Za-z0-9_-]{{1,32}}")
        if key_id in seen:
            raise KeyConfigError(f"{what} id {key_id!r} appears more than once")
        try:
            raw = _b64url_decode(encoded)
        except (binascii.Error, ValueError):
            raise KeyConfigError(f"{what} {key_id!r} is not valid base64url") from None
        if len(raw) != KEY_BYTES:
            raise KeyConfigError(
                f"{what} {key_id!r} decodes to {len(raw)} bytes, expected {KEY_BYTES}"
            )
        seen.add(key_id)
        out.append((key_id, raw))
    return out


def parse_desk_public_key(value: str) -> DeskPublicKey:
    """Parse the one "ID:BASE64URL" entry of the desk's public key (the intake's setting)."""
    entries = _parse_key_entries(value, "desk public key")
    if len(entries) != 1:
        raise KeyConfigError(
            f"expected exactly one desk public key entry, found {len(entries)}"
            " (give only the newest: the intake never needs an older one)"
        )
    return DeskPublicKey(*entries[0])


def parse_desk_private_keys(value: str) -> list[DeskPrivateKey]:
    """Parse "ID:BASE64URL[,ID:BASE64URL...]", newest first, separated like master keys.

    Older keys stay after the newest one while `keys rotate-desk` moves records off them.
    """
    return [
        DeskPrivateKey(key_id, raw) for key_id, raw in _parse_key_entries(value, "desk private key")
    ]


def _split_desk_wrapped(blob: bytes) -> tuple[bytes, str, bytes]:
    """(header, key id, HPKE ciphertext) of a blob made by `DeskKeyWrapper.wrap`."""
    if len(blob) < 2 or blob[0] != _DESK_WRAP_VERSION:
        raise DecryptionError("wrapped key has an unknown format")
    end = 2 + blob[1]
    if len(blob) < end + _HPKE_OVERHEAD:
        raise DecryptionError("wrapped key is truncated")
    try:
        key_id = blob[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("wrapped key has an unknown format") from None
    if not _KEY_ID_RE.fullmatch(key_id):
        raise DecryptionError("wrapped key has an unknown format")
    return blob[:end], key_id, blob[end:]


def _desk_info(header: bytes, context: bytes) -> bytes:
    return length_prefixed("desk-key-wrap", header, context)


class DeskKeyWrapper:
    """Data keys sealed to a desk public key with HPKE (sealed mode's `KeyWrapper`).

    On the intake host: `public` only. It wraps and can never unwrap, not even what it wrapped
    a moment ago. On the desk host: `private`, newest first; it wraps to the newest key's public
    half and unwraps with whichever key the blob names (older ones during a rotation).

    Blob: version byte 2 (master-key blobs are 1), key id length byte, key id, HPKE output
    (encapsulated key, ciphertext+tag). The header and the caller's context go into HPKE's
    `info`, so both are authenticated.
    """

    def __init__(
        self, *, public: DeskPublicKey | None = None, private: Sequence[DeskPrivateKey] = ()
    ) -> None:
        by_id: dict[str, X25519PrivateKey] = {}
        for key in private:
            if key.key_id in by_id:
                raise KeyConfigError(f"desk private key id {key.key_id!r} appears more than once")
            by_id[key.key_id] = _x25519_private(key.key)
        if private:
            newest = private[0].public()
            if public is not None and public != newest:
                raise KeyConfigError(
                    f"desk public key {public.key_id!r} is not the public half of the newest"
                    f" desk private key {newest.key_id!r}"
                )
            public = newest
        if public is None:
            raise KeyConfigError("no desk key given")
        self._by_id = by_id
        self._public = _x25519_public(public.key)
        self.newest_key_id: str = public.key_id

    def __repr__(self) -> str:
        return f"DeskKeyWrapper({self.newest_key_id!r}, can_unwrap={self.can_unwrap})"

    @property
    def can_unwrap(self) -> bool:
        return bool(self._by_id)

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every desk key id this side can open (newest first); empty on the intake."""
        return tuple(self._by_id)

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        key_id = self.newest_key_id.encode()
        header = bytes([_DESK_WRAP_VERSION, len(key_id)]) + key_id
        return header + _hpke_encrypt(self._public, data_key, _desk_info(header, context))

    def key_id_of(self, blob: bytes) -> str:
        return wrapped_key_id(blob)

    def unwrap(self, blob: bytes, context: bytes) -> bytes:
        if not self._by_id:
            raise DecryptionError("sealed to the desk: this side holds no key that opens it")
        if blob[:1] != bytes([_DESK_WRAP_VERSION]):
            raise DecryptionError("wrapped key is not sealed to a desk key")
        header, key_id, sealed = _split_desk_wrapped(blob)
        private = self._by_id.get(key_id)
        if private is None:
            raise DecryptionError("wrapped key names a desk key that is not configured")
        try:
            return _hpke_decrypt(private, sealed, _desk_info(header, context))
        except DecryptionError:
            raise DecryptionError("wrapped key failed authentication") from None


def x25519_public_of(private_key: bytes) -> bytes:
    """The raw public half of a raw X25519 private key (the intake's delivery key)."""
    return _x25519_private(private_key).public_key().public_bytes_raw()
