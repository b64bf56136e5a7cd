"""Logging that cannot leak: the token is scrubbed and chatty libraries are kept quiet.

httpx logs request URLs (they contain the token) at INFO; python-telegram-bot logs whole updates
at DEBUG; aiosqlite logs SQL parameters at DEBUG; transitions logs trigger arguments. Our own code
logs only counts, kinds and locale keys.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import TextIO

# Raised to these levels whatever the configured level: below them these libraries write the
# token (httpx URLs), whole updates (telegram), SQL parameters (sqlalchemy, aiosqlite) or
# trigger arguments (transitions).
CAPPED = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "transitions": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "redis": logging.WARNING,
    "telegram": logging.INFO,
    "tornado.access": logging.WARNING,
    "alembic.runtime.plugins": logging.WARNING,  # a line per plugin at every start
    # "Context impl SQLiteImpl", "Will assume transactional DDL", "Running upgrade ..." at every
    # start: our own lines say what matters ("created the database schema at revision ...").
    "alembic": logging.WARNING,
}

REDACTED = "<redacted>"


OWN_LOGGERS = ("bot", "casework", "dialogs", "storage", "locales", "web", "__main__")
"""Our own code logs only counts, kinds, keys and exception types, so its arguments may stay."""


class RedactingFilter(logging.Filter):
    """Makes every record safe to write, whatever logger produced it and at whatever level.

    Third-party records keep their message with each argument replaced by <withheld>: that is where
    python-telegram-bot puts whole updates, httpx the URL with the token, and SQLAlchemy the SQL
    parameters. Secrets are then scrubbed from what remains, and exception messages are dropped.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and not record.name.startswith(OWN_LOGGERS):
            record.msg, record.args = withhold_arguments(str(record.msg)), None
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


WITHHELD = "<withheld>"
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([a-zA-Z%])")


def withhold_arguments(template: str) -> str:
    """A %-format template with each placeholder replaced by <withheld> ("%%" becomes "%"), so
    that the line reads as a sentence and no format string is shown raw."""
    return _PLACEHOLDER.sub(lambda m: "%" if m.group(1) == "%" else WITHHELD, template)


def safe_traceback(error: BaseException | None) -> str:
    """Where it failed (files, lines, functions) and the exception type, never its message."""
    if error is None:
        return ""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
    return "Traceback (most recent call last):\n" + "\n".join(lines) + f"\n{type(error).__name__}"


def configure(
    level: str = "INFO", secrets: list[str] | None = None, stream: TextIO | None = None
) -> None:
    """Install one stderr handler with the redacting filter; called once from `main`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_filter(handler, secrets or [])
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in CAPPED.items():
        logging.getLogger(name).setLevel(floor)


def install_filter(handler: logging.Handler, secrets: list[str]) -> None:
    handler.addFilter(RedactingFilter(secrets))


def describe(error: BaseException, tb: TracebackType | None = None) -> str:
    """A one-line description safe for logs: the type and where it was raised."""
    frames = traceback.extract_tb(tb or error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"
