"""A thread's first page as an HTML fragment with schema.org microdata, for crawlers and readers
without JavaScript: made from the page anonymous readers are served (published comments only, the
HTML already sanitised when each comment was posted), and cached in the same scope."""

from __future__ import annotations

import html

import asyncpg
import msgspec

from commentsvc.domain.cached_pages import thread_scope
from commentsvc.domain.comments import NO_SUCH_SITE, Comments, Thread, check_article_key
from commentsvc.domain.threads import Comment
from commentsvc.errors import NotFound
from commentsvc.kv.cache import Computed, GenerationalCache
from commentsvc.store import sites
from commentsvc.store.pool import connection

# The widget's first page (widget.js asks for it when it starts): the fragment shows what the
# widget then replaces it with.
FIRST_SORT = "oldest"
FIRST_LIMIT = 20
HTML_VARIANT = "html"
_THREAD = msgspec.json.Decoder(Thread)
_SCHEMA = "https://schema.org/"


def anchor(comment_id: int) -> str:
    """A comment's fragment identifier, in the fragment and in the feeds' links."""
    return f"comment-{comment_id}"


def public_url(url: str | None) -> str | None:
    """An article URL a page may link to (stored ones are the site's; this keeps it so)."""
    return url if url and url.startswith(("https://", "http://")) else None


class Fragments:
    def __init__(self, comments: Comments, cache: GenerationalCache, db: asyncpg.Pool) -> None:
        self._comments = comments
        self._cache = cache
        self._db = db

    async def first_page_html(self, slug: str, key: str) -> bytes:
        """The fragment (empty for an article nobody has commented on); NotFound for a site
        that does not exist."""
        check_article_key(key)

        async def fragment() -> Computed:
            page = (
                await self._comments.thread_json(slug, key, None, FIRST_SORT, FIRST_LIMIT, None, None)
            ).page
            async with connection(self._db) as conn:
                site = await sites.get_site(conn, slug)
            if site is None:  # removed since
                raise NotFound(NO_SUCH_SITE.format(slug=slug))
            thread = _THREAD.decode(page)
            return Computed(render(thread, site.settings.language).encode(), keep=bool(thread.comments))

        return await self._cache.read_through(thread_scope(slug, key), HTML_VARIANT, fragment)


def render(thread: Thread, language: str) -> str:
    article = thread.article
    url = public_url(article.url)
    head = [f'<meta itemprop="commentCount" content="{article.comment_count}">']
    if article.title:
        head.append(f'<meta itemprop="headline" content="{html.escape(article.title)}">')
    if url:
        head.append(f'<link itemprop="url" href="{html.escape(url)}">')
    comments = "".join(_comment(comment, url or "") for comment in thread.comments)
    return (
        f'<section class="commentsvc-fragment" lang="{language}" itemscope '
        f'itemtype="{_SCHEMA}DiscussionForumPosting">{"".join(head)}{comments}</section>'
    )


def _comment(comment: Comment, base: str) -> str:
    replies = "".join(_comment(reply, base) for reply in comment.replies)
    if comment.status != "approved":  # a removed comment's place, kept for the replies under it
        return f'<div class="commentsvc-removed" id="{anchor(comment.id)}">{replies}</div>'
    parts = [f'<link itemprop="url" href="{html.escape(base)}#{anchor(comment.id)}">']
    if comment.parent_id is not None:
        parts.append(f'<link itemprop="parentItem" href="{html.escape(base)}#{anchor(comment.parent_id)}">')
    if comment.author is not None:
        name = comment.author.display_name or comment.author.username
        parts.append(
            f'<span itemprop="author" itemscope itemtype="{_SCHEMA}Person">'
            f'<span itemprop="name">{html.escape(name)}</span></span> '
        )
    created = comment.created_at.isoformat()
    parts.append(f'<time itemprop="dateCreated" datetime="{created}">{created[:10]}</time>')
    parts.append(f'<div itemprop="text">{comment.body_html}</div>')
    return (
        f'<article class="commentsvc-comment" id="{anchor(comment.id)}" itemprop="comment" itemscope '
        f'itemtype="{_SCHEMA}Comment">{"".join(parts)}{replies}</article>'
    )
