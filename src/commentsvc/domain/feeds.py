"""Atom feeds of a site's, or one article's, latest published comments: cached in the scope that
the comments' changes make stale (the site's feed, the article's thread)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

import asyncpg

from commentsvc.domain.cached_pages import feed_scope, thread_scope
from commentsvc.domain.comments import NO_SUCH_SITE, check_article_key
from commentsvc.domain.fragments import anchor, public_url
from commentsvc.domain.links import Links
from commentsvc.domain.reading import Reading
from commentsvc.errors import NotFound
from commentsvc.i18n import catalogue
from commentsvc.kv.cache import Computed, GenerationalCache
from commentsvc.model.feeds import FeedEntry
from commentsvc.model.sites import Site
from commentsvc.store import feeds, sites

ATOM = "http://www.w3.org/2005/Atom"
LATEST = 50
ATOM_VARIANT = "atom"
ET.register_namespace("", ATOM)


class Feeds:
    """Feeds are read through ``reading`` (a replica's, unless what they show changed lately)."""

    def __init__(self, cache: GenerationalCache, reading: Reading, links: Links) -> None:
        self._cache = cache
        self._reading = reading
        self._links = links
        # Ids are tag: URIs (RFC 4151) under the service's own host name: the same on every run.
        self._authority = urlsplit(links.url("/")).hostname or "localhost"

    async def of_site(self, slug: str) -> bytes:
        return await self._served(slug, None, feed_scope(slug))

    async def of_article(self, slug: str, key: str) -> bytes:
        """Empty (but a feed) for an article nobody has commented on."""
        check_article_key(key)
        return await self._served(slug, key, thread_scope(slug, key))

    async def _served(self, slug: str, key: str | None, scope: str) -> bytes:
        """The site's feed (``key`` None) or the article's, from the cache, in ``scope``."""

        async def read(conn: asyncpg.Connection) -> tuple[Site, list[FeedEntry]]:
            site = await _site(conn, slug)
            if key is None:
                return site, await feeds.latest_of_site(conn, site.id, LATEST)
            return site, await feeds.latest_of_article(conn, site.id, key, LATEST)

        async def compute() -> Computed:
            site, entries = await self._reading.run(read, scope)
            return self._feed(site, key, entries)

        return await self._cache.read_through(scope, ATOM_VARIANT, compute)

    def _feed(self, site: Site, key: str | None, entries: list[FeedEntry]) -> Computed:
        language = site.settings.language
        words = catalogue("feeds", language)
        base = f"tag:{self._authority},{site.created_at:%Y-%m-%d}:{quote(site.slug)}"
        feed = ET.Element(_atom("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": language})
        if key is None:
            _text(feed, "id", base)
            _text(feed, "title", words["site_title"].format(site=site.name))
            self_link = self._links.url(f"/feeds/{site.slug}.atom")
        else:
            _text(feed, "id", f"{base}/article/{quote(key, safe='')}")
            article = entries[0].article_title if entries and entries[0].article_title else key
            _text(feed, "title", words["article_title"].format(article=article, site=site.name))
            self_link = self._links.url(f"/feeds/{site.slug}/article.atom", article=key)
            article_url = public_url(entries[0].article_url) if entries else None
            if article_url:
                ET.SubElement(
                    feed, _atom("link"), {"rel": "alternate", "type": "text/html", "href": article_url}
                )
        ET.SubElement(feed, _atom("link"), {"rel": "self", "href": self_link})
        updated = max((_updated(entry) for entry in entries), default=site.created_at)
        _text(feed, "updated", updated.isoformat())
        # Required of a feed whose entries may lack one (an erased account's comments).
        ET.SubElement(ET.SubElement(feed, _atom("author")), _atom("name")).text = site.name
        for entry in entries:
            author = entry.author_name or words["anonymous"]
            item = ET.SubElement(feed, _atom("entry"))
            _text(item, "id", f"{base}/comment/{entry.id}")
            title = words["entry_title"].format(
                author=author, article=entry.article_title or entry.article_key
            )
            _text(item, "title", title)
            _text(item, "published", entry.created_at.isoformat())
            _text(item, "updated", _updated(entry).isoformat())
            _text(ET.SubElement(item, _atom("author")), "name", author)
            url = public_url(entry.article_url)
            if url:
                link = {"rel": "alternate", "type": "text/html", "href": f"{url}#{anchor(entry.id)}"}
                ET.SubElement(item, _atom("link"), link)
            content = ET.SubElement(item, _atom("content"), {"type": "html"})
            content.text = entry.body_html  # sanitised when posted; escaped here as XML text
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return Computed(body, keep=bool(entries))


async def _site(conn: asyncpg.Connection, slug: str) -> Site:
    site = await sites.get_site(conn, slug)
    if site is None:
        raise NotFound(NO_SUCH_SITE.format(slug=slug))
    return site


def _updated(entry: FeedEntry) -> datetime:
    return entry.edited_at or entry.created_at


def _atom(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, _atom(tag)).text = text
