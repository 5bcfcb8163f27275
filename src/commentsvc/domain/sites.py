"""Sites: registration, origins and moderation settings."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Mapping

import asyncpg
import msgspec
from ada_url import URL

from commentsvc.domain.rendering import check_text
from commentsvc.errors import Conflict, Invalid, NotFound
from commentsvc.model.sites import NAME_LENGTH, SETTINGS, Site, SiteSettings
from commentsvc.store import sites as store

# The site `commentsvc demo` creates and the demo pages are wired to.
DEMO_SITE = "demo"
# Every cross-origin call compares its Origin with these, and every comment is matched against the
# blocked words: bounds keep both cheap (and a refusal's sentence short).
MAX_ORIGINS = 100
MAX_BLOCKED_WORDS = 500
MAX_WORD = 100
SHOWN_VALUE = 60
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# What the URL Standard strips from both ends of a URL, as every parser does.
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
# Browsers read a backslash as a slash and drop tabs and line breaks inside a URL, where other
# parsers keep them: with one of these, a URL may name a different host to each of its readers.
_MISREAD = re.compile(r"[\\\t\n\r]")


def check_change(change: Mapping[str, object]) -> dict[str, object]:
    """A change of a site's name, origins or settings (model.sites.SiteSettings), each value
    checked and normalised; Invalid names the first one that is not allowed. Each sentence
    starts with the setting's name, as stored: the command line puts its flag there."""
    checked: dict[str, object] = {}
    for name, value in change.items():
        if name == "name":
            checked[name] = _check_name(value)
        elif name == "origins":
            origins = sorted({normalise_origin(str(origin)) for origin in value})  # type: ignore[attr-defined]
            if len(origins) > MAX_ORIGINS:
                raise Invalid(f"origin: a site has at most {MAX_ORIGINS} origins.", field="origin")
            checked[name] = origins
        elif name == "blocked_words":
            words = {check_text(word, name).strip().lower() for word in check_setting(name, value)}  # type: ignore[attr-defined]
            words.discard("")
            if len(words) > MAX_BLOCKED_WORDS or any(len(word) > MAX_WORD for word in words):
                raise Invalid(
                    f"{name}: at most {MAX_BLOCKED_WORDS} words of at most {MAX_WORD} characters each.",
                    field=name,
                )
            checked[name] = sorted(words)
        elif name in SETTINGS:
            checked[name] = check_setting(name, value)
        else:
            raise Invalid(f"{name} is not a site setting.", field=name)
    return checked


def check_setting(name: str, value: object) -> object:
    """The value, if the setting may take it; Invalid naming the setting and what it may be."""
    setting = SETTINGS[name]
    try:
        # Strict: a boolean is no number, a number no boolean, and NaN within no range.
        return msgspec.convert(value, setting.annotation)
    except msgspec.ValidationError:
        shown = (
            f"{value:g}"
            if isinstance(value, float)
            else repr(value)
            if isinstance(value, str)
            else str(value)
        )
        if len(shown) > SHOWN_VALUE:
            shown = shown[: SHOWN_VALUE - 1] + "…"
        raise Invalid(f"{name} must be {setting.allowed}, not {shown}.", field=name) from None


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_LENGTH.minimum <= len(name) <= NAME_LENGTH.maximum:
        raise Invalid(f"name must be {NAME_LENGTH} characters long, not {len(str(name))}.", field="name")
    return check_text(name, "name")


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise Invalid(
            "site: a slug is 1 to 63 of a-z, 0-9 and '-', starting with a letter or digit.", field="site"
        )
    return slug


def web_url(url: str) -> URL:
    """An http(s) URL as browsers read it (the WHATWG URL Standard). ValueError for anything else,
    and for what other parsers would read differently (a backslash, a tab or line break inside,
    no '//' after the scheme) or what hides the host (credentials): every reader of a URL this
    service accepts, the service included, goes to the same host."""
    text = url.strip(_C0_OR_SPACE)
    if not text.lower().startswith(("http://", "https://")) or _MISREAD.search(text):
        raise ValueError("not a plain http(s) URL")
    parsed = URL(text)
    if parsed.username or parsed.password:
        raise ValueError("credentials in a URL")
    return parsed


def normalise_origin(url: str) -> str:
    """``scheme://host[:port]`` exactly as browsers send it in Origin: lower case, an
    internationalised host in its ASCII form, without a default port."""
    try:
        return web_url(url).origin
    except ValueError:
        raise Invalid(
            f"origin: {url[:100]!r} is not an http(s) origin such as https://www.example.org.", field="origin"
        ) from None


async def create_site(conn: asyncpg.Connection, slug: str, change: Mapping[str, object]) -> Site:
    """A new site; each setting ``change`` leaves out takes its default."""
    checked = check_change({"name": slug, "origins": [], **change})
    settings = SiteSettings(**{name: value for name, value in checked.items() if name in SETTINGS})
    site = await store.insert_site(conn, check_slug(slug), checked["name"], checked["origins"], settings)  # type: ignore[arg-type]
    if site is None:
        raise Conflict(f"A site named {slug!r} already exists.")
    return site


async def update_site(conn: asyncpg.Connection, slug: str, change: Mapping[str, object]) -> Site:
    site = await store.update_site(conn, slug, check_change(change))
    if site is None:
        raise NotFound(f"There is no site named {slug!r}.")
    return site


async def list_sites(conn: asyncpg.Connection) -> list[Site]:
    return await store.list_sites(conn)


async def get_site(conn: asyncpg.Connection, slug: str) -> Site:
    site = await store.get_site(conn, slug)
    if site is None:
        raise NotFound(f"There is no site named {slug!r}.")
    return site


# Sites that exist are few and asked for on every cross-origin call; unknown slugs are whatever
# clients make up. Each kind is kept within its own bound, so made-up slugs never push a site out.
MAX_KNOWN_SITES = 10_000
MAX_UNKNOWN_SITES = 1_000


class OriginDirectory:
    """Each site's allowed origins, cached briefly in the process: CORS asks on
    every cross-origin request, and `site update` may take this long to apply."""

    def __init__(self, ttl_seconds: float = 10.0) -> None:
        self._ttl = ttl_seconds
        self._known = _Expiring(MAX_KNOWN_SITES)
        self._unknown = _Expiring(MAX_UNKNOWN_SITES)

    def __len__(self) -> int:
        return len(self._known) + len(self._unknown)

    async def origins(self, pool: asyncpg.Pool, slug: str) -> frozenset[str]:
        """The site's origins; empty for a site that does not exist."""
        now = time.monotonic()
        cached = self._known.get(slug, now)
        if cached is None:
            cached = self._unknown.get(slug, now)
        if cached is not None:
            return cached
        async with pool.acquire() as conn:
            site = await store.get_site(conn, slug)
        origins = frozenset(site.origins) if site else frozenset()
        kept, other = (self._known, self._unknown) if site else (self._unknown, self._known)
        kept.put(slug, origins, now + self._ttl)
        other.discard(slug)
        return origins


class _Expiring:
    """Up to ``size`` values, each until its deadline; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> frozenset[str] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, value: frozenset[str], until: float) -> None:
        self._entries[key] = (until, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)
