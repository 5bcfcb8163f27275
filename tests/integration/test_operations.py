"""Health, readiness, metrics, request ids, error bodies and the OpenAPI document."""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import re
import socket

import httpx
import pytest
from litestar import get

from commentsvc.config import RateLimit, load_settings
from tests.builders import register
from tests.conftest import open_client, with_database
from tests.served import free_port, serve, service_environment

# The contract routes implemented so far, and the service's own operational routes.
CONTRACT_ROUTES = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/sso"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/export"),
    ("delete", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("post", "/api/v1/me/email/verification"),
    ("post", "/api/v1/auth/password/forgot"),
    ("post", "/api/v1/auth/password/reset"),
    ("post", "/api/v1/auth/email/verify"),
    ("get", "/api/v1/sites/{site}/comments"),
    ("post", "/api/v1/sites/{site}/comments"),
    ("patch", "/api/v1/comments/{id}"),
    ("delete", "/api/v1/comments/{id}"),
    ("put", "/api/v1/comments/{id}/vote"),
    ("post", "/api/v1/comments/{id}/reports"),
    ("get", "/api/v1/comments/{id}/history"),
    ("post", "/api/v1/comments/{id}/appeal"),
    ("get", "/api/v1/sites/{site}/counts"),
    ("get", "/api/v1/sites/{site}/live"),
    ("get", "/api/v1/sites/{site}/moderation/queue"),
    ("post", "/api/v1/moderation/items/{item_id}/decision"),
    ("get", "/api/v1/sites/{site}/moderation/log"),
    ("post", "/api/v1/sites/{site}/bans"),
    ("delete", "/api/v1/sites/{site}/bans/{user_id}"),
    ("put", "/api/v1/sites/{site}/articles/lock"),
    ("post", "/api/v1/sites/{site}/webhooks"),
    ("get", "/api/v1/sites/{site}/webhooks"),
    ("delete", "/api/v1/sites/{site}/webhooks/{id}"),
    ("get", "/api/v1/me/notifications"),
    ("put", "/api/v1/me/notifications"),
    ("post", "/unsubscribe"),
    ("post", "/api/v1/sites/{site}/moderation/bulk"),
    ("get", "/api/v1/sites/{site}/moderation/users/{user_id}"),
    ("get", "/api/v1/sites/{site}/moderation/comments"),
    ("put", "/api/v1/comments/{id}/pin"),
    ("get", "/api/v1/sites/{site}/comments.html"),
    ("get", "/feeds/{feed}"),
    ("get", "/feeds/{site}/article.atom"),
    # Additive: the widget's Markdown preview.
    ("post", "/api/v1/preview"),
    # Additive: moderators set an article's title and URL (a reader's first comment does not).
    ("put", "/api/v1/sites/{site}/articles"),
    # Additive: a moderator's decision from an e-mailed link (what it is about; the decision).
    ("get", "/api/v1/moderation/decisions/by-link"),
    ("post", "/api/v1/moderation/decisions/by-link"),
    # Additive: linking an identity at a provider (OpenID Connect) to one's account.
    ("post", "/api/v1/me/identities/link-code"),
    ("post", "/api/v1/auth/oidc/link"),
    # Additive: a site's owners manage its settings, origins, moderators and SSO secret.
    ("get", "/api/v1/sites/{site}/settings"),
    ("patch", "/api/v1/sites/{site}/settings"),
    ("post", "/api/v1/sites/{site}/origins"),
    ("delete", "/api/v1/sites/{site}/origins"),
    ("get", "/api/v1/sites/{site}/moderators"),
    ("post", "/api/v1/sites/{site}/moderators"),
    ("delete", "/api/v1/sites/{site}/moderators/{username}"),
    ("get", "/api/v1/sites/{site}/sso"),
    ("post", "/api/v1/sites/{site}/sso/secret"),
    # Additive: imports from the dashboard (upload, the site's imports, one of them).
    ("post", "/api/v1/sites/{site}/imports"),
    ("get", "/api/v1/sites/{site}/imports"),
    ("get", "/api/v1/sites/{site}/imports/{id}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


@pytest.mark.parametrize("down", ["postgres", "redis"])
async def test_readyz_names_what_is_down(settings, down):
    unreachable = f"127.0.0.1:{free_port()}"
    broken = (
        dataclasses.replace(settings, database_url=f"postgresql://postgres@{unreachable}/x")
        if down == "postgres"
        else dataclasses.replace(settings, redis_url=f"redis://{unreachable}/0", redis_timeout_seconds=0.5)
    )
    async with open_client(broken) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    expected = {"status": "unavailable", "postgres": "ok", "redis": "ok"} | {down: "unreachable"}
    assert response.json() == expected


@pytest.mark.parametrize("refused", ["postgres", "redis"])
async def test_readyz_is_a_503_naming_a_backend_that_answers_with_a_refusal(settings, refused):
    """A database that does not exist, a Redis database index beyond the server's: not a 500."""
    broken = (
        dataclasses.replace(settings, database_url=with_database(settings.database_url, "commentsvc_absent"))
        if refused == "postgres"
        else dataclasses.replace(settings, redis_url=settings.redis_url.rsplit("/", 1)[0] + "/99999")
    )
    async with open_client(broken) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    expected = {"status": "unavailable", "postgres": "ok", "redis": "ok"} | {refused: "unreachable"}
    assert response.json() == expected


async def test_a_database_outage_is_a_503_with_retry_after_not_a_500(settings):
    no_postgres = dataclasses.replace(
        settings, database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/x"
    )
    async with open_client(no_postgres) as client:
        response = await client.post("/api/v1/auth/login", json={"login": "someone", "password": "something"})
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.json()["code"] == "unavailable"
    assert "Traceback" not in response.text and "postgres" not in response.text.lower()


async def test_without_redis_sign_in_is_limited_in_process_and_more_strictly(settings):
    no_redis = dataclasses.replace(
        settings,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        redis_timeout_seconds=0.2,
        rate_limits={**settings.rate_limits, "login": RateLimit(4, 60)},
    )
    async with open_client(no_redis) as client:
        body = {"login": "someone", "password": "something"}
        statuses = [(await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


async def test_unknown_routes_and_methods_get_json_errors(client):
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404 and missing.json()["detail"]
    wrong_method = await client.put("/api/v1/auth/login", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"]


async def test_an_unexpected_fault_is_a_plain_500_without_internals(settings, caplog):
    @get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("SELECT password_hash FROM users -- secret internals")

    async with open_client(settings, extra_routes=[boom]) as client:
        with caplog.at_level(logging.ERROR, logger="commentsvc.errors"):
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "status_code": 500,
        "detail": "Something went wrong on our side; it has been logged.",
        "code": "internal_error",
    }
    faults = [r.exc_info[1] for r in caplog.records if r.name == "commentsvc.errors" and r.exc_info]
    assert [str(fault) for fault in faults] == ["SELECT password_hash FROM users -- secret internals"]


async def test_every_response_carries_a_request_id_and_one_log_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="commentsvc.access"):
        generated = await client.get("/healthz")
        echoed = await client.get("/healthz", headers={"X-Request-ID": "client-chosen-id-1234"})
        refused = await client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert re.fullmatch(r"[0-9a-f]{28}", generated.headers["x-request-id"])
    assert echoed.headers["x-request-id"] == "client-chosen-id-1234"
    assert refused.headers["x-request-id"] != "bad id\nwith newline"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "commentsvc.access"]
    assert [line["request_id"] for line in lines] == [
        generated.headers["x-request-id"],
        "client-chosen-id-1234",
        refused.headers["x-request-id"],
    ]
    assert lines[0] | {"ms": 0} == {
        "request_id": lines[0]["request_id"],
        "method": "GET",
        "path": "/healthz",
        "route": "/healthz",
        "status": 200,
        "ms": 0,
    }


async def test_metrics_count_requests_per_route_and_status(client):
    reader = await register(client)
    await client.get("/api/v1/me", headers=reader.auth)
    await client.get("/api/v1/me")
    text = (await client.get("/metrics")).text
    assert 'commentsvc_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in text
    assert 'commentsvc_http_requests_total{method="GET",route="/api/v1/me",status="401"}' in text
    assert "commentsvc_http_request_duration_seconds_bucket" in text
    assert 'commentsvc_db_pool_connections{state="idle"}' in text


@pytest.mark.slow
async def test_metrics_sum_every_worker(settings, tmp_path):
    with serve(settings, workers=2, log=tmp_path / "serve.log") as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            for _ in range(40):
                await client.get("/healthz", headers={"Connection": "close"})
            text = (await client.get("/metrics")).text
    samples = [
        line
        for line in text.splitlines()
        if line.startswith('commentsvc_http_requests_total{method="GET",route="/healthz"')
    ]
    assert len(samples) == 1
    assert float(samples[0].rsplit(" ", 1)[1]) == 40


async def test_openapi_describes_the_contract_routes(client):
    schema = (await client.get("/schema/openapi.json")).json()
    documented = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert documented == CONTRACT_ROUTES
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert {"200", "400", "401", "429"} <= set(login["responses"])
    me = schema["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert (await client.get("/schema")).status_code == 200


async def test_an_oversized_body_is_refused_before_it_is_read(client):
    body = {"login": "x" * 200_000, "password": "whatever123"}
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 413
    assert response.json()["detail"]


async def test_the_demo_pages_are_wired_to_this_instance(client, settings):
    article = await client.get("/demo/article.html")
    assert article.status_code == 200
    assert f'<script src="{settings.public_url}/embed.js" data-site="demo" async>' in article.text
    assert "{{" not in article.text
    listing = await client.get("/demo/listing.html")
    assert f'src="{settings.public_url}/count.js" data-site="demo"' in listing.text
    assert (await client.get("/demo")).headers["location"] == "/demo/article.html"
    assert (await client.get("/demo/../config.py")).status_code in (400, 404)


def configured(settings, **variables: str):
    """The tests' settings, with these COMMENTSVC_* variables set as an operator would set them."""
    return load_settings(
        service_environment(settings, COMMENTSVC_PUBLIC_URL=settings.public_url, **variables)
    )


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "status"),
    [
        ("192.0.2.7", None, 200),
        ("198.51.100.1", None, 403),
        ("10.0.0.2", "192.0.2.7", 200),  # through the trusted proxy
        ("10.0.0.2", "198.51.100.1", 403),
        ("198.51.100.1", "192.0.2.7", 403),  # X-Forwarded-For from anyone else is not believed
    ],
)
async def test_metrics_answer_only_the_addresses_allowed(settings, peer, forwarded_for, status):
    allowed = configured(
        settings, COMMENTSVC_METRICS_ALLOW="192.0.2.0/24", COMMENTSVC_TRUSTED_PROXIES="10.0.0.0/8"
    )
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with open_client(allowed, address=peer) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status, response.text[:300]
    if status == 403:
        assert response.json()["code"] == "forbidden"
        assert "commentsvc_http_requests_total" not in response.text


async def test_metrics_answer_the_bearer_of_the_metrics_token(settings):
    token = "m" * 40
    with_token = configured(settings, COMMENTSVC_METRICS_TOKEN=token)
    async with open_client(with_token) as client:
        none = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": f"Bearer {'m' * 39}x"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    for refused in (none, wrong):
        assert refused.status_code == 401, refused.text[:300]
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "commentsvc_http_requests_total" not in refused.text
    assert right.status_code == 200
    assert "commentsvc_http_requests_total" in right.text


def raw_exchange(base_url: str, request: bytes) -> bytes:
    """One request on a connection of its own, and everything the server sent back."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_dot_segments_sent_as_written_never_leave_their_folder(settings):
    """What a client that does not remove dot segments sends (httpx and browsers do: for them,
    /widget/.. is the front page)."""
    paths = [
        "/widget/..",
        "/moderate/..",
        "/demo/..",
        "/widget/../moderate/moderate.js",
        "/demo/./article.html",
    ]
    with serve(settings, workers=1) as base_url:
        answers = {
            path: raw_exchange(
                base_url, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
            )
            for path in paths
        }
    statuses = {path: answer.split(b" ", 2)[1] for path, answer in answers.items()}
    assert set(statuses.values()) <= {b"400", b"404"}, statuses
    for answer in answers.values():
        assert b"\r\ncontent-type: application/json" in answer.partition(b"\r\n\r\n")[0].lower()


@pytest.mark.slow
def test_a_production_instance_keeps_its_metrics_and_its_server_to_itself(settings):
    """Neither COMMENTSVC_METRICS_TOKEN nor COMMENTSVC_METRICS_ALLOW: /metrics answers nobody,
    not even the machine itself; and no response names the server software."""
    requests = {
        "metrics": b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "health": b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "not found": b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "headers too large": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: "
        + b"a" * 40_000
        + b"\r\nConnection: close\r\n\r\n",
        "not HTTP": b"NOT HTTP AT ALL\r\n\r\n",
    }
    with serve(settings, workers=1, COMMENTSVC_ENV="production") as base_url:
        answers = {name: raw_exchange(base_url, request) for name, request in requests.items()}
    statuses = {name: answer.split(b" ", 2)[1] for name, answer in answers.items()}
    naming_the_server = {
        name for name, answer in answers.items() if b"\r\nserver:" in answer.partition(b"\r\n\r\n")[0].lower()
    }
    expected = {
        "metrics": b"403",
        "health": b"200",
        "not found": b"404",
        "headers too large": b"431",
        "not HTTP": b"400",
    }
    assert (statuses, naming_the_server) == (expected, set())
    assert b"commentsvc_http_requests_total" not in answers["metrics"]


# What the front page says, in each of its languages.
FRONT_PAGE = {
    "en": ("The demo article", "The moderators' dashboard", "The API documentation"),
    "fr": ("L'article de démonstration", "Le tableau de bord des modérateurs", "La documentation de l'API"),
}


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,de;q=0.9,fr;q=0.5,en;q=0.3", "fr"),
        ("fr;q=0.2, en;q=0.7", "en"),
        ("de", "en"),
        (None, "en"),
    ],
)
async def test_the_front_page_says_what_this_is_and_links_the_demo_dashboard_and_api(
    client, accept_language, lang
):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = await client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == lang
    assert response.headers["vary"] == "Accept-Language"
    # The baseline policy: nothing runs, nothing is styled from elsewhere, never framed.
    assert response.headers["content-security-policy"].startswith("default-src 'none';")
    page = html.unescape(response.text)
    assert f'<html lang="{lang}">' in page and "<script" not in page and "style" not in page
    demo, dashboard, api = FRONT_PAGE[lang]
    for href, text in (("/demo/article.html", demo), ("/moderate", dashboard), ("/schema", api)):
        assert f'<a href="{href}">{text}</a>' in page
        assert (await client.get(href)).status_code == 200
