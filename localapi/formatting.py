"""Turn ``text`` + ``parse_mode`` into what a Telegram user sees: plain text and entities.

The local server has to apply the bot's formatting itself, for two reasons: the tests assert on
what the *user* sees (no ``<b>`` tags, no MarkdownV2 escapes), and Telegram rejects malformed
markup with ``400 Bad Request: can't parse entities: ...``. A bot that forgets to escape a ``.``
in MarkdownV2 works in a unit test with a mocked ``Bot`` and fails in production; this module
makes it fail in the end-to-end tests too.

The parsers follow the rules in https://core.telegram.org/bots/api#formatting-options closely
enough for that purpose; they are not byte-for-byte clones of Telegram's, and the error
descriptions only approximate Telegram's wording (the ``can't parse entities`` prefix is exact).
Entity offsets and lengths are in UTF-16 code units, like Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FormattingError", "parse_formatted_text", "utf16_len"]


class FormattingError(ValueError):
    """The markup is malformed; ``str(err)`` is the part after ``can't parse entities: ``."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Accumulates output text and tracks its length in UTF-16 units as it grows."""

    parts: list[str] = field(default_factory=list)
    length16: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length16 += utf16_len(chunk)

    def entity(self, kind: str, start16: int, **extra: Any) -> None:
        length = self.length16 - start16
        if length > 0:
            self.entities.append({"type": kind, "offset": start16, "length": length, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        # Telegram orders entities by offset, outer entities first.
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


# --------------------------------------------------------------------------------------- HTML

_HTML_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_OTHER_TAGS = {"a", "span", "tg-emoji", "blockquote"}
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_HTML_ATTR = re.compile(r"""([a-zA-Z_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _html_unescape(value: str) -> str:
    return _HTML_ENTITY.sub(lambda m: _decode_html_entity(m.group(1)), value)


def _decode_html_entity(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "&":
            match = _HTML_ENTITY.match(text, i)
            if match:
                out.add(_decode_html_entity(match.group(1)))
                i = match.end()
                continue
            out.add(char)
            i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        end = text.find(">", i)
        if end < 0:
            raise FormattingError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        inner = text[i + 1 : end]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise FormattingError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            open_name, start16, attrs = stack.pop()
            if name and name != open_name:
                raise FormattingError(
                    f'Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "</'
                    f'{open_name}>", found "</{name}>"'
                )
            _close_html_tag(out, open_name, start16, attrs, stack)
        else:
            name, _, rest = inner.strip().partition(" ")
            name = name.lower()
            attrs = {
                m.group(1).lower(): _html_unescape(m.group(2) or m.group(3) or m.group(4) or "")
                for m in _HTML_ATTR.finditer(rest)
            }
            if name not in _HTML_SIMPLE_TAGS and name not in _HTML_OTHER_TAGS:
                raise FormattingError(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise FormattingError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, i)}"
                )
            stack.append((name, out.length16, attrs))
        i = end + 1
    if stack:
        raise FormattingError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html_tag(
    out: _Builder,
    name: str,
    start16: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    if name == "a":
        href = attrs.get("href", "")
        if href:
            out.entity("text_link", start16, url=href)
    elif name == "span":
        out.entity("spoiler", start16)
    elif name == "tg-emoji":
        out.entity("custom_emoji", start16, custom_emoji_id=attrs.get("emoji-id", ""))
    elif name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        out.entity(kind, start16)
    elif name == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is a single pre entity with a language.
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            parent = stack[-1]
            stack[-1] = (parent[0], parent[1], {**parent[2], "language": language})
        else:
            out.entity("code", start16)
    elif name == "pre":
        language = attrs.get("language", "")
        if language:
            out.entity("pre", start16, language=language)
        else:
            out.entity("pre", start16)
    else:
        out.entity(_HTML_SIMPLE_TAGS[name], start16)


# --------------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (kind, start16, char index of the opening mark)
    quote_start: int | None = None
    i = 0
    n = len(text)
    at_line_start = True
    while i < n:
        char = text[i]
        if at_line_start:
            at_line_start = False
            if char == ">":
                if quote_start is None:
                    quote_start = out.length16
                i += 1
                continue
        if char == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) < 127:
                out.add(text[i + 1])
                i += 2
                continue
            raise FormattingError(
                f"Character '\\' is reserved and must be escaped with the preceding '\\' "
                f"at byte offset {_byte_offset(text, i)}"
            )
        if char == "\n":
            if quote_start is not None and not text.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(char)
            at_line_start = True
            i += 1
            continue
        if char == "`":
            i = _mdv2_code(text, i, out)
            continue
        kind, width = _mdv2_mark(text, i)
        if kind is None:
            if char in _MDV2_RESERVED:
                raise FormattingError(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(char)
            i += 1
            continue
        if kind == "link_end":
            i = _mdv2_link_end(text, i, out, stack)
            continue
        if stack and stack[-1][0] == kind:
            _, start16, _ = stack.pop()
            out.entity(kind, start16)
        elif any(entry[0] == kind for entry in stack):
            _, _, opened_at = stack[-1]
            raise FormattingError(
                f"Can't find end of {_MDV2_NAMES.get(stack[-1][0], stack[-1][0])} entity at "
                f"byte offset {_byte_offset(text, opened_at)}"
            )
        else:
            stack.append((kind, out.length16, i))
        i += width
    if stack:
        kind, _, opened_at = stack[-1]
        raise FormattingError(
            f"Can't find end of {_MDV2_NAMES.get(kind, kind)} entity at byte offset "
            f"{_byte_offset(text, opened_at)}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _mdv2_mark(text: str, i: int) -> tuple[str | None, int]:
    char = text[i]
    if char == "*":
        return "bold", 1
    if char == "_":
        return ("underline", 2) if text.startswith("__", i) else ("italic", 1)
    if char == "~":
        return "strikethrough", 1
    if char == "|" and text.startswith("||", i):
        return "spoiler", 2
    if char == "[":
        return "text_link", 1
    if char == "!" and text.startswith("![", i):  # ![👍](tg://emoji?id=...)
        return "text_link", 2
    if char == "]":
        return "link_end", 1
    return None, 1


def _mdv2_link_end(text: str, i: int, out: _Builder, stack: list[tuple[str, int, int]]) -> int:
    if not stack or stack[-1][0] != "text_link" or not text.startswith("(", i + 1):
        raise FormattingError(
            "Character ']' is reserved and must be escaped with the preceding '\\'"
        )
    _, start16, _ = stack.pop()
    url_chars: list[str] = []
    j = i + 2
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        url_chars.append(text[j])
        j += 1
    if j >= len(text):
        raise FormattingError(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
    url = "".join(url_chars)
    if url.startswith("tg://emoji?id="):
        out.entity("custom_emoji", start16, custom_emoji_id=url.removeprefix("tg://emoji?id="))
    else:
        out.entity("text_link", start16, url=url)
    return j + 1


def _mdv2_code(text: str, i: int, out: _Builder) -> int:
    fence = "```" if text.startswith("```", i) else "`"
    j = i + len(fence)
    language = ""
    if fence == "```":
        newline = text.find("\n", j)
        first_line = text[j:newline] if newline >= 0 else ""
        if newline >= 0 and first_line and " " not in first_line and "`" not in first_line:
            language = first_line
            j = newline + 1
    start16 = out.length16
    while j < len(text):
        if text[j] == "\\" and j + 1 < len(text) and text[j + 1] in "`\\":
            out.add(text[j + 1])
            j += 2
            continue
        if text.startswith(fence, j):
            if fence == "`":
                out.entity("code", start16)
            elif language:
                out.entity("pre", start16, language=language)
            else:
                out.entity("pre", start16)
            return j + len(fence)
        out.add(text[j])
        j += 1
    kind = "Code" if fence == "`" else "Pre"
    raise FormattingError(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}")


# ---------------------------------------------------------------------------- legacy Markdown


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    i = 0
    n = len(text)
    marks = {"*": "bold", "_": "italic"}
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if char in marks:
            end = text.find(char, i + 1)
            if end < 0:
                raise FormattingError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            start16 = out.length16
            out.add(text[i + 1 : end])
            out.entity(marks[char], start16)
            i = end + 1
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = text.find(fence, i + len(fence))
            if end < 0:
                raise FormattingError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            start16 = out.length16
            out.add(text[i + len(fence) : end])
            out.entity("code" if fence == "`" else "pre", start16)
            i = end + len(fence)
            continue
        if char == "[":
            close = text.find("](", i + 1)
            end = text.find(")", close + 2) if close >= 0 else -1
            if close < 0 or end < 0:
                raise FormattingError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            start16 = out.length16
            out.add(text[i + 1 : close])
            out.entity("text_link", start16, url=text[close + 2 : end])
            i = end + 1
            continue
        out.add(char)
        i += 1
    return out.result()


# ------------------------------------------------------------------------------------ public


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims surrounding whitespace from message text; keep entities aligned."""
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    limit = utf16_len(result)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return result, kept


def parse_formatted_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` for a message as the recipient will see it.

    ``entities`` given explicitly win over ``parse_mode``, as in the Bot API. Raises
    :class:`FormattingError` for malformed markup and ``ValueError`` for an unknown parse mode.
    """
    if entities:
        return _strip(text, [dict(e) for e in entities])
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return _strip(text, [])
    if mode == "html":
        return _strip(*_parse_html(text))
    if mode == "markdownv2":
        return _strip(*_parse_markdown_v2(text))
    if mode == "markdown":
        return _strip(*_parse_markdown(text))
    raise ValueError(f"Unsupported parse_mode {parse_mode!r}")
