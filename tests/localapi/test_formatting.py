"""parse_mode handling: what the user sees, and Telegram's rejection of malformed markup."""

from __future__ import annotations

import pytest

from localapi.formatting import FormattingError, parse_formatted_text, utf16_len


def test_html_tags_become_entities_and_disappear_from_text() -> None:
    text, entities = parse_formatted_text(
        '<b>Bold</b> &lt;tag&gt; <a href="https://example.org">link</a>', "HTML"
    )
    assert text == "Bold <tag> link"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://example.org"},
    ]


def test_html_pre_with_language() -> None:
    text, entities = parse_formatted_text(
        '<pre><code class="language-python">x = 1</code></pre>', "HTML"
    )
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        ("line<br>break", 'Unsupported start tag "br"'),
        ("<b>open", "Can't find end tag"),
        ("close</b>", "Unexpected end tag"),
        ("<b>x</i>", "Unmatched end tag"),
    ],
)
def test_malformed_html_is_rejected(markup: str, message: str) -> None:
    with pytest.raises(FormattingError, match=message):
        parse_formatted_text(markup, "HTML")


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse_formatted_text(
        r"*bold* _it_ __u__ 1\.5 [site](https://e\.org)", "MarkdownV2"
    )
    assert text == "bold it u 1.5 site"
    assert [e["type"] for e in entities] == ["bold", "italic", "underline", "text_link"]
    assert entities[-1]["url"] == "https://e.org"


def test_markdown_v2_requires_escaping_reserved_characters() -> None:
    with pytest.raises(FormattingError, match=r"Character '\.' is reserved"):
        parse_formatted_text("Thanks. See you!", "MarkdownV2")


def test_markdown_v2_unclosed_entity() -> None:
    with pytest.raises(FormattingError, match="Can't find end of Bold entity"):
        parse_formatted_text("*bold", "MarkdownV2")


def test_offsets_are_utf16_and_text_is_trimmed() -> None:
    text, entities = parse_formatted_text("  👋 <b>hi</b>  ", "HTML")
    assert text == "👋 hi"
    assert utf16_len("👋 ") == 3
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]


def test_explicit_entities_win_and_plain_text_is_untouched() -> None:
    entities = [{"type": "italic", "offset": 0, "length": 1}]
    assert parse_formatted_text("<b>", None, entities) == ("<b>", entities)
    assert parse_formatted_text("*not bold*", None) == ("*not bold*", [])


def test_unknown_parse_mode() -> None:
    with pytest.raises(ValueError, match="Unsupported parse_mode"):
        parse_formatted_text("x", "BBCode")


def test_markdown_v2_custom_emoji() -> None:
    text, entities = parse_formatted_text(
        "![👍](tg://emoji?id=5368324170671202286) ok", "MarkdownV2"
    )
    assert text == "👍 ok"
    assert entities == [
        {"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "5368324170671202286"}
    ]
