"""Security headers and policies on everything the service serves, absolute URLs that come from
the configuration (never from the request's Host header), HEAD, and content types."""

from __future__ import annotations

import dataclasses
import re

import pytest

from commentsvc.api.widget import asset
from tests.builders import make_site, post_comment, register
from tests.conftest import open_client

BASELINE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
SITE_ORIGIN = "https://news.example"


@pytest.fixture(scope="module")
async def site(db) -> str:
    return await make_site(db, origins=(SITE_ORIGIN, "https://www.news.example"))


def every_page(site: str) -> dict[str, str]:
    """One request of each kind the service answers, keyed by a name for the test id."""
    return {
        "reference": "/schema",
        "openapi": "/schema/openapi.json",
        "demo article": "/demo/article.html",
        "demo listing": "/demo/listing.html",
        "demo redirect": "/demo",
        "loader": "/embed.js",
        "count script": "/count.js",
        "widget script": f"/widget/{asset('widget.js').hashed_name}",
        "embed": f"/embed?site={site}&article=a1&origin={SITE_ORIGIN}",
        "embed refused": f"/embed?site={site}&article=a1&origin=https://other.example",
        "dashboard": "/moderate",
        "dashboard script": "/moderate/moderate.js",
        "health": "/healthz",
        "ready": "/readyz",
        "metrics": "/metrics",
        "thread": f"/api/v1/sites/{site}/comments?article=a1",
        "counts": f"/api/v1/sites/{site}/counts?articles=a1",
        "signed out": "/api/v1/me",
        "unknown route": "/nowhere",
        "bad query": f"/api/v1/sites/{site}/comments?article=a1&limit=-5",
    }


def csp_directives(policy: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.partition(" ")[2] for d in (p.strip() for p in policy.split(";")) if d}


async def test_every_response_carries_the_security_headers(client, site):
    for name, path in every_page(site).items():
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["referrer-policy"] in {"strict-origin-when-cross-origin", "no-referrer"}, name
        policy = csp_directives(response.headers["content-security-policy"])
        # No page may run inline script: where a policy allows script at all, only from files.
        assert "'unsafe-inline'" not in policy.get("script-src", ""), name
        assert "'unsafe-eval'" not in response.headers["content-security-policy"], name
        assert "frame-ancestors" in policy, name
        assert "strict-transport-security" not in response.headers, f"{name}: HSTS over plain HTTP"


async def test_json_and_assets_get_the_baseline_policy(client, site):
    for path in (
        "/schema/openapi.json",
        "/embed.js",
        f"/api/v1/sites/{site}/comments?article=a1",
        "/nowhere",
    ):
        assert (await client.get(path)).headers["content-security-policy"] == BASELINE_CSP, path


async def test_pages_keep_their_own_policy(client, site):
    # The widget's document may be framed by the page that asked for it, on one of the site's
    # origins; the site's other origins are not listed to whoever asks.
    embed = await client.get(every_page(site)["embed"])
    assert csp_directives(embed.headers["content-security-policy"])["frame-ancestors"] == SITE_ORIGIN
    assert "www.news.example" not in embed.headers["content-security-policy"] + embed.text
    dashboard = await client.get("/moderate")
    assert csp_directives(dashboard.headers["content-security-policy"])["frame-ancestors"] == "'none'"
    assert dashboard.headers["referrer-policy"] == "no-referrer"
    # The reference page renders the OpenAPI document on the server: no script at all.
    reference = await client.get("/schema")
    assert reference.status_code == 200 and "<script" not in reference.text
    assert "POST /api/v1/sites/{site}/comments" in reference.text


async def test_error_responses_carry_the_headers_once(client):
    response = await client.post(
        "/api/v1/auth/login", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers.get_list("content-security-policy") == [BASELINE_CSP]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


async def test_hsts_when_the_service_is_public_over_https(settings, site):
    https = dataclasses.replace(settings, public_url="https://comments.example")
    async with open_client(https) as client:
        for path in ("/healthz", "/embed.js", "/nowhere", "/moderate"):
            assert client.base_url.scheme == "https"
            response = await client.get(path)
            assert response.headers["strict-transport-security"] == "max-age=63072000", path


async def test_urls_never_come_from_the_host_header(client, db, site, settings):
    reader = await register(client)
    await post_comment(client, reader, site, "a1")
    hostile = {"host": "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https"}
    for name, path in every_page(site).items():
        response = await client.get(path, headers=hostile)
        assert "evil.example" not in response.text, name
        for header, value in response.headers.items():
            assert "evil.example" not in value, f"{name}: {header}"
    # The pages that name the service name it by its configured public URL.
    article = await client.get("/demo/article.html", headers=hostile)
    assert re.search(rf'<script src="{re.escape(settings.public_url)}/embed.js"', article.text)


async def test_head_is_answered_as_get_without_a_body(client, site):
    for name, path in every_page(site).items():
        got, head = await client.get(path), await client.head(path)
        assert head.status_code == got.status_code, name
        assert head.content == b"", name
        # /metrics changes between the two requests (they are counted): its length with it.
        compared = ("content-type", "content-security-policy", "cache-control") + (
            () if name == "metrics" else ("content-length",)
        )
        for header in compared:
            assert head.headers.get(header) == got.headers.get(header), f"{name}: {header}"


async def test_text_types_name_their_charset_once(client, site):
    for name, path in every_page(site).items():
        content_type = (await client.get(path)).headers["content-type"]
        assert content_type.count("charset") <= 1, f"{name}: {content_type}"


async def test_a_signed_in_readers_thread_page_is_kept_by_no_cache(client, site):
    reader = await register(client)
    await post_comment(client, reader, site, "personal")
    url = f"/api/v1/sites/{site}/comments?article=personal"
    for encoding in ("identity", "gzip"):
        mine = await client.get(url, headers={**reader.auth, "Accept-Encoding": encoding})
        # It carries the reader's source text, pending comments and votes.
        assert mine.headers["cache-control"] == "private, no-store", encoding
        anonymous = await client.get(url, headers={"Accept-Encoding": encoding})
        assert "private" not in anonymous.headers.get("cache-control", ""), encoding
        assert "no-store" not in anonymous.headers.get("cache-control", ""), encoding


async def test_site_routes_vary_on_origin_even_when_none_came(client, site):
    # A cache keeps /counts (public, max-age): an answer without CORS headers must not be handed
    # to a page of the site, nor one for an origin to a page of another.
    for path in (f"/api/v1/sites/{site}/counts?article=a1", f"/api/v1/sites/{site}/comments?article=a1"):
        for headers in ({}, {"Origin": SITE_ORIGIN}, {"Origin": "https://other.example"}):
            response = await client.get(path, headers=headers)
            varies = [v.strip() for value in response.headers.get_list("vary") for v in value.split(",")]
            assert varies.count("Origin") == 1, (path, headers, varies)
            assert "Accept-Encoding" in varies, (path, headers, varies)
