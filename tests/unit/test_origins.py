"""Site origins are stored in the exact form browsers send in the Origin header, and URLs are read
the way browsers read them (the WHATWG URL Standard): a URL that browsers and other parsers would
read as different hosts is refused."""

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


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTP://HOST:80/", "http://host"),
        # Browsers send an internationalised host in its ASCII (punycode) form.
        ("https://BÜCHER.example", "https://xn--bcher-kva.example"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        # Full-width letters and a percent-encoded host are the plain host to a browser.
        ("https://\uff45vil.example", "https://evil.example"),
        ("https://%65vil.example", "https://evil.example"),
        ("http://0x7f.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_origins_are_read_as_a_browser_reads_them(given, stored):
    assert normalise_origin(given) == stored


@pytest.mark.parametrize(
    "misleading",
    [
        # Browsers read a backslash as a slash: the host is evil.example, not host.
        "http://evil.example\\@host/x",
        "https:\\\\evil.example",
        # Credentials: no page of a site needs them, and they make the host easy to misread.
        "http://user:pw@host/",
        "http://evil.example@host/",
        # Browsers drop tabs and line breaks inside a URL; other parsers keep them.
        "http://host\x09/",
        "http://ho\nst/",
        # Without '//' a browser still finds a host; other parsers find a path.
        "https:evil.example",
        "https:/evil.example",
        "//evil.example",
    ],
)
def test_urls_that_parsers_read_as_different_hosts_are_refused(misleading):
    with pytest.raises(Invalid):
        normalise_origin(misleading)


@pytest.mark.parametrize("slug", ["demo", "ardt-auvergne", "a", "0news"])
def test_good_slugs(slug):
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "-demo", "Demo", "dé", "a" * 64, "with space", "../etc"])
def test_bad_slugs(slug):
    with pytest.raises(Invalid):
        check_slug(slug)
