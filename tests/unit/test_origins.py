"""Site origins are stored in the exact form browsers send in the Origin header."""

from __future__ import annotations

import pytest

from commentsvc.domain.sites import check_slug, normalise_origin
from commentsvc.errors import Invalid


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://www.Example.org", "https://www.example.org"),
        ("https://www.example.org/", "https://www.example.org"),
        ("https://www.example.org/some/page?x=1", "https://www.example.org"),
        ("https://www.example.org:443", "https://www.example.org"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_origins_are_normalised(given, stored):
    assert normalise_origin(given) == stored


@pytest.mark.parametrize(
    "bad", ["www.example.org", "ftp://example.org", "javascript:alert(1)", "https://", "http://x:99999"]
)
def test_what_is_not_an_origin_is_refused(bad):
    with pytest.raises(Invalid):
        normalise_origin(bad)


@pytest.mark.parametrize("slug", ["demo", "ardt-auvergne", "a", "0news"])
def test_good_slugs(slug):
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "-demo", "Demo", "dé", "a" * 64, "with space", "../etc"])
def test_bad_slugs(slug):
    with pytest.raises(Invalid):
        check_slug(slug)
