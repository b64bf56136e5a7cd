"""Logging that cannot leak: the token is scrubbed and chatty libraries are kept quiet.

httpx logs request URLs (they contain the token) at INFO; python-telegram-bot logs whole updates
at DEBUG; transitions logs trigger arguments. Our own code logs only counts, kinds and keys.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "telegram.ext.Updater": logging.INFO,
    "transitions": logging.WARNING,
    "apscheduler": logging.WARNING,
    "tornado.access": logging.WARNING,
    "aiosqlite": logging.INFO,
    "asyncio": logging.WARNING,
}

REDACTED = "<redacted>"


class RedactingFilter(logging.Filter):
    """Replaces secrets in the final message text, whatever logger produced it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = message
        for secret in self._secrets:
            scrubbed = scrubbed.replace(secret, REDACTED)
        if record.exc_info:
            # Exception messages may carry what a person wrote: keep the frames, drop the text.
            record.exc_text = safe_traceback(record.exc_info[1])
            record.exc_info = None
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def safe_traceback(error: BaseException | None) -> str:
    """Where it failed (files, lines, functions) and the exception type, never its message."""
    if error is None:
        return ""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
    return "Traceback (most recent call last):\n" + "\n".join(lines) + f"\n{type(error).__name__}"


def configure(level: str = "INFO", secrets: list[str] | None = None) -> None:
    """Install one stderr handler with the redacting filter; called once from `main`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_filter(handler, secrets or [])
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if level != "DEBUG":
        for name, quiet_level in QUIET.items():
            logging.getLogger(name).setLevel(quiet_level)
    else:
        # Even at DEBUG, these would write URLs with the token, whole updates or answers.
        for name in ("httpx", "httpcore", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("telegram").setLevel(logging.INFO)


def install_filter(handler: logging.Handler, secrets: list[str]) -> None:
    handler.addFilter(RedactingFilter(secrets))


def describe(error: BaseException, tb: TracebackType | None = None) -> str:
    """A one-line description safe for logs: the type and where it was raised."""
    frames = traceback.extract_tb(tb or error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"
