"""Codewords: turned into a slow, salted hash before anything keeps them, and checked against it.

Argon2id (RFC 9106) from `cryptography`, with the parameters OWASP's password storage cheat sheet
gives as its first choice (19 MiB, 2 iterations, 1 lane): slow and memory-hard enough that a
stolen hash does not give up a short word in an afternoon, fast enough (about 0.1 s) to check
on the bot's thread pool. The stored form names its parameters, so they can be raised later
without breaking the hashes already kept.

A codeword is compared as a person would mean it: Unicode-normalised, case and "ё" ignored,
spaces squeezed. Someone who typed "Ёлка  Зимой" at the intake and "елка зимой" later matches.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import os
import unicodedata
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

STEP = "codeword"
"""The questionnaire step that asks for it (`dialogs/intake.yaml`, kind `secret`)."""
TRIES = 3
"""Wrong answers to one check before the case is flagged."""
MIN_LENGTH = 4

_MEMORY_KIB = 19 * 1024
_ITERATIONS = 2
_LANES = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_SCHEME = "argon2id"


def split(answers: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A questionnaire's answers without the codeword's hash, and the hash ("" if none): the
    hash is kept apart from the answers, so nobody reading a case ever sees it."""
    rest = {step: answer for step, answer in answers.items() if step != STEP}
    return rest, str(answers.get(STEP) or "")


def normalize(codeword: str) -> str:
    folded = unicodedata.normalize("NFKC", codeword).casefold().replace("ё", "е")
    return " ".join(folded.split())


def digest(codeword: str) -> str:
    """The form a codeword is kept in: scheme, parameters, salt and hash, never the word."""
    salt = os.urandom(_SALT_BYTES)
    derived = _derive(normalize(codeword), salt, _MEMORY_KIB, _ITERATIONS, _LANES)
    return "$".join(
        (_SCHEME, f"m={_MEMORY_KIB},t={_ITERATIONS},p={_LANES}", _b64(salt), _b64(derived))
    )


def matches(codeword: str, kept: str) -> bool:
    """Whether `codeword` is the one `kept` was made from (a malformed `kept` matches nothing)."""
    try:
        scheme, parameters, salt, expected = kept.split("$")
        values = dict(item.split("=") for item in parameters.split(","))
        memory, iterations, lanes = int(values["m"]), int(values["t"]), int(values["p"])
        salt_bytes, expected_bytes = _unb64(salt), _unb64(expected)
    except (ValueError, KeyError):
        return False
    if scheme != _SCHEME:
        return False
    derived = _derive(normalize(codeword), salt_bytes, memory, iterations, lanes)
    return hmac.compare_digest(derived, expected_bytes)


async def digest_off_loop(codeword: str) -> str:
    """`digest` on a worker thread: a tenth of a second of hashing must not stall every chat."""
    return await asyncio.to_thread(digest, codeword)


async def matches_off_loop(codeword: str, kept: str) -> bool:
    return await asyncio.to_thread(matches, codeword, kept)


def _derive(text: str, salt: bytes, memory: int, iterations: int, lanes: int) -> bytes:
    kdf = Argon2id(
        salt=salt, length=_HASH_BYTES, iterations=iterations, lanes=lanes, memory_cost=memory
    )
    return kdf.derive(text.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
