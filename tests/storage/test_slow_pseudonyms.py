"""Memory-hard pseudonyms: deterministic per key, separated by kind, cached; no timing asserted."""

from __future__ import annotations

import re
import threading

import pytest

from storage import slow_pseudonyms
from storage.crypto import Pseudonymizer
from storage.slow_pseudonyms import SlowPseudonymizer

KEY = b"\x11" * 32
OTHER_KEY = b"\x22" * 32


def _fast(key: bytes = KEY, **options: int) -> SlowPseudonymizer:
    """The real computation with tiny parameters, so the tests stay quick."""
    return SlowPseudonymizer(key, memory_kib=64, iterations=1, **options)


def test_deterministic_for_the_same_key_and_64_hex_characters() -> None:
    first, second = _fast()("person", 123456789), _fast()("person", 123456789)
    assert first == second
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_default_parameters_give_the_same_shape() -> None:
    value = SlowPseudonymizer(KEY)("person", 42)
    assert re.fullmatch(r"[0-9a-f]{64}", value)
    assert value == SlowPseudonymizer(KEY)("person", 42)
    assert value != _fast()("person", 42)  # the parameters are part of the value


def test_kind_value_and_key_each_change_the_pseudonym() -> None:
    base = _fast()("person", 5)
    assert _fast()("volunteer", 5) != base
    assert _fast()("person", 6) != base
    assert _fast(OTHER_KEY)("person", 5) != base
    assert _fast()("person", 5) != Pseudonymizer(KEY)("person", 5)  # not the HMAC's value
    assert _fast()("pe", "rson5") != _fast()("per", "son5")


def test_int_and_str_of_the_same_id_are_the_same() -> None:
    assert _fast()("person", 5) == _fast()("person", "5")


def test_a_second_call_is_answered_from_the_cache() -> None:
    pseudonymize = _fast()
    first = pseudonymize("person", 777)
    assert (pseudonymize.hits, pseudonymize.misses) == (0, 1)
    assert not pseudonymize.cached("person", 778)
    assert pseudonymize.cached("person", 777)
    assert pseudonymize("person", "777") == first
    assert (pseudonymize.hits, pseudonymize.misses) == (1, 1)
    assert pseudonymize("volunteer", 777) != first
    assert pseudonymize.misses == 2


def test_the_cache_keeps_only_the_most_recent() -> None:
    pseudonymize = _fast(cache_size=2)
    for value in (1, 2, 1, 3):  # 2 is now the least recently used
        pseudonymize("person", value)
    assert pseudonymize.cached("person", 1)
    assert pseudonymize.cached("person", 3)
    assert not pseudonymize.cached("person", 2)
    uncached = _fast(cache_size=0)
    uncached("person", 1)
    uncached("person", 1)
    assert (uncached.hits, uncached.misses) == (0, 2)


def test_many_threads_get_the_same_values() -> None:
    pseudonymize = _fast(cache_size=10)
    expected = {value: _fast()("person", value) for value in range(20)}
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        for number in range(40):
            value = (number + offset) % 20
            found = pseudonymize("person", value)
            with lock:
                results.append((value, found))

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(expected[value] == found for value, found in results)
    assert pseudonymize.hits + pseudonymize.misses == 160


def test_repr_hides_the_key() -> None:
    text = repr(SlowPseudonymizer(KEY))
    assert "hidden" in text
    assert KEY.hex() not in text
    assert "\\x11" not in text


def test_refuses_short_keys_empty_kinds_and_other_values() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        SlowPseudonymizer(b"short")
    with pytest.raises(ValueError, match="kind"):
        _fast()("", 1)
    with pytest.raises(TypeError):
        _fast()("person", True)
    with pytest.raises(ValueError, match="memory_kib"):
        SlowPseudonymizer(KEY, memory_kib=4)


def test_cost_per_id_is_measured_and_caches_nothing() -> None:
    pseudonymize = _fast()
    assert pseudonymize.cost_per_id_seconds() > 0
    assert (pseudonymize.hits, pseudonymize.misses) == (0, 0)
    assert slow_pseudonyms.cost_per_id_seconds(memory_kib=64, iterations=1, rounds=1) > 0
    assert slow_pseudonyms.years_to_try_every_id(0.05) == pytest.approx(13.6, abs=0.1)
