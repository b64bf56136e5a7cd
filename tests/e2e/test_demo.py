"""`intake-bot demo` as a person uses it: a real process in a pseudo-terminal, typed at.

The demo (`python -m bot.demo`) runs the local Bot API server and the real bot in one process;
the test only types lines and reads the screen, with a small expect helper (select + os.read,
every wait bounded by a deadline). The child is killed, by its pid, if a test fails.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot import demo
from bot.inprocess import BotThread
from bot.settings import Settings, SettingsError
from tests.e2e.flows import REFERENCE

ROOT = Path(__file__).resolve().parents[2]
PROMPT = re.compile(r"(?m)^(?:person|volunteer)> ")  # at the start of a line, not the banner
ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")

# Makes the pseudo-terminal the controlling terminal of the (new) session, so that Ctrl-C
# typed into it interrupts the demo as it would in a real terminal; then becomes the demo.
# With IGNORE_SIGINT set it ignores SIGINT first, as a parent may leave it (an ignored signal
# stays ignored across exec).
CONTROLLING_TTY = (
    "import fcntl, os, signal, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.environ.pop('IGNORE_SIGINT', '') and signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-m', 'bot.demo', *sys.argv[1:]])"
)


def _regex(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    return pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))


class Terminal:
    """The demo in a pseudo-terminal: type lines, wait (with a deadline) for the screen."""

    def __init__(self, tmp_path: Path, *args: str, ignore_sigint: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        env.update(TERM="dumb", LANG="C.UTF-8", LC_ALL="C.UTF-8", TMPDIR=str(tmp_path))
        if ignore_sigint:
            env["IGNORE_SIGINT"] = "1"
        env.pop("PYTHONIOENCODING", None)
        master, slave = os.openpty()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CONTROLLING_TTY, *args],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=ROOT,  # `-m bot.demo` imports this checkout's `bot`
                env=env,
                start_new_session=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd = master
        self.screen = ""
        self.position = 0
        self.closed = False
        self._raw = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    # -- reading -------------------------------------------------------------------------------

    def _read(self, timeout: float) -> None:
        if self.closed:
            return
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every copy of the terminal's other side is closed
            chunk = b""
        if not chunk:
            self.closed = True
            return
        self._raw += self._decoder.decode(chunk)
        self.screen = ANSI.sub("", self._raw).replace("\r", "")

    def expect(self, pattern: str | re.Pattern[str], *, timeout: float = 10.0) -> re.Match[str]:
        """Wait for `pattern` (a regex, or a plain string) after the last match; skip past it."""
        regex = _regex(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.screen, self.position)
            if found:
                self.position = found.end()
                return found
            self._wait_more(deadline, regex)

    def _wait_more(self, deadline: float, regex: re.Pattern[str]) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.closed:
            why = "the demo exited" if self.closed else "nothing in time"
            raise AssertionError(
                f"expected {regex.pattern!r} on the screen: {why}; the screen since the last"
                f" match:\n{self.screen[self.position :]}"
            )
        self._read(min(remaining, 0.5))

    # -- typing --------------------------------------------------------------------------------

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def key(self, control: bytes) -> None:
        os.write(self.fd, control)

    def enter(self, line: str, *, shows: str | re.Pattern[str], timeout: float = 10.0) -> str:
        """Type a line at the prompt; wait for `shows`, then the next prompt. Returns what the
        demo printed in between (the echo of the line included).

        Should the prompt come back before `shows` (a very slow machine), press Enter on the
        empty prompt, as a person would, to see what arrived since.
        """
        start = self.position
        regex = _regex(shows)
        deadline = time.monotonic() + timeout
        self.type(line)
        while True:
            found = regex.search(self.screen, start)
            prompt = PROMPT.search(self.screen, found.end() if found else self.position)
            if found and prompt:
                self.position = prompt.end()
                return self.screen[start : prompt.start()]
            if prompt:
                self.position = prompt.end()
                self.type("")
            self._wait_more(deadline, regex)

    def button(self, label: str) -> str:
        """The number the demo gave the newest button showing `label` (after an emoji, maybe)."""
        numbers = re.findall(rf"\[(\d+)\] (?:\S+ )?{re.escape(label)}(?!\w)", self.screen)
        assert numbers, f"no button {label!r} on the screen:\n{self.screen[-3000:]}"
        return str(numbers[-1])

    def press(self, label: str, *, shows: str | re.Pattern[str]) -> str:
        return self.enter(self.button(label), shows=shows)

    # -- ending --------------------------------------------------------------------------------

    def wait_exit(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while not self.closed and time.monotonic() < deadline:
            self._read(0.1)  # the last words after the prompt
        if self.process.poll() is None:
            raise AssertionError(f"the demo did not exit within {timeout:g} s:\n{self.screen}")
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        os.close(self.fd)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    # Generous waits for the bot, so that a busy machine cannot make the prompt come back early.
    term = Terminal(tmp_path, "--wait", "20", "--quiet", "0.5")
    try:
        yield term
    finally:
        term.kill()


def data_dir(term: Terminal) -> Path:
    found = re.search(r"Practice data \(erased when you quit\): (\S+)\n", term.screen)
    assert found, term.screen
    return Path(found.group(1))


def test_a_request_from_the_person_to_the_volunteer_and_back(
    terminal: Terminal, tmp_path: Path
) -> None:
    term = terminal
    term.expect("nothing leaves the machine", timeout=30)
    practice_data = data_dir(term)
    assert practice_data.is_dir()
    assert practice_data.parent == tmp_path
    term.expect(PROMPT)

    # The person: the language, the notice, every question by the buttons' numbers.
    language = term.enter("/start", shows="Choose your language")
    assert re.search(r"\[\d+\] English", language), language
    term.press("English", shows="not end-to-end encrypted")
    term.press("I understand, continue", shows="Who needs help?")
    term.press("I do", shows="What is the situation right now?")
    term.press("Contract soldier", shows="Where are you (or he/she) now?")
    term.press("In Russia", shows="Right now, are you")
    term.press("In the unit", shows="is there a case against")
    term.press("No", shows="health problems")
    term.press("No", shows="How urgent is it?")
    term.press("No deadline", shows="What help is needed?")
    term.press("Legal advice", shows="✅ Legal advice")
    term.press("Done", shows="Which documents are at hand?")
    term.press("Military ID", shows="✅ Military ID")
    term.press("Done", shows="Might someone check your phone")
    term.press("No", shows="choose a codeword")
    term.press("Skip", shows="If you like, tell us briefly")
    review = term.enter("My unit holds my passport.", shows="Please check your answers")
    assert "Contract soldier" in review
    sent = term.press("Send the request", shows="Your request has been sent")
    found = REFERENCE.search(sent)
    assert found, sent
    reference = found.group(0)
    assert "volunteer> " not in sent  # still the person's chat

    # The volunteer: the notice, the queue, the case, a reply.
    switched = term.enter("/volunteer", shows="now in the volunteer's chat")
    assert f"New case {reference}" in switched
    assert "My unit holds my passport" not in switched  # notices carry no content
    queue = term.enter("/queue", shows="1 case is waiting")
    assert reference in queue
    case = term.enter("/take", shows=f"Case {reference}")
    assert "Situation: Contract soldier" in case
    assert "My unit holds my passport." in case
    replied = term.enter(f"/reply {reference} hello", shows="Sent to the person")
    assert "new message in the person's chat" in replied

    # The person reads it.
    back = term.enter("/person", shows="now in the person's chat")
    assert re.search(r"Your volunteer:\s+hello", back), back

    term.type("/quit")
    assert term.wait_exit(30) == 0, term.screen
    assert "Demo ended" in term.screen
    assert "Traceback" not in term.screen
    assert not practice_data.exists()


@pytest.mark.parametrize("how", ["Ctrl-C", "Ctrl-D", "SIGTERM"])
def test_ctrl_c_ctrl_d_and_sigterm_end_the_demo_cleanly(terminal: Terminal, how: str) -> None:
    term = terminal
    term.expect("nothing leaves the machine", timeout=30)
    practice_data = data_dir(term)
    term.expect(PROMPT)
    term.enter("/start", shows="Choose your language")
    if how == "SIGTERM":
        term.process.send_signal(signal.SIGTERM)
    else:
        term.key(b"\x03" if how == "Ctrl-C" else b"\x04")
    assert term.wait_exit(30) == 0, f"{how}:\n{term.screen}"  # a hang, not a time limit
    assert "Demo ended" in term.screen
    assert "Traceback" not in term.screen
    assert not practice_data.exists()


def test_ctrl_c_ends_the_demo_even_when_it_was_started_with_sigint_ignored(
    tmp_path: Path,
) -> None:
    term = Terminal(tmp_path, "--wait", "20", "--quiet", "0.5", ignore_sigint=True)
    try:
        term.expect("nothing leaves the machine", timeout=30)
        term.expect(PROMPT)
        term.enter("/start", shows="Choose your language")
        term.key(b"\x03")
        assert term.wait_exit(30) == 0, term.screen  # a hang, not a time limit
        assert "Demo ended" in term.screen
    finally:
        term.kill()


def test_it_reads_lines_from_any_stream(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Through a pipe (or a test) there is no terminal: plain lines in, plain text out."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = io.StringIO()
    typed = io.StringIO("/start\n9\n2\n/volunteer\n/queue\n/volunteer\n/quit\n/never-read\n")
    assert demo.main(["--language", "en", "--wait", "20"], stdin=typed, stdout=out) == 0
    screen = out.getvalue()
    assert "Choose your language" in screen
    assert "(no button 9 here: the buttons are numbered 1 to 2)" in screen
    assert "not end-to-end encrypted" in screen or "сквозным шифрованием" in screen
    assert "volunteer> /queue\n\nbot: The queue is empty." in screen  # the lines read are shown
    assert "(already in the volunteer's chat)" in screen
    assert screen.rstrip().endswith("Demo ended; its data was erased.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_intros_button_example_is_the_first_screen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, language: str
) -> None:
    """The intro's "e.g. [1] ..." is what the person then sees: [1] is the first button."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = io.StringIO()
    typed = io.StringIO("/start\n/quit\n")
    assert demo.main(["--language", language, "--wait", "20"], stdin=typed, stdout=out) == 0
    screen = out.getvalue()
    example = re.search(r"The bot's buttons are numbered, e\.g\. (.+):\n", screen)
    assert example, screen
    shown = re.findall(r"\[(\d+)\] (\S+)", example.group(1))
    assert shown, example.group(0)
    first_screen = screen[screen.index("Choose your language") :]
    for number, label in shown:
        assert f"[{number}] {label}" in first_screen, (number, label)


def first_day_lines() -> list[tuple[str, str]]:
    """The README's "first day as a volunteer": (what to type, what the answer shows)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- first-day -->")[1].split("<!-- /first-day -->")[0]
    lines = [line for line in block.strip().strip("`").strip().splitlines() if line.strip()]
    walk = []
    for line in lines:
        typed, _, shown = line.partition("#")
        walk.append((typed.strip(), shown.strip()))
    assert len(walk) >= 8, walk
    return walk


def test_the_readmes_first_day_as_a_volunteer_works_in_the_demo(terminal: Terminal) -> None:
    term = terminal
    term.expect("nothing leaves the machine", timeout=30)
    term.expect(PROMPT)
    term.enter("/start", shows="Choose your language")
    term.press("English", shows="not end-to-end encrypted")
    term.press("I understand, continue", shows="Who needs help?")
    term.press("I do", shows="What is the situation right now?")
    term.press("Contract soldier", shows="Where are you (or he/she) now?")
    term.press("In Russia", shows="Right now, are you")
    term.press("In the unit", shows="is there a case against")
    term.press("No", shows="health problems")
    term.press("No", shows="How urgent is it?")
    term.press("No deadline", shows="What help is needed?")
    term.press("Legal advice", shows="✅ Legal advice")
    term.press("Done", shows="Which documents are at hand?")
    term.press("Military ID", shows="✅ Military ID")
    term.press("Done", shows="Might someone check your phone")
    term.press("No", shows="choose a codeword")
    term.press("Skip", shows="If you like, tell us briefly")
    term.enter("My unit holds my passport.", shows="Please check your answers")
    sent = term.press("Send the request", shows="Your request has been sent")
    found = REFERENCE.search(sent)
    assert found, sent
    reference = found.group(0)
    term.enter("/volunteer", shows="now in the volunteer's chat")
    for typed, shown in first_day_lines():
        term.enter(typed.replace("REF", reference), shows=shown.replace("REF", reference))
    term.enter("/person", shows="now in the person's chat")
    assert "Hello, we have your request." in term.screen
    assert "asked about the passport" not in term.screen.split("now in the person's chat")[-1]


class _Screen(io.StringIO):
    """The demo's stdout, written on the demo's thread and read on the test's."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()


class PipedDemo:
    """`demo.main` on a thread of this process, typed at through a pipe, so that the test can
    look at the bots the demo built; every wait is bounded by a deadline."""

    def __init__(self, *args: str) -> None:
        read_end, self._typing = os.pipe()
        self._stdin = open(read_end, encoding="utf-8")  # noqa: SIM115  # closed in close()
        self._out = _Screen()
        self.status: int | None = None
        self.position = 0
        self._thread = threading.Thread(target=self._main, args=(args,), daemon=True)
        self._thread.start()

    def _main(self, args: tuple[str, ...]) -> None:
        self.status = demo.main(list(args), stdin=self._stdin, stdout=self._out)

    @property
    def screen(self) -> str:
        return self._out.text()

    def expect(self, pattern: str | re.Pattern[str], *, timeout: float = 10.0) -> re.Match[str]:
        regex = _regex(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.screen, self.position)
            if found:
                self.position = found.end()
                return found
            self._wait(deadline, regex)

    def _wait(self, deadline: float, regex: re.Pattern[str]) -> None:
        if time.monotonic() > deadline or not self._thread.is_alive():
            why = "nothing in time" if self._thread.is_alive() else "the demo exited"
            raise AssertionError(
                f"expected {regex.pattern!r}: {why}; since the last match:\n"
                f"{self.screen[self.position :]}"
            )
        time.sleep(0.05)

    def type(self, line: str) -> None:
        os.write(self._typing, line.encode() + b"\n")

    def enter(self, line: str, *, shows: str | re.Pattern[str], timeout: float = 15.0) -> str:
        """Type a line; wait for `shows`, then the next prompt (pressing Enter on a prompt that
        came back before `shows`, as a person would). Returns what the demo printed."""
        start = self.position
        regex = _regex(shows)
        deadline = time.monotonic() + timeout
        self.type(line)
        while True:
            screen = self.screen
            found = regex.search(screen, start)
            prompt = PROMPT.search(screen, found.end() if found else self.position)
            if prompt and prompt.end() == len(screen):  # the demo waits for the next line
                self.position = prompt.end()
                if found:
                    return screen[start : prompt.start()]
                self.type("")
            self._wait(deadline, regex)

    def press(self, label: str, *, shows: str | re.Pattern[str]) -> str:
        numbers = re.findall(rf"\[(\d+)\] (?:\S+ )?{re.escape(label)}(?!\w)", self.screen)
        assert numbers, f"no button {label!r} on the screen:\n{self.screen[-3000:]}"
        return self.enter(numbers[-1], shows=shows)

    def close(self, timeout: float = 30.0) -> int | None:
        """End of input ends the demo; its status (None if it did not end in time)."""
        with contextlib.suppress(OSError):
            os.close(self._typing)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._stdin.close()
        return self.status


def revealed(settings: Settings) -> str:
    """Every setting's value, secrets included, as one string to search."""
    values: dict[str, Any] = {}
    for name, value in settings:
        values[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return repr(values)


def test_the_sealed_demo_a_request_from_the_intake_bot_to_the_desk_bot_and_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    built: list[BotThread] = []

    class Recorded(BotThread):
        def __init__(self, settings: Settings, *, name: str = "intake-bot") -> None:
            super().__init__(settings, name=name)
            built.append(self)

    monkeypatch.setattr(demo, "BotThread", Recorded)
    term = PipedDemo("--sealed", "--language", "en", "--wait", "20", "--quiet", "0.3")
    try:
        term.expect("the intake bot cannot read it", timeout=60)
        term.expect(PROMPT, timeout=30)

        # Two bots on two servers; the desk's private key only in the desk bot's settings.
        intake, desk = (bot.settings for bot in built)
        assert (intake.role, desk.role) == ("intake", "desk")
        assert intake.bot_token != desk.bot_token
        assert intake.api_url != desk.api_url
        assert intake.desk_private_key is None
        assert intake.desk_private_key_file is None
        with pytest.raises(SettingsError):
            intake.desk_private()
        assert desk.desk_private_key is not None
        private = desk.desk_private_key.get_secret_value()
        assert private not in revealed(intake)
        assert desk.desk_public_key is None
        assert desk.master_keys is None
        assert intake.desk_public_key is not None
        assert intake.database == desk.database  # one database, as on the two hosts

        # The person, on the intake bot: a short request.
        term.enter("/start", shows="Choose your language")
        term.press("English", shows="not end-to-end encrypted")
        term.press("I understand, continue", shows="Who needs help?")
        term.press("I do", shows="What is the situation right now?")
        term.press("Contract soldier", shows="Where are you (or he/she) now?")
        term.press("In Russia", shows="Right now, are you")
        term.press("In the unit", shows="is there a case against")
        term.press("No", shows="health problems")
        term.press("No", shows="How urgent is it?")
        term.press("No deadline", shows="What help is needed?")
        term.press("Legal advice", shows="✅ Legal advice")
        term.press("Done", shows="Which documents are at hand?")
        term.press("Military ID", shows="✅ Military ID")
        term.press("Done", shows="Might someone check your phone")
        term.press("No", shows="choose a codeword")
        term.press("Skip", shows="If you like, tell us briefly")
        term.enter("My unit holds my passport.", shows="Please check your answers")
        sent = term.press("Send the request", shows="Your request has been sent")
        found = REFERENCE.search(sent)
        assert found, sent
        reference = found.group(0)

        # The volunteer, on the desk bot: the notice, the case (only the desk opens it), a reply.
        term.enter("/volunteer", shows="now in the volunteer's chat")
        if f"New case {reference}" not in term.screen:  # the desk polls for the intake's signal
            term.enter("", shows=f"New case {reference}")
        case = term.enter("/take", shows=f"Case {reference}")
        assert "My unit holds my passport." in case
        term.enter(f"/reply {reference} hello", shows="Handed to the intake bot")

        # The person reads it, from the intake bot.
        term.enter("/person", shows="now in the person's chat")
        if not re.search(r"Your volunteer:\s+hello", term.screen):
            term.enter("", shows=re.compile(r"Your volunteer:\s+hello"))
        term.type("/quit")
        assert term.close() == 0, term.screen
    finally:
        term.close()
    screen = term.screen
    assert "Stopping the practice bots" in screen
    assert screen.rstrip().endswith("Demo ended; its data was erased.")
    assert "Traceback" not in screen
    assert list(tmp_path.iterdir()) == []
    for bot in built:
        bot.check()  # both stopped, neither with an error
