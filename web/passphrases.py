"""A web case's passphrase: words drawn from a list in the person's language, shown once.

Entropy: English draws 5 words from the EFF large wordlist (7,776 words, shipped by the
`xkcdpass` package): 5 x log2(7776) = 5 x 12.92 = 64.6 bits. Russian draws 6 words from
`web/wordlists/ru.txt` (2,048 common nouns, 11 bits each; how they were chosen is in its
header): 6 x 11 = 66 bits. Both are at least 64 bits, drawn with `secrets`.

What is kept is never the words: a slow salted hash (Argon2id, as `casework.codewords`) and a
short keyed lookup value (16 bits of the bot's keyed pseudonym of the normalised phrase), so a
login hashes against the few cases that share its lookup value, not against every case, and a
copy of the database without the pseudonym key does not even give those 16 bits.

In sealed mode the passphrase also gives the key the case's own key pair is wrapped under
(`storage.person_keys`: Argon2id again, another salt): a login unwraps the private half, and
only with it can the thread be read on this side.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache
from importlib import resources
from pathlib import Path

from casework import codewords
from casework.turns import PseudonymOf
from storage import person_keys
from storage.crypto import DecryptionError

HERE = Path(__file__).resolve().parent

WORD_COUNT = {"en": 5, "ru": 6}
"""How many words each language draws: at least 64 bits from its list (see above)."""
LOOKUP_CHARS = 4
"""Hex digits of the keyed lookup value: 16 bits, so about one case in 65,536 shares it."""
MAX_LENGTH = 200
"""Longer than any passphrase made here (at most 6 words of at most 9 letters, EFF's hyphens
included): a longer guess is refused before it is hashed."""


@cache
def words(language: str) -> tuple[str, ...]:
    """The list of `language` (English for any other), each word once."""
    if language == "ru":
        lines = (HERE / "wordlists" / "ru.txt").read_text(encoding="utf-8").splitlines()
        found = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    else:  # the EFF large wordlist: "11111<TAB>abacus" in the original, one word a line here
        text = resources.files("xkcdpass").joinpath("static/eff-long").read_text("utf-8")
        found = [line.split()[-1] for line in text.splitlines() if line.strip()]
    unique = tuple(dict.fromkeys(found))
    assert len(unique) == len(found), "a wordlist repeats a word"
    return unique


def language_of(language: str) -> str:
    return language if language in WORD_COUNT else "en"


def generate(language: str) -> str:
    """A new passphrase: words separated by single spaces."""
    chosen = language_of(language)
    pool = words(chosen)
    return " ".join(secrets.choice(pool) for _ in range(WORD_COUNT[chosen]))


def normalize(passphrase: str) -> str:
    """As a person would mean it: case, "ё" and extra spaces ignored (`codewords.normalize`)."""
    return codewords.normalize(passphrase)


async def lookup_of(pseudonyms: PseudonymOf, passphrase: str) -> str:
    """The short keyed lookup value (off the event loop: in sealed mode the pseudonym is slow)."""
    value = await asyncio.to_thread(pseudonyms, "passphrase", normalize(passphrase))
    return value[:LOOKUP_CHARS]


async def digest(passphrase: str) -> str:
    """The slow salted hash that is stored (Argon2id, on a worker thread)."""
    return await codewords.digest_off_loop(normalize(passphrase))


async def matches(passphrase: str, kept: str) -> bool:
    return await codewords.matches_off_loop(normalize(passphrase), kept)


async def person_key(passphrase: str) -> person_keys.PassphraseKey:
    """The key a new case's own key pair is wrapped under (sealed mode; on a worker thread)."""
    return await asyncio.to_thread(person_keys.derive_new, normalize(passphrase))


async def open_person_key(passphrase: str, case_id: str, blob: bytes) -> bytes | None:
    """The case's private key, unwrapped with the key this passphrase gives (derived on a
    worker thread); None if it does not open."""
    try:
        key = await asyncio.to_thread(person_keys.derive_for, normalize(passphrase), bytes(blob))
        return person_keys.open_private(key, case_id, bytes(blob))
    except DecryptionError:
        return None


@cache
def decoy() -> str:
    """A hash no passphrase matches in practice: checked when no case has the lookup value,
    so an unknown passphrase takes as long as a wrong one."""
    return codewords.digest(secrets.token_urlsafe(32))
