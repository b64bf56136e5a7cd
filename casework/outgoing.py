"""What an operation wants sent, as plain values: `bot/` turns them into Bot API calls.

Operations collect these while their transaction runs; they are sent after it commits, so a
slow Telegram never holds a database lock and a failed transaction never leaves a message
half-sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.copies import Copy


@dataclass(frozen=True)
class Message:
    """A text for one chat."""

    chat_id: int
    text: str
    relay_case_id: str | None = None
    """When set, remember the sent message so a reply to it reaches this case."""
    to_person: bool = False
    """The person who wrote the case, not a volunteer: a failed delivery is reported."""
    reference: str = ""
    shows_case: str | None = None
    """When set (a case id), the message shows that case's content: its ids are recorded
    (`storage.copies`) so it can be deleted when the case goes or the recipient is revoked."""
    removes: tuple[Copy, ...] = ()
    """Copies to delete from volunteers' chats before this message is sent (on /revoke)."""
    quiet: bool = False
    """Sent without a sound: the person said their phone may be checked (`casework.checked_phone`);
    the text then starts with a neutral line."""
    in_chat_of: str | None = None
    """The volunteer (id) whose chat this goes to, when not the one the operation is for (a
    case handed to someone with a note): its copies are recorded as theirs."""
