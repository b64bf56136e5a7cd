"""Desk keys (sealed mode): the intake seals to a public key and can open nothing it sealed."""

from __future__ import annotations

import base64
import re

import pytest

from storage.crypto import (
    Cipher,
    DecryptionError,
    DeskKeyWrapper,
    DeskPrivateKey,
    DeskPublicKey,
    KeyConfigError,
    MasterKeyWrapper,
    generate_desk_key_pair,
    generate_master_key,
    hpke_open,
    hpke_seal,
    parse_desk_private_keys,
    parse_desk_public_key,
    parse_master_keys,
    wrapped_key_id,
)

SECRET = b"PLAINTEXT-MARKER deserted unit 12345"


def _pair() -> tuple[list[DeskPrivateKey], DeskPublicKey]:
    private, public = generate_desk_key_pair()
    return parse_desk_private_keys(private), parse_desk_public_key(public)


def _intake(public: DeskPublicKey) -> Cipher:
    return Cipher(DeskKeyWrapper(public=public))


def _desk(*private: DeskPrivateKey) -> Cipher:
    return Cipher(DeskKeyWrapper(private=private))


def test_generated_pair_format_and_parse() -> None:
    private_entry, public_entry = generate_desk_key_pair()
    assert re.fullmatch(r"d\d{14}-[0-9a-f]{6}:[A-Za-z0-9_-]{43}", private_entry)
    assert re.fullmatch(r"d\d{14}-[0-9a-f]{6}:[A-Za-z0-9_-]{43}", public_entry)
    assert private_entry.split(":")[0] == public_entry.split(":")[0]
    assert private_entry.split(":")[1] != public_entry.split(":")[1]
    (private,) = parse_desk_private_keys(private_entry)
    public = parse_desk_public_key(public_entry)
    assert private.public() == public
    assert public.entry() == public_entry
    assert generate_desk_key_pair()[0] != private_entry
    assert private_entry.split(":")[1] not in repr(private)


def test_round_trip_from_the_intake_to_the_desk() -> None:
    (private,), public = _pair()
    sealed, blob = _intake(public).new_record("case:1")
    answers = sealed.seal_json("answers", {"story": SECRET.decode()})
    opened = _desk(private).record("case:1", blob)
    assert opened.open_json("answers", answers) == {"story": SECRET.decode()}
    assert wrapped_key_id(blob) == public.key_id
    assert _desk(private).key_id_of(blob) == public.key_id
    assert blob[0] == 2  # master-key blobs are version 1


def test_the_desk_wraps_to_its_own_newest_key() -> None:
    (private,), public = _pair()
    desk = _desk(private)
    assert desk.can_open
    assert desk.newest_key_id == private.key_id
    sealed, blob = desk.new_record("volunteer:1")
    assert desk.record("volunteer:1", blob).open("chat", sealed.seal("chat", SECRET)) == SECRET
    # what the desk wraps is opened by the same key the intake's blobs need
    assert DeskKeyWrapper(public=public, private=[private]).newest_key_id == public.key_id


def test_the_public_only_side_cannot_open_what_it_sealed_nor_anything() -> None:
    (private,), public = _pair()
    intake = _intake(public)
    assert not intake.can_open
    assert intake.newest_key_id == public.key_id
    _, blob = intake.new_record("case:1")
    with pytest.raises(DecryptionError, match="sealed to the desk"):
        intake.record("case:1", blob)
    _, from_desk = _desk(private).new_record("case:2")
    master = Cipher(MasterKeyWrapper(parse_master_keys(generate_master_key())))
    _, from_master = master.new_record("case:3")
    for other, record in ((from_desk, "case:2"), (from_master, "case:3"), (b"", "case:4")):
        with pytest.raises(DecryptionError, match="sealed to the desk"):
            intake.record(record, other)
    secret = intake.new_secret("keyring:desk")
    with pytest.raises(DecryptionError):
        intake.open_secret("keyring:desk", secret)


def test_a_blob_moved_to_another_record_or_field_fails() -> None:
    (private,), public = _pair()
    sealed, blob = _intake(public).new_record("case:1")
    _, other_blob = _intake(public).new_record("case:2")
    desk = _desk(private)
    with pytest.raises(DecryptionError):
        desk.record("case:2", blob)
    with pytest.raises(DecryptionError):
        desk.record("case:1", other_blob)
    answers = sealed.seal("answers", SECRET)
    with pytest.raises(DecryptionError):
        desk.record("case:1", blob).open("close_reason", answers)


def test_a_changed_header_or_ciphertext_fails() -> None:
    (private,), public = _pair()
    _, blob = _intake(public).new_record("case:1")
    desk = _desk(private)
    for index in (len(blob) - 1, len(blob) - 40, 2 + len(public.key_id) + 1):
        changed = blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]
        with pytest.raises(DecryptionError):
            desk.record("case:1", changed)
    with pytest.raises(DecryptionError):
        desk.record("case:1", blob[:-1])
    with pytest.raises(DecryptionError):
        desk.record("case:1", blob[: 2 + len(public.key_id) + 10])


def test_two_private_keys_during_a_rotation_both_open() -> None:
    (old,), old_public = _pair()
    (new,), new_public = _pair()
    _, under_old = _intake(old_public).new_record("case:1")
    _, under_new = _intake(new_public).new_record("case:2")
    both = _desk(new, old)
    assert both.newest_key_id == new.key_id
    assert both.record("case:1", under_old)
    assert both.record("case:2", under_new)
    moved = both.rewrap_key(under_old, "case:1")
    assert wrapped_key_id(moved) == new.key_id
    assert _desk(new).record("case:1", moved)
    with pytest.raises(DecryptionError, match="not configured"):
        _desk(new).record("case:1", under_old)
    private_entries = parse_desk_private_keys(
        f"{new.key_id}:{_b64(new.key)},\n{old.key_id}:{_b64(old.key)}"
    )
    assert [key.key_id for key in private_entries] == [new.key_id, old.key_id]
    assert DeskKeyWrapper(private=private_entries).key_ids == (new.key_id, old.key_id)


def test_a_wrong_key_under_the_right_id_fails() -> None:
    (private,), public = _pair()
    (stranger,), _ = _pair()
    impostor = DeskPrivateKey(private.key_id, stranger.key)
    _, blob = _intake(public).new_record("case:1")
    with pytest.raises(DecryptionError, match="failed authentication"):
        _desk(impostor).record("case:1", blob)
    with pytest.raises(DecryptionError, match="not configured"):
        _desk(stranger).record("case:1", blob)


def test_a_master_key_blob_is_not_a_desk_blob_and_the_reverse() -> None:
    (private,), public = _pair()
    master = Cipher(MasterKeyWrapper(parse_master_keys(generate_master_key())))
    _, master_blob = master.new_record("case:1")
    _, desk_blob = _intake(public).new_record("case:1")
    with pytest.raises(DecryptionError):
        _desk(private).record("case:1", master_blob)
    with pytest.raises(DecryptionError):
        master.record("case:1", desk_blob)
    assert wrapped_key_id(master_blob) == master.newest_key_id  # version 1 parsing unchanged


def test_the_blob_bytes_carry_no_plaintext() -> None:
    (private,), public = _pair()
    data_key = b"D" * 32
    blob = Cipher(DeskKeyWrapper(public=public)).wrap_key(data_key, "case:1")
    assert data_key not in blob
    assert b"case:1" not in blob
    assert public.key not in blob
    assert private.key not in blob
    sealed = hpke_seal(public.key, SECRET, b"delivery:1")
    assert SECRET not in sealed
    assert b"delivery:1" not in sealed


def test_hpke_seal_and_open() -> None:
    (private,), public = _pair()
    blob = hpke_seal(public.key, SECRET, b"delivery:1")
    assert hpke_seal(public.key, SECRET, b"delivery:1") != blob  # a fresh ephemeral key each time
    assert hpke_open(private.key, blob, b"delivery:1") == SECRET
    (stranger,), _ = _pair()
    bad = (
        (private.key, blob, b"delivery:2"),
        (stranger.key, blob, b"delivery:1"),
        (private.key, blob[:-1], b"delivery:1"),
        (private.key, blob[:10], b"delivery:1"),
        (private.key, b"", b"delivery:1"),
        (private.key[:31], blob, b"delivery:1"),
    )
    for key, sealed, context in bad:
        with pytest.raises(DecryptionError):
            hpke_open(key, sealed, context)
    with pytest.raises(KeyConfigError):
        hpke_seal(b"\x00" * 32, SECRET, b"x")  # a low-order point
    with pytest.raises(KeyConfigError):
        hpke_seal(b"\x01" * 31, SECRET, b"x")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "no desk public key given"),
        ("nocolon", "entry 1 is not of the form ID:BASE64URL"),
        ("bad!id:" + _b64(b"\x09" * 32), "entry 1: id must match"),
        ("d1:!!!notbase64!!!", "'d1' is not valid base64url"),
        ("d1:" + _b64(b"\x09" * 31), "'d1' decodes to 31 bytes, expected 32"),
        ("d1:" + _b64(b"\x09" * 32) + ",d2:" + _b64(b"\x08" * 32), "exactly one"),
        ("d1:" + _b64(b"\x00" * 32), "not a usable X25519 public key"),
    ],
)
def test_public_key_parse_errors_name_the_entry_without_key_material(value: str, said: str) -> None:
    with pytest.raises(KeyConfigError, match=re.escape(said)) as error:
        parse_desk_public_key(value)
    for part in re.split(r"[:,]", value):
        if len(part) > 8:
            assert part not in str(error.value)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (" \n", "no desk private key given"),
        ("d1:" + _b64(b"\x09" * 32) + ",oops", "entry 2 is not of the form ID:BASE64URL"),
        ("d1:" + _b64(b"\x09" * 32) + ",d1:" + _b64(b"\x08" * 32), "'d1' appears more than once"),
        ("d1:" + _b64(b"\x09" * 33), "'d1' decodes to 33 bytes, expected 32"),
    ],
)
def test_private_key_parse_errors_name_the_entry_without_key_material(
    value: str, said: str
) -> None:
    with pytest.raises(KeyConfigError, match=re.escape(said)) as error:
        parse_desk_private_keys(value)
    for part in re.split(r"[:,]", value):
        if len(part) > 8:
            assert part not in str(error.value)


def test_a_wrapper_needs_a_key_and_a_matching_public_half() -> None:
    (private,), _ = _pair()
    _, other_public = _pair()
    with pytest.raises(KeyConfigError, match="no desk key"):
        DeskKeyWrapper()
    with pytest.raises(KeyConfigError, match="not the public half"):
        DeskKeyWrapper(public=other_public, private=[private])
    with pytest.raises(KeyConfigError, match="more than once"):
        DeskKeyWrapper(private=[private, private])
    assert private.key.hex() not in repr(DeskKeyWrapper(private=[private]))
