"""Crypto: round trips, and every way a blob can be misused fails loudly and without plaintext."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from storage.crypto import (
    Cipher,
    DecryptionError,
    KeyConfigError,
    MasterKey,
    MasterKeyWrapper,
    Pseudonymizer,
    SealedRecord,
    generate_master_key,
    parse_master_keys,
    wrapped_key_id,
)

SECRET = b"PLAINTEXT-MARKER deserted unit 12345"


def _cipher(*entries: str) -> Cipher:
    return Cipher(MasterKeyWrapper(parse_master_keys(",".join(entries))))


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


def test_field_round_trip(cipher: Cipher) -> None:
    key = cipher.new_data_key()
    blob = cipher.encrypt(key, "case:1", "answers", SECRET)
    assert SECRET not in blob
    assert cipher.decrypt(key, "case:1", "answers", blob) == SECRET


def test_json_round_trip(cipher: Cipher) -> None:
    key = cipher.new_data_key()
    value = {"situation": "мобилизован", "n": [1, 2], "ok": True}
    blob = cipher.encrypt_json(key, "case:1", "answers", value)
    assert cipher.decrypt_json(key, "case:1", "answers", blob) == value


def test_same_plaintext_encrypts_differently(cipher: Cipher) -> None:
    key = cipher.new_data_key()
    first = cipher.encrypt(key, "case:1", "answers", SECRET)
    assert first != cipher.encrypt(key, "case:1", "answers", SECRET)


def test_data_keys_are_random_32_bytes(cipher: Cipher) -> None:
    keys = {cipher.new_data_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(key) == 32 for key in keys)


@pytest.mark.parametrize("index", [0, 5, 20, -1])
def test_tampered_ciphertext_is_rejected(cipher: Cipher, index: int) -> None:
    key = cipher.new_data_key()
    blob = cipher.encrypt(key, "case:1", "answers", SECRET)
    with pytest.raises(DecryptionError) as info:
        cipher.decrypt(key, "case:1", "answers", _flip(blob, index % len(blob)))
    assert "MARKER" not in str(info.value)


def test_truncated_ciphertext_is_rejected(cipher: Cipher) -> None:
    key = cipher.new_data_key()
    blob = cipher.encrypt(key, "case:1", "answers", SECRET)
    for cut in (0, 1, 10, len(blob) - 1):
        with pytest.raises(DecryptionError):
            cipher.decrypt(key, "case:1", "answers", blob[:cut])


@pytest.mark.parametrize(
    ("record", "field"),
    [("case:2", "answers"), ("case:1", "notes"), ("case:1answers", ""), ("case", ":1answers")],
)
def test_ciphertext_moved_to_another_record_or_field(
    cipher: Cipher, record: str, field: str
) -> None:
    key = cipher.new_data_key()
    blob = cipher.encrypt(key, "case:1", "answers", SECRET)
    with pytest.raises(DecryptionError):
        cipher.decrypt(key, record, field, blob)


def test_wrong_data_key(cipher: Cipher) -> None:
    blob = cipher.encrypt(cipher.new_data_key(), "case:1", "answers", SECRET)
    with pytest.raises(DecryptionError):
        cipher.decrypt(cipher.new_data_key(), "case:1", "answers", blob)


def test_wrapped_key_round_trip_and_record_binding(cipher: Cipher) -> None:
    key = cipher.new_data_key()
    wrapped = cipher.wrap_key(key, "case:1")
    assert key not in wrapped
    assert cipher.unwrap_key(wrapped, "case:1") == key
    with pytest.raises(DecryptionError):
        cipher.unwrap_key(wrapped, "case:2")


def test_tampered_wrapped_key(cipher: Cipher) -> None:
    wrapped = cipher.wrap_key(cipher.new_data_key(), "case:1")
    for index in range(len(wrapped)):
        with pytest.raises(DecryptionError):
            cipher.unwrap_key(_flip(wrapped, index), "case:1")


def test_wrong_master_key_with_same_id() -> None:
    one = MasterKeyWrapper([MasterKey("k1", b"\x01" * 32)])
    other = MasterKeyWrapper([MasterKey("k1", b"\x02" * 32)])
    wrapped = Cipher(one).wrap_key(b"\x00" * 32, "case:1")
    with pytest.raises(DecryptionError):
        Cipher(other).unwrap_key(wrapped, "case:1")


def test_unknown_key_id() -> None:
    old, new = generate_master_key(), "knew:" + base64.urlsafe_b64encode(b"\x07" * 32).decode()
    wrapped = _cipher(old).wrap_key(b"\x00" * 32, "case:1")
    with pytest.raises(DecryptionError, match="not configured"):
        _cipher(new).unwrap_key(wrapped, "case:1")


def test_rotation_wraps_under_newest_and_unwraps_old() -> None:
    old = "kold:" + base64.urlsafe_b64encode(b"\x01" * 32).decode()
    new = "knew:" + base64.urlsafe_b64encode(b"\x02" * 32).decode()
    before = MasterKeyWrapper(parse_master_keys(old))
    after = MasterKeyWrapper(parse_master_keys(f"{new}\n{old}"))
    assert after.newest_key_id == "knew"
    old_blob = Cipher(before).wrap_key(b"\x05" * 32, "person:1")
    assert before.key_id_of(old_blob) == "kold"
    assert Cipher(after).unwrap_key(old_blob, "person:1") == b"\x05" * 32
    new_blob = Cipher(after).wrap_key(b"\x05" * 32, "person:1")
    assert after.key_id_of(new_blob) == "knew"
    with pytest.raises(DecryptionError):
        Cipher(before).unwrap_key(new_blob, "person:1")


def test_rewrap_keeps_the_data_key_and_moves_it_to_the_newest_master_key() -> None:
    old = "kold:" + base64.urlsafe_b64encode(b"\x01" * 32).decode()
    new = "knew:" + base64.urlsafe_b64encode(b"\x02" * 32).decode()
    both = _cipher(new, old)
    old_blob = _cipher(old).wrap_key(b"\x05" * 32, "case:1")
    assert (both.key_id_of(old_blob), both.newest_key_id) == ("kold", "knew")
    fresh = both.rewrap_key(old_blob, "case:1")
    assert fresh != old_blob
    assert wrapped_key_id(fresh) == "knew"
    assert _cipher(new).unwrap_key(fresh, "case:1") == b"\x05" * 32
    with pytest.raises(DecryptionError):
        both.rewrap_key(old_blob, "case:2")  # still bound to its record
    with pytest.raises(DecryptionError, match="not configured"):
        _cipher(new).rewrap_key(old_blob, "case:1")


@pytest.mark.parametrize(
    "blob", [b"", b"\x02\x01k" + b"\x00" * 40, b"\x01\x05k", b"\x01\x02\xff\xfe" + b"\x00" * 40]
)
def test_wrapped_key_id_refuses_what_is_not_a_wrapped_key(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        wrapped_key_id(blob)


def test_generated_key_format_and_parse() -> None:
    entry = generate_master_key()
    assert re.fullmatch(r"k\d{14}-[0-9a-f]{6}:[A-Za-z0-9_-]{43}", entry)
    (key,) = parse_master_keys(entry)
    assert key.key_id == entry.split(":")[0]
    assert len(key.key) == 32
    assert generate_master_key().split(":")[1] != entry.split(":")[1]


def test_parse_accepts_padding_and_whitespace_separators() -> None:
    raw = base64.urlsafe_b64encode(b"\x03" * 32).decode()  # with "=" padding
    keys = parse_master_keys(f"  a:{raw} ,\n b_2-x:{raw.rstrip('=')}\n")
    assert [k.key_id for k in keys] == ["a", "b_2-x"]
    assert keys[0].key == keys[1].key == b"\x03" * 32


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no master key"),
        (" ,\n ", "no master key"),
        ("justsomebase64", "ID:BASE64URL"),
        ("bad.id:AAAA", "id must match"),
        ("x" * 33 + ":AAAA", "id must match"),
        (":AAAA", "id must match"),
        ("k1:not*base64", "not valid base64url"),
        ("k1:" + base64.urlsafe_b64encode(b"\x01" * 16).decode(), "16 bytes"),
        ("k1:" + base64.urlsafe_b64encode(b"\x01" * 33).decode(), "33 bytes"),
    ],
)
def test_parse_errors(value: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        parse_master_keys(value)


def test_parse_rejects_duplicate_ids_without_echoing_keys() -> None:
    secret = base64.urlsafe_b64encode(b"\x09" * 32).decode()
    with pytest.raises(KeyConfigError, match="more than once") as info:
        parse_master_keys(f"k1:{secret},k1:{secret}")
    assert secret not in str(info.value)
    assert secret.rstrip("=") not in str(info.value)


def test_master_key_repr_hides_key() -> None:
    key = MasterKey("k1", b"\xaa" * 32)
    assert "aa" not in repr(key).lower().replace("k1", "")


def test_pseudonyms_are_stable_and_domain_separated() -> None:
    key_a, key_b = b"\x01" * 32, b"\x02" * 32
    pseudonymize = Pseudonymizer(key_a)
    assert pseudonymize("person", 123456789) == Pseudonymizer(key_a)("person", 123456789)
    assert pseudonymize("person", 123456789) == pseudonymize("person", "123456789")
    assert pseudonymize("person", 123456789) != pseudonymize("volunteer", 123456789)
    assert pseudonymize("person", 123456789) != pseudonymize("person", 123456780)
    assert pseudonymize("person", 123456789) != Pseudonymizer(key_b)("person", 123456789)
    assert re.fullmatch(r"[0-9a-f]{64}", pseudonymize("person", 1))


def test_pseudonym_is_not_a_plain_hash() -> None:
    pseudonym = Pseudonymizer(b"\x01" * 32)("person", 123456789)
    assert pseudonym != hashlib.sha256(b"123456789").hexdigest()
    assert pseudonym != hashlib.sha256(b"person:123456789").hexdigest()
    assert "123456789" not in pseudonym


def test_pseudonymizer_rejects_short_keys() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Pseudonymizer(b"short")


def test_keys_generated_in_the_same_second_have_different_ids() -> None:
    ids = {parse_master_keys(generate_master_key())[0].key_id for _ in range(50)}
    assert len(ids) == 50


# --- the sealed-record interface -----------------------------------------------------------------


def test_sealed_record_round_trip(cipher: Cipher) -> None:
    sealed, _wrapped = cipher.new_record("case:1")
    blob = sealed.seal("answers", SECRET)
    assert SECRET not in blob
    assert sealed.open("answers", blob) == SECRET
    assert sealed.open_text("reason", sealed.seal_text("reason", "дезертир")) == "дезертир"
    value = {"situation": "мобилизован", "n": [1, 2]}
    assert sealed.open_json("answers", sealed.seal_json("answers", value)) == value


def test_sealed_field_does_not_open_under_another_record_or_field(cipher: Cipher) -> None:
    sealed, wrapped = cipher.new_record("case:1")
    blob = sealed.seal("answers", SECRET)
    same_key = cipher.unwrap_key(wrapped, "case:1")
    with pytest.raises(DecryptionError):
        SealedRecord(cipher, "case:2", same_key).open("answers", blob)  # moved to another row
    with pytest.raises(DecryptionError):
        cipher.new_record("case:2")[0].open("answers", blob)
    with pytest.raises(DecryptionError):
        sealed.open("close_reason", blob)  # moved to another column
    with pytest.raises(DecryptionError):
        sealed.open("entry:2", sealed.seal("entry:1", SECRET))


def test_wrapped_key_of_a_new_record_opens_only_that_record(cipher: Cipher) -> None:
    sealed, wrapped = cipher.new_record("person:1")
    assert sealed.record == "person:1"
    blob = sealed.seal("chat_id", b"4242")
    assert cipher.record("person:1", wrapped).open("chat_id", blob) == b"4242"
    with pytest.raises(DecryptionError):
        cipher.record("person:2", wrapped)
    with pytest.raises(DecryptionError):
        cipher.record("volunteer:1", wrapped)


def test_sealed_record_keeps_the_stored_format(cipher: Cipher) -> None:
    """Rows written before the interface open with it, and what it writes opens the old way."""
    sealed, wrapped = cipher.new_record("case:1")
    key = cipher.unwrap_key(wrapped, "case:1")  # the key blob is today's `wrap_key` format
    assert cipher.decrypt(key, "case:1", "answers", sealed.seal("answers", SECRET)) == SECRET
    value = {"a": "б", "n": 1}
    assert cipher.decrypt_json(key, "case:1", "answers", sealed.seal_json("answers", value)) == {
        "a": "б",
        "n": 1,
    }
    old_wrapped = cipher.wrap_key(key, "case:1")
    old_blob = cipher.encrypt(key, "case:1", "close_reason", "спам".encode())
    assert cipher.record("case:1", old_wrapped).open_text("close_reason", old_blob) == "спам"
    old_json = cipher.encrypt_json(key, "case:1", "answers", value)
    assert cipher.record("case:1", old_wrapped).open_json("answers", old_json) == value


def test_sealed_record_repr_hides_key(cipher: Cipher) -> None:
    sealed, wrapped = cipher.new_record("case:1")
    key = cipher.unwrap_key(wrapped, "case:1")
    shown = repr(sealed)
    assert "case:1" in shown
    assert key.hex() not in shown
    assert repr(key) not in shown


def test_secret_is_wrapped_like_a_data_key_and_bound_to_its_record(cipher: Cipher) -> None:
    wrapped = cipher.new_secret("keyring:pseudonym")
    secret = cipher.open_secret("keyring:pseudonym", wrapped)
    assert len(secret) == 32
    assert secret not in wrapped
    assert cipher.unwrap_key(wrapped, "keyring:pseudonym") == secret
    assert cipher.open_secret("keyring:x", cipher.wrap_key(secret, "keyring:x")) == secret
    with pytest.raises(DecryptionError):
        cipher.open_secret("keyring:other", wrapped)
