"""Simulated people and volunteers: each step sends, waits for the bot's answer, goes on."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from bench.metered import Event, MeteredApi, Phase
from localapi import FakeUser

REFERENCE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")
TAKEN = re.compile(r"You took case ([0-9A-Z]{4}-[0-9A-Z]{4})")
NOTHING_TO_TAKE = "No case is waiting"
TRY_AGAIN = "Something went wrong on our side"  # the bot's answer when handling an update failed
KEPT = "Your answers are kept and will be sent automatically"  # the database was away
SENT_LATER = "Your request has now been sent"  # ... and the outbox has sent them since
DETAILS = "I was handed a summons and need to know my options."

# One intake, as a person does it in English (the same steps as tests/e2e/flows.py):
# (kind, what to send or which button to press, text the next screen shows).
URGENT = "In danger right now"
INTAKE_STEPS: list[tuple[str, str, str]] = [
    ("command", "/start", "Choose your language"),
    ("tap", "English", "not end-to-end encrypted"),
    ("tap", "I understand, continue", "Who needs help?"),
    ("tap", "I do", "What is the situation right now?"),
    ("tap", "Contract soldier", "Where are you (or he/she) now?"),
    ("tap", "In Russia", "Right now, are you"),
    ("tap", "In the unit", "is there a case against"),
    ("tap", "No", "health problems"),
    ("tap", "No", "How urgent is it?"),
    ("tap", "No deadline", "What help is needed?"),
    ("tap", "Legal advice", "✅ Legal advice"),
    ("tap", "Done", "Which documents are at hand?"),
    ("tap", "Military ID", "✅ Military ID"),
    ("tap", "Done", "Might someone check your phone"),
    ("tap", "No", "choose a codeword"),
    ("tap", "Skip", "If you like, tell us briefly"),
    ("say", DETAILS, "Please check your answers"),
    ("tap", "Send the request", "Your request has been sent"),
]

_TAPS = sum(1 for kind, _, _ in INTAKE_STEPS if kind == "tap")
_TEXTS = len(INTAKE_STEPS) - _TAPS
# What each peer answers one person's stream with, call by call: more is an update answered
# twice, fewer one lost (bench/echo_bot.py, bench/same_calls_bot.py, bench/aiogram_bot.py).
PEER_CALLS: dict[str, dict[str, int]] = {
    "echo": {"sendMessage": _TEXTS, "answerCallbackQuery": _TAPS},
    "same_calls": {"sendMessage": _TEXTS, "answerCallbackQuery": _TAPS, "editMessageText": _TAPS},
    "aiogram": {"sendMessage": _TEXTS, "answerCallbackQuery": _TAPS, "editMessageText": _TAPS},
}


@dataclass
class Screen:
    message_id: int
    text: str
    buttons: list[tuple[str, str | None]]
    at: float

    @property
    def shown(self) -> str:
        return "\n".join([self.text, *(text for text, _ in self.buttons)])


T = TypeVar("T")


class StepTimeout(Exception):
    pass


class Feed:
    """One chat as its human side sees it, fed by the server thread through the driver's loop."""

    def __init__(self) -> None:
        self.screens: dict[int, Screen] = {}
        self.events: list[Event] = []
        self.changed = asyncio.Event()

    def apply(self, event: Event) -> None:
        self.events.append(event)
        message = event.message
        if message is not None and "message_id" in message:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            buttons = [(b.get("text", ""), b.get("callback_data")) for row in rows for b in row]
            self.screens[message["message_id"]] = Screen(
                message["message_id"], str(message.get("text") or ""), buttons, event.at
            )
        for message_id in event.deleted:
            self.screens.pop(message_id, None)
        self.changed.set()

    async def wait(self, check: Callable[[], T | None], timeout: float) -> T:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        end = loop.time() + max(0.0, timeout)
        while True:
            found = check()
            if found is not None:
                return found
            remaining = end - loop.time()
            if remaining <= 0:
                raise StepTimeout
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


class Hub:
    """Routes the bot's calls (seen on the server thread) to the chats' feeds on our loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.feeds: dict[int, Feed] = {}

    def sink(self, chat_id: int, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop may be closing
            self.loop.call_soon_threadsafe(self._deliver, chat_id, event)

    def _deliver(self, chat_id: int, event: Event) -> None:
        feed = self.feeds.get(chat_id)
        if feed is not None:
            feed.apply(event)


@dataclass
class Outcome:
    """How one simulated person fared."""

    done: bool = False
    reference: str | None = None
    failed_at: str | None = None
    finished_at: float | None = None
    last_screen: str | None = None
    errors: int = 0
    unanswered: bool = False  # gave up waiting and the bot had not answered at all
    kept_for_later: bool = False  # told the answers are kept, then sent by the outbox


def _said(event: Event) -> str:
    """A call as the person saw it: the method and the start of its text (simulated data)."""
    if event.error:
        return f"{event.method} (refused)"
    return f"{event.method} {event.text[:40]!r}" if event.text else event.method


def find_button(screen: Screen, wanted: str) -> str:
    """The callback data of a button: exact text, else a unique substring (like FakeUser.press)."""
    for matches in (
        [data for text, data in screen.buttons if text == wanted],
        [data for text, data in screen.buttons if wanted in text],
    ):
        if len(matches) == 1 and matches[0] is not None:
            return matches[0]
    raise StepTimeout(f"no button {wanted!r} on the screen")


class Surge:
    """Shared by every simulated person of one phase."""

    def __init__(
        self,
        api: MeteredApi,
        hub: Hub,
        phase: Phase,
        deadline: float,
        args: argparse.Namespace,
    ):
        self.retries: int = args.retries
        self.retry_pause: float = args.retry_pause
        step_timeout: float = args.step_timeout
        self.api = api
        self.meter = api.meter
        self.hub = hub
        self.phase = phase
        self.deadline = deadline
        self.step_timeout = step_timeout

    def timeout(self) -> float:
        return min(self.step_timeout, self.deadline - time.monotonic())

    def record_screen(self, chat_id: int, at: float, step: str | None = None) -> None:
        enqueued = self.meter.last_enqueued.get(chat_id)
        if enqueued is not None:
            self.phase.screen_latencies.append((enqueued, at - enqueued))
            if step is not None:
                self.phase.step_latencies.setdefault(step, []).append(at - enqueued)


async def intake_person(
    surge: Surge,
    user: FakeUser,
    urgent: bool,
    pause: Callable[[], Awaitable[None]] | None = None,
) -> Outcome:
    """The whole questionnaire, step by step, each step waiting for the next question."""
    outcome = Outcome()
    screen = await take_steps(surge, user, INTAKE_STEPS, urgent, outcome, pause)
    if screen is None:
        return outcome
    found = REFERENCE.search(screen.text)
    outcome.reference = found.group(0) if found else None
    outcome.done = outcome.reference is not None
    if not outcome.done:
        outcome.failed_at = "no reference in the confirmation"
    outcome.finished_at = surge.meter.now()
    return outcome


async def take_steps(
    surge: Surge,
    user: FakeUser,
    steps: list[tuple[str, str, str]],
    urgent: bool,
    outcome: Outcome,
    pause: Callable[[], Awaitable[None]] | None = None,
) -> Screen | None:
    """`steps` one after the other, each waiting for its screen; the last screen shown, or None
    when the person gave up (then `outcome` says where and why).

    Told "something went wrong, please try again", the person does what a person would: waits
    a moment and sends the same message or presses the same button again (``--retries``).
    With `pause`, the person awaits it before every step, the first included (the open loop:
    people who read and think; see bench/open_loop.py).
    """
    feed = surge.hub.feeds[user.id]
    screen: Screen | None = None
    for kind, value, expect in steps:
        if pause is not None:
            await pause()
        label = URGENT if (urgent and value == "No deadline") else value
        attempt = 0
        while True:
            before = {mid: s.shown for mid, s in feed.screens.items()}

            def changed(expect: str = expect, before: dict[int, str] = before) -> Screen | None:
                for message_id, shown in reversed(feed.screens.items()):
                    if before.get(message_id) == shown.shown:
                        continue
                    if expect in shown.shown or TRY_AGAIN in shown.text or KEPT in shown.text:
                        return shown
                return None

            try:
                if kind == "command":
                    user.send_command(label)
                elif kind == "say":
                    user.send_text(label)
                else:
                    assert screen is not None
                    user.press_data(screen.message_id, find_button(screen, label))
                shown = await feed.wait(changed, surge.timeout())
                if KEPT in shown.text:  # the database was away: the bot sends it when it can
                    outcome.kept_for_later = True
                    seen = {mid: s.shown for mid, s in feed.screens.items()}
                    shown = await feed.wait(partial(changed, SENT_LATER, seen), surge.timeout())
            except StepTimeout:
                sent = surge.meter.last_enqueued.get(user.id, 0.0)
                fetched = surge.meter.last_delivered.get(user.id, 0.0) >= sent
                answers = [_said(e) for e in feed.events if e.at >= sent] or ["nothing"]
                outcome.unanswered = answers == ["nothing"]
                outcome.failed_at = (
                    f"{kind} {label!r} (waiting for {expect!r}; the update was "
                    f"{'' if fetched else 'NOT '}fetched by getUpdates; the bot answered with: "
                    f"{', '.join(answers)})"
                )
                outcome.finished_at = surge.meter.now()
                newest = max(feed.screens.values(), key=lambda s: s.at, default=None)
                outcome.last_screen = newest.text[:100] if newest else None
                return None
            if expect in shown.shown or (outcome.kept_for_later and SENT_LATER in shown.text):
                screen = shown
                break
            outcome.errors += 1  # "something went wrong on our side"
            attempt += 1
            if attempt > surge.retries:
                outcome.failed_at = f"{kind} {label!r}: still failing after {surge.retries} retries"
                outcome.last_screen = shown.text[:100]
                outcome.finished_at = surge.meter.now()
                return None
            await asyncio.sleep(surge.retry_pause)
        surge.record_screen(user.id, screen.at, f"{kind} {value}")
    return screen


async def echo_person(surge: Surge, user: FakeUser) -> Outcome:
    """The same stream of updates as an intake (text where it sends text, presses where it
    presses), against the echo bot: each waits for the echo or the callback answer."""
    feed = surge.hub.feeds[user.id]
    outcome = Outcome()
    target: int | None = None
    for kind, value, _ in INTAKE_STEPS:
        start = len(feed.events)
        wanted = "answerCallbackQuery" if kind == "tap" else "sendMessage"
        try:
            if kind == "tap":
                assert target is not None
                user.press_data(target, "echo")
            else:
                user.send_text(value)

            def answered(start: int = start, wanted: str = wanted) -> Event | None:
                return next((e for e in feed.events[start:] if e.method == wanted), None)

            event = await feed.wait(answered, surge.timeout())
        except StepTimeout:
            outcome.failed_at = f"{kind} {value!r}"
            outcome.finished_at = surge.meter.now()
            return outcome
        if event.message is not None and target is None:
            target = int(event.message["message_id"])
        surge.record_screen(user.id, event.at)
    outcome.done = True
    outcome.finished_at = surge.meter.now()
    return outcome


async def peer_person(surge: Surge, user: FakeUser) -> Outcome:
    """The intake's stream of updates against a same-calls peer (bench/same_calls_bot.py,
    bench/aiogram_bot.py): a text or command waits for a new screen, a press on the newest
    screen waits until that screen shows the next step, as a person waits for the next question.
    """
    feed = surge.hub.feeds[user.id]
    outcome = Outcome()
    latest: Screen | None = None
    for kind, value, _ in INTAKE_STEPS:
        before = {mid: s.text for mid, s in feed.screens.items()}

        def shown(before: dict[int, str] = before, pressed: int | None = None) -> Screen | None:
            for message_id, screen in reversed(feed.screens.items()):
                if pressed is None and message_id not in before:
                    return screen
                if message_id == pressed and screen.text != before.get(message_id):
                    return screen
            return None

        try:
            if kind == "tap":
                assert latest is not None
                assert latest.buttons
                user.press_data(latest.message_id, latest.buttons[0][1] or "")
                check = partial(shown, pressed=latest.message_id)
            elif kind == "command":
                user.send_command(value)
                check = shown
            else:
                user.send_text(value)
                check = shown
            latest = await feed.wait(check, surge.timeout())
        except StepTimeout:
            outcome.failed_at = f"{kind} {value!r}"
            sent = surge.meter.last_enqueued.get(user.id, 0.0)
            outcome.unanswered = not any(e.at >= sent for e in feed.events)
            outcome.finished_at = surge.meter.now()
            return outcome
        surge.record_screen(user.id, latest.at, f"{kind} {value}")
    outcome.done = True
    outcome.finished_at = surge.meter.now()
    return outcome


@dataclass
class DeskWork:
    taken: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)


async def desk_command(
    surge: Surge, user: FakeUser, text: str, match: Callable[[str], bool]
) -> str:
    """Send a desk command; the bot's first reply that matches (or an error reply)."""
    feed = surge.hub.feeds[user.id]
    start = len(feed.events)
    command, _, args = text.partition(" ")
    user.send_command(command, args)

    def replied() -> str | None:
        for event in feed.events[start:]:
            if event.method == "sendMessage" and (match(event.text) or TRY_AGAIN in event.text):
                return event.text
        return None

    return await feed.wait(replied, surge.timeout())


async def volunteer(
    surge: Surge, user: FakeUser, people_done: asyncio.Event, work: DeskWork
) -> None:
    """/take the next case and /close it, until the people are done and the queue is empty."""
    empty_after_done = 0
    while time.monotonic() < surge.deadline:
        try:
            reply = await desk_command(
                surge, user, "/take", lambda t: bool(TAKEN.search(t)) or NOTHING_TO_TAKE in t
            )
        except StepTimeout:
            work.problems["/take unanswered"] += 1
            continue
        if TRY_AGAIN in reply:
            work.problems["/take: something went wrong"] += 1
            await asyncio.sleep(surge.retry_pause)
            continue
        taken = TAKEN.search(reply)
        if taken is None:
            if people_done.is_set():
                empty_after_done += 1
                if empty_after_done >= 3:
                    return
            await asyncio.sleep(0.5 if not people_done.is_set() else 1.0)
            continue
        empty_after_done = 0
        reference = taken.group(1)
        work.taken.append(reference)
        for _ in range(surge.retries + 1):
            try:
                reply = await desk_command(
                    surge,
                    user,
                    f"/close {reference}",
                    lambda t, r=reference: r in t and _verdict(t),
                )
            except StepTimeout:
                work.problems["/close unanswered"] += 1
                break
            if TRY_AGAIN not in reply:
                break
            work.problems["/close: something went wrong"] += 1
            await asyncio.sleep(surge.retry_pause)
        if "is closed" in reply:
            work.closed.append(reference)
        else:
            work.problems["/close refused"] += 1


def _verdict(text: str) -> bool:
    return any(
        words in text for words in ("is closed", "do not hold", "There is no", "not available")
    )
