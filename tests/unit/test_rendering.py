"""Markdown in, safe HTML out: a table of hostile inputs and the exact output each must give."""

from __future__ import annotations

import random

import pytest

from commentsvc.domain.rendering import _markdown, check_body, check_text, render, simple_markdown
from commentsvc.errors import Invalid
from tests.html_safety import unsafe_parts

REL = 'rel="nofollow ugc noopener noreferrer"'

HOSTILE = [
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    (
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<p>&lt;SCRIPT SRC=//evil.example/x.js&gt;&lt;/SCRIPT&gt;</p>",
    ),
    ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
    ("<svg onload=alert(1)>", "<p>&lt;svg onload=alert(1)&gt;</p>"),
    (
        "<svg><script>alert(1)</script></svg>",
        "<p>&lt;svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;</p>",
    ),
    (
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<p>&lt;math&gt;&lt;mtext&gt;&lt;table&gt;&lt;mglyph&gt;&lt;style&gt;&lt;img src=x onerror=alert(1)&gt;</p>",
    ),
    (
        '<iframe src="javascript:alert(1)"></iframe>',
        '<p>&lt;iframe src="javascript:alert(1)"&gt;&lt;/iframe&gt;</p>',
    ),
    ('<a href="javascript:alert(1)">x</a>', '<p>&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;</p>'),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("[x](JAVASCRIPT:alert(1))", "<p>[x](JAVASCRIPT:alert(1))</p>"),
    ("[x](java\tscript:alert(1))", "<p>[x](java\tscript:alert(1))</p>"),
    ("[x](&#106;avascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("[x](%6Aavascript:alert(1))", f"<p><a {REL}>x</a></p>"),
    ("[x]( javascript:alert(1))", "<p>[x]( javascript:alert(1))</p>"),
    ("[x](vbscript:msgbox(1))", "<p>[x](vbscript:msgbox(1))</p>"),
    (
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<p>[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)</p>",
    ),
    (
        "[x](data:image/svg+xml,<svg onload=alert(1)>)",
        "<p>[x](data:image/svg+xml,&lt;svg onload=alert(1)&gt;)</p>",
    ),
    ("![x](http://evil.example/pixel.gif)", f'<p>!<a href="http://evil.example/pixel.gif" {REL}>x</a></p>'),
    ("![x](javascript:alert(1))", "<p>![x](javascript:alert(1))</p>"),
    (
        '[x](http://example.org" onmouseover="alert(1))',
        '<p>[x](http://example.org" onmouseover="alert(1))</p>',
    ),
    (
        '[x](http://example.org "t\\" onmouseover=\\"alert(1)")',
        f'<p><a href="http://example.org" title="t&quot; onmouseover=&quot;alert(1)" {REL}>x</a></p>',
    ),
    (
        '<a href="http://x" onclick="alert(1)">click</a>',
        '<p>&lt;a href="http://x" onclick="alert(1)"&gt;click&lt;/a&gt;</p>',
    ),
    (
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<p>&lt;div style="background:url(javascript:alert(1))"&gt;x&lt;/div&gt;</p>',
    ),
    ("<style>body{display:none}</style>", "<p>&lt;style&gt;body{display:none}&lt;/style&gt;</p>"),
    ("<b onmouseover=alert(1)>bold</b>", "<p>&lt;b onmouseover=alert(1)&gt;bold&lt;/b&gt;</p>"),
    ("<!-- <script>alert(1)</script> -->", "<p>&lt;!-- &lt;script&gt;alert(1)&lt;/script&gt; --&gt;</p>"),
    ("<scr<script>ipt>alert(1)</script>", "<p>&lt;scr&lt;script&gt;ipt&gt;alert(1)&lt;/script&gt;</p>"),
    ('"><script>alert(1)</script>', '<p>"&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>'),
    (
        '<p title="</p><script>alert(1)</script>">',
        '<p>&lt;p title="&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"&gt;</p>',
    ),
    ("`<script>alert(1)</script>`", "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"),
    (
        "```html\n<script>alert(1)</script>\n```",
        "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
    ),
    (
        '<form action="http://evil.example"><input name=x></form>',
        '<p>&lt;form action="http://evil.example"&gt;&lt;input name=x&gt;&lt;/form&gt;</p>',
    ),
    (
        '<object data="javascript:alert(1)"></object>',
        '<p>&lt;object data="javascript:alert(1)"&gt;&lt;/object&gt;</p>',
    ),
    ('<a href="http://x', '<p>&lt;a href="http://x</p>'),
    ("[rel](/admin)", f"<p><a {REL}>rel</a></p>"),
    ("[ftp](ftp://example.org/file)", f"<p><a {REL}>ftp</a></p>"),
    ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"),
    ("[x][ref]\n\n[ref]: javascript:alert(1)", "<p>[x][ref]</p>\n<p>[ref]: javascript:alert(1)</p>"),
    (
        "> quote <script>x</script>",
        "<blockquote>\n<p>quote &lt;script&gt;x&lt;/script&gt;</p>\n</blockquote>",
    ),
    ("* <img src=x onerror=alert(1)>", "<ul>\n<li>&lt;img src=x onerror=alert(1)&gt;</li>\n</ul>"),
]

ORDINARY = [
    ("Bonjour **tout** le _monde_", "<p>Bonjour <strong>tout</strong> le <em>monde</em></p>"),
    (
        "[lien](https://example.org/page?a=1&b=2)",
        f'<p><a href="https://example.org/page?a=1&amp;b=2" {REL}>lien</a></p>',
    ),
    ("<https://example.org>", f'<p><a href="https://example.org" {REL}>https://example.org</a></p>'),
    ("[mail](mailto:someone@example.org)", f'<p><a href="mailto:someone@example.org" {REL}>mail</a></p>'),
    ("> cité\n\nréponse", "<blockquote>\n<p>cité</p>\n</blockquote>\n<p>réponse</p>"),
    ("1. un\n2. deux", "<ol>\n<li>un</li>\n<li>deux</li>\n</ol>"),
    ("3. trois", '<ol start="3">\n<li>trois</li>\n</ol>'),
    ("~~barré~~ et `code`", "<p><s>barré</s> et <code>code</code></p>"),
    ("# Pas un titre", "<p># Pas un titre</p>"),
    ("ligne  \nsuivante", "<p>ligne<br>\nsuivante</p>"),
]


@pytest.mark.parametrize(("source", "html"), HOSTILE)
def test_hostile_markdown_renders_to_exactly_this_safe_html(source, html):
    assert render(source) == html


@pytest.mark.parametrize(("source", "html"), ORDINARY)
def test_ordinary_markdown_renders_as_readers_expect(source, html):
    assert render(source) == html


def test_the_hostile_table_is_large_enough():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("html", [html for _, html in HOSTILE + ORDINARY])
def test_every_output_element_is_allowlisted_and_every_link_absolute_and_safe(html):
    assert unsafe_parts(html) == []


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<p onclick="alert(1)">x</p>',
        f'<a href="java&#x09;script:alert(1)" {REL}>x</a>',
        f'<a href=" JAVASCRIPT:alert(1)" {REL}>x</a>',
        f'<a href="/relative" {REL}>x</a>',
        '<a href="https://example.org">no rel</a>',
        "<img src=x>",
        "<!-- comment -->",
        "<p style=color:red>x</p>",
    ],
)
def test_the_safety_check_itself_catches_unsafe_html(html):
    assert unsafe_parts(html) != []


@pytest.mark.parametrize("bad", ["nul\x00", "escape\x1b[31m", "bell\x07", "lone \ud800", "private \ue000"])
def test_control_and_invalid_characters_are_refused(bad):
    with pytest.raises(Invalid):
        check_text(bad, "body")


def test_newlines_tabs_and_right_to_left_text_are_fine_in_bodies():
    assert check_body("שלום\n\tعربي — 👩‍👩‍👧") == "שלום\n\tعربي — 👩‍👩‍👧"


@pytest.mark.parametrize("bad", ["", "   ", "\n\n", "x" * 10_001])
def test_empty_or_oversized_bodies_are_refused(bad):
    with pytest.raises(Invalid):
        check_body(bad)


# Texts with no Markdown in them, or only the Markdown most comments use, which render() turns
# into HTML without the parser.
SIMPLE = [
    "Merci pour cet article, très clair.",
    'Two lines\nin one paragraph.\n\nThen another, with "quotes" and (brackets)!',
    "\n\nLeading and trailing blank lines\n\n\n",
    "Ceci n’est pas « une pipe » — c’est 100 % une pipe… 3.5/5 @auteur",
    "Ελληνικά, русский, 日本語 and عربي text.",
    "well-known, 2024-11-26, 10:30; a - b",
    "I *really* mean it, **twice over**. Use `git log --all` (*see* the docs).",
    "*Merci* pour ça\n**Très** clair, `x < y && z`: *vraiment*!",
    "> What the article said,\n> over two lines.\n\nAnd my *answer* to it.",
    "> Une citation.\n\n> Une autre, séparée.",
]
# Texts that look simple but hold other Markdown (or spans read another way): the parser must see them.
MARKDOWN_LOOKALIKES = [
    "1. a numbered list",
    "2) another",
    "- a bullet",
    "    indented code",
    "a hard  \nline break",
    "snake_case and *stars*",
    "a line\n---",
    "<b>tags</b> & entities",
    "tab\tseparated",
    "windows\r\nlines",
    "text\n\n 1. after a blank line",
    "* a bullet, not emphasis*",
    "intra*word* emphasis",
    "*nested **strong** inside*",
    "***both at once***",
    "**unclosed",
    "*a_b* with an underscore",
    "`a``b`: runs of two backticks",
    "`` double-backtick code ``",
    "` padded code `",
    "*across\nlines*",
    "> a quote\nwith a lazy line",
    "> a quote\n> \n> with a blank line inside",
    ">no space after the marker",
    "> > nested",
    "a paragraph\n> interrupted by a quote",
]


@pytest.mark.parametrize("source", SIMPLE)
def test_simple_text_skips_the_parser_and_renders_exactly_as_the_parser_would(source):
    assert simple_markdown(source) == _markdown().render(source)


@pytest.mark.parametrize("source", MARKDOWN_LOOKALIKES)
def test_text_that_could_be_other_markdown_goes_to_the_parser(source):
    assert simple_markdown(source) is None


def test_the_shortcut_agrees_with_the_parser_on_random_texts():
    """Texts drawn from prose, Markdown's own characters and the spans the shortcut reads, lines
    starting and ending in every way: wherever the shortcut answers, the parser gives the same
    HTML."""
    rng = random.Random(20261126)
    alphabet = [
        "word",
        "Été",
        "x",
        "42",
        " ",
        "  ",
        "\n",
        "\n\n",
        "> ",
        "\n> ",
        ".",
        ",",
        "-",
        "1.",
        "'",
        '"',
        "(",
        ")",
        "*",
        "**",
        "***",
        "_",
        "`",
        "``",
        "#",
        ">",
        "<",
        "&",
        "[",
        "]",
        "!",
        "?",
        ":",
        "/",
        "\\",
        "—",
        "«",
        "\t",
        "\xa0",
        "~",
        "=",
        "*word*",
        "**Été x**",
        "*42*",
        "*a_b*",
        "`a`",
        "`a b`",
        "` a`",
    ]
    answered = with_markup = 0
    for _ in range(40_000):
        source = "".join(rng.choices(alphabet, k=rng.randint(1, 14)))
        html = simple_markdown(source)
        if html is not None:
            answered += 1
            with_markup += "<em>" in html or "<strong>" in html or "<code>" in html or "<blockquote>" in html
            assert html == _markdown().render(source), repr(source)
    # The comparison was really made, many times, on texts with markup too.
    assert answered > 2_000
    assert with_markup > 500
