"""Sealed mode's web thread: the intake side (where the web door runs) shows a person their
thread with a key pair of their own, whose private half only their passphrase unwraps.

The intake is the web door's services (`role="intake"`, the desk's public key only); the desk
is a second `Services` on the same database (`role="desk"`, the desk's private key, no master
key), and a volunteer's reply is made there by the desk's own casework code, as `/reply`
runs it. Then every key the intake holds is tried on what was sealed to the person.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from sqlalchemy import select, update

from bot.services import Services
from bot.settings import Settings
from casework.desk import case as case_view
from casework.desk import queue, talk
from casework.people import Person as Account
from locales.translator import Translator
from storage import keyring as keyring_store
from storage import person_keys
from storage.crypto import (
    NONCE_BYTES,
    Cipher,
    DecryptionError,
    DeskKeyWrapper,
    MasterKeyWrapper,
    generate_desk_key_pair,
    generate_master_key,
    hpke_open,
    parse_desk_private_keys,
    parse_master_keys,
)
from storage.entries import case_entries
from storage.models import Case, CaseEntry, KeyringEntry
from storage.rotation import rotate_keys
from tests.web.conftest import Door, OpenDoor
from tests.web.test_continue import PERSON, continued, telegram_case
from tests.web.test_thread import ADMIN, logged_in, sent
from web import passphrases

T = Translator.load()


@dataclass
class Sealed:
    door: Door
    """The intake side, with the web door."""
    desk: Services
    """The desk side, on the same database."""
    private: str
    """The desk's private key entry."""


@asynccontextmanager
async def desk_of(door: Door, private: str) -> AsyncIterator[Services]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token="2:x",
        database_url=door.services.settings.database_url,
        role="desk",
        desk_private_key=SecretStr(private),
        admin_ids=[ADMIN],
    )
    services = await Services.start(settings)
    try:
        yield services
    finally:
        await services.aclose()


@pytest.fixture
async def sealed(open_door: OpenDoor) -> AsyncIterator[Sealed]:
    private, public = generate_desk_key_pair()
    async with (
        open_door(role="intake", desk_public_key=SecretStr(public)) as door,
        desk_of(door, private) as desk,
    ):
        assert not door.services.cipher.can_open
        yield Sealed(door, desk, private)


async def desk_replies(desk: Services, reference: str, text: str) -> list[str]:
    """On the desk: the admin takes the case and replies, what they are told."""
    account = Account(ADMIN, ADMIN)
    async with desk.desk.work(account) as work:
        await queue.take(work, reference)
    async with desk.desk.work(account) as work:
        await talk.reply(work, reference, text)
        assert all(not m.to_person for m in work.sends)  # no delivery: it waits in the thread
        return [m.text for m in work.sends]


async def stored(door: Door, case_id: str) -> tuple[Case, list[CaseEntry]]:
    async with door.services.sessions() as db:
        case = await db.get(Case, case_id)
        assert case is not None
        entries = list(
            await db.scalars(
                select(CaseEntry).where(CaseEntry.case_id == case_id).order_by(CaseEntry.seq)
            )
        )
        return case, entries


async def test_the_person_reads_the_volunteers_reply_and_their_own_message(
    sealed: Sealed,
) -> None:
    door = sealed.door
    case, passphrase = await sent(door)
    assert case.person_public_key is not None
    assert case.person_key_blob is not None
    visitor, page = await logged_in(door, passphrase)
    assert page.body == T.text("en", "web-thread-empty-thread", reference=case.reference)
    told = await desk_replies(sealed.desk, case.reference, "We can help: here is what to do.")
    assert told == [T.text("ru", "desk-reply-web-waiting", reference=case.reference)]
    page = await visitor.get("/thread")
    assert page.body == T.text("en", "web-thread-intro", reference=case.reference)
    assert page.thread == ["Volunteer We can help: here is what to do."]
    page = await visitor.submit("/thread", text="Thank you, I will\r\ndo that.", write="1")
    assert page.thread == [
        "Volunteer We can help: here is what to do.",
        "You Thank you, I will do that.",
    ]
    assert T.text("en", "web-thread-earlier") not in page.html
    _, entries = await stored(door, case.id)
    assert [e.kind for e in entries] == ["volunteer", "person"]
    assert all(e.person_blob is not None for e in entries)
    # A note between volunteers is not sealed to the person, nor shown to them.
    async with sealed.desk.desk.work(Account(ADMIN, ADMIN)) as work:
        await case_view.note(work, case.reference, "Internal: check the route.")
    _, entries = await stored(door, case.id)
    assert [(e.kind, e.person_blob is None) for e in entries][-1] == ("note", True)
    page = await visitor.get("/thread")
    assert len(page.thread) == 2
    # The desk opens the same thread with its own key: the person's copy is an extra.
    async with sealed.desk.sessions() as db:
        desk_case = await db.get(Case, case.id)
        assert desk_case is not None
        texts = [text for _, text in await case_entries(db, sealed.desk.cipher, desk_case)]
    assert texts[:2] == ["We can help: here is what to do.", "Thank you, I will\ndo that."]


async def test_a_wrong_passphrase_cannot_open_the_key(sealed: Sealed) -> None:
    door = sealed.door
    case, passphrase = await sent(door)
    kept, _ = await stored(door, case.id)
    assert kept.person_key_blob is not None
    blob = bytes(kept.person_key_blob)
    words = passphrase.split(" ")
    wrong = " ".join([*words[:-1], "zzzz"])
    assert await passphrases.open_person_key(wrong, case.id, blob) is None
    assert await passphrases.open_person_key(passphrase, "another-case", blob) is None
    right = await passphrases.open_person_key(passphrase.upper(), case.id, blob)  # as typed
    assert right is not None
    _, page = await logged_in(door, wrong)
    assert T.text("en", "web-login-failed") in page.notices


async def test_nothing_sealed_to_the_person_opens_with_a_key_the_intake_holds(
    sealed: Sealed,
) -> None:
    """A seized intake host: its master keys, its keyring (pseudonym and delivery keys) and
    the desk's public key, tried on the person's wrapped key and on their thread."""
    door = sealed.door
    case, passphrase = await sent(door)
    await desk_replies(sealed.desk, case.reference, "SEALED-REPLY-3c1f")
    visitor, _ = await logged_in(door, passphrase)
    await visitor.submit("/thread", text="SEALED-FOLLOWUP-9d2e", write="1")
    kept, entries = await stored(door, case.id)
    assert kept.person_key_blob is not None
    settings = door.services.settings
    master = Cipher(MasterKeyWrapper(settings.keys()))
    async with door.services.sessions() as db:
        keyring = {row.name: bytes(row.blob) for row in await db.scalars(select(KeyringEntry))}
    masters = settings.keys()
    held = [key.key for key in masters]
    held += [
        master.open_secret(keyring_store.keyring_record(name), blob)
        for name, blob in keyring.items()
        if name in (keyring_store.PSEUDONYM_KEY_NAME, keyring_store.DELIVERY_KEY_NAME)
    ]
    assert len(held) == 3
    held.append(settings.desk_public().key)  # public, but try it all the same
    blob = bytes(kept.person_key_blob)
    nonce_at = len(blob) - NONCE_BYTES - 32 - 16
    nonce, sealed_key = blob[nonce_at : nonce_at + NONCE_BYTES], blob[nonce_at + NONCE_BYTES :]
    header = blob[:nonce_at]
    for key in held:
        with pytest.raises(DecryptionError):  # as the person's derived key, or as a record key
            person_keys.open_private(person_keys.PassphraseKey(header, key), case.id, blob)
        with pytest.raises(DecryptionError):
            master.record(f"case:{case.id}", blob)
        with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: AES-GCM's own
            AESGCM(key).decrypt(nonce, sealed_key, None)
        for entry in entries:
            assert entry.person_blob is not None
            with pytest.raises(DecryptionError):
                person_keys.open_text(key, case.id, entry.id, bytes(entry.person_blob))
            with pytest.raises(DecryptionError):
                hpke_open(key, bytes(entry.person_blob), b"")
    everything = b"".join(
        [blob, bytes(kept.person_public_key or b"")]
        + [bytes(e.person_blob or b"") + bytes(e.body_enc) for e in entries]
    )
    for marker in (b"SEALED-REPLY-3c1f", b"SEALED-FOLLOWUP-9d2e", passphrase.encode()):
        assert marker not in everything
    # The desk's private key does not open them either: they are the person's alone.
    desk = parse_desk_private_keys(sealed.private)[0].key
    with pytest.raises(DecryptionError):
        person_keys.open_text(desk, case.id, entries[0].id, bytes(entries[0].person_blob or b""))
    assert DeskKeyWrapper(private=parse_desk_private_keys(sealed.private)).can_unwrap


async def test_a_continued_case_shows_only_what_was_written_since(sealed: Sealed) -> None:
    door = sealed.door
    case = await telegram_case(door)
    earlier = await door.services.followup.add_to_open_case(PERSON, "Written in Telegram first.")
    assert earlier is not None
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    _, page = await continued(door, minted.code)
    first = page.passphrase
    visitor, page = await logged_in(door, first)
    assert page.thread == [f"You {T.text('en', 'web-thread-earlier-entry')}"]
    assert T.text("en", "web-thread-earlier") in page.html
    await desk_replies(sealed.desk, case.reference, "Now we talk here.")
    page = await visitor.get("/thread")
    assert page.thread == [
        f"You {T.text('en', 'web-thread-earlier-entry')}",
        "Volunteer Now we talk here.",
    ]
    # A new code, a new passphrase: a new key pair, and what the old one could read is gone.
    again = await door.services.followup.web_code(PERSON)
    assert again is not None
    old_key = (await stored(door, case.id))[0].person_public_key
    _, page = await continued(door, again.code)
    kept, entries = await stored(door, case.id)
    assert kept.person_public_key != old_key
    assert all(e.person_blob is None for e in entries)
    _, page = await logged_in(door, page.passphrase)
    earlier_entry = T.text("en", "web-thread-earlier-entry")
    assert page.thread == [f"You {earlier_entry}", f"Volunteer {earlier_entry}"]
    _, refused = await logged_in(door, first)
    assert T.text("en", "web-login-failed") in refused.notices


async def test_a_sealed_case_without_a_person_key_says_it_cannot_be_shown(
    sealed: Sealed,
) -> None:
    """A web case sent before the person's key pair existed (none to seal to)."""
    door = sealed.door
    case, passphrase = await sent(door)
    async with door.services.sessions() as db, db.begin():
        await db.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(person_public_key=None, person_key_blob=None)
        )
    visitor, page = await logged_in(door, passphrase)
    assert page.body == T.text("en", "web-thread-sealed", reference=case.reference)
    assert page.thread == []
    page = await visitor.submit("/thread", text="Still here.", write="1")
    assert page.body == T.text("en", "web-thread-sealed", reference=case.reference)


async def test_key_rotation_leaves_the_persons_thread_readable(sealed: Sealed) -> None:
    """`keys rotate-desk` re-wraps every data key under the newest desk key and `keys rotate`
    the intake's keyring under its newest master key; what is sealed to the person is under
    their key, neither a desk nor a master key, and stays as it was."""
    door = sealed.door
    case, passphrase = await sent(door)
    await desk_replies(sealed.desk, case.reference, "Before the rotation.")
    before, entries_before = await stored(door, case.id)
    newer_private, _ = generate_desk_key_pair()
    desk = DeskKeyWrapper(private=parse_desk_private_keys(f"{newer_private},{sealed.private}"))
    report = await rotate_keys(door.services.sessions, Cipher(desk), key_ids=desk.key_ids)
    assert report.remaining == 0
    assert report.unreadable == 0
    old_master = door.services.settings.keys()
    intake = MasterKeyWrapper(parse_master_keys(generate_master_key()) + old_master)
    own = [key.key_id for key in old_master]
    report = await rotate_keys(door.services.sessions, Cipher(intake), key_ids=own)
    assert report.remaining == 0
    after, entries_after = await stored(door, case.id)
    assert after.key_blob != before.key_blob  # rotated
    assert (after.person_public_key, after.person_key_blob) == (
        before.person_public_key,
        before.person_key_blob,
    )
    assert [e.person_blob for e in entries_after] == [e.person_blob for e in entries_before]
    _, page = await logged_in(door, passphrase)
    assert page.thread == ["Volunteer Before the rotation."]


async def test_an_edit_in_telegram_is_sealed_to_the_person_again(sealed: Sealed) -> None:
    """A continued case still takes the Telegram chat: an edited follow-up replaces the text
    the person reads too."""
    door = sealed.door
    await telegram_case(door)
    minted = await door.services.followup.web_code(PERSON)
    assert minted is not None
    _, page = await continued(door, minted.code)
    visitor, _ = await logged_in(door, page.passphrase)
    added = await door.services.followup.add_to_open_case(PERSON, "Typo herre.")
    assert added is not None
    assert (await visitor.get("/thread")).thread == ["You Typo herre."]
    async with door.services.sessions() as db:
        entry_id = (await db.scalars(select(CaseEntry.id))).one()
    assert await door.services.edits.edit_entry(entry_id, "Typo here, fixed.") is not None
    assert (await visitor.get("/thread")).thread == ["You Typo here, fixed."]
