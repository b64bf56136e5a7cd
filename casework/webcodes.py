"""`/web`: a one-time code that lets a person continue their open Telegram case on the web door.

The code is 60 random bits typed as XXXX-XXXX-XXXX (Crockford base32: case, spaces, dashes
and O/I/L forgiven), like a volunteer's invite. Only its keyed hash is stored (the bot's
pseudonym of the code), so a copy of the database holds no usable code; it works once, for
an hour, and only while the case is open. Using it on the web binds a new passphrase to the
case and makes its channel "web": from then on the volunteer's replies wait in the web thread
(a person cut off from Telegram reads them there, and they are not in the Telegram chat for
whoever holds the phone), while the person's own messages in the Telegram chat still join the
case as before.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import timedelta

from casework.turns import PseudonymOf
from storage.cases import REFERENCE_ALPHABET

CODE_TTL = timedelta(hours=1)
_LENGTH = 12  # 60 bits of Crockford base32
_GROUP = 4
_ALIASES = str.maketrans("OIL", "011")


@dataclass(frozen=True)
class WebCode:
    """What `/web` tells the person: the code (shown once, never stored) for their case."""

    language: str
    reference: str
    code: str


def new_code() -> str:
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_LENGTH))
    return "-".join(raw[i : i + _GROUP] for i in range(0, _LENGTH, _GROUP))


def normalize_code(text: str) -> str | None:
    """The canonical form of what someone typed, or None if it cannot be a code."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
    if len(cleaned) != _LENGTH or any(c not in REFERENCE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + _GROUP] for i in range(0, _LENGTH, _GROUP))


async def hash_code(pseudonyms: PseudonymOf, canonical: str) -> str:
    """The keyed hash kept for a code (off the event loop: in sealed mode it is slow)."""
    return await asyncio.to_thread(pseudonyms, "webcode", canonical)
