"""Telegram's parse modes as the simulator understands them: text, entities and errors."""

from __future__ import annotations

import pytest

from simulator.entities import parse_formatted, render_html, utf16_len
from simulator.errors import ApiError
from simulator.html import parse_html
from simulator.markdown import parse_markdown


def test_html_tags_become_entities_over_plain_text():
    text, entities = parse_html(
        "<b>fett</b> <strong>stark</strong> <i>kursiv</i> <u>unter</u> <s>durch</s> "
        '<tg-spoiler>geheim</tg-spoiler> <span class="tg-spoiler">auch</span> '
        '<a href="https://example.org">Link</a> <code>x=1</code>'
    )
    assert text == "fett stark kursiv unter durch geheim auch Link x=1"
    assert [(e["type"], text[e["offset"] : e["offset"] + e["length"]]) for e in entities] == [
        ("bold", "fett"),
        ("bold", "stark"),
        ("italic", "kursiv"),
        ("underline", "unter"),
        ("strikethrough", "durch"),
        ("spoiler", "geheim"),
        ("spoiler", "auch"),
        ("text_link", "Link"),
        ("code", "x=1"),
    ]
    assert entities[7]["url"] == "https://example.org"


def test_html_escapes_are_decoded_and_unknown_entities_kept():
    text, entities = parse_html("a &lt;b&gt; &amp; &quot;c&quot; &#228; &#xE4; &nbsp;")
    assert text == 'a <b> & "c" ä ä &nbsp;'
    assert entities == []


def test_pre_with_a_language_and_expandable_blockquotes():
    text, entities = parse_html(
        '<pre><code class="language-python">print(1)</code></pre>'
        "<blockquote expandable>lang</blockquote><blockquote>kurz</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "print(1)langkurz👍"
    assert entities == [
        {"offset": 0, "length": 8, "type": "pre", "language": "python"},
        {"offset": 8, "length": 4, "type": "expandable_blockquote"},
        {"offset": 12, "length": 4, "type": "blockquote"},
        {
            "offset": 16,
            "length": 2,
            "type": "custom_emoji",
            "custom_emoji_id": "5368324170671202286",
        },
    ]


def test_entity_offsets_count_utf16_code_units():
    text, entities = parse_html("😀 <b>ok</b>")
    assert utf16_len(text) == 5
    assert entities == [{"offset": 3, "length": 2, "type": "bold"}]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<b>a", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>a</b></i>", 'expected "</i>", found "</b>"'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("ä <p>", 'Unsupported start tag "p" at byte offset 3'),
        ("a < b", "Unclosed start tag at byte offset 2"),
        ('<span class="x">a</span>', 'tag "span" must have class "tg-spoiler"'),
    ],
)
def test_malformed_html_is_refused_like_telegram(source: str, fragment: str):
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.status == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert fragment in caught.value.description


def test_rendering_entities_back_gives_equivalent_html():
    source = (
        '<b>Hallo <i>Anna</i></b> &lt;3 <a href="https://x.org/?a=1&amp;b=2">hier</a> 😀 <u>ü</u>'
    )
    text, entities = parse_html(source)
    html = render_html(text, entities)
    assert parse_html(html) == (text, entities)
    assert html.startswith("<b>Hallo <i>Anna</i></b> &lt;3")


def test_markdown_v2_covers_the_common_subset():
    text, entities = parse_markdown(
        "*fett* _kursiv_ __unter__ ~durch~ ||geheim|| `code` [Link](https://x.org) 1\\. Punkt"
    )
    assert text == "fett kursiv unter durch geheim code Link 1. Punkt"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]
    text, entities = parse_markdown("```python\nprint(1)\n```")
    assert (text, entities) == (
        "print(1)\n",
        [{"type": "pre", "offset": 0, "length": 9, "language": "python"}],
    )


@pytest.mark.parametrize("source", ["Ende.", "*offen", "a_b", "[x](y", "```nie zu", "(", "!"])
def test_broken_markdown_v2_is_a_bad_request_not_a_crash(source: str):
    with pytest.raises(ApiError) as caught:
        parse_markdown(source)
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")


def test_legacy_markdown_needs_no_escaping_of_dots():
    assert parse_formatted("*fett*. Fertig!", "Markdown", None) == (
        "fett. Fertig!",
        [{"type": "bold", "offset": 0, "length": 4}],
    )


def test_explicit_entities_win_over_parse_mode_and_are_checked():
    entities = [{"type": "bold", "offset": 0, "length": 2}]
    assert parse_formatted("<b>", "HTML", entities) == ("<b>", entities)
    with pytest.raises(ApiError):
        parse_formatted("x", None, [{"type": "sparkle", "offset": 0, "length": 1}])
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        parse_formatted("x", "BBCode", None)
