"""Hostile input against every endpoint: each case is refused with a 4xx in the
service's JSON error shape, stores nothing and leaks nothing; where the input is
legitimately valid text (SQL metacharacters, markup) it is stored verbatim and
only ever rendered safe. The corpus is in hostile_corpus.py."""

from __future__ import annotations

import base64
import hmac
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import jwt
import msgspec
import pytest

from commentsvc.api.observe import MAX_HEADER_BYTES
from commentsvc.app import create_app
from commentsvc.domain.roles import grant
from commentsvc.model.events import SITE_TYPES
from tests.builders import (
    PASSWORD,
    make_moderator,
    make_site,
    post_comment,
    read_thread,
    register,
    registration,
    unique_name,
)
from tests.html_safety import unsafe_parts
from tests.integration.hostile_corpus import (
    BAD_ID_SEGMENTS,
    BAD_INTEGERS,
    BAD_LIMITS,
    CONTROL,
    DANGEROUS_URLS,
    INVISIBLE,
    MISLEADING_URLS,
    NOT_JSON,
    RAW_BODIES,
    SIGNAL_DODGES,
    SITE_SEGMENTS,
    SQL,
    TRAVERSAL,
    XSS,
)
from tests.integration.oidc_flow import at_forger, refusal, service_with
from tests.integration.oidc_flow import callback as oidc_callback
from tests.integration.oidc_flow import start as oidc_start
from tests.openid import ForgingProvider
from tests.served import serve

ORIGIN = "https://news.example"
# A literal public address (no DNS), for a webhook's URL; no case registers one.
WEBHOOK_URL = "https://93.184.215.14/hook"
# No webhook has this id: a case may remove it only to be refused.
NO_WEBHOOK = 999_999_999
# No account has this username.
NO_USERNAME = "hostile_nobody"
# Nor has any import: a case may ask for it only to be refused.
NO_IMPORT = 999_999_999
HELD_WORD = "heldword"
# Larger than any request the service accepts, by far.
TEN_MEGABYTES = b'{"body": "' + b"x" * (10 * 1024 * 1024) + b'"}'
TABLES = (
    "sites",
    "users",
    "user_roles",
    "refresh_tokens",
    "articles",
    "comments",
    "votes",
    "reports",
    "idempotency_keys",
    "moderation_items",
    "bans",
    "audit_log",
    "webhooks",
    "import_jobs",
    "account_tokens",
    "sso_secrets",
    "sso_accounts",
)
FINGERPRINT = "SELECT " + ", ".join(
    f"(SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t)"
    f" AS {table}"
    for table in TABLES
)
# What an error must never carry: a trace, SQL, internals.
LEAKS = re.compile(
    r"Traceback|File \"|\.py\", line|site-packages|asyncpg|litestar|msgspec\.|Exception|Error\(|"
    r"\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bWHERE\b|password_hash|0x[0-9a-f]{6,}",
)
ERROR_KEYS = {
    "status_code",
    "detail",
    "code",
    "field",
    "reason",
    "banned_until",
    "ban_reason",
    "edit_window_minutes",
}


# --- the world the cases run against --------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A value known only once the world exists (an id, a slug)."""

    name: str


@dataclass
class World:
    site: str
    article: str
    other_article: str
    author: object
    reader: object
    erasable: object
    target: object
    moderator: object
    owner: object
    admin: object
    comment: int
    item: int
    cursor: str
    other_cursor: str

    def value(self, name: str) -> object:
        return {
            "site": self.site,
            "article": self.article,
            "other_article": self.other_article,
            "comment": self.comment,
            "item": self.item,
            "target": self.target.id,
            "target_id": self.target.id,
        }[name]

    def auth(self, who: str | None) -> dict[str, str]:
        return getattr(self, who).auth if who else {}


@pytest.fixture(scope="module")
async def world(client, db) -> AsyncIterator[World]:
    site = await make_site(db, origins=(ORIGIN,), blocked_words=[HELD_WORD])
    author, reader, erasable, target = [await register(client) for _ in range(4)]
    moderator = await make_moderator(client, db, site)
    owner = await register(client)
    await grant(db, owner.username, "owner", site)
    admin = await register(client)
    await grant(db, admin.username, "admin", None)
    article, other_article = unique_name("article"), unique_name("article")
    comments = [await post_comment(client, author, site, article) for _ in range(3)]
    for _ in range(2):
        await post_comment(client, author, site, other_article)
    held = await post_comment(client, author, site, article, f"{HELD_WORD} {unique_name()}")
    assert held["status"] == "pending"
    item = await db.fetchval("SELECT id FROM moderation_items WHERE comment_id = $1", held["id"])
    # Claimed once, so the outbox is drained and later reads change nothing.
    # The host-site SSO secret the hostile tokens are signed with.
    await db.execute(
        "INSERT INTO sso_secrets (site_id, secret) SELECT id, $2 FROM sites WHERE slug = $1", site, SSO_SECRET
    )
    claimed = await client.get(f"/api/v1/sites/{site}/moderation/queue", headers=moderator.auth)
    assert claimed.status_code == 200, claimed.text
    yield World(
        site=site,
        article=article,
        other_article=other_article,
        author=author,
        reader=reader,
        erasable=erasable,
        target=target,
        moderator=moderator,
        owner=owner,
        admin=admin,
        comment=comments[0]["id"],
        item=item,
        cursor=(await read_thread(client, site, article, limit=1))["next_cursor"],
        other_cursor=(await read_thread(client, site, other_article, limit=1))["next_cursor"],
    )


def resolve(value: object, world: World) -> object:
    if isinstance(value, Ref):
        return world.value(value.name)
    if isinstance(value, HostToken):
        return value.token(world.site)
    if isinstance(value, dict):
        return {k: resolve(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, world) for v in value]
    return value


# --- the routes and their cases --------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    caller: str | None = None  # who calls it, so that validation is reached rather than a 401
    body: dict | None = None  # a well-formed body, which hostile cases mutate
    fields: dict[str, str] = field(default_factory=dict)  # field -> kind (see WRONG_VALUES)


ROUTES = {
    "register": Route(
        "POST",
        "/api/v1/auth/register",
        body={
            "username": "hostile_base",
            "email": "hostile_base@example.org",
            "password": PASSWORD,
            "display_name": "Base",
        },
        fields={"username": "text", "email": "text", "password": "text", "display_name": "optional_text"},
    ),
    "login": Route(
        "POST",
        "/api/v1/auth/login",
        body={"login": "hostile_nobody", "password": "a wrong password"},
        fields={"login": "text", "password": "text"},
    ),
    "refresh": Route(
        "POST", "/api/v1/auth/refresh", body={"refresh_token": "nope"}, fields={"refresh_token": "text"}
    ),
    "logout": Route(
        "POST", "/api/v1/auth/logout", body={"refresh_token": "nope"}, fields={"refresh_token": "text"}
    ),
    "me": Route("GET", "/api/v1/me", "reader"),
    "update-me": Route(
        "PATCH",
        "/api/v1/me",
        "reader",
        body={"display_name": "Base"},
        fields={"display_name": "optional_text", "email": "optional_text"},
    ),
    "forgot": Route(
        "POST",
        "/api/v1/auth/password/forgot",
        body={"email": "hostile_nobody@example.org"},
        fields={"email": "text"},
    ),
    "reset-password": Route(
        "POST",
        "/api/v1/auth/password/reset",
        body={"token": "1.nope", "password": PASSWORD},
        fields={"token": "text", "password": "text"},
    ),
    "verify-email": Route(
        "POST", "/api/v1/auth/email/verify", body={"token": "1.nope"}, fields={"token": "text"}
    ),
    "change-password": Route(
        "POST",
        "/api/v1/me/password",
        "reader",
        body={"current_password": "a wrong password", "new_password": PASSWORD},
        fields={"current_password": "text", "new_password": "text"},
    ),
    "resend-verification": Route("POST", "/api/v1/me/email/verification", "reader"),
    "reset-page": Route("GET", "/account/reset"),
    "verify-page": Route("GET", "/account/verify"),
    "account-asset": Route("GET", "/account/{name}"),
    "export": Route("GET", "/api/v1/me/export", "reader"),
    "erase": Route(
        "DELETE", "/api/v1/me", "erasable", body={"password": "a wrong password"}, fields={"password": "text"}
    ),
    "notifications": Route("GET", "/api/v1/me/notifications", "reader"),
    "choose-notifications": Route(
        "PUT",
        "/api/v1/me/notifications",
        "reader",
        body={"replies": False, "moderation": "off"},
        fields={"replies": "bool", "moderation": "choice"},
    ),
    # Its one-click form is no JSON body: only its token is hostile (query_cases).
    # Signing in with an identity provider: the popup's pages and their assets.
    "oidc-start": Route("GET", "/auth/oidc/{name}/start"),
    "oidc-callback": Route("GET", "/auth/oidc/{name}/callback"),
    "oidc-asset": Route("GET", "/auth/oidc/{asset}"),
    "identity-link-code": Route("POST", "/api/v1/me/identities/link-code", "reader"),
    "identity-link": Route(
        "POST", "/api/v1/auth/oidc/link", body={"token": "not.a.link"}, fields={"token": "text"}
    ),
    "unsubscribe": Route("POST", "/unsubscribe"),
    "unsubscribe-page": Route("GET", "/unsubscribe"),
    "thread": Route("GET", "/api/v1/sites/{site}/comments"),
    "post": Route(
        "POST",
        "/api/v1/sites/{site}/comments",
        "reader",
        body={"article": Ref("article"), "body": "hostile base"},
        fields={
            "article": "text",
            "body": "text",
            "article_title": "optional_text",
            "article_url": "optional_text",
            "parent_id": "optional_id",
        },
    ),
    "counts": Route("GET", "/api/v1/sites/{site}/counts"),
    # Indexable comments and feeds: what crawlers and feed readers ask for.
    "fragment": Route("GET", "/api/v1/sites/{site}/comments.html"),
    "site-feed": Route("GET", "/feeds/{feed}"),  # /feeds/{site}.atom: a segment is one parameter
    "article-feed": Route("GET", "/feeds/{site}/article.atom"),
    "live": Route("GET", "/api/v1/sites/{site}/live"),
    "preview": Route("POST", "/api/v1/preview", "reader", body={"body": "hi"}, fields={"body": "text"}),
    "edit": Route(
        "PATCH", "/api/v1/comments/{comment}", "author", body={"body": "edited"}, fields={"body": "text"}
    ),
    "delete": Route("DELETE", "/api/v1/comments/{comment}", "author"),
    "vote": Route(
        "PUT", "/api/v1/comments/{comment}/vote", "reader", body={"value": 1}, fields={"value": "vote"}
    ),
    "report": Route(
        "POST",
        "/api/v1/comments/{comment}/reports",
        "reader",
        body={"reason": "spam", "note": "n"},
        fields={"reason": "choice", "note": "optional_text"},
    ),
    "history": Route("GET", "/api/v1/comments/{comment}/history", "author"),
    "appeal": Route(
        "POST", "/api/v1/comments/{comment}/appeal", "author", body={"text": "why"}, fields={"text": "text"}
    ),
    "queue": Route("GET", "/api/v1/sites/{site}/moderation/queue", "moderator"),
    "decide": Route(
        "POST",
        "/api/v1/moderation/items/{item}/decision",
        "moderator",
        body={"action": "keep", "reason": "r", "ban_days": 1},
        fields={
            "action": "choice",
            "reason": "optional_text",
            "ban_days": "optional_days",
            "revision": "optional_id",
        },
    ),
    "log": Route("GET", "/api/v1/sites/{site}/moderation/log", "moderator"),
    "search": Route("GET", "/api/v1/sites/{site}/moderation/comments", "moderator"),
    "bulk": Route(
        "POST",
        "/api/v1/sites/{site}/moderation/bulk",
        "moderator",
        body={"comment_ids": [Ref("comment")], "action": "reject", "reason": "r"},
        fields={"comment_ids": "ids", "action": "choice", "reason": "optional_text"},
    ),
    "author-record": Route("GET", "/api/v1/sites/{site}/moderation/users/{target}", "moderator"),
    "pin": Route(
        "PUT",
        "/api/v1/comments/{comment}/pin",
        "moderator",
        body={"pinned": False},
        fields={"pinned": "bool"},
    ),
    "ban": Route(
        "POST",
        "/api/v1/sites/{site}/bans",
        "moderator",
        body={"user_id": Ref("target_id"), "reason": "r", "days": 1},
        fields={"user_id": "id", "reason": "text", "days": "optional_days"},
    ),
    "unban": Route("DELETE", "/api/v1/sites/{site}/bans/{target}", "moderator"),
    "lock": Route(
        "PUT",
        "/api/v1/sites/{site}/articles/lock",
        "moderator",
        body={"article": Ref("article"), "locked": False},
        fields={"article": "text", "locked": "bool"},
    ),
    "describe": Route(
        "PUT",
        "/api/v1/sites/{site}/articles",
        "moderator",
        body={"article": Ref("article"), "article_title": "t", "article_url": ORIGIN + "/a"},
        fields={"article": "text", "article_title": "optional_text", "article_url": "optional_text"},
    ),
    "webhook-add": Route(
        "POST",
        "/api/v1/sites/{site}/webhooks",
        "admin",
        body={"url": WEBHOOK_URL, "events": ["comment.created"]},
        fields={"url": "text", "events": "event_types"},
    ),
    "webhook-list": Route("GET", "/api/v1/sites/{site}/webhooks", "admin"),
    # The site's owners: its settings, origins, moderators and SSO secret (a base body that changes nothing).
    "site-settings": Route("GET", "/api/v1/sites/{site}/settings", "owner"),
    "change-settings": Route(
        "PATCH",
        "/api/v1/sites/{site}/settings",
        "owner",
        body={"max_links": 3},
        fields={
            "name": "optional_text",
            "moderation": "optional_choice",
            "max_links": "setting_number",
            "distrust_ratio": "setting_number",
            "hold_first_comment": "optional_bool",
            "blocked_words": "words",
        },
    ),
    "origin-add": Route(
        "POST", "/api/v1/sites/{site}/origins", "owner", body={"origin": ORIGIN}, fields={"origin": "text"}
    ),
    "origin-remove": Route("DELETE", "/api/v1/sites/{site}/origins", "owner"),
    "moderators": Route("GET", "/api/v1/sites/{site}/moderators", "owner"),
    "moderator-grant": Route(
        "POST",
        "/api/v1/sites/{site}/moderators",
        "owner",
        body={"username": NO_USERNAME},
        fields={"username": "text"},
    ),
    "moderator-revoke": Route("DELETE", "/api/v1/sites/{site}/moderators/{username}", "owner"),
    "sso-state": Route("GET", "/api/v1/sites/{site}/sso", "owner"),
    "sso-rotate": Route("POST", "/api/v1/sites/{site}/sso/secret", "owner"),
    "webhook-remove": Route("DELETE", "/api/v1/sites/{site}/webhooks/{webhook}", "admin"),
    # An import's upload: the file is the body (no JSON to mutate), the format and keys its query.
    "import-start": Route("POST", "/api/v1/sites/{site}/imports", "admin"),
    "import-list": Route("GET", "/api/v1/sites/{site}/imports", "admin"),
    "import-one": Route("GET", "/api/v1/sites/{site}/imports/{job}", "admin"),
    "sso": Route(
        "POST",
        "/api/v1/auth/sso",
        body={"site": Ref("site"), "token": "not-a-token"},
        fields={"site": "text", "token": "text"},
    ),
    "embed": Route("GET", "/embed"),
    "embed.js": Route("GET", "/embed.js"),
    "count.js": Route("GET", "/count.js"),
    "widget-asset": Route("GET", "/widget/{name}"),
    "moderate": Route("GET", "/moderate"),
    "moderate-asset": Route("GET", "/moderate/{name}"),
    # An e-mailed decision link: its page, what it is about, its decision (the token, no sign-in).
    "decision-page": Route("GET", "/moderate/decide"),
    "show-by-link": Route("GET", "/api/v1/moderation/decisions/by-link"),
    "decide-by-link": Route(
        "POST",
        "/api/v1/moderation/decisions/by-link",
        body={"token": "not-a-token", "action": "approve"},
        fields={"token": "text", "action": "choice"},
    ),
    "demo": Route("GET", "/demo"),
    "demo-page": Route("GET", "/demo/{page}"),
    "healthz": Route("GET", "/healthz"),
    "readyz": Route("GET", "/readyz"),
    "metrics": Route("GET", "/metrics"),
    "schema": Route("GET", "/schema"),
    "home": Route("GET", "/"),
}
BODY_ROUTES = [name for name, route in ROUTES.items() if route.body is not None]
SITE_ROUTES = [name for name, route in ROUTES.items() if "{site}" in route.path]
PROTECTED_ROUTES = [name for name, route in ROUTES.items() if route.caller]

_NOT_TEXT = {"number": 0, "float": 1.5, "bool": True, "array": ["x"], "object": {"$ne": None}}
WRONG_VALUES: dict[str, dict[str, object]] = {
    "text": {"null": None, **_NOT_TEXT},
    "optional_text": _NOT_TEXT,
    "id": {"null": None, **BAD_INTEGERS},
    "optional_id": BAD_INTEGERS,
    "optional_days": {
        **{k: v for k, v in BAD_INTEGERS.items() if k != "zero"},
        "a-hundred-years-and-a-day": 36501,
    },
    "vote": {
        "null": None,
        "two": 2,
        "minus-two": -2,
        "half": 0.5,
        "word": "up",
        "bool": True,
        "array": [1],
        "int64-overflow": 2**63,
    },
    "choice": {
        "null": None,
        "upper-case": "SPAM",
        "padded": " keep",
        "empty": "",
        "number": 1,
        "sql": "spam' OR '1'='1",
        "array": ["spam"],
    },
    "bool": {"null": None, "word": "yes", "number": 2, "array": [True], "object": {}},
    "ids": {
        "null": None,
        "empty": [],
        "number": 1,
        "text": "1",
        "object": {"$in": [1]},
        "a-hundred-and-one": list(range(1, 102)),
    },
    # A site setting's number: out of every setting's range, or no number.
    "setting_number": {
        "null": None,
        "negative": -1,
        "int64-overflow": 2**63,
        "huge": 10**30,
        "word": "three",
        "array": [1],
        "object": {"$gt": 0},
    },
    "words": {
        "null": None,
        "text": "casino",
        "number": 1,
        "object": {},
        "too-many": [f"w{n}" for n in range(501)],
        "too-long": ["w" * 101],
    },
    "event_types": {
        "null": None,
        "empty": [],
        "text": "comment.created",
        "number": 1,
        "object": {},
        "unknown": ["comment.liked"],
        "an-accounts": ["account.registered"],
        "upper-case": ["COMMENT.CREATED"],
        "sql": ["comment.created' OR '1'='1"],
        "nul": ["comment.created\x00"],
        # One more than there are types (a new type must not make the list acceptable).
        "too-many": ["comment.created"] * (len(SITE_TYPES) + 1),
    },
}
# A change names only what it changes: these are left out at will, never given wrong.
WRONG_VALUES["optional_choice"] = WRONG_VALUES["choice"]
WRONG_VALUES["optional_bool"] = WRONG_VALUES["bool"]
REQUIRED_KINDS = {"text", "id", "vote", "choice", "bool", "event_types", "ids"}
MAX_LENGTHS = {
    ("register", "username"): 32,
    ("register", "email"): 254,
    ("register", "password"): 256,
    ("register", "display_name"): 64,
    ("login", "login"): 254,
    ("login", "password"): 256,
    ("refresh", "refresh_token"): 1024,
    ("logout", "refresh_token"): 1024,
    ("erase", "password"): 256,
    ("update-me", "display_name"): 64,
    ("update-me", "email"): 254,
    ("forgot", "email"): 254,
    ("reset-password", "token"): 1024,
    ("reset-password", "password"): 256,
    ("verify-email", "token"): 1024,
    ("change-password", "current_password"): 256,
    ("change-password", "new_password"): 256,
    ("post", "article"): 512,
    ("post", "body"): 10_000,
    ("post", "article_title"): 300,
    ("post", "article_url"): 2048,
    ("edit", "body"): 10_000,
    ("preview", "body"): 10_000,
    ("report", "note"): 1000,
    ("appeal", "text"): 2000,
    ("ban", "reason"): 1000,
    ("decide", "reason"): 1000,
    ("bulk", "reason"): 1000,
    ("decide-by-link", "token"): 2000,
    ("lock", "article"): 512,
    ("describe", "article"): 512,
    ("describe", "article_title"): 300,
    ("describe", "article_url"): 2048,
    ("webhook-add", "url"): 2000,
    ("sso", "token"): 4096,
    ("change-settings", "name"): 200,
    ("origin-add", "origin"): 2000,
    ("moderator-grant", "username"): 100,
}
# Fields whose text readers, moderators or PostgreSQL see: control characters are refused.
CHECKED_TEXT = [
    ("register", "username"),
    ("register", "email"),
    ("register", "display_name"),
    ("login", "login"),
    ("update-me", "display_name"),
    ("update-me", "email"),
    ("forgot", "email"),
    ("reset-password", "token"),
    ("verify-email", "token"),
    ("post", "article"),
    ("post", "body"),
    ("post", "article_title"),
    ("post", "article_url"),
    ("edit", "body"),
    ("preview", "body"),
    ("report", "note"),
    ("appeal", "text"),
    ("ban", "reason"),
    ("decide", "reason"),
    ("bulk", "reason"),
    ("lock", "article"),
    ("describe", "article"),
    ("describe", "article_title"),
    ("describe", "article_url"),
    ("webhook-add", "url"),
    ("change-settings", "name"),
    ("origin-add", "origin"),
    ("moderator-grant", "username"),
]
# Where hostile text goes inside a value that is otherwise well-formed.
WELL_FORMED = {
    "email": "{}@example.org",
    "article_url": ORIGIN + "/{}",
    "url": WEBHOOK_URL + "/{}",
    "origin": "https://{}.example",
}
# Names and addresses that identify someone: nothing invisible or disguising.
IDENTIFYING_TEXT = [
    ("register", "username"),
    ("register", "display_name"),
    ("register", "email"),
    ("update-me", "display_name"),
    ("update-me", "email"),
]


@dataclass(frozen=True)
class Case:
    route: str
    name: str
    body: object = None  # dict/list: sent as JSON; bytes: sent as they are
    content_type: str | None = "application/json"
    params: dict | list | None = None
    headers: dict[str, str | bytes] = field(default_factory=dict)
    path: str | None = None  # instead of the route's (hostile path segments)
    statuses: frozenset[int] = frozenset({400})
    field: str | None = None
    caller: str | None = "route's"

    @property
    def id(self) -> str:
        return f"{self.route}:{self.name}"


def _with(route: str, **changes: object) -> dict:
    body = {**ROUTES[route].body, **changes}  # type: ignore[dict-item]
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def body_cases() -> list[Case]:
    cases = []
    for name in BODY_ROUTES:
        route = ROUTES[name]
        for label, (content_type, raw) in NOT_JSON.items():
            cases.append(Case(name, f"not-json-{label}", raw, content_type, statuses=frozenset({415})))
        for label, raw in RAW_BODIES.items():
            cases.append(Case(name, f"raw-{label}", raw))
        cases.append(Case(name, "ten-megabytes", TEN_MEGABYTES, statuses=frozenset({413})))
        for extra in ("unknown", "id", "author_id", "status", "role", "__proto__"):
            if extra not in route.fields:
                cases.append(Case(name, f"extra-field-{extra}", _with(name, **{extra: 1}), field=extra))
        for fname, kind in route.fields.items():
            if kind in REQUIRED_KINDS:
                cases.append(Case(name, f"missing-{fname}", _with(name, **{fname: _DROP}), field=fname))
            for label, value in WRONG_VALUES[kind].items():
                cases.append(Case(name, f"{fname}-{label}", _with(name, **{fname: value}), field=fname))
            if (name, fname) in MAX_LENGTHS:
                long = "x" * (MAX_LENGTHS[name, fname] + 1)
                cases.append(Case(name, f"{fname}-too-long", _with(name, **{fname: long}), field=fname))
    for name, fname in CHECKED_TEXT:
        for label, text in CONTROL.items():
            value = WELL_FORMED.get(fname, "{}").format(text)
            cases.append(Case(name, f"{fname}-{label}", _with(name, **{fname: value}), field=fname))
    for name, fname in IDENTIFYING_TEXT:
        for label, text in INVISIBLE.items():
            value = WELL_FORMED.get(fname, "{}").format(text)
            cases.append(Case(name, f"{fname}-{label}", _with(name, **{fname: value}), field=fname))
    for label, text in SQL.items():
        cases.append(
            Case("register", f"username-{label}", _with("register", username=text), field="username")
        )
    for label, text in CONTROL.items():
        # A token nobody was given, whatever it contains: refused, or (sign-out) nothing to do.
        cases.append(Case("refresh", f"token-{label}", {"refresh_token": text}, statuses=frozenset({401})))
        cases.append(Case("logout", f"token-{label}", {"refresh_token": text}, statuses=frozenset({204})))
    for label, token in FORGED_LINKS.items():
        body = _with("decide-by-link", token=token)
        cases.append(Case("decide-by-link", f"token-{label}", body, field="token"))
    for name in ("post", "describe"):
        for label, url in {**DANGEROUS_URLS, **MISLEADING_URLS}.items():
            cases.append(
                Case(name, f"article_url-{label}", _with(name, article_url=url), field="article_url")
            )
    for label, url in {**DANGEROUS_URLS, **MISLEADING_URLS}.items():
        cases.append(Case("webhook-add", f"url-{label}", _with("webhook-add", url=url), field="url"))
    for label, url in {**DANGEROUS_URLS, **MISLEADING_URLS}.items():
        cases.append(Case("origin-add", f"origin-{label}", _with("origin-add", origin=url), field="origin"))
    for label, value in {"number": 1, "null": None, "array": ["x"]}.items():
        body = _with("change-settings", blocked_words=["casino", value])
        cases.append(Case("change-settings", f"blocked_words-item-{label}", body, field="blocked_words[1]"))
    for label, text in CONTROL.items():
        body = _with("change-settings", blocked_words=["casino", text])
        cases.append(Case("change-settings", f"blocked_words-{label}", body, field="blocked_words"))
    cases.append(
        Case("moderator-grant", "username-unknown", _with("moderator-grant"), statuses=frozenset({404}))
    )
    for label, value in {"number": 1, "too-long": "c" * 65, "null": None}.items():
        body = _with("webhook-add", events=["comment.created", value])
        cases.append(Case("webhook-add", f"events-item-{label}", body, field="events[1]"))
    for label, value in {**BAD_INTEGERS, "null": None}.items():
        body = _with("bulk", comment_ids=[Ref("comment"), value])
        cases.append(Case("bulk", f"comment_ids-item-{label}", body, field="comment_ids[1]"))
    # Header values are bytes, read as Latin-1: the control characters that survive that.
    header_control = {k: v for k, v in CONTROL.items() if max(v) <= "\xff"}
    for label, value in {**header_control, "too-long": "k" * 256, "empty": ""}.items():
        headers = {"Idempotency-Key": value.encode("latin-1")}
        cases.append(Case("post", f"idempotency-key-{label}", _with("post"), headers=headers))
    cases.append(
        Case(
            "decide",
            "unknown-item",
            _with("decide"),
            path="/api/v1/moderation/items/999999999/decision",
            statuses=frozenset({404}),
        )
    )
    cases.append(Case("ban", "unknown-user", _with("ban", user_id=999_999_999), field="user_id"))
    return cases


def _segment_cases(name: str, placeholder: str, segments: dict[str, str], **extra: object) -> list[Case]:
    """The route with a hostile segment where ``placeholder`` stands, and a body it would accept."""
    route = ROUTES[name]
    return [
        Case(
            name,
            f"{placeholder.strip('{}')}-{label}",
            route.body and _with(name),
            path=route.path.replace(placeholder, segment),
            statuses=frozenset({400, 404}),
            **extra,  # type: ignore[arg-type]
        )
        for label, segment in segments.items()
    ]


def path_cases() -> list[Case]:
    cases = []
    for name in SITE_ROUTES:
        cases += _segment_cases(name, "{site}", SITE_SEGMENTS, params={"article": "a"})
    for name, placeholder in [
        ("edit", "{comment}"),
        ("delete", "{comment}"),
        ("vote", "{comment}"),
        ("report", "{comment}"),
        ("history", "{comment}"),
        ("appeal", "{comment}"),
        ("decide", "{item}"),
        ("unban", "{target}"),
        ("author-record", "{target}"),
        ("pin", "{comment}"),
        ("webhook-remove", "{webhook}"),
        ("import-one", "{job}"),
    ]:
        cases += _segment_cases(name, placeholder, BAD_ID_SEGMENTS)
    usernames = {
        "nul": "a%00b",
        "escape": "a%1Bb",
        "too-long": "u" * 101,
        "sql": "x'%20OR%201=1",
        "unknown": NO_USERNAME,
    }
    cases += _segment_cases("moderator-revoke", "{username}", usernames)
    feeds = {label: segment + ".atom" for label, segment in SITE_SEGMENTS.items()}
    feeds |= {
        "no-suffix": "site",
        "other-suffix": "site.rss",
        "suffix-alone": ".atom",
        "unknown": "nobody.atom",
    }
    cases += _segment_cases("site-feed", "{feed}", feeds)
    for name, template in [
        ("widget-asset", "/widget/{}"),
        ("moderate-asset", "/moderate/{}"),
        ("account-asset", "/account/{}"),
        ("demo-page", "/demo/{}"),
    ]:
        # A segment of dots alone is removed by every client before it is sent (RFC 3986 §5.2.4),
        # httpx included: "/widget/.." would be a request for "/". test_operations.py sends it
        # as written, on a socket.
        for label, segment in {
            **{k: quote(v, safe="") for k, v in TRAVERSAL.items() if v != ".."},
            "encoded-slash-app": "..%2f..%2fapp.py",
            "sibling-asset": "..%2fwidget%2fembed.js",
            "source-file": "moderate.py",
        }.items():
            cases.append(
                Case(name, f"path-{label}", path=template.format(segment), statuses=frozenset({400, 404}))
            )
    for label, segment in {"dot-dot": "..%2f..%2fetc%2fpasswd", "unknown": "nothing.json"}.items():
        cases.append(Case("schema", f"path-{label}", path=f"/schema/{segment}", statuses=frozenset({404})))
    return cases


def cursor(*items: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(items))).decode().rstrip("=")


THREAD_CURSORS = {
    "random": "x8Zt2kQ9vLm3",
    "not-base64": "not base64!",
    "json-not-a-list": cursor({"sort": "oldest"}),
    "wrong-arity": cursor("oldest", "2026-01-01T00:00:00Z", 1),
    "naive-time": cursor("oldest", "2026-01-01T00:00:00", 1, 0),
    "other-sort": cursor("newest", "2026-01-01T00:00:00Z", 1, 0),
    "id-negative": cursor("oldest", "2026-01-01T00:00:00Z", -1, 0),
    "id-int64-overflow": cursor("oldest", "2026-01-01T00:00:00Z", 2**63, 0),
    "id-uint64-max": cursor("oldest", "2026-01-01T00:00:00Z", 2**64 - 1, 0),
    "score-int32-overflow": cursor("oldest", "2026-01-01T00:00:00Z", 1, 2**31),
    "time-before-year-one": cursor("oldest", "0001-01-01T00:00:00+14:00", 1, 0),
    "time-after-year-9999": cursor("oldest", "9999-12-31T23:59:59-14:00", 1, 0),
    "sql": cursor("oldest' OR 1=1 --", "2026-01-01T00:00:00Z", 1, 0),
    "too-long": "A" * 201,
    "nul": "abc\x00def",
}


# Decision links' tokens that were never signed by the service for that purpose.
FORGED_LINKS = {
    "alg-none": "eyJhbGciOiJub25lIn0.eyJpdGVtIjoxLCJzdWIiOiIxIn0.",
    "sql": "' OR 1=1 --",
    "access-token-shaped": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
}


def query_cases() -> list[Case]:
    cases = []
    article = {"article": Ref("article")}
    for label, value in BAD_LIMITS.items():
        for name in ("thread", "queue", "log", "search", "author-record"):
            params = {**(article if name == "thread" else {}), "limit": value}
            cases.append(Case(name, f"limit-{label}", params=params, field="limit"))
    for label, value in {"unknown": "random", "sql": "top' --", "upper-case": "TOP", "empty": ""}.items():
        cases.append(Case("thread", f"sort-{label}", params={**article, "sort": value}, field="sort"))
    replies = {**article, "replies_to": Ref("comment")}
    for label, value in THREAD_CURSORS.items():
        cases.append(Case("thread", f"cursor-{label}", params={**article, "cursor": value}, field="cursor"))
        cases.append(
            Case("thread", f"top-cursor-{label}", params={**article, "sort": "top", "cursor": value})
        )
        cases.append(
            Case("thread", f"replies-cursor-{label}", params={**replies, "cursor": value}, field="cursor")
        )
    for label, value in BAD_ID_SEGMENTS.items():
        # As in a path: refused, or read as a number no comment has ("1e3").
        params = {**article, "replies_to": value}
        statuses = frozenset({400, 404})
        cases.append(
            Case("thread", f"replies_to-{label}", params=params, statuses=statuses, field="replies_to")
        )
    for label, params in {
        "unknown": {**article, "replies_to": 999_999_999},
        "of-another-article": {"article": Ref("other_article"), "replies_to": Ref("comment")},
    }.items():
        cases.append(Case("thread", f"replies_to-{label}", params=params, statuses=frozenset({404})))
    for label, value in {
        "negative": "-1",
        "word": "abc",
        "float": "1.5",
        "superscript-digit": "\u00b2",
        "arabic-indic-digits": "\u0661\u0662\u0663",
        "int64-overflow": "9" * 19,
        "huge": "9" * 40,
        "too-long": "1" * 41,
        "sql": "1 OR 1=1",
        "padded": " 1",
    }.items():
        cases.append(Case("log", f"cursor-{label}", params={"cursor": value}, field="cursor"))
    for label, text in {**CONTROL, "too-long": "k" * 513, "empty": ""}.items():
        cases.append(Case("thread", f"article-{label}", params={"article": text}, field="article"))
        cases.append(Case("counts", f"article-{label}", params=[("article", "ok"), ("article", text)]))
        for name in ("fragment", "article-feed", "live"):
            cases.append(Case(name, f"article-{label}", params={"article": text}, field="article"))
    for name in ("thread", "fragment", "article-feed", "live"):
        cases.append(Case(name, "article-missing", params={}, field="article"))
    # An article nobody commented on has no stream (its reader's widget polls until one exists).
    cases.append(
        Case("live", "article-unknown", params={"article": "nobody-here"}, statuses=frozenset({404}))
    )
    for label, value in {"word": "abc", "negative": "-1", "huge": "9" * 40, "sql": "1 OR 1=1"}.items():
        cases.append(
            Case("live", f"last-event-id-{label}", params={"article": "a"}, headers={"Last-Event-ID": value})
        )
    for label, text in {
        **DANGEROUS_URLS,
        **MISLEADING_URLS,
        **CONTROL,
        "too-long": "o" * 2001,
        "empty": "",
    }.items():
        cases.append(Case("origin-remove", f"origin-{label}", params={"origin": text}, field="origin"))
    cases.append(Case("origin-remove", "origin-missing", params={}, field="origin"))
    cases.append(
        Case(
            "origin-remove",
            "origin-not-there",
            params={"origin": "https://elsewhere.example"},
            statuses=frozenset({404}),
        )
    )
    # The world's site has one origin: it stays.
    cases.append(Case("origin-remove", "origin-the-last", params={"origin": ORIGIN}, field="origin"))
    cases += search_cases()
    for label, text in {**CONTROL, **FORGED_LINKS, "too-long": "k" * 2001, "empty": ""}.items():
        cases.append(Case("show-by-link", f"token-{label}", params={"token": text}, field="token"))
    cases.append(Case("show-by-link", "token-missing", params={}, field="token"))
    cases.append(Case("counts", "no-articles", params={}))
    cases.append(Case("counts", "101-articles", params=[("article", f"k{n}") for n in range(101)]))
    cases.append(Case("counts", "5000-articles", params=[("article", "k")] * 5_000))
    for label, text in {
        **CONTROL,
        "too-long": "k" * 2049,
        "empty": "",
        "sql": "' OR 1=1 --",
        "alg-none": "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwia2luZCI6InJlcGxpZXMifQ.",
    }.items():
        for name in ("unsubscribe", "unsubscribe-page"):
            cases.append(Case(name, f"token-{label}", params={"token": text}, field="token"))
    for name in ("unsubscribe", "unsubscribe-page"):
        cases.append(Case(name, "token-missing", params={}, field="token"))
    for name in ("reset-page", "verify-page"):
        cases.append(Case(name, "lang-long", params={"lang": "english!!"}, field="lang"))
    embed = {"site": Ref("site"), "article": "a", "origin": ORIGIN}
    for label, changes in {
        "site-missing": {"site": None},
        "site-traversal": {"site": "../demo"},
        "origin-missing": {"origin": None},
        "origin-javascript": {"origin": "javascript:alert(1)"},
        "origin-markup": {"origin": '"><script>alert(1)</script>'},
        "origin-with-path": {"origin": ORIGIN + "/x"},
        "article-missing": {"article": None},
        "article-empty": {"article": ""},
        "article-too-long": {"article": "k" * 513},
        "article-nul": {"article": "a\x00b"},
        "article-escape": {"article": "a\x1b[31mb"},
        "title-nul": {"title": "t\x00"},
        "lang-markup": {"lang": '"><script>'},
        # A list of language tags (the reader's, most wanted first), at most 200 characters.
        "lang-long": {"lang": "en," * 70},
        "lang-quality": {"lang": "en;q=0.5"},
        "theme-markup": {"theme": 'dark" onload="alert(1)'},
        "id-negative": {"id": "-1"},
        "id-huge": {"id": str(2**64)},
        "id-markup": {"id": "<script>"},
        "title-too-long": {"title": "t" * 301},
        "url-too-long": {"url": "https://news.example/" + "u" * 2048},
    }.items():
        params = {k: v for k, v in {**embed, **changes}.items() if v is not None}
        cases.append(Case("embed", label, params=params, statuses=frozenset({400, 404})))
    return cases + oidc_cases()


def search_cases() -> list[Case]:
    """A moderator's search: words and names with characters never stored, filters out of their
    range, times that are none, a cursor that is not the search's."""
    cases = [
        Case("search", f"cursor-{label}", params={"cursor": value}, field="cursor")
        for label, value in THREAD_CURSORS.items()
    ]
    for name in ("q", "author", "article"):
        for label, text in CONTROL.items():
            cases.append(Case("search", f"{name}-{label}", params={name: text}, field=name))
    too_long = {"q": "q" * 201, "author": "a" * 101, "article": "k" * 513}
    for name, text in too_long.items():
        cases.append(Case("search", f"{name}-too-long", params={name: text}, field=name))
    for name in ("author", "article"):
        cases.append(Case("search", f"{name}-empty", params={name: ""}, field=name))
    for label, value in {"unknown": "published", "sql": "approved' --", "upper-case": "APPROVED"}.items():
        cases.append(Case("search", f"status-{label}", params={"status": value}, field="status"))
    for name in ("from", "to"):
        for label, value in {
            "word": "yesterday",
            "no-such-day": "2026-02-30",
            "before-year-one": "0001-01-01T00:00:00+14:00",
            "after-year-9999": "9999-12-31T23:59:59-14:00",
            "sql": "2026-01-01' OR 1=1 --",
            "too-long": "2026-01-01T00:00:00" + "0" * 40,
        }.items():
            cases.append(Case("search", f"{name}-{label}", params={name: value}, field=name))
    cases.append(
        Case("search", "to-before-from", params={"from": "2026-03-02", "to": "2026-03-01"}, field="to")
    )
    return cases


def oidc_cases() -> list[Case]:
    """The popup's pages: parameters no provider sends are refused before any flow is looked at."""
    start, answer = "/auth/oidc/nobody/start", "/auth/oidc/nobody/callback"
    cases = [
        Case("oidc-start", "lang-long", path=start, params={"lang": "english-please"}, field="lang"),
        Case("oidc-start", "link-oversized", path=start, params={"link": "l" * 3000}, field="link"),
        Case(
            "oidc-start", "name-markup", path="/auth/oidc/%3Cscript%3E/start", statuses=frozenset({400, 404})
        ),
        Case(
            "oidc-callback",
            "name-traversal",
            path="/auth/oidc/..%2F..%2Fadmin/callback",
            statuses=frozenset({400, 404}),
        ),
        Case("oidc-asset", "traversal", path="/auth/oidc/..%2Fapp.py", statuses=frozenset({400, 404})),
    ]
    for name in ("state", "code", "iss", "error"):
        cases.append(
            Case("oidc-callback", f"{name}-oversized", path=answer, params={name: "x" * 3000}, field=name)
        )
    return cases


HOSTILE_TOKENS = {
    "huge": "Bearer " + "A" * 100_000,
    "sql": "Bearer ' OR 1=1 --",
    "traversal": "Bearer ../../etc/passwd",
    "control": "Bearer abc\x01def",
    "alg-none": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    "two-schemes": "Bearer x, Basic eA==",
}


def token_cases() -> list[Case]:
    cases = []
    for name in [*PROTECTED_ROUTES, "thread"]:
        route = ROUTES[name]
        for label, value in HOSTILE_TOKENS.items():
            cases.append(
                Case(
                    name,
                    f"token-{label}",
                    route.body and _with(name),
                    params={"article": Ref("article")} if name == "thread" else None,
                    headers={"Authorization": value},
                    # Over 32 KB of headers, refused before the token is even looked at.
                    statuses=frozenset({431 if len(value) > MAX_HEADER_BYTES else 401}),
                    caller=None,
                )
            )
    return cases


SSO_SECRET = "the hostile corpus's host-site secret, " + "s" * 40


@dataclass(frozen=True)
class HostToken:
    """A host-site token for the world's site (its slug known once the world exists): its claims
    changed as given (_DROP: left out), signed with ``alg`` and ``key``."""

    changes: tuple[tuple[str, object], ...] = ()
    alg: str = "HS256"
    key: str = SSO_SECRET

    def token(self, site: str) -> str:
        now = int(time.time())
        claims = {"sub": "hostile", "aud": site, "iat": now, "exp": now + 300, **dict(self.changes)}
        # A time is given as its distance from the moment the token is made.
        claims = {
            k: now + int(v.total_seconds()) if isinstance(v, timedelta) else v for k, v in claims.items()
        }
        claims = {k: v for k, v in claims.items() if v is not _DROP}
        if self.alg == "none":
            return _unsigned(claims)
        if self.alg == "RS256":  # says RS256, signed with HMAC and the secret: the classic confusion
            signed = _compact({"alg": "RS256", "typ": "JWT"}, claims)
            return f"{signed}.{_b64(hmac.digest(self.key.encode(), signed.encode(), 'sha256'))}"
        return jwt.encode(claims, self.key, algorithm=self.alg)


def sso_cases() -> list[Case]:
    """Host-site tokens: refused (401) unless signed with the site's secret, HS256, for the site,
    within their time; a signed one whose sub is not a bounded printable string: 400."""
    refused = {
        "alg-none": HostToken(alg="none"),
        "rs256-header-hmac-signature": HostToken(alg="RS256"),
        "hs512": HostToken(alg="HS512"),
        "wrong-secret": HostToken(key="another secret, " + "k" * 40),
        "aud-other-site": HostToken((("aud", "another-site"),)),
        "aud-missing": HostToken((("aud", _DROP),)),
        "exp-missing": HostToken((("exp", _DROP),)),
        "expired": HostToken((("iat", timedelta(seconds=-700)), ("exp", timedelta(seconds=-100)))),
        "lifetime-over-ten-minutes": HostToken((("exp", timedelta(seconds=601)),)),
        "iat-in-the-future": HostToken((("iat", timedelta(hours=1)), ("exp", timedelta(seconds=3700)))),
        "exp-a-string": HostToken((("exp", "tomorrow"),)),
    }
    cases = [
        Case("sso", f"token-{label}", {"site": Ref("site"), "token": token}, statuses=frozenset({401}))
        for label, token in refused.items()
    ]
    for label, text in {**CONTROL, **SQL, "not-a-jwt": "not-a-token", "three-dots": "..."}.items():
        body = {"site": Ref("site"), "token": text}
        cases.append(Case("sso", f"token-{label}", body, statuses=frozenset({400, 401})))
    bad_subjects = {
        **{label: f"user{text}" for label, text in CONTROL.items()},
        "empty": "",
        "too-long": "u" * 256,
        "line-separator": "user\u2028id",
    }
    for label, sub in bad_subjects.items():
        body = {"site": Ref("site"), "token": HostToken((("sub", sub),))}
        cases.append(Case("sso", f"sub-{label}", body, field="token"))
    for label, sub in {"a-number": 42, "a-list": ["42"]}.items():  # JWT's own rule (401), or ours (400)
        body = {"site": Ref("site"), "token": HostToken((("sub", sub),))}
        cases.append(Case("sso", f"sub-{label}", body, statuses=frozenset({400, 401}), field="token"))
    oversized = HostToken((("name", "n" * 5000),))
    cases.append(
        Case("sso", "token-signed-but-oversized", {"site": Ref("site"), "token": oversized}, field="token")
    )
    return cases


def import_cases() -> list[Case]:
    """Uploads refused before anything is queued: a format or key of no kind the service reads,
    no file, a body that is not a file; and an import nobody has."""
    file = {"body": b'<disqus xmlns="http://disqus.com"/>', "content_type": "application/octet-stream"}
    cases = []
    hostile = {
        **CONTROL,
        **SQL,
        "unknown": "blogger",
        "upper-case": "DISQUS",
        "empty": "",
        "too-long": "d" * 5000,
    }
    for label, value in hostile.items():
        cases.append(
            Case("import-start", f"format-{label}", params={"format": value}, field="format", **file)
        )
        params = {"format": "disqus", "key": value}
        cases.append(Case("import-start", f"key-{label}", params=params, field="key", **file))
    cases.append(Case("import-start", "format-missing", params={}, field="format", **file))
    empty = {**file, "body": b""}
    cases.append(Case("import-start", "empty-file", params={"format": "disqus"}, field="file", **empty))
    for label, content_type in {
        "json": "application/json",
        "text": "text/plain",
        "form": "multipart/form-data",
    }.items():
        cases.append(
            Case(
                "import-start",
                f"content-type-{label}",
                file["body"],
                content_type=content_type,
                params={"format": "disqus"},
                statuses=frozenset({415}),
            )
        )
    cases.append(
        Case(
            "import-one",
            "unknown",
            path=f"/api/v1/sites/{{site}}/imports/{NO_IMPORT}",
            statuses=frozenset({404}),
        )
    )
    return cases


REFUSALS = body_cases() + path_cases() + query_cases() + token_cases() + sso_cases() + import_cases()


async def snapshot(db) -> dict[str, str]:
    return dict(await db.fetchrow(FINGERPRINT))


async def send(client: httpx.AsyncClient, world: World, case: Case) -> httpx.Response:
    route = ROUTES[case.route]
    caller = route.caller if case.caller == "route's" else case.caller
    headers = {**world.auth(caller), **case.headers}
    content = None
    if isinstance(case.body, bytes):
        content = case.body
    elif case.body is not None:
        content = json.dumps(resolve(case.body, world), ensure_ascii=False).encode()
    if content is not None and case.content_type:
        headers["Content-Type"] = case.content_type
    params = resolve(case.params, world) if case.params is not None else None
    path = (case.path or route.path).format(
        site=world.site,
        feed=f"{world.site}.atom",
        comment=world.comment,
        item=world.item,
        target=world.target.id,
        webhook=NO_WEBHOOK,
        username=NO_USERNAME,
        job=NO_IMPORT,
    )
    request = client.build_request(route.method, path, params=params, headers=headers, content=content)
    return await client.send(request)


def assert_error(response: httpx.Response, field: str | None = None) -> dict:
    """The service's error shape: JSON, its own status, a human sentence, nothing internal."""
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error = response.json()
    assert set(error) <= ERROR_KEYS and {"status_code", "detail"} <= set(error), error
    assert error["status_code"] == response.status_code
    detail = error["detail"]
    assert isinstance(detail, str) and 8 <= len(detail) <= 300, detail
    assert re.search(r"[A-Za-z]{2,}\W+[A-Za-z]{2,}", detail), f"not a sentence: {detail!r}"
    assert not LEAKS.search(detail), detail
    if field is not None:
        assert error.get("field") == field, error
    return error


@pytest.mark.parametrize("case", REFUSALS, ids=[case.id for case in REFUSALS])
@pytest.mark.slow
async def test_hostile_request_is_refused_and_stores_nothing(client, db, world, case):
    before = await snapshot(db)
    response = await send(client, world, case)
    assert response.status_code in case.statuses, response.text[:500]
    if response.status_code != 204:
        assert_error(response, case.field if response.status_code == 400 else None)
    assert await snapshot(db) == before
    assert await connections_in_use(client) == 0


async def connections_in_use(client: httpx.AsyncClient) -> float:
    """PostgreSQL connections the service holds once it has answered (a leak never comes back)."""
    metrics = (await client.get("/metrics")).text
    return float(re.search(r'^commentsvc_db_pool_connections\{state="in_use"\} (\S+)$', metrics, re.M)[1])


# --- what is valid text must be kept verbatim and only ever rendered safe ---------------------


async def comment_row(db, comment_id: int):
    return await db.fetchrow(
        "SELECT c.body, c.body_html, a.key, a.title FROM comments c JOIN articles a ON a.id = c.article_id "
        "WHERE c.id = $1",
        comment_id,
    )


def assert_safe(html: str) -> None:
    assert unsafe_parts(html) == [], html


@pytest.mark.parametrize("text", list(SQL.values()) + list(TRAVERSAL.values()), ids=[*SQL, *TRAVERSAL])
async def test_sql_and_paths_in_comment_text_and_article_keys_are_stored_verbatim(client, db, world, text):
    key = f"{text} {unique_name('k')}"
    title = f"{text} title"
    body = f"{text} {unique_name('body')}"
    # A moderator's: a reader's first comment does not title an article.
    posted = await post_comment(client, world.moderator, world.site, key, body, article_title=title)
    row = await comment_row(db, posted["id"])
    assert (row["body"], row["key"], row["title"]) == (body, key, title)
    assert_safe(posted["body_html"])
    thread = await read_thread(client, world.site, key)
    assert thread["article"]["key"] == key and thread["article"]["title"] == title
    assert [c["id"] for c in thread["comments"]] == [posted["id"]]
    counts = await client.get(f"/api/v1/sites/{world.site}/counts", params={"article": [key, text]})
    assert counts.json() == {key: 1, text: 0}


@pytest.mark.parametrize("text", list(SQL.values()), ids=list(SQL))
async def test_sql_in_notes_reasons_names_and_passwords_is_stored_verbatim(client, db, world, text):
    comment = await post_comment(client, world.author, world.site, world.article)
    reported = await client.post(
        f"/api/v1/comments/{comment['id']}/reports",
        json={"reason": "other", "note": text},
        headers=world.reader.auth,
    )
    assert reported.status_code == 202, reported.text
    note = "SELECT note FROM reports WHERE comment_id = $1 AND user_id = $2"
    assert await db.fetchval(note, comment["id"], world.reader.id) == text

    banned = await client.post(
        f"/api/v1/sites/{world.site}/bans",
        json={"user_id": world.target.id, "reason": text, "days": 1},
        headers=world.moderator.auth,
    )
    assert banned.status_code == 201, banned.text
    assert await db.fetchval("SELECT reason FROM bans WHERE user_id = $1", world.target.id) == text

    held = await post_comment(client, world.author, world.site, world.article, f"{HELD_WORD} {unique_name()}")
    item = await db.fetchval("SELECT id FROM moderation_items WHERE comment_id = $1", held["id"])
    decided = await client.post(
        f"/api/v1/moderation/items/{item}/decision",
        json={"action": "reject", "reason": text},
        headers=world.moderator.auth,
    )
    assert decided.status_code == 200, decided.text
    assert await db.fetchval("SELECT reason FROM moderation_items WHERE id = $1", item) == text

    locked_key = f"{text}{unique_name('locked')}"
    locked = await client.put(
        f"/api/v1/sites/{world.site}/articles/lock",
        json={"article": locked_key, "locked": True},
        headers=world.moderator.auth,
    )
    assert locked.json() == {"article": locked_key, "locked": True}

    idempotency_key = f"{text}{unique_name()}"
    retried = await client.post(
        f"/api/v1/sites/{world.site}/comments",
        json={"article": world.article, "body": unique_name("retried")},
        headers=world.reader.auth | {"Idempotency-Key": idempotency_key},
    )
    assert retried.status_code == 201, retried.text
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", idempotency_key) == 1


@pytest.mark.parametrize("text", list(SQL.values())[:4], ids=list(SQL)[:4])
async def test_sql_in_display_names_emails_and_passwords_is_kept_and_signs_in(client, db, text):
    password = f"{text} and a long tail"
    reader = await register(client, display_name=text, password=password)
    email = f"o'{reader.username}@example.org"
    stored = await db.fetchrow("SELECT display_name, email FROM users WHERE id = $1", reader.id)
    assert stored["display_name"] == text
    signed_in = await client.post("/api/v1/auth/login", json={"login": reader.username, "password": password})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["display_name"] == text
    other = await client.post(
        "/api/v1/auth/register",
        json={"username": unique_name(), "email": email, "password": password},
    )
    assert other.status_code == 201, other.text
    assert other.json()["user"]["email"] == email


async def test_a_username_spelled_with_unicode_look_alikes_signs_into_no_account(client):
    reader = await register(client, username=unique_name("Ilse"))
    # PostgreSQL lower-cases İ (U+0130) to i, Python to i + U+0307: usernames are ASCII, so a
    # non-ASCII login without '@' reaches no account, however the database would fold it.
    for login in (reader.username.replace("I", "\u0130"), reader.username.replace("I", "\u0406")):
        response = await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
        assert response.status_code == 401, login


# Display names that would pass for the reader "{name}" (or fake a second @username), each
# made from that username.
IMPERSONATIONS = {
    "the same": lambda name: name,
    "in capitals": str.upper,
    "Cyrillic a": lambda name: name.replace("a", "\u0430"),
    "Greek capitals": lambda name: name.upper().replace("A", "\u0391").replace("M", "\u039c"),
    "capital I for l": lambda name: name.replace("l", "I"),
    "fullwidth": lambda name: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name),
    "a handle": lambda name: f"Bob (@{name})",
    "a fullwidth at sign": lambda name: f"\uff20{name}",
    "a small at sign": lambda name: f"\ufe6b{name}",
}


@pytest.mark.parametrize("disguise", IMPERSONATIONS.values(), ids=IMPERSONATIONS.keys())
async def test_a_display_name_passing_for_another_readers_username_is_refused(client, db, disguise):
    admin = await register(client, username=unique_name("admin_all"))
    body = registration(display_name=disguise(admin.username))
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "display_name"
    assert await db.fetchval("SELECT count(*) FROM users WHERE username = $1", body["username"]) == 0


MARKDOWN_LINKS = {
    "inline": "[click]({})",
    "autolink": "<{}>",
    "reference": "[click][r]\n\n[r]: {}",
    "bare": "{}",
}


@pytest.mark.parametrize(
    "source",
    [
        *XSS.values(),
        *(form.format(url) for url in DANGEROUS_URLS.values() for form in MARKDOWN_LINKS.values()),
    ],
    ids=[*XSS, *(f"{url}-{form}" for url in DANGEROUS_URLS for form in MARKDOWN_LINKS)],
)
async def test_markup_in_comments_is_stored_verbatim_and_only_ever_rendered_safe(client, db, world, source):
    body = f"{source}\n\n{unique_name('x')}"
    preview = await client.post("/api/v1/preview", json={"body": body}, headers=world.reader.auth)
    assert preview.status_code == 200, preview.text
    posted = await post_comment(client, world.reader, world.site, world.article, body)
    edited = await client.patch(
        f"/api/v1/comments/{posted['id']}", json={"body": body + " (edited)"}, headers=world.reader.auth
    )
    assert edited.status_code == 200, edited.text
    row = await comment_row(db, posted["id"])
    assert row["body"] == body + " (edited)"
    for html in (
        preview.json()["body_html"],
        posted["body_html"],
        edited.json()["body_html"],
        row["body_html"],
    ):
        assert_safe(html)
    assert preview.json()["body_html"] == posted["body_html"]


@pytest.mark.parametrize(("body", "held_because"), SIGNAL_DODGES.values(), ids=SIGNAL_DODGES.keys())
async def test_a_link_or_blocked_word_disguised_in_the_source_is_held(client, db, body, held_because):
    site = await make_site(db, origins=(ORIGIN,), max_links=1, blocked_words=["casino"])
    posted = await post_comment(client, await register(client), site, unique_name("article"), body)
    assert posted["status"] == "pending"
    assert await db.fetchval("SELECT held_because FROM comments WHERE id = $1", posted["id"]) == held_because


async def test_ordinary_text_near_the_signals_is_published(client, db):
    """Ordinary use never trips a signal: a link, an address written out, words like the blocked one."""
    site = await make_site(db, origins=(ORIGIN,), max_links=2, blocked_words=["casino"])
    body = "Voir [l\u2019étude](https://a.example) et www.b.example\u00a0: une occasion, pas un casinotier."
    posted = await post_comment(client, await register(client), site, unique_name("article"), body)
    assert posted["status"] == "approved"


async def test_a_cursor_of_another_article_shows_only_this_articles_comments(client, db, world):
    """Cursors carry a position, not an article: another article's is harmless."""
    response = await client.get(
        f"/api/v1/sites/{world.site}/comments",
        params={"article": world.article, "cursor": world.other_cursor},
    )
    assert response.status_code == 200, response.text
    ids = [c["id"] for c in response.json()["comments"]]
    own = {
        r["id"]
        for r in await db.fetch(
            "SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.key = $1",
            world.article,
        )
    }
    assert set(ids) <= own


async def test_tampered_and_truncated_cursors_are_refused(client, world):
    real = world.cursor
    tampered = real[:-2] + ("A" if real[-2] != "A" else "B") + real[-1]
    for bad in (real[: len(real) // 2], real[:-1], tampered, real + "A", real[::-1]):
        response = await client.get(
            f"/api/v1/sites/{world.site}/comments", params={"article": world.article, "cursor": bad}
        )
        if response.status_code != 200:  # a flipped byte may still decode to a valid position
            assert response.status_code == 400
            assert_error(response, "cursor")
    assert (
        await client.get(
            f"/api/v1/sites/{world.site}/comments", params={"article": world.article, "cursor": real}
        )
    ).status_code == 200


# --- pages the service renders itself ---------------------------------------------------------


class _Document(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


EMBED_SKELETON = ["html", "head", "meta", "meta", "title", "link", "script", "script", "body", "div"]
HOSTILE_PAGE_TEXT = {
    **{f"xss-{k}": v for k, v in list(XSS.items())[:8]},
    **{f"url-{k}": v for k, v in list(DANGEROUS_URLS.items())[:6]},
    **{f"sql-{k}": v for k, v in list(SQL.items())[:3]},
    **{f"path-{k}": v for k, v in list(TRAVERSAL.items())[:3]},
    "quote-breakout": '" onload="alert(1)" x="',
    "template-braces": "{site}{{article}}${x}",
    "right-to-left": "\u202egnp.exe",
}


@pytest.mark.parametrize("text", HOSTILE_PAGE_TEXT.values(), ids=HOSTILE_PAGE_TEXT.keys())
async def test_embed_puts_hostile_parameters_only_into_attribute_values(client, world, text):
    params = {"site": world.site, "origin": ORIGIN, "article": text, "title": text, "url": text}
    response = await client.get("/embed", params=params)
    assert response.status_code == 200, response.text
    document = _Document()
    document.feed(response.text)
    assert [tag for tag, _ in document.elements] == EMBED_SKELETON
    app = dict(document.elements[-1][1])
    assert (app["data-article"], app["data-title"], app["data-url"]) == (text, text, "")
    assert all(not name.startswith("on") for _, attrs in document.elements for name in attrs)
    scripts = [attrs["src"] for tag, attrs in document.elements if tag == "script"]
    assert [src.split(".")[0] for src in scripts] == ["/widget/words-fr", "/widget/widget"]
    assert "".join(document.text).strip() == "Commentaires"
    assert response.headers["content-security-policy"].endswith(f"frame-ancestors {ORIGIN}")


@pytest.mark.parametrize(
    ("slug", "origin", "status", "reason"),
    [
        ("no-such-site", "https://evil.example", 404, "site"),
        (None, "https://evil.example", 403, "origin"),
        (None, "null", 403, "local"),
        (None, "file://", 403, "local"),
    ],
    ids=["unknown-site", "other-origin", "page-from-a-file", "page-from-a-file-in-chromium"],
)
async def test_a_refused_embed_is_a_page_naming_only_the_slug_and_the_asking_origin(
    client, world, slug, origin, status, reason
):
    """Instead of a grey box: the frame says which slug and origin to register; any page may
    show it, and it names none of the site's origins."""
    slug = slug or world.site
    response = await client.get(
        "/embed", params={"site": slug, "article": "a", "origin": origin, "lang": "en"}
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert ORIGIN not in response.text + str(response.headers)
    document = _Document()
    document.feed(response.text)
    line = dict(document.elements[-1][1])
    assert (line["id"], line["data-reason"], line["data-site"], line["data-origin"]) == (
        "refused",
        reason,
        slug,
        origin,
    )
    scripts = [attrs["src"] for tag, attrs in document.elements if tag == "script"]
    assert [src.split(".")[0] for src in scripts] == ["/widget/words-refused-en", "/widget/refused"]
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors * file:" in policy and "'unsafe-inline'" not in policy


@pytest.mark.parametrize(
    "path",
    [
        "/embed.js",
        "/count.js",
        "/moderate",
        "/moderate/decide",
        "/healthz",
        "/readyz",
        "/metrics",
        "/schema",
        "/demo/article.html",
        "/",
    ],
)
async def test_pages_never_echo_hostile_query_strings_or_headers(client, path):
    marker = "<script>alert('hostile-marker')</script>"
    response = await client.get(
        path,
        params={"q": marker, "site": marker, "lang": marker, "callback": marker},
        headers={
            "Referer": marker,
            "X-Forwarded-Host": "evil.example",
            "Host": "evil.example",
            "Accept-Language": marker,
        },
    )
    assert response.status_code == 200
    assert "hostile-marker" not in response.text and "evil.example" not in response.text


@pytest.mark.parametrize(
    "accept_language",
    ["fr;q=inf", "fr;q=nan", "fr;q=2", "fr;q=-1, en;q=0", ",;=;,q", "fr;q=1e999", "de-" * 3000, "*", ""],
)
async def test_the_front_page_answers_any_accept_language_in_a_language_it_has(client, accept_language):
    response = await client.get("/", headers={"Accept-Language": accept_language})
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"


async def test_a_body_streamed_past_the_limit_is_refused(client, world):
    async def ten_megabytes():
        for _ in range(100):
            yield b"x" * 100_000

    for path in ("/api/v1/auth/login", f"/api/v1/sites/{world.site}/comments"):
        response = await client.post(
            path, content=ten_megabytes(), headers=world.reader.auth | {"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert_error(response)


OVERSIZED_HEADERS = {
    "filler": (b"/healthz", b"X-Filler: " + b"a" * 1_000_000),
    "authorization": (b"/api/v1/me", b"Authorization: Bearer " + b"A" * 1_000_000),
    "cookie": (b"/healthz", b"Cookie: " + b"c=1; " * 200_000),
    "many": (b"/healthz", b"\r\n".join(b"X-H%d: v" % n for n in range(10_000))),
}


@pytest.mark.slow
def test_oversized_headers_are_refused_by_the_served_process(settings):
    """uvicorn (httptools) sets no limit on header size: the service answers 431 for them
    (a reverse proxy in front should refuse them before they are even read)."""
    with serve(settings, workers=1) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        for path, header in OVERSIZED_HEADERS.values():
            with socket.create_connection((host, int(port)), timeout=20) as sock:
                sock.sendall(
                    b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header + b"\r\n\r\n"
                )
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 431 "), head[:200]
            assert json.loads(body)["code"] == "headers_too_large"
        assert httpx.get(f"{base_url}/healthz").status_code == 200


def test_every_route_of_the_app_meets_the_corpus(settings):
    """A new route must join the corpus: every route the app serves has hostile cases."""
    app = create_app(settings)
    served = {
        (method, re.sub(r"\{[^}]*\}", "{}", route.path))
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in ("HEAD", "OPTIONS") and not route.path.startswith("/schema/")
    }
    covered = {(r.method, re.sub(r"\{[^}]*\}", "{}", r.path)) for r in ROUTES.values()}
    assert served - covered == set()
    exercised = {case.route for case in REFUSALS} | {
        "embed.js",
        "count.js",
        "moderate",
        "decision-page",
        "healthz",
        "readyz",
        "metrics",
        "demo",
        "home",
    }
    assert set(ROUTES) - exercised == set()


# The OpenID Connect callback: what a hostile provider, or anyone forging its answer, may send.
# Each is refused on the popup's page with the reason the widget's words say, and nothing is stored.
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact(header: dict, claims: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _unsigned(claims: dict) -> str:
    return _compact({"alg": "none", "typ": "JWT"}, claims) + "."


def _hmac_with_the_public_key(forger: ForgingProvider, claims: dict) -> str:
    # HS/RS confusion: the provider's public key, which anyone can fetch, used as an HMAC secret
    # (made by hand: JOSE libraries refuse to make it).
    signing_input = _compact({"alg": "HS256", "kid": forger.key.kid}, claims)
    secret = forger.key.as_pem(private=False)
    return signing_input + "." + _b64(hmac.digest(secret, signing_input.encode(), "sha256"))


HOSTILE_ID_TOKENS = {
    "alg-none": lambda forger, claims: _unsigned(claims),
    "hs256-with-the-public-key": _hmac_with_the_public_key,
    "oversized": lambda forger, claims: forger.token({**claims, "padding": "x" * 40_000}),
    "not-a-jwt": lambda forger, claims: "<script>alert(1)</script>",
    "sub-with-control-characters": lambda forger, claims: forger.token(
        {**claims, "sub": "reader\x00\r\nadmin"}
    ),
    "sub-overlong": lambda forger, claims: forger.token({**claims, "sub": "s" * 256}),
    "sub-not-a-string": lambda forger, claims: forger.token({**claims, "sub": {"id": 1}}),
}
HOSTILE_REASONS = {
    "alg-none": "bad_signature",
    "hs256-with-the-public-key": "bad_signature",
    "oversized": "bad_signature",
    "not-a-jwt": "bad_signature",
    "sub-with-control-characters": "bad_identity",
    "sub-overlong": "bad_identity",
    "sub-not-a-string": "bad_identity",
}


@pytest.fixture(scope="module")
async def forger() -> AsyncIterator[ForgingProvider]:
    provider = ForgingProvider()
    await provider.start()
    yield provider
    await provider.stop()


@pytest.fixture(scope="module")
async def oidc_service(settings, forger: ForgingProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with service_with(settings, forged=forger.issuer) as service:
        yield service


@pytest.mark.parametrize("kind", HOSTILE_ID_TOKENS, ids=list(HOSTILE_ID_TOKENS))
async def test_a_hostile_id_token_at_the_callback_is_refused_and_stores_nothing(
    oidc_service, forger, db, kind
):
    forger.forge = lambda claims, header: HOSTILE_ID_TOKENS[kind](forger, claims)
    before = await snapshot(db)
    response = await oidc_callback(oidc_service, await at_forger(await oidc_start(oidc_service, "forged")))
    assert response.status_code == 401 and refusal(response) == HOSTILE_REASONS[kind]
    assert "\x00" not in response.text and "<script>alert" not in response.text
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "query",
    [
        {"state": "s" * 5000, "code": "c"},
        {"state": "s", "code": "c" * 5000},
        {"state": "s", "code": "c", "iss": "i" * 5000},
        {"state": "\x00<script>", "code": "c"},
    ],
    ids=["state-oversized", "code-oversized", "iss-oversized", "state-control-characters"],
)
async def test_hostile_callback_parameters_are_refused_and_store_nothing(oidc_service, db, query):
    before = await snapshot(db)
    response = await oidc_service.get("/auth/oidc/forged/callback", params=query)
    assert 400 <= response.status_code < 500
    assert "<script>" not in response.text
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "token", ["", "x" * 5000, "a.b.c", "\x00"], ids=["empty", "oversized", "forged", "control"]
)
async def test_a_forged_link_confirmation_is_refused_and_links_nothing(oidc_service, db, token):
    before = await snapshot(db)
    response = await oidc_service.post("/api/v1/auth/oidc/link", json={"token": token})
    assert response.status_code == 400, response.text
    assert await snapshot(db) == before
