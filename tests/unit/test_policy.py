import pytest

from commentsvc.domain.policy import count_links


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no link at all, just www and http", 0),
        ("see https://a.example and http://b.example", 2),
        ("HTTPS://A.EXAMPLE, Www.B.Example and mailto:c@d.example", 3),
        ("[a link](https://a.example) in Markdown", 1),
        ("http://www.a.example is one link, not two", 1),
        ("www.a.example www.b.example wwww.c.example", 3),
        ("httpſ://a.example: the long s folds to s", 1),
    ],
)
def test_links_are_counted_once_each_whatever_their_case(text, links):
    assert count_links(text) == links
