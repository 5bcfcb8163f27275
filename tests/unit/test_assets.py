"""The widget's assets as served: comments and blanks out, and nothing else changed: strings,
regular expressions, divisions and the line breaks that may end a statement are kept."""

from __future__ import annotations

import pytest

from commentsvc.api.assets import minify_css, minify_js


@pytest.mark.parametrize(
    ("source", "served"),
    [
        ("// a comment\nvar a = 1;  /* another */\n", "var a=1;\n"),
        ("var url = \"http://x\" + '//y';", "var url=\"http://x\"+'//y';\n"),
        ("var s = 'it\\'s // kept';", "var s='it\\'s // kept';\n"),
        ("x = a / b / c;", "x=a/b/c;\n"),
        ("f(/\\/\\/[/]x/g, 1);", "f(/\\/\\/[/]x/g,1);\n"),
        ("return /a b/.test(s);", "return/a b/.test(s);\n"),  # a pattern, not a division
        ("a = b\n++c", "a=b\n++c\n"),  # the break ends the statement: it stays
        ("a = b + +c - -d;", "a=b+ +c- -d;\n"),
        ("n = i++ / 2 + ++j;", "n=i++/2+ ++j;\n"),
        ("if (a) {\n  b();\n}\n", "if(a){b();}\n"),
        ("typeof x === 'y'", "typeof x==='y'\n"),
    ],
)
def test_a_script_loses_only_what_no_token_needs(source, served):
    assert minify_js(source) == served


def test_a_style_sheet_loses_comments_and_blanks_but_not_its_descendant_selectors():
    assert (
        minify_css("/* why */\n.a :focus,\n.b > p {\n  margin: 0 1px;\n}\n")
        == ".a :focus,.b>p{margin: 0 1px;}"
    )
