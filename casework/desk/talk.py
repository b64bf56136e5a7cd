"""Talking to a case's person: a volunteer's own words, or a reply the team prepared."""

from __future__ import annotations

from casework import relay, verification
from casework.desk.access import Work, holder, holder_or_admin

CANNED = ("wait", "safety", "legal", "secure", "details")


async def reply(work: Work, reference: str, text: str) -> None:
    case = await work.case(reference, holder)
    await relay.to_person(work, case, text)
    await work.keep_command(case)


async def reply_to_relayed(work: Work, message_id: int, text: str) -> bool:
    """A Telegram reply to a relayed message: False if it answers no case they hold."""
    case = await relay.case_replied_to(work, message_id)
    if case is None:
        return False
    await relay.to_person(work, case, text)
    await work.keep_command(case)
    return True


async def verify(work: Work, reference: str) -> None:
    """Ask the person for their codeword; the volunteer learns only whether it matches."""
    await verification.verify(work, await work.case(reference, holder_or_admin))


def canned_list(work: Work) -> None:
    lines = [work.text("desk-canned-title")]
    lines += [
        work.text("desk-canned-line", key=key, preview=_preview(work.text(f"canned-{key}")))
        for key in CANNED
    ]
    work.tell_me("\n".join(lines))


async def canned(work: Work, reference: str, key: str) -> None:
    key = key.lower()
    if key not in CANNED:
        raise work.refuse("desk-canned-unknown", key=key)
    case = await work.case(reference, holder)
    text = work.t.text(case.language, f"canned-{key}")
    await relay.to_person(work, case, text, action="canned", detail=key)


def _preview(text: str, words: int = 8) -> str:
    head = text.split()
    return " ".join(head[:words]) + ("…" if len(head) > words else "")
