"""`intake-bot demo`: the whole product in a terminal, with no token and no network.

A practice copy for training volunteers. It starts the local Bot API server
(:class:`~localapi.LocalBotApi`) on 127.0.0.1 in this process, runs the real bot against it
(the same :func:`~bot.runner.serve` as ``intake-bot run``, long polling) in a thread with its own
event loop (:class:`~bot.inprocess.BotThread`, the one the end-to-end tests use), on SQLite in a
temporary directory, in-memory state and a throwaway master key, and lets the user play both
sides: a person who writes to the bot, and a volunteer who is an admin of the desk. Nothing is
read from the environment or a ``.env`` file, nothing leaves the machine, and the temporary
directory is removed on the way out. Nothing listens but the local server (the health and
metrics endpoint is off).

The terminal side is plain line input (``readline()`` on the given stream, no curses, no GNU
readline), so it works in any terminal and through a pipe:

* a line is sent to the bot as the current user's message (``/start``, ``/help``... included);
* a line that is only a number presses that button of the newest message that has buttons;
* ``/volunteer`` and ``/person`` switch chats, ``/quit`` (or end of input, or Ctrl-C) ends;
* an empty line just shows what arrived meanwhile;
* a line starting with a backslash is sent without it (``\\/quit`` sends ``/quit``).

After each line the demo waits up to ``--wait`` seconds (default :data:`FIRST_ANSWER_WAIT`) for
the bot to change something, then until nothing changed in either chat for ``--quiet`` seconds
(default :data:`QUIET`), and prints the bot's new and edited messages of the current chat (with
their buttons numbered), pop-up answers to button presses, and deletions; news in the other chat
is announced in one line.

With ``--sealed`` the demo is sealed mode (``--role intake`` and ``--role desk``): two local
servers and two bots on one database, the person's chat on the intake bot and the volunteer's on
the desk bot. A throwaway desk key pair is made in this process; only the desk bot's settings get
the private key, only the intake bot's the public one (:func:`sealed_demo_settings`), so the intake
bot cannot read a request once it is sent, as on a real intake host.

Entry point: :func:`main` (``python -m bot.demo`` runs it too).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot import logs
from bot.inprocess import BotThread, BotThreadError
from bot.settings import Settings
from dialogs import spec as dialog_spec
from localapi import Button, ChatMessage, FakeUser, LocalBotApi
from locales.translator import Translator
from storage.crypto import generate_desk_key_pair, generate_master_key

__all__ = ["main"]

PERSON_ID = 7_000_001
VOLUNTEER_ID = 7_000_002

FIRST_ANSWER_WAIT = 3.0
"""Seconds to wait for the bot's first reaction to what was typed."""
QUIET = 0.3
"""Seconds without any change after which both chats count as idle."""
MAX_SETTLE = 15.0
"""Upper bound on one wait for the chats to go quiet (a chatty bot still gets the prompt back)."""
POLL = 0.03
START_TIMEOUT = 30.0

INDENT = "     "

BANNER = """\
intake-bot demo: a practice copy of the intake bot, for trying it out and training volunteers.
Everything runs on this computer: a local stand-in for Telegram, the real bot, a throwaway
database and key. Nothing is sent to Telegram and nothing leaves the machine.
Practice data (erased when you quit): {data_dir}

You play two people:
  the person asking for help (prompt "person> ") and a volunteer, an admin of the desk
  (prompt "volunteer> ").
Type a message and press Enter to send it; /start, /help and the other bot commands are sent to
the bot as they would be from Telegram. The bot's buttons are numbered, e.g. {example}:
type the number alone to press that button on the newest message that has buttons.
  /volunteer   switch to the volunteer's chat: /queue, /take, /case REF, /reply REF text,
               /note REF text, /close REF (the reason stays internal), /help ...
  /person      switch back to the person's chat
  /quit        end the demo (Ctrl-D or Ctrl-C work too)
An empty line shows messages that arrived meanwhile; \\text sends text as it is (\\/quit, \\2).
Start with /start.
"""

SEALED_NOTE = """\
Sealed mode: the person writes to the intake bot, which holds only the desk's public key, so
once a request is sent the intake bot cannot read it. The volunteer works from another bot, the
desk bot, the only one holding the private key (on a real setup, on a host of its own).
"""

SEALED_POLL_SECONDS = 0.2
"""How often each side looks for the other's signals and deliveries (the default 1 s would
make every notice and reply lag behind the prompt)."""


class _DemoSettings(Settings):
    """Settings from the arguments only: the demo never reads INTAKE_* variables or `.env`."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def demo_settings(api: LocalBotApi, data_dir: Path) -> Settings:
    """The embedded defaults: the local server, SQLite in `data_dir`, a throwaway key."""
    return _DemoSettings(
        _env_file=None,
        bot_token=api.token,
        api_url=api.base_url,
        data_dir=data_dir,
        master_keys=generate_master_key(),
        admin_ids=[VOLUNTEER_ID],
        poll_timeout=1,
        health_port=0,  # no health/metrics endpoint: nothing but the local server listens
    )


def sealed_demo_settings(
    people: LocalBotApi, desk: LocalBotApi, data_dir: Path
) -> tuple[Settings, Settings]:
    """(the intake bot's, the desk bot's) settings: one SQLite database in `data_dir`, a
    throwaway desk key pair of which the intake gets only the public key and the desk only the
    private key, and the master key (drafts, deliveries) only on the intake, as on two hosts."""
    private, public = generate_desk_key_pair()
    common: dict[str, Any] = {
        "_env_file": None,
        "data_dir": data_dir,
        "poll_timeout": 1,
        "health_port": 0,
        "sealed_poll_seconds": SEALED_POLL_SECONDS,
    }
    intake = _DemoSettings(
        **common,
        bot_token=people.token,
        api_url=people.base_url,
        role="intake",
        master_keys=generate_master_key(),
        desk_public_key=public,
    )
    desk_side = _DemoSettings(
        **common,
        bot_token=desk.token,
        api_url=desk.base_url,
        role="desk",
        desk_private_key=private,
        admin_ids=[VOLUNTEER_ID],
    )
    return intake, desk_side


# ------------------------------------------------------------------------------ the terminal


def _looks(message: ChatMessage) -> tuple[str, tuple[tuple[str, ...], ...], Any]:
    """What a user sees of a message: its text, its buttons, its reply keyboard."""
    buttons = tuple(tuple(button.text for button in row) for row in message.buttons)
    keyboard = tuple(tuple(row) for row in message.reply_keyboard or ())
    return message.visible_text, buttons, keyboard


def _format(message: ChatMessage, *, edited: bool) -> list[str]:
    label = "bot (edited): " if edited else "bot: "
    body = message.visible_text or f"<{message.kind}>"
    first, *rest = body.splitlines() or [""]
    lines = [label + first, *(INDENT + line if line else "" for line in rest)]
    number = 1
    for row in message.buttons:
        cells = []
        for button in row:
            cells.append(f"[{number}] {button.text}")
            number += 1
        lines.append(INDENT + "  ".join(cells))
    for keys in message.reply_keyboard or ():
        lines.append(INDENT + "keyboard: " + "  ".join(f"({text})" for text in keys))
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class _Chat:
    """One user's chat and what of it has been printed already."""

    role: str
    title: str
    user: FakeUser
    shown: dict[int, tuple[str, Any, Any]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    answers: int = 0
    announced: object = None

    def fingerprint(self) -> object:
        """Changes whenever anything the user could see changes."""
        return (
            tuple((m.message_id, _looks(m)) for m in self.user.bot_messages()),
            len(self.user.deleted_message_ids()),
            len(self.user.callback_answers()),
        )

    def news(self) -> tuple[list[ChatMessage], list[ChatMessage]]:
        """(new messages, edited messages) not printed yet; a message that only lost its
        buttons is not news (every answered question does that)."""
        new, edited = [], []
        for message in self.user.bot_messages():
            looks = _looks(message)
            before = self.shown.get(message.message_id)
            if before is None:
                new.append(message)
            elif before != looks and not (looks[0] == before[0] and not message.buttons):
                edited.append(message)
        return new, edited

    def render(self) -> list[str]:
        """Lines for everything not printed yet, and remember it as printed."""
        lines: list[str] = []
        deleted = self.user.deleted_message_ids() - self.deleted
        if deleted:
            self.deleted |= deleted
            lines += ["", f"({_plural(len(deleted), 'message')} deleted from this chat)"]
        answers = self.user.callback_answers()
        for answer in answers[self.answers :]:
            if answer.get("text"):
                kind = "alert" if answer.get("show_alert") else "pop-up"
                lines += ["", f"bot ({kind}): {answer['text']}"]
        self.answers = len(answers)
        new, edited = self.news()
        changed = {m.message_id for m in new + edited}
        for message in self.user.bot_messages():
            if message.message_id in changed:
                edit = message.message_id in self.shown
                lines += ["", *_format(message, edited=edit)]
            self.shown[message.message_id] = _looks(message)
        return lines

    def keyboard(self) -> ChatMessage | None:
        """The newest bot message with inline buttons (the one numbers press)."""
        with_buttons = [m for m in self.user.bot_messages() if m.buttons]
        return with_buttons[-1] if with_buttons else None


class _Session:
    def __init__(
        self,
        person: FakeUser,
        volunteer: FakeUser,
        bots: Sequence[BotThread],
        stdin: TextIO,
        stdout: TextIO,
        *,
        first_wait: float = FIRST_ANSWER_WAIT,
        quiet: float = QUIET,
    ) -> None:
        """`person` and `volunteer` are users of one local server, or (sealed) of two."""
        self.first_wait = first_wait
        self.quiet = quiet
        self.bots = bots
        self.stdin = stdin
        self.out = stdout
        self.person = _Chat("person", "the person's chat", person)
        self.volunteer = _Chat("volunteer", "the volunteer's chat", volunteer)
        self.current = self.person

    # -- output ------------------------------------------------------------------------------

    def write(self, *lines: str) -> None:
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()

    def show(self) -> None:
        """Print the current chat's news, then one line about news in the other chat."""
        lines = self.current.render()
        other = self.volunteer if self.current is self.person else self.person
        new, edited = other.news()
        if new or edited:
            fingerprint = other.fingerprint()
            if other.announced != fingerprint:
                other.announced = fingerprint
                count = _plural(len(new) + len(edited), "new message")
                lines += ["", f"({count} in {other.title}: type /{other.role} to read)"]
        if lines:
            self.write(*lines, "")

    # -- waiting for the bot -------------------------------------------------------------------

    def fingerprint(self) -> object:
        return self.person.fingerprint(), self.volunteer.fingerprint()

    def settle(self, before: object, first_wait: float | None = None) -> None:
        """Wait for a first change since `before` (at most `first_wait` s), then for quiet."""
        if first_wait is None:
            first_wait = self.first_wait
        start = time.monotonic()
        now = self.fingerprint()
        while now == before and time.monotonic() - start < first_wait:
            time.sleep(POLL)
            now = self.fingerprint()
        if now == before:
            return
        last, quiet_since = now, time.monotonic()
        limit = max(MAX_SETTLE, first_wait + self.quiet)
        while time.monotonic() - quiet_since < self.quiet and time.monotonic() - start < limit:
            time.sleep(POLL)
            now = self.fingerprint()
            if now != last:
                last, quiet_since = now, time.monotonic()

    # -- input -------------------------------------------------------------------------------

    def read_line(self) -> str | None:
        """The next line, or None at the end of input.

        Plain line reading (the terminal's own editing: backspace, Ctrl-U, Ctrl-W), not GNU
        readline: readline waits for a key in a select() that a signal arriving just before it
        does not interrupt, so a Ctrl-C or SIGTERM right after a prompt would go unnoticed until
        the next key. A blocking read() is interrupted by them.
        """
        self.out.write(f"{self.current.role}> ")
        self.out.flush()
        line = self.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        if not _isatty(self.stdin):  # nobody saw it typed: show it, so the output reads as a chat
            self.write(line)
        return line

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> int:
        while True:
            self.show()
            if not all(bot.alive for bot in self.bots):
                self.write("The bot stopped unexpectedly; ending the demo.")
                return 1
            line = self.read_line()
            if line is None:
                self.write("")
                return 0
            if not self.handle(line):
                return 0

    def handle(self, line: str) -> bool:
        """Act on one line; False ends the demo."""
        text = line.strip()
        if text == "/quit":
            return False
        if text in ("/volunteer", "/person"):
            self.switch(self.volunteer if text == "/volunteer" else self.person)
            return True
        if not text:
            self.settle(self.fingerprint(), first_wait=0)
            return True
        before = self.fingerprint()
        if text.isdigit() and self.current.keyboard() is not None:
            if not self.press(int(text)):
                return True
        else:
            message = line[1:] if line.startswith("\\") else line
            self.current.user.send_text(message)
        self.settle(before)
        return True

    def switch(self, chat: _Chat) -> None:
        if chat is self.current:
            self.write(f"(already in {chat.title})")
            return
        self.current = chat
        other = "/person" if chat is self.volunteer else "/volunteer"
        self.write("", f"--- now in {chat.title}; {other} switches back ---")
        new, edited = chat.news()
        if not (new or edited):
            self.write("(no new messages)", "")

    def press(self, number: int) -> bool:
        target = self.current.keyboard()
        assert target is not None
        if self.current.shown.get(target.message_id) != _looks(target):
            self.write("(the buttons changed meanwhile; here they are, press again)")
            return False
        buttons: list[Button] = [button for row in target.buttons for button in row]
        if not 1 <= number <= len(buttons):
            self.write(f"(no button {number} here: the buttons are numbered 1 to {len(buttons)})")
            return False
        button = buttons[number - 1]
        if button.callback_data is None:
            where = f": {button.url}" if button.url else ""
            self.write(f"(this button opens a link{where}; there is nothing to press here)")
            return False
        try:
            self.current.user.press_data(target.message_id, button.callback_data)
        except AssertionError:  # the message went away between the look and the press
            self.write("(that message is gone; here is the chat now)")
            return False
        return True

    def register_volunteer(self) -> None:
        """The volunteer wrote to the bot before (as any volunteer has): /queue, unseen.

        Telegram lets a bot write only to users who wrote first, and an admin becomes a
        volunteer of the desk with their first message, so without this the volunteer would
        get no notice of a new case.
        """
        before = self.fingerprint()
        self.volunteer.user.send_text("/queue")
        self.settle(before, first_wait=START_TIMEOUT)
        self.volunteer.render()  # printed nowhere: it happened "before the demo"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so that the temporary directory is removed either way; and
    make Ctrl-C work even when the demo was started with SIGINT ignored (a process inherits an
    ignored signal, and Python then leaves it ignored: a script's background job, a test
    runner's worker), since the banner promises that Ctrl-C ends it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot demo",
        description=(
            "Try the intake bot in this terminal, as a person and as a volunteer: a practice"
            " copy with throwaway data, no Telegram token and no network."
        ),
    )
    parser.add_argument(
        "--language",
        choices=("en", "ru"),
        default="en",
        help="the language of the person's Telegram app (the bot suggests it); default: en",
    )
    parser.add_argument(
        "--sealed",
        action="store_true",
        help=(
            "sealed mode: the person writes to the intake bot, the volunteer works from a"
            " second bot, the desk bot, which alone holds the key that opens a request"
        ),
    )
    parser.add_argument(
        "--wait",
        type=_seconds,
        default=FIRST_ANSWER_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for the bot's answer to a line (default: {FIRST_ANSWER_WAIT:g})",
    )
    parser.add_argument(
        "--quiet",
        type=_seconds,
        default=QUIET,
        metavar="SECONDS",
        help=(
            "how long both chats must stay unchanged before the prompt returns"
            f" (default: {QUIET:g}; more on a slow machine)"
        ),
    )
    return parser


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 <= seconds <= 600:
        raise argparse.ArgumentTypeError("must be between 0 and 600 seconds")
    return seconds


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the demo on `stdin`/`stdout` (default: the terminal); returns the exit status.

    `argv` are the arguments after `demo` (`--sealed`, `--language en|ru`, `--wait S`,
    `--quiet S`).
    0 when the user quits (`/quit`, end of input, Ctrl-C or SIGTERM); 1 when the bot cannot
    start or stops by itself.
    """
    args = _parser().parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # as `intake-bot` does in main()
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for stream in (stdin, stdout):
        with contextlib.suppress(AttributeError, ValueError):  # not a TextIOWrapper
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]  # TextIO has none; see suppress
    write = stdout.write
    status = 0
    bots_named = "bots (the intake bot and the desk bot)" if args.sealed else "bot"
    with _sigterm_as_interrupt(), tempfile.TemporaryDirectory(prefix="intake-demo-") as tmp:
        api = LocalBotApi(bot_username="intake_demo_bot", bot_first_name="Intake Demo")
        apis = [api]
        if args.sealed:
            apis.append(LocalBotApi(bot_username="intake_demo_desk_bot", bot_first_name="Desk"))
        volunteer_api = apis[-1]
        bots: list[BotThread] = []
        try:
            write(f"Starting the practice {bots_named}...\n")
            stdout.flush()
            for server in apis:
                server.start()
            if not logging.getLogger().handlers:  # leave a host's logging (e.g. pytest's) alone
                _quiet_logging(*(server.token for server in apis))
            person = api.user(PERSON_ID, language_code=args.language, first_name="Person")
            volunteer = volunteer_api.user(VOLUNTEER_ID, language_code="en", first_name="Volunteer")
            data = Path(tmp) / "data"
            if args.sealed:  # the intake first: it makes the schema and publishes its keys
                intake, desk = sealed_demo_settings(api, volunteer_api, data)
                bots += [BotThread(intake, name="intake-demo-bot")]
                bots += [BotThread(desk, name="intake-demo-desk-bot")]
            else:
                bots += [BotThread(demo_settings(api, data), name="intake-demo-bot")]
            try:
                for bot in bots:
                    bot.start(timeout=None)
            except BotThreadError as error:
                write(f"intake-bot demo: {error}\n")
                return 1
            except Exception as error:
                write(f"intake-bot demo: the bot failed to start: {logs.describe(error)}\n")
                return 1
            session = _Session(
                person, volunteer, bots, stdin, stdout, first_wait=args.wait, quiet=args.quiet
            )
            session.register_volunteer()
            banner = BANNER.format(data_dir=tmp, example=first_buttons(args.language))
            if args.sealed:
                banner = banner.replace("\n\nYou play", "\n\n" + SEALED_NOTE + "\nYou play", 1)
            write("\n" + banner + "\n")
            stdout.flush()
            status = session.run()
        except KeyboardInterrupt:
            write("\n")
        finally:
            write(f"Stopping the practice {bots_named}...\n")
            stdout.flush()
            with _ignoring_interrupts():
                for bot in reversed(bots):
                    bot.stop()  # a thread never started is passed over
                for server in apis:
                    server.stop()
    write("Demo ended; its data was erased.\n")
    stdout.flush()
    return status


def first_buttons(language: str) -> str:
    """The buttons of the bot's first question as the demo numbers them ("[1] Русский
    [2] English"), so that the banner's example is the screen the person is about to see."""
    questionnaire = dialog_spec.load()
    translator = Translator.load()
    step = questionnaire.step(questionnaire.start)
    labels = [
        translator.text(language, f"{step.id}-opt-{option.id}")
        for option in step.visible_options({})
    ]
    return "  ".join(f"[{number}] {label}" for number, label in enumerate(labels, start=1))


def _quiet_logging(*tokens: str) -> None:
    """Only errors, on stderr: routine notices (such as "no Redis, drafts live in memory",
    which is the point of the demo) would only interrupt the chat."""
    logs.configure("ERROR", secrets=list(tokens))
    for name in logs.CAPPED:  # some are capped at INFO, which would still reach the handler
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def _ignoring_interrupts() -> Iterator[None]:
    """A second Ctrl-C while shutting down should not leave the bot or the files behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
