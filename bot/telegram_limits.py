"""Telegram's limit on one message's text, and the two ways the bot keeps under it."""

from __future__ import annotations

MAX_TEXT = 4096  # characters in one message's text (sendMessage, editMessageText)


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    """Cut a screen that must stay one message (a questionnaire review with a long
    description) and mark the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a text that may be several messages (a long case view) at line breaks, cutting
    inside a line only when that line alone is over the limit."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks
