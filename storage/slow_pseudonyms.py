"""Memory-hard pseudonyms for Telegram ids (sealed mode).

`storage.crypto.Pseudonymizer` is an HMAC: whoever holds its key and a copy of the database
reverses every pseudonym by trying all Telegram ids, about 2^33 of them (ids are mostly below
8.6e9), in minutes. On the sealed intake the key is on the exposed host, so a seized host gives
both. `SlowPseudonymizer` makes each try cost one Argon2id computation (RFC 9106) instead.

Parameters: 19 MiB of memory, 2 iterations, 1 lane (OWASP's first choice for Argon2id, the same
as casework/codewords.py). Measured on this project's development machine (2 shared cores,
2026): about 50 ms of one core per id (`cost_per_id_seconds`; the benchmark reports it). Trying
every id: 2^33 ids x 0.05 s = 4.3e8 core-seconds = about 13.6 CPU-years (8 CPU-years even at
30 ms). The 19 MiB per try keeps GPUs and ASICs from doing much better than a CPU core. It
does not protect one id someone already suspects: testing that costs one computation.

The salt is an HMAC of the key, so nobody without the key can even start trying; the key is
never part of the cache key nor of any message. The output is 64 hex characters, the width of
the `pseudonym` columns. An LRU cache makes a person's second message cost nothing; it maps a
fast keyed digest of (kind, value), not the id itself, to the pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from storage.crypto import KEY_BYTES

MEMORY_KIB = 19 * 1024
"""Argon2id memory per pseudonym, in KiB."""
ITERATIONS = 2
"""Argon2id passes over that memory."""
LANES = 1
"""Argon2id parallelism: one lane, so the cost is one core's."""
OUTPUT_BYTES = 32
"""Argon2id output length: 64 hex characters."""
CACHE_SIZE = 100_000
"""Pseudonyms kept per process (about 20 MB at most)."""


def _encode(*parts: str) -> bytes:
    """Length-prefix each part so that ("ab", "c") and ("a", "bc") never collide."""
    out = bytearray()
    for part in parts:
        raw = part.encode()
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


class SlowPseudonymizer:
    """Keyed, memory-hard pseudonyms, called like `storage.crypto.Pseudonymizer`.

    `kind` separates domains (a person and a volunteer with the same id get unrelated values);
    int 5 and str "5" map to the same value. Thread-safe: the cache is guarded by a lock and the
    computation runs outside it, so a caller may compute a first pseudonym on a worker thread
    while the event loop serves cached ones. `hits` and `misses` count cache use.
    """

    def __init__(
        self,
        key: bytes,
        *,
        cache_size: int = CACHE_SIZE,
        memory_kib: int = MEMORY_KIB,
        iterations: int = ITERATIONS,
    ) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"pseudonym keys are at least {KEY_BYTES} bytes")
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        if memory_kib < 8 * LANES or iterations < 1:
            raise ValueError("Argon2id needs memory_kib >= 8 and iterations >= 1")
        # Subkeys, so that no byte derived for one use is ever reused for another.
        self._salt = hmac.new(key, b"slow-pseudonym salt", hashlib.sha256).digest()
        self._cache_key = hmac.new(key, b"slow-pseudonym cache", hashlib.sha256).digest()
        self._memory_kib = memory_kib
        self._iterations = iterations
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return (
            f"SlowPseudonymizer(<key hidden>, memory_kib={self._memory_kib},"
            f" iterations={self._iterations})"
        )

    def __call__(self, kind: str, value: int | str) -> str:
        message = self._message(kind, value)
        slot = hmac.new(self._cache_key, message, hashlib.sha256).digest()
        with self._lock:
            found = self._cache.get(slot)
            if found is not None:
                self._cache.move_to_end(slot)
                self.hits += 1
                return found
            self.misses += 1
        pseudonym = self._compute(message)
        if self._cache_size:
            with self._lock:
                self._cache[slot] = pseudonym
                self._cache.move_to_end(slot)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return pseudonym

    def cached(self, kind: str, value: int | str) -> bool:
        """Whether `(kind, value)` would be answered from the cache (so the caller can skip a
        worker thread); does not count as a hit."""
        slot = hmac.new(self._cache_key, self._message(kind, value), hashlib.sha256).digest()
        with self._lock:
            return slot in self._cache

    def cost_per_id_seconds(self) -> float:
        """Seconds of one uncached computation with this instance's parameters (for the
        benchmark); the value hashed is random, and nothing is cached."""
        message = self._message("benchmark", secrets.token_hex(8))
        start = time.perf_counter()
        self._compute(message)
        return time.perf_counter() - start

    @staticmethod
    def _message(kind: str, value: int | str) -> bytes:
        if not kind:
            raise ValueError("kind must not be empty")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError("value must be an int or a str")
        return _encode("pseudonym", kind, str(value))

    def _compute(self, message: bytes) -> str:
        kdf = Argon2id(
            salt=self._salt,
            length=OUTPUT_BYTES,
            iterations=self._iterations,
            lanes=LANES,
            memory_cost=self._memory_kib,
        )
        return kdf.derive(message).hex()


def cost_per_id_seconds(
    *, memory_kib: int = MEMORY_KIB, iterations: int = ITERATIONS, rounds: int = 3
) -> float:
    """The fastest of `rounds` uncached computations under a throwaway key, in seconds: what
    one try of one Telegram id costs an attacker who holds the key."""
    pseudonymizer = SlowPseudonymizer(
        secrets.token_bytes(KEY_BYTES), cache_size=0, memory_kib=memory_kib, iterations=iterations
    )
    return min(pseudonymizer.cost_per_id_seconds() for _ in range(max(1, rounds)))


def years_to_try_every_id(seconds_per_id: float, ids: int = 2**33) -> float:
    """CPU-years to try `ids` Telegram ids at `seconds_per_id` each (the docstring's sum)."""
    return ids * seconds_per_id / (365.25 * 24 * 3600)
