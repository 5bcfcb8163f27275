"""Comments: reading threads, posting, replying, editing, deleting, voting, reporting."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from commentsvc.batching import Coalesced
from commentsvc.domain import policy, rendering
from commentsvc.domain.articles import check_article_url, check_title
from commentsvc.domain.threads import (
    REPLIES,
    REPLIES_PER_PAGE,
    Comment,
    MoreReplies,
    Viewer,
    build_threads,
    can_see,
    decode_cursor,
    encode_cursor,
    first_replies,
    shown,
)
from commentsvc.errors import (
    Banned,
    Conflict,
    EditWindowClosed,
    Forbidden,
    Invalid,
    NotFound,
    Reason,
    Unauthorized,
    Unavailable,
    Unprocessable,
)
from commentsvc.kv.cache import Computed, GenerationalCache
from commentsvc.store import articles, comments, moderation, sites, users
from commentsvc.store.articles import Article, ThreadContext
from commentsvc.store.comments import CommentContext, CommentRow, Parent
from commentsvc.store.moderation import Ban
from commentsvc.store.pool import UNAVAILABLE_ERRORS

NO_SUCH_SITE = "There is no site named {slug!r}."
NO_SUCH_COMMENT = "There is no such comment."
LOCKED = "This article is closed to new comments."
MAX_ARTICLE_KEY = 512
# Reads and writes of one post: a second pass sees what changed; a third is for bad luck.
POSTING_ATTEMPTS = 3
# Posts made at the same time are read and written together, up to this many at once.
POSTS_PER_BATCH = 64


class ArticleInfo(msgspec.Struct, frozen=True):
    key: str
    title: str | None
    url: str | None
    comment_count: int
    locked: bool


class ViewerState(msgspec.Struct, frozen=True, omit_defaults=True):
    """What the signed-in reader may do on the article, so a client offers only that: sent in
    their own pages only (never cached). ``banned_until`` is absent for a permanent ban;
    ``ban_reason`` is the moderator's, which the banned reader is shown."""

    can_post: bool
    banned: bool
    edit_window_minutes: int
    banned_until: datetime | None = None
    ban_reason: str | None = None


class Thread(msgspec.Struct, frozen=True, omit_defaults=True):
    article: ArticleInfo
    comments: list[Comment]
    next_cursor: str | None
    # Only for a signed-in reader.
    viewer: ViewerState | None = None


class NewComment(msgspec.Struct, frozen=True):
    article: str
    body: str
    article_title: str | None = None
    article_url: str | None = None
    parent_id: int | None = None


class Posted(msgspec.Struct, frozen=True):
    comment: Comment
    replayed: bool


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


def preview_html(body: str) -> str:
    return rendering.render(rendering.check_body(body))


def check_article_key(key: str) -> str:
    check_article_keys((key,))
    return key


def check_article_keys(keys: Sequence[str]) -> None:
    if not all(1 <= len(key) <= MAX_ARTICLE_KEY for key in keys):
        raise Invalid(f"article: a key is 1 to {MAX_ARTICLE_KEY} characters.", field="article")
    rendering.check_text("".join(keys), "article")  # in one pass: a listing sends up to 100 keys


def _article_info(key: str, article: Article | None) -> ArticleInfo:
    if article is None:
        return ArticleInfo(key=key, title=None, url=None, comment_count=0, locked=False)
    return ArticleInfo(article.key, article.title, article.url, article.comment_count, article.locked)


def _viewer_state(context: ThreadContext) -> ViewerState:
    ban, locked = context.viewer_ban, context.article is not None and context.article.locked
    return ViewerState(
        can_post=ban is None and not locked,
        banned=ban is not None,
        edit_window_minutes=context.edit_window_minutes,
        banned_until=ban.until if ban else None,
        ban_reason=ban.reason if ban else None,
    )


def _banned(ban: Ban) -> Banned:
    until = f"until {ban.until:%Y-%m-%d %H:%M} UTC" if ban.until else "permanently"
    return Banned(
        f"You are banned from this site {until} ({ban.reason}): you can read but not post, vote or report.",
        until=ban.until,
        why=ban.reason,
    )


def _body_hash(body: str) -> bytes:
    """Spots the same text posted again, whatever the spacing or case."""
    return hashlib.sha256(" ".join(body.casefold().split()).encode()).digest()


def thread_scope(slug: str, key: str) -> str:
    """The cache scope of one article's thread (keys can be long: hashed)."""
    return f"thread:{slug}:{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def counts_scope(slug: str) -> str:
    return f"counts:{slug}"


def _stale_scopes(slug: str, key: str, counts: bool) -> tuple[str, ...]:
    """What a change to one article's comments makes stale: its thread, and the site's counts
    when the number of published comments moved."""
    return (thread_scope(slug, key), counts_scope(slug)) if counts else (thread_scope(slug, key),)


class Comments:
    def __init__(
        self,
        address_key: bytes,
        cache: GenerationalCache,
        db: asyncpg.Pool,
        batches_db: asyncpg.Pool,
    ) -> None:
        # Client addresses are stored only as keyed hashes.
        self._address_key = address_key
        # Pages as anonymous readers see them; signed-in readers see their own
        # votes and pending comments, so theirs are never cached.
        self._cache = cache
        self._db = db
        # Where posting's batched statements run (store.pool.create_batches_pool).
        self._batches_db = batches_db
        # Posts made at the same time read their contexts in one query and are written in one
        # statement (one commit): under load, one round trip each for many posts.
        self._contexts: Coalesced[comments.ContextQuery, comments.PostingContext | None] = Coalesced(
            self._read_contexts, POSTS_PER_BATCH
        )
        self._writes: Coalesced[tuple[str, comments.NewRow], CommentRow | None] = Coalesced(
            self._write, POSTS_PER_BATCH
        )

    async def thread_json(
        self,
        db: asyncpg.Pool,
        slug: str,
        key: str,
        viewer_id: int | None,
        sort: str,
        limit: int,
        cursor: str | None,
        replies_to: int | None,
    ) -> bytes:
        """The thread page as JSON (or, ``replies_to`` a top-level comment, its next replies),
        from the cache when an anonymous reader asks (a connection is taken from the pool only
        when PostgreSQL must be asked). Both are of the article's cache scope, which any change
        to its comments makes stale."""
        check_article_key(key)

        async def page() -> Computed:
            async with db.acquire() as conn:
                if replies_to is None:
                    thread = await self.thread(conn, slug, key, viewer_id, sort, limit, cursor)
                else:
                    thread = await self.replies(conn, slug, key, viewer_id, replies_to, cursor)
            # Redis keeps no page without comments: readers may ask about any key they make up.
            return Computed(msgspec.json.encode(thread), keep=bool(thread.comments))

        if viewer_id is not None:
            return (await page()).value
        variant = (
            f"{sort}:{limit}:{cursor or ''}"
            if replies_to is None
            else f"{REPLIES}:{replies_to}:{cursor or ''}"
        )
        return await self._cache.read_through(thread_scope(slug, key), variant, page)

    async def counts_json(self, db: asyncpg.Pool, slug: str, keys: list[str]) -> bytes:
        check_article_keys(keys)

        async def counted() -> Computed:
            async with db.acquire() as conn:
                counts = await self.counts(conn, slug, keys)
            return Computed(msgspec.json.encode(counts), keep=any(counts.values()))

        variant = hashlib.sha1(msgspec.json.encode(sorted(keys))).hexdigest()
        return await self._cache.read_through(counts_scope(slug), variant, counted)

    async def thread(
        self,
        conn: asyncpg.Connection,
        slug: str,
        key: str,
        viewer_id: int | None,
        sort: str,
        limit: int,
        cursor: str | None,
    ) -> Thread:
        """A thread page, built from PostgreSQL (the key checked by the caller)."""
        after = decode_cursor(sort, cursor) if cursor else None
        context = await articles.thread_context(conn, slug, key, viewer_id)
        if context is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        state = _viewer_state(context) if viewer_id is not None else None
        if context.article is None:
            return Thread(_article_info(key, None), [], None, state)
        viewer = Viewer(viewer_id, context.viewer_moderates)
        rows = await comments.page(
            conn, context.article.id, viewer_id, viewer.moderates, sort, after, limit, REPLIES_PER_PAGE
        )
        top_level = [row for row in rows if row.parent_id is None]
        next_cursor = encode_cursor(sort, top_level[limit - 1]) if len(top_level) > limit else None
        replies, cut = first_replies([row for row in rows if row.parent_id is not None], REPLIES_PER_PAGE)
        more = await self._more_replies(conn, viewer, cut)
        threads = build_threads(top_level[:limit], replies, viewer, more)
        return Thread(_article_info(key, context.article), threads, next_cursor, state)

    async def replies(
        self,
        conn: asyncpg.Connection,
        slug: str,
        key: str,
        viewer_id: int | None,
        root_id: int,
        cursor: str | None,
    ) -> Thread:
        """A top-level comment with its next replies after the cursor (its ``replies_cursor``),
        nested under their parents; each reply whose parent came in an earlier page comes with
        the comments above it (those the reader may not see as placeholders), for the widget to
        find where it hangs."""
        after = decode_cursor(REPLIES, cursor) if cursor else None
        context = await articles.thread_context(conn, slug, key, viewer_id)
        if context is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        viewer = Viewer(viewer_id, context.viewer_moderates)
        chunk, above = await comments.replies(
            conn, root_id, viewer_id, viewer.moderates, after[:2] if after else None, REPLIES_PER_PAGE
        )
        root = next((row for row in above if row.id == root_id), None)
        article = context.article
        if root is None or root.parent_id is not None or article is None or root.article_id != article.id:
            raise NotFound(NO_SUCH_COMMENT)
        replies, cut = first_replies(chunk, REPLIES_PER_PAGE)
        more = await self._more_replies(conn, viewer, cut)
        threads = build_threads([root], [row for row in above if row is not root] + replies, viewer, more)
        if not threads:  # a comment the reader may not see, with no reply they may
            raise NotFound(NO_SUCH_COMMENT)
        return Thread(_article_info(key, article), threads, None)

    async def _more_replies(
        self, conn: asyncpg.Connection, viewer: Viewer, cut: dict[int, CommentRow]
    ) -> dict[int, MoreReplies]:
        """By top-level comment, the replies this viewer may see after the last shown (``cut``)."""
        if not cut:
            return {}
        positions = [(root_id, last.created_at, last.id) for root_id, last in cut.items()]
        counts = await comments.replies_after(conn, viewer.user_id, viewer.moderates, positions)
        return {
            root_id: MoreReplies(count, encode_cursor(REPLIES, last))
            for (root_id, last), count in zip(cut.items(), counts, strict=True)
            if count
        }

    async def counts(self, conn: asyncpg.Connection, slug: str, keys: list[str]) -> dict[str, int]:
        """Public counts from PostgreSQL (the keys checked by the caller)."""
        site = await sites.get_site(conn, slug)
        if site is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        stored = await articles.counts(conn, site.id, keys)
        return {key: stored.get(key, 0) for key in keys}

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
            body_hash=_body_hash(body),
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
        used by a concurrent request): it wrote nothing, and the next pass reads again."""
        new = draft.new
        context = await self._contexts(
            comments.ContextQuery(
                slug, new.article, author_id, new.parent_id, draft.body_hash, draft.idempotency_key
            )
        )
        if context is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        if context.standing is None:
            raise Unauthorized("This account no longer exists.", reason=Reason.ACCOUNT_GONE)
        url = check_article_url(new.article_url, context.site.origins) if new.article_url else None
        if context.key_use is not None and draft.idempotency_key is not None:
            if not context.key_use.expired:
                return await self._replay(author_id, context.key_use, draft.request_hash)
            async with self._db.acquire() as conn:
                await comments.forget_expired_key(conn, author_id, draft.idempotency_key)
        if context.standing.ban is not None:
            raise _banned(context.standing.ban)
        if context.article is not None and context.article.locked:
            raise Forbidden(LOCKED, reason=Reason.LOCKED)
        parent = await self._parent(context, new.parent_id, author_id)
        held_because = policy.hold_reason(
            context.site, context.standing, body_html=draft.body_html, now=datetime.now(UTC)
        )
        title = draft.title
        if (
            context.article is None
            and (title or url)
            and not await self._moderates(author_id, context.site.id)
        ):
            # What everyone sees of an article is the site's to say: any client can send what the
            # widget would, so a reader's title and URL are not kept (moderators set them).
            title = url = None
        written = comments.NewRow(
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
            idempotency_key=draft.idempotency_key,
            request_hash=draft.request_hash,
        )
        try:
            row = await self._writes((slug, written))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != comments.IDEMPOTENCY_KEY_CONSTRAINT:
                raise
            return None  # the next pass finds the first request's comment and answers with it
        return None if row is None else Posted(shown(row, Viewer(author_id, False)), replayed=False)

    async def edit(self, conn: asyncpg.Connection, comment_id: int, editor_id: int, body: str) -> Comment:
        """An edit is judged like a new comment: refused to a banned author or on a locked article,
        and held by the same policy. A published comment the policy holds is hidden until a
        moderator decides (the text readers saw is not kept: the row has one text, and the counts
        follow its status); a held comment stays held, its item showing the new text."""
        body = rendering.check_body(body)
        body_html = rendering.render(body)
        body_hash = _body_hash(body)
        async with conn.transaction():
            # Taken first: a decision about this comment waits for the edit, or the edit for it.
            await comments.lock(conn, comment_id)
            context = await self._visible(conn, comment_id, editor_id)
            comment = context.comment
            if comment.author_id != editor_id:
                raise Forbidden("Only its author can edit a comment.")
            if comment.status == "deleted":
                raise NotFound(NO_SUCH_COMMENT)
            if comment.status not in ("approved", "pending"):
                raise Forbidden(
                    "A comment removed by a moderator can no longer be edited.", reason=Reason.REMOVED
                )
            window = timedelta(minutes=context.edit_window_minutes)
            if datetime.now(UTC) - comment.created_at > window:
                raise EditWindowClosed(
                    f"A comment can be edited for {context.edit_window_minutes} minutes after posting.",
                    minutes=context.edit_window_minutes,
                )
            site, standing = await comments.editing_standing(conn, comment_id, body_hash)
            if standing.ban is not None:
                raise _banned(standing.ban)
            if context.article_locked:
                raise Forbidden(LOCKED, reason=Reason.LOCKED)
            held_because = policy.hold_reason(site, standing, body_html=body_html, now=datetime.now(UTC))
            status = "pending" if held_because else comment.status
            await comments.update_body(conn, comment_id, body, body_html, body_hash, status, held_because)
            if status == "pending":
                await moderation.hold(conn, context.site_id, comment_id)
            row = await comments.get_one(conn, comment_id, editor_id, context.viewer_moderates)
        await self._changed(context.site_slug, context.article_key, counts=status != comment.status)
        return shown(row, Viewer(editor_id, context.viewer_moderates))

    async def delete(self, conn: asyncpg.Connection, comment_id: int, user_id: int) -> None:
        async with conn.transaction():
            context = await self._visible(conn, comment_id, user_id)
            comment = context.comment
            if comment.author_id != user_id and not context.viewer_moderates:
                raise Forbidden("Only its author or a moderator can delete a comment.")
            if comment.status == "deleted":
                return
            # Guarded: of two racing deletions only one changes it (the count follows, in the database).
            if not await comments.change_status(conn, comment_id, comment.status, "deleted"):
                return
            if comment.author_id != user_id:  # a moderator's deletion is a moderation action
                await moderation.close_open_items(conn, comment_id, user_id, "reject")
                await moderation.record(
                    conn,
                    site_id=context.site_id,
                    actor_id=user_id,
                    action="delete",
                    comment_id=comment_id,
                    target_user_id=comment.author_id,
                    article_key=context.article_key,
                )
        await self._changed(context.site_slug, context.article_key, counts=comment.status == "approved")

    async def vote(self, conn: asyncpg.Connection, comment_id: int, user_id: int, value: int) -> int:
        async with conn.transaction():
            context = await self._to_react_to(conn, comment_id, user_id, "vote on", "voted on")
            score = await comments.set_vote(conn, comment_id, user_id, value)
        await self._changed(context.site_slug, context.article_key)
        return score

    async def report(
        self, conn: asyncpg.Connection, comment_id: int, user_id: int, reason: str, note: str | None
    ) -> None:
        if note is not None:
            rendering.check_text(note, "note")
        async with conn.transaction():
            context = await self._to_react_to(conn, comment_id, user_id, "report", "reported")
            if not await comments.insert_report(conn, comment_id, user_id, reason, note or None):
                raise Conflict("You have already reported this comment.", reason=Reason.ALREADY_REPORTED)
            if await moderation.distinct_reporters(conn, comment_id) >= context.report_threshold:
                # Once open, the item shows every report, later ones included.
                await moderation.open_item(conn, context.site_id, comment_id, "reported")

    async def _changed(self, slug: str, key: str, counts: bool = False) -> None:
        """After a commit: what anonymous readers were served of this article (and the site's counts) is stale."""
        await self._cache.invalidate(*_stale_scopes(slug, key, counts))

    async def _to_react_to(
        self, conn: asyncpg.Connection, comment_id: int, user_id: int, act: str, acted: str
    ) -> CommentContext:
        """The comment a reader votes on or reports: published, someone else's, and the reader not banned."""
        context = await self._visible(conn, comment_id, user_id)
        if context.comment.status != "approved":
            raise Forbidden(f"Only published comments can be {acted}.")
        if context.comment.author_id == user_id:
            raise Forbidden(f"You cannot {act} your own comment.")
        await self._not_banned(conn, context.site_id, user_id)
        return context

    async def _not_banned(self, conn: asyncpg.Connection, site_id: int, user_id: int) -> None:
        ban = await moderation.active_ban(conn, site_id, user_id)
        if ban is not None:
            raise _banned(ban)

    async def _visible(self, conn: asyncpg.Connection, comment_id: int, viewer_id: int) -> CommentContext:
        """The comment, if this viewer may see it; otherwise it does not exist for them."""
        context = await comments.context(conn, comment_id, viewer_id)
        if context is None or not can_see(context.comment, Viewer(viewer_id, context.viewer_moderates)):
            raise NotFound(NO_SUCH_COMMENT)
        return context

    async def _parent(
        self,
        context: comments.PostingContext,
        parent_id: int | None,
        author_id: int,
    ) -> Parent | None:
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
            async with self._db.acquire() as conn:
                return await comments.ancestor_at_depth(conn, parent.id, max_depth - 1)
        return parent

    async def _replay(self, author_id: int, key_use: comments.KeyUse, request_hash: bytes | None) -> Posted:
        """The first result of a request sent again with the same Idempotency-Key."""
        if key_use.request_hash != request_hash or key_use.comment_id is None:
            raise Unprocessable("This Idempotency-Key was already used for a different request.")
        async with self._db.acquire() as conn:
            row = await comments.get_one(conn, key_use.comment_id, author_id, False)
        return Posted(shown(row, Viewer(author_id, False)), replayed=True)

    async def _write(
        self, posts: Sequence[tuple[str, comments.NewRow]]
    ) -> list[CommentRow | None | Exception]:
        """Writes the posts (each with its site's slug) and, once committed, marks what readers
        were served of their articles as stale, once for the whole batch."""
        rows = [row for _, row in posts]
        async with self._batches_db.acquire() as conn:
            written = await self._insert(conn, rows)
        stale = {
            scope
            for (slug, row), comment in zip(posts, written, strict=True)
            if isinstance(comment, CommentRow)
            for scope in _stale_scopes(slug, row.article_key, counts=comment.status == "approved")
        }
        if stale:
            await self._cache.invalidate(*stale)
        return written

    async def _insert(
        self, conn: asyncpg.Connection, rows: Sequence[comments.NewRow]
    ) -> list[CommentRow | None | Exception]:
        try:
            return await comments.insert(conn, rows)
        except asyncpg.PostgresError as exc:
            if len(rows) == 1 or isinstance(exc, UNAVAILABLE_ERRORS):
                raise
        # One comment failed the statement (an Idempotency-Key used twice, a deadlock): each
        # is written on its own, so only that one's poster sees the error.
        written: list[CommentRow | None | Exception] = []
        for row in rows:
            try:
                written += await comments.insert(conn, [row])
            except asyncpg.PostgresError as exc:
                if isinstance(exc, UNAVAILABLE_ERRORS):
                    raise
                written.append(exc)
        return written

    async def _read_contexts(
        self, queries: Sequence[comments.ContextQuery]
    ) -> list[comments.PostingContext | None]:
        async with self._batches_db.acquire() as conn:
            return await comments.posting_contexts(conn, queries, policy.NEW_ACCOUNT)

    async def _moderates(self, user_id: int, site_id: int) -> bool:
        async with self._db.acquire() as conn:
            return await users.moderates(conn, user_id, site_id)

    def _hash_address(self, address: str) -> bytes:
        return hmac.digest(self._address_key, address.encode("utf-8", "replace"), "sha256")[:16]
