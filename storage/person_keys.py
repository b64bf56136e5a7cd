"""Sealed mode's web thread: a key pair of the person's own, its private half under the passphrase.

In sealed mode the web door runs on the intake side, which seals every case to the desk and
then cannot read it; yet a person who logs in there must read their thread. So a web case
gets an X25519 key pair of its own when its passphrase is made. The public half is stored as
it is (`cases.person_public_key`), and every message of the thread (the person's and the
volunteer's, on whichever side it is written) is sealed to it once more
(`case_entries.person_blob`: HPKE, bound to the case and the entry). The private half is kept
only wrapped (`cases.person_key_blob`): AES-256-GCM under a key derived from the passphrase
with Argon2id, its own random salt and parameters kept in the blob, the case and the column
named in the associated data. The login hash (`passphrase_hash`, `casework.codewords`) is
another derivation (another salt, no Argon2 associated data), so neither gives the other.

The passphrase is never stored, so nothing the intake holds (its master keys, its keyring,
the desk's public key) opens any of this; a login derives the key, unwraps the private half
and keeps it in its process's memory only (`web.app`). Key rotation leaves these columns
alone: they are under the person's key, not under a master or desk key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import (
    KEY_BYTES,
    NONCE_BYTES,
    DecryptionError,
    hpke_open,
    hpke_seal,
    length_prefixed,
)
from storage.models import Case, CaseEntry

THREAD_KINDS = ("person", "volunteer")
"""The entries a web thread shows, so the ones sealed to the person (never a note)."""

_VERSION = 1
_SCHEME = "argon2id"
_MEMORY_KIB = 19 * 1024  # OWASP's first choice, as `casework.codewords`: about 0.1 s
_ITERATIONS = 2
_LANES = 1
_SALT_BYTES = 16
_MAX_MEMORY_KIB = 1024 * 1024  # a blob naming more is refused, not derived (1 GiB)
_MAX_ITERATIONS = 16
_MAX_LANES = 8
_ARGON2_AD = b"intake-bot person key v1"
"""Argon2's own associated data: this derivation is never the login hash's, whatever salt."""
_PARAMETERS = re.compile(r"argon2id\$m=(\d{1,7}),t=(\d{1,2}),p=(\d)")
_KEY_FIELD = "person_key_blob"


@dataclass(frozen=True)
class PassphraseKey:
    """A key derived from a passphrase (the slow part) and the header it was derived with:
    version, parameters and salt, which the wrapped private key carries in front."""

    header: bytes
    key: bytes = field(repr=False)


def _header(memory: int, iterations: int, lanes: int, salt: bytes) -> bytes:
    parameters = f"{_SCHEME}$m={memory},t={iterations},p={lanes}".encode("ascii")
    return bytes([_VERSION, len(parameters)]) + parameters + salt


def _derive(passphrase: str, header: bytes, memory: int, iterations: int, lanes: int) -> bytes:
    salt = header[-_SALT_BYTES:]
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=iterations,
        lanes=lanes,
        memory_cost=memory,
        ad=_ARGON2_AD,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def derive_new(passphrase: str) -> PassphraseKey:
    """A key from a new passphrase, with a fresh salt (slow: run it on a worker thread).

    `passphrase` as the person would mean it (`web.passphrases.normalize`), so that what they
    type later derives the same key."""
    header = _header(_MEMORY_KIB, _ITERATIONS, _LANES, os.urandom(_SALT_BYTES))
    return PassphraseKey(header, _derive(passphrase, header, _MEMORY_KIB, _ITERATIONS, _LANES))


def _split(blob: bytes) -> tuple[bytes, int, int, int, bytes]:
    """(header, memory, iterations, lanes, nonce + sealed) of a wrapped private key."""
    if len(blob) < 2 or blob[0] != _VERSION:
        raise DecryptionError("person key has an unknown format")
    end = 2 + blob[1]
    try:
        parameters = blob[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("person key has an unknown format") from None
    found = _PARAMETERS.fullmatch(parameters)
    if found is None:
        raise DecryptionError("person key has an unknown format")
    memory, iterations, lanes = (int(value) for value in found.groups())
    if not (
        8 * lanes <= memory <= _MAX_MEMORY_KIB
        and 1 <= iterations <= _MAX_ITERATIONS
        and 1 <= lanes <= _MAX_LANES
    ):
        raise DecryptionError("person key names parameters out of range")
    header_end = end + _SALT_BYTES
    if len(blob) != header_end + NONCE_BYTES + KEY_BYTES + 16:
        raise DecryptionError("person key is truncated")
    return blob[:header_end], memory, iterations, lanes, blob[header_end:]


def derive_for(passphrase: str, blob: bytes) -> PassphraseKey:
    """The key `passphrase` gives with the salt and parameters of this wrapped private key
    (slow: run it on a worker thread). DecryptionError for a blob of another format."""
    header, memory, iterations, lanes, _ = _split(blob)
    return PassphraseKey(header, _derive(passphrase, header, memory, iterations, lanes))


def _associated(header: bytes, case_id: str) -> bytes:
    return length_prefixed("person-key", header, case_id, _KEY_FIELD)


def new_key_pair(key: PassphraseKey, case_id: str) -> tuple[bytes, bytes]:
    """A new key pair for `case_id`: (raw public key, private key wrapped under `key`)."""
    private = X25519PrivateKey.generate()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.key).encrypt(
        nonce, private.private_bytes_raw(), _associated(key.header, case_id)
    )
    return private.public_key().public_bytes_raw(), key.header + nonce + sealed


def open_private(key: PassphraseKey, case_id: str, blob: bytes) -> bytes:
    """The raw private key wrapped in `blob` for `case_id`; DecryptionError for another
    passphrase, another case, another salt or a changed blob."""
    header, _, _, _, rest = _split(blob)
    if header != key.header:
        raise DecryptionError("person key was derived with another salt")
    nonce, sealed = rest[:NONCE_BYTES], rest[NONCE_BYTES:]
    try:
        return AESGCM(key.key).decrypt(nonce, sealed, _associated(header, case_id))
    except InvalidTag:
        raise DecryptionError("person key failed authentication") from None


def entry_context(case_id: str, entry_id: str) -> bytes:
    """What an entry's `person_blob` is bound to: this format, its case and the entry."""
    return length_prefixed("person-entry", case_id, entry_id)


def seal_text(public_key: bytes, case_id: str, entry_id: str, text: str) -> bytes:
    """An entry's text sealed to the person's public key (whoever seals cannot open it)."""
    return hpke_seal(bytes(public_key), text.encode(), entry_context(case_id, entry_id))


def open_text(private_key: bytes, case_id: str, entry_id: str, blob: bytes) -> str:
    """The text of an entry's `person_blob`; DecryptionError if it does not open."""
    return hpke_open(private_key, bytes(blob), entry_context(case_id, entry_id)).decode()


def person_blob(case: Case, kind: str, entry_id: str, text: str) -> bytes | None:
    """The `person_blob` of an entry about to be stored: its text sealed to the case's
    person key, if the case has one (sealed mode, a web case) and the thread shows it."""
    if case.person_public_key is None or kind not in THREAD_KINDS:
        return None
    return seal_text(case.person_public_key, case.id, entry_id, text)


async def bind(session: AsyncSession, case: Case, key: PassphraseKey) -> None:
    """Give `case` a new key pair under `key` (a new passphrase). What was sealed to an
    earlier key pair is dropped: its private half is gone with the old passphrase."""
    public, wrapped = new_key_pair(key, case.id)
    await session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(person_public_key=public, person_key_blob=wrapped)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CaseEntry)
        .where(CaseEntry.case_id == case.id, CaseEntry.person_blob.is_not(None))
        .values(person_blob=None)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(case)


async def opened_thread(
    session: AsyncSession, case: Case, private_key: bytes
) -> list[tuple[CaseEntry, str | None]]:
    """The thread of `case`, oldest first, each entry with its text opened with the person's
    private key; None for an entry not sealed to it (written before this passphrase)."""
    query = (
        select(CaseEntry)
        .where(CaseEntry.case_id == case.id, CaseEntry.kind.in_(THREAD_KINDS))
        .order_by(CaseEntry.seq, CaseEntry.created_at, CaseEntry.id)
    )
    out: list[tuple[CaseEntry, str | None]] = []
    for entry in (await session.scalars(query)).all():
        text = None
        if entry.person_blob is not None:
            try:
                text = open_text(private_key, case.id, entry.id, entry.person_blob)
            except DecryptionError:  # sealed to an older key pair (a race with a new one)
                text = None
        out.append((entry, text))
    return out
