"""The person's own key pair (sealed mode's web thread): the private half wrapped under a key
from the passphrase, bound to its case; the thread's texts sealed to the public half, bound to
case and entry."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casework import codewords
from storage import person_keys
from storage.crypto import DecryptionError

PHRASE = "abacus ripple lantern"


@pytest.fixture(scope="module")
def key() -> person_keys.PassphraseKey:
    return person_keys.derive_new(PHRASE)  # Argon2id: derived once for the module


def test_the_private_key_unwraps_with_the_same_passphrase_only(
    key: person_keys.PassphraseKey,
) -> None:
    public, blob = person_keys.new_key_pair(key, "case-1")
    again = person_keys.derive_for(PHRASE, blob)
    assert again == key
    private = person_keys.open_private(again, "case-1", blob)
    assert X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw() == public
    wrong = person_keys.derive_for("abacus ripple lanterns", blob)
    with pytest.raises(DecryptionError):
        person_keys.open_private(wrong, "case-1", blob)
    assert private not in blob
    assert PHRASE.encode() not in blob


def test_the_blob_names_its_parameters_and_has_its_own_salt(
    key: person_keys.PassphraseKey,
) -> None:
    _, blob = person_keys.new_key_pair(key, "case-1")
    assert b"argon2id$m=19456,t=2,p=1" in blob
    other = person_keys.derive_new(PHRASE)
    assert other.header != key.header  # a fresh salt each time
    assert other.key != key.key
    _, other_blob = person_keys.new_key_pair(other, "case-1")
    with pytest.raises(DecryptionError):  # a key of another salt does not open it
        person_keys.open_private(key, "case-1", other_blob)
    # Not the login hash's derivation: that one's salt and output are elsewhere, and even
    # the same salt would not give this key (Argon2's associated data differs).
    digest = codewords.digest(PHRASE)
    assert key.key.hex() not in digest
    assert codewords._unb64(digest.split("$")[3]) != key.key


def test_a_wrapped_key_moved_to_another_case_or_changed_does_not_open(
    key: person_keys.PassphraseKey,
) -> None:
    _, blob = person_keys.new_key_pair(key, "case-1")
    with pytest.raises(DecryptionError):
        person_keys.open_private(key, "case-2", blob)
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError):
        person_keys.open_private(key, "case-1", flipped)
    weaker = blob.replace(b"t=2", b"t=1")  # parameters are authenticated too
    with pytest.raises(DecryptionError):
        person_keys.open_private(person_keys.derive_for(PHRASE, weaker), "case-1", weaker)
    for broken in (b"", blob[:20], b"\x02" + blob[1:], blob.replace(b"m=19456", b"m=9999999")):
        with pytest.raises(DecryptionError):
            person_keys.derive_for(PHRASE, broken)


def test_an_entry_sealed_to_the_person_opens_for_its_case_and_entry_only(
    key: person_keys.PassphraseKey,
) -> None:
    public, blob = person_keys.new_key_pair(key, "case-1")
    private = person_keys.open_private(key, "case-1", blob)
    sealed = person_keys.seal_text(public, "case-1", "entry-1", "Привет, help is here.")
    assert person_keys.open_text(private, "case-1", "entry-1", sealed) == "Привет, help is here."
    for case_id, entry_id in (("case-2", "entry-1"), ("case-1", "entry-2")):
        with pytest.raises(DecryptionError):
            person_keys.open_text(private, case_id, entry_id, sealed)
    stranger = X25519PrivateKey.generate().private_bytes_raw()
    with pytest.raises(DecryptionError):
        person_keys.open_text(stranger, "case-1", "entry-1", sealed)
