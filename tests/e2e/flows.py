"""Whole flows reused by several end-to-end tests."""

from __future__ import annotations

import re

from localapi import FakeUser
from tests.support.people import command, say, tap

REFERENCE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def submit_request(
    user: FakeUser,
    *,
    urgent: bool = False,
    details: str = "Need advice.",
    codeword: str | None = None,
) -> str:
    """An English intake from /start to the confirmation; returns the case reference."""
    command(user, "/start", expect="Choose your language")
    return submit_request_from_language(user, urgent=urgent, details=details, codeword=codeword)


def submit_request_from_language(
    user: FakeUser,
    *,
    urgent: bool = False,
    details: str = "Need advice.",
    codeword: str | None = None,
) -> str:
    """The same intake, from the language question already on the screen."""
    tap(user, "English", expect="not end-to-end encrypted")
    tap(user, "I understand, continue", expect="Who needs help?")
    return submit_request_from_who(user, urgent=urgent, details=details, codeword=codeword)


def submit_request_from_who(
    user: FakeUser,
    *,
    urgent: bool = False,
    details: str = "Need advice.",
    codeword: str | None = None,
) -> str:
    """The same intake, from the "who needs help" question already on the screen."""
    answer_up_to_details(user, urgent=urgent, codeword=codeword)
    say(user, details, expect="Please check your answers")
    done = tap(user, "Send the request", expect="Your request has been sent")
    found = REFERENCE.search(done.visible_text)
    assert found is not None, done.visible_text
    return found.group(0)


def answer_up_to_details(
    user: FakeUser, *, urgent: bool = False, codeword: str | None = None
) -> None:
    """From the "who needs help" question to the description, the last question; with a
    `codeword`, typed at its question (the bot deletes that message), else that is skipped."""
    tap(user, "I do", expect="What is the situation right now?")
    tap(user, "Contract soldier", expect="Where are you (or he/she) now?")
    tap(user, "In Russia", expect="Right now, are you")
    tap(user, "In the unit", expect="is there a case against")
    tap(user, "No", expect="health problems")
    tap(user, "No", expect="How urgent is it?")
    tap(user, "In danger right now" if urgent else "No deadline", expect="What help is needed?")
    tap(user, "Legal advice", expect="✅ Legal advice")
    tap(user, "Done", expect="Which documents are at hand?")
    tap(user, "Military ID", expect="✅ Military ID")
    tap(user, "Done", expect="Might someone check your phone")
    tap(user, "No", expect="choose a codeword")
    if codeword is None:
        tap(user, "Skip", expect="If you like, tell us briefly")
    else:
        say(user, codeword, expect="If you like, tell us briefly")
