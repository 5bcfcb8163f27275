"""Posting a comment or a reply: the checks, the draft, the decision (published or held), and the
batches that read the contexts and write the comments of the posts made at the same time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import msgspec

from commentsvc.batching import Coalesced
from commentsvc.domain import policy, rendering
from commentsvc.domain.articles import check_article_url, check_title
from commentsvc.domain.comments import (
    LOCKED,
    NO_SUCH_SITE,
    NewComment,
    Posted,
    banned,
    body_hash,
    check_article_key,
)
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.sso import OTHER_SITE
from commentsvc.domain.threads import Viewer, shown
from commentsvc.errors import Forbidden, Invalid, NotFound, Reason, Unauthorized, Unavailable, Unprocessable
from commentsvc.model.comments import Parent, StoredComment
from commentsvc.model.posting import CommentToWrite, ContextQuery, KeyUse, PostingContext, Written
from commentsvc.store import comments, posting, users
from commentsvc.store.pool import connection

# Reads and writes of one post: a second pass sees what changed; a third is for bad luck.
POSTING_ATTEMPTS = 3
# Posts made at the same time are read and written together, up to this many at once.
POSTS_PER_BATCH = 64


class _Draft(msgspec.Struct, frozen=True):
    """A new comment as checked and rendered before PostgreSQL is asked anything."""

    new: NewComment
    body: str
    body_html: str
    body_hash: bytes
    title: str | None
    client_hash: bytes
    idempotency_key: str | None
    request_hash: bytes | None


class Posting:
    """Every method takes its connections from the pools it was given: the batches' own
    (``batches_db``, store.pool.create_batches_pool) for the shared reads and writes, the
    service's (``db``) for the rare look-ups of one post."""

    def __init__(
        self,
        address_key: bytes,
        events: Dispatcher,
        db: asyncpg.Pool,
        batches_db: asyncpg.Pool,
    ) -> None:
        # Client addresses are stored only as keyed hashes.
        self._address_key = address_key
        self._events = events
        self._db = db
        self._batches_db = batches_db
        # Posts made at the same time read their contexts in one query and are written in one
        # statement (one commit): under load, one round trip each for many posts.
        self._contexts: Coalesced[ContextQuery, PostingContext | None] = Coalesced(
            self._read_contexts, POSTS_PER_BATCH
        )
        self._writes: Coalesced[CommentToWrite, StoredComment | None] = Coalesced(
            self._write, POSTS_PER_BATCH
        )

    async def post(
        self,
        slug: str,
        author_id: int,
        new: NewComment,
        client_address: str,
        idempotency_key: str | None,
    ) -> Posted:
        """Checked and rendered first; then one read of everything the decision needs and one
        statement writing the comment with what goes with it, each shared with the posts made
        at the same time (so under load a round trip and a commit serve many posts). The
        answer comes once the comment is committed."""
        body = rendering.check_body(new.body)
        check_article_key(new.article)
        if idempotency_key is not None:
            rendering.check_text(idempotency_key, "Idempotency-Key")
        draft = _Draft(
            new=new,
            body=body,
            body_html=rendering.render(body),
            body_hash=body_hash(body),
            title=check_title(new.article_title),
            client_hash=self._hash_address(client_address),
            idempotency_key=idempotency_key,
            request_hash=(
                hashlib.sha256(msgspec.json.encode([slug, new])).digest()
                if idempotency_key is not None
                else None
            ),
        )
        for _ in range(POSTING_ATTEMPTS):
            posted = await self._post_once(slug, author_id, draft)
            if posted is not None:
                break
        else:
            raise Unavailable("The article kept changing while the comment was posted; try again.")
        return posted

    async def _post_once(self, slug: str, author_id: int, draft: _Draft) -> Posted | None:
        """Read, decide, write. None when the write found that what was read changed meanwhile
        (article locked or created, author banned, parent removed, the same Idempotency-Key
        used by a concurrent request): it wrote nothing, and the next pass reads again (and
        finds, for the Idempotency-Key, the first request's comment to answer with)."""
        new = draft.new
        context = await self._contexts(
            ContextQuery(slug, new.article, author_id, new.parent_id, draft.body_hash, draft.idempotency_key)
        )
        if context is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        if context.standing is None:
            raise Unauthorized("This account no longer exists.", reason=Reason.ACCOUNT_GONE)
        url = check_article_url(new.article_url, context.site.origins) if new.article_url else None
        if context.key_use is not None and draft.idempotency_key is not None:
            if not context.key_use.expired:
                return await self._replay(author_id, context.key_use, draft.request_hash)
            async with connection(self._db) as conn:
                await posting.forget_expired_key(conn, author_id, draft.idempotency_key)
        if context.home_site_id not in (None, context.site.id):
            raise Forbidden(OTHER_SITE, reason=Reason.OTHER_SITE)
        if context.standing.ban is not None:
            raise banned(context.standing.ban)
        if context.article is not None and context.article.locked:
            raise Forbidden(LOCKED, reason=Reason.LOCKED)
        parent = await self._parent(context, new.parent_id, author_id)
        found = policy.findings(
            context.site, context.standing, body_html=draft.body_html, now=datetime.now(UTC)
        )
        held_because = policy.hold_reason(found)
        title = draft.title
        if (
            context.article is None
            and (title or url)
            and not await self._moderates(author_id, context.site.id)
        ):
            # What everyone sees of an article is the site's to say: any client can send what the
            # widget would, so a reader's title and URL are not kept (moderators set them).
            title = url = None
        written = CommentToWrite(
            site_id=context.site.id,
            article_key=new.article,
            article_title=title,
            article_url=url,
            article_id=context.article.id if context.article else None,
            replied_to=new.parent_id,
            parent=parent,
            status="pending" if held_because else "approved",
            author_id=author_id,
            body=draft.body,
            body_html=draft.body_html,
            client_hash=draft.client_hash,
            body_hash=draft.body_hash,
            held_because=held_because,
            held_findings=found,
            idempotency_key=draft.idempotency_key,
            request_hash=draft.request_hash,
        )
        row = await self._writes(written)
        return None if row is None else Posted(shown(row, Viewer(author_id, False)), replayed=False)

    async def _parent(self, context: PostingContext, parent_id: int | None, author_id: int) -> Parent | None:
        """The comment a reply hangs under: the one asked for, or its deepest allowed ancestor."""
        if parent_id is None:
            return None
        parent, article = context.parent, context.article
        visible = parent is not None and (
            parent.status == "approved" or (parent.status == "pending" and parent.author_id == author_id)
        )
        if parent is None or not visible or article is None or parent.article_id != article.id:
            raise Invalid("parent_id: not a visible comment of this article.", field="parent_id")
        max_depth = context.site.settings.max_depth
        if max_depth == 0:
            return None
        if parent.depth >= max_depth:
            async with connection(self._db) as conn:
                return await posting.ancestor_at_depth(conn, parent.id, max_depth - 1)
        return parent

    async def _replay(self, author_id: int, key_use: KeyUse, request_hash: bytes | None) -> Posted:
        """The first result of a request sent again with the same Idempotency-Key."""
        if key_use.request_hash != request_hash or key_use.comment_id is None:
            raise Unprocessable("This Idempotency-Key was already used for a different request.")
        async with connection(self._db) as conn:
            row = await comments.get_one(conn, key_use.comment_id, author_id, False)
        return Posted(shown(row, Viewer(author_id, False)), replayed=True)

    async def _write(self, posts: Sequence[CommentToWrite]) -> list[StoredComment | None | Exception]:
        """Writes the posts, each with its comment.created event; once committed, the events go
        to the subscribers served at commit, for the whole batch at once."""
        async with connection(self._batches_db) as conn:
            written = await posting.insert_each(conn, posts)
            await self._events.committed([w.event for w in written if isinstance(w, Written)], conn)
        return [w.comment if isinstance(w, Written) else w for w in written]

    async def _read_contexts(self, queries: Sequence[ContextQuery]) -> list[PostingContext | None]:
        async with connection(self._batches_db) as conn:
            return await posting.posting_contexts(conn, queries, policy.NEW_ACCOUNT)

    async def _moderates(self, user_id: int, site_id: int) -> bool:
        async with connection(self._db) as conn:
            return await users.moderates(conn, user_id, site_id)

    def _hash_address(self, address: str) -> bytes:
        return hmac.digest(self._address_key, address.encode("utf-8", "replace"), "sha256")[:16]
