"""Third-party log lines keep their words and lose their arguments, without showing a raw
format string ("Context impl %s. [arguments withheld]" is what alembic used to leave)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    out = io.StringIO()
    logs.configure("INFO", secrets=[], stream=out)
    yield out
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_third_party_line_reads_as_a_sentence_with_its_arguments_withheld(
    stream: io.StringIO,
) -> None:
    canary = "argument-canary-61d2"
    logging.getLogger("somelibrary").info("Running %s on %5.1f%% of the rows", canary, 2.0)
    line = stream.getvalue().strip()
    leaked = canary in line
    assert not leaked
    assert line.endswith("somelibrary: Running <withheld> on <withheld>% of the rows")


def test_alembic_says_nothing_at_info(stream: io.StringIO) -> None:
    logging.getLogger("alembic.runtime.migration").info("Context impl %s.", "SQLiteImpl")
    logging.getLogger("alembic.runtime.migration").warning("a real warning")
    assert stream.getvalue().strip().endswith("WARNING alembic.runtime.migration: a real warning")
    assert "Context impl" not in stream.getvalue()
