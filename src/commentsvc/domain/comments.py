"""Comments: reading threads and counts, editing (and reading what edits replaced), deleting,
voting, reporting (posting and replying are domain.posting's)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, NamedTuple

import asyncpg
import msgspec

from commentsvc.batching import Coalesced
from commentsvc.domain import policy, rendering
from commentsvc.domain.cached_pages import counts_scope, thread_scope
from commentsvc.domain.events import Dispatcher
from commentsvc.domain.reading import Reading
from commentsvc.domain.threads import (
    REPLIES,
    REPLIES_PER_PAGE,
    AppealState,
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
)
from commentsvc.kv.cache import Computed, GenerationalCache
from commentsvc.model.articles import Article, ReaderAsked, ReaderContext, ReaderPart, ThreadContext
from commentsvc.model.comments import CommentContext, OwnComment, StoredComment, Version
from commentsvc.model.events import CommentReported, CommentVoted, EventType, NewEvent, comment_event
from commentsvc.model.moderation import Ban
from commentsvc.store import articles, comments, moderation, sites
from commentsvc.store.pool import connection

NO_SUCH_SITE = "There is no site named {slug!r}."
NO_SUCH_COMMENT = "There is no such comment."
LOCKED = "This article is closed to new comments."
MAX_ARTICLE_KEY = 512
# At most this many signed-in readers' parts of threads in one query.
READERS_PER_QUERY = 64


class ArticleInfo(msgspec.Struct, frozen=True):
    key: str
    title: str | None
    url: str | None
    comment_count: int
    locked: bool


class OwnPart(msgspec.Struct, frozen=True, omit_defaults=True):
    """What of a published comment of theirs only its author is shown, as in ``Comment``."""

    body: str
    moderation_reason: str | None = None
    appeal: AppealState | None = None


class ViewerState(msgspec.Struct, frozen=True, omit_defaults=True):
    """What the signed-in reader may do on the article, so a client offers only that: sent in
    their own pages only (never cached). ``banned_until`` is absent for a permanent ban;
    ``ban_reason`` is the moderator's, which the banned reader is shown. ``votes`` and ``own``
    come with a page asked for with ``overlay=true`` and served as every reader shares it."""

    can_post: bool
    banned: bool
    edit_window_minutes: int
    banned_until: datetime | None = None
    ban_reason: str | None = None
    votes: Annotated[
        dict[int, int] | None,
        msgspec.Meta(
            description=(
                "The page is the one every reader (every moderator, for a moderator) shares: each"
                " comment's `my_vote` is this reader's vote here (by comment id; 0 when absent)."
            )
        ),
    ] = None
    own: Annotated[
        dict[int, OwnPart] | None,
        msgspec.Meta(
            description=(
                "With `votes`: by comment id, what of the reader's published comments on the article"
                " only their author is shown (`body`, `moderation_reason`, `appeal`), to be set on"
                " those comments."
            )
        ),
    ] = None


class Thread(msgspec.Struct, frozen=True, omit_defaults=True):
    article: ArticleInfo
    comments: list[Comment]
    next_cursor: str | None
    # Only for a signed-in reader.
    viewer: ViewerState | None = None


class ThreadPage(NamedTuple):
    """A thread page's JSON: ``page``, the very bytes every reader it is shared by gets (from the
    cache), and for a signed-in reader served a shared page, ``ending``: what their page has in
    place of its last byte (the closing brace), their ``viewer`` and the brace. Kept apart so the
    shared part's gzipped form can be kept too (api.compression)."""

    page: bytes
    ending: bytes | None = None


class NewComment(msgspec.Struct, frozen=True):
    article: str
    body: str
    article_title: str | None = None
    article_url: str | None = None
    parent_id: int | None = None


class Posted(msgspec.Struct, frozen=True):
    comment: Comment
    replayed: bool


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


def _viewer_state(context: ThreadContext, part: ReaderPart | None = None) -> ViewerState:
    """``part`` given, the reader's own part of the thread comes with it, for a shared page."""
    ban, locked = context.viewer_ban, context.article is not None and context.article.locked
    votes, own = None, None
    if part is not None:
        # The moderators' shared page shows every comment, with its source, reasons and appeal;
        # the readers' shows only published ones (a vote on another is not shown).
        moderates = context.viewer_moderates
        votes = {vote.comment_id: vote.value for vote in part.votes if vote.published or moderates}
        own = {} if moderates else {mine.id: _own_part(mine) for mine in part.own}
    return ViewerState(
        can_post=ban is None and not locked,
        banned=ban is not None,
        edit_window_minutes=context.edit_window_minutes,
        banned_until=ban.until if ban else None,
        ban_reason=ban.reason if ban else None,
        votes=votes,
        own=own,
    )


def _own_part(mine: OwnComment) -> OwnPart:
    appeal = AppealState(mine.appeal, mine.appeal_reason) if mine.appeal else None
    return OwnPart(mine.body, mine.moderation_reason, appeal)


def _with_viewer(page: bytes, state: ViewerState) -> ThreadPage:
    """A shared page (a Thread's JSON object, which has no ``viewer``) with the reader's added."""
    return ThreadPage(page, b',"viewer":%s}' % msgspec.json.encode(state))


def banned(ban: Ban) -> Banned:
    until = f"until {ban.until:%Y-%m-%d %H:%M} UTC" if ban.until else "permanently"
    return Banned(
        f"You are banned from this site {until} ({ban.reason}): you can read but not post, vote or report.",
        until=ban.until,
        why=ban.reason,
    )


def _comment_event(type: EventType, context: CommentContext, status: str) -> NewEvent:
    comment = context.comment
    return comment_event(
        type, context.site_id, comment.article_id, comment.id, comment.parent_id, status, comment.status
    )


def body_hash(body: str) -> bytes:
    """Spots the same text posted again, whatever the spacing or case."""
    return hashlib.sha256(" ".join(body.casefold().split()).encode()).digest()


class Comments:
    """Every method takes its connection from the pool it was given, and only once it knows
    PostgreSQL must be asked (a page the cache has costs none); pages and counts are read
    through ``reading`` (a replica's, unless they changed lately). Each change records its event;
    what follows from it (stale pages, the moderation queue) is its subscribers'."""

    def __init__(
        self, cache: GenerationalCache, db: asyncpg.Pool, events: Dispatcher, reading: Reading
    ) -> None:
        # Pages as every reader (and every moderator) shares them; what is one reader's own
        # (votes, sources, held comments) is never cached.
        self._cache = cache
        self._db = db
        self._events = events
        self._reading = reading
        # Signed-in readers' parts of threads asked for at the same moment are read together.
        self._readers = Coalesced(self._reader_contexts, READERS_PER_QUERY)

    async def thread_json(
        self,
        slug: str,
        key: str,
        viewer_id: int | None,
        sort: str,
        limit: int,
        cursor: str | None,
        replies_to: int | None,
        overlay: bool = False,
    ) -> ThreadPage:
        """The thread page as JSON (or, ``replies_to`` a top-level comment, its next replies),
        from the cache when an anonymous reader asks (a connection is taken from the pool only
        when PostgreSQL must be asked). Both are of the article's cache scope, which any change
        to its comments makes stale.

        A signed-in reader's page is built for them, or, ``overlay``, is the page every reader
        shares (every moderator, for a moderator), from the cache, with their own part of the
        thread in its ``viewer`` (one query). A reader with comments there that only they may see
        (held, removed...) has a page of another shape: theirs is built for them all the same."""
        check_article_key(key)
        scope = thread_scope(slug, key)
        variant = (
            f"{sort}:{limit}:{cursor or ''}"
            if replies_to is None
            else f"{REPLIES}:{replies_to}:{cursor or ''}"
        )

        async def page(reader_id: int | None, moderators: bool = False) -> Computed:
            async def read(conn: asyncpg.Connection) -> Thread:
                if replies_to is None:
                    return await self._thread(conn, slug, key, reader_id, sort, limit, cursor, moderators)
                return await self._replies(conn, slug, key, reader_id, replies_to, cursor, moderators)

            thread = await self._reading.run(read, scope)
            # Redis keeps no page without comments: readers may ask about any key they make up.
            return Computed(msgspec.json.encode(thread), keep=bool(thread.comments))

        if viewer_id is None:
            return ThreadPage(await self._cache.read_through(scope, variant, lambda: page(None)))
        if overlay:
            reader = await self._readers(ReaderAsked(slug, key, viewer_id))
            if reader is None:
                raise NotFound(NO_SUCH_SITE.format(slug=slug))
            moderates = reader.context.viewer_moderates
            if moderates or not reader.part.unpublished:
                shared = await self._cache.read_through(
                    scope, f"moderators:{variant}" if moderates else variant, lambda: page(None, moderates)
                )
                return _with_viewer(shared, _viewer_state(reader.context, reader.part))
        return ThreadPage((await page(viewer_id)).value)

    async def _reader_contexts(self, asked: Sequence[ReaderAsked]) -> list[ReaderContext | None]:
        scopes = sorted({thread_scope(one.slug, one.key) for one in asked})
        return await self._reading.run(lambda conn: comments.reader_contexts(conn, asked), *scopes)

    async def counts_json(self, slug: str, keys: list[str]) -> bytes:
        check_article_keys(keys)

        async def counted() -> Computed:
            counts = await self._reading.run(lambda conn: self._counts(conn, slug, keys), counts_scope(slug))
            return Computed(msgspec.json.encode(counts), keep=any(counts.values()))

        variant = hashlib.sha1(msgspec.json.encode(sorted(keys))).hexdigest()
        return await self._cache.read_through(counts_scope(slug), variant, counted)

    async def _thread(
        self,
        conn: asyncpg.Connection,
        slug: str,
        key: str,
        viewer_id: int | None,
        sort: str,
        limit: int,
        cursor: str | None,
        moderators: bool = False,
    ) -> Thread:
        """A thread page, built from PostgreSQL (the key checked by the caller); ``moderators``,
        as a moderator sees it."""
        after = decode_cursor(sort, cursor) if cursor else None
        context = await articles.thread_context(conn, slug, key, viewer_id)
        if context is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        state = _viewer_state(context) if viewer_id is not None else None
        if context.article is None:
            return Thread(_article_info(key, None), [], None, state)
        viewer = Viewer(viewer_id, moderators or context.viewer_moderates)
        rows = await comments.page(
            conn, context.article.id, viewer_id, viewer.moderates, sort, after, limit, REPLIES_PER_PAGE
        )
        top_level = [row for row in rows if row.parent_id is None]
        next_cursor = encode_cursor(sort, top_level[limit - 1]) if len(top_level) > limit else None
        replies, cut = first_replies([row for row in rows if row.parent_id is not None], REPLIES_PER_PAGE)
        more = await self._more_replies(conn, viewer, cut)
        threads = build_threads(top_level[:limit], replies, viewer, more)
        return Thread(_article_info(key, context.article), threads, next_cursor, state)

    async def _replies(
        self,
        conn: asyncpg.Connection,
        slug: str,
        key: str,
        viewer_id: int | None,
        root_id: int,
        cursor: str | None,
        moderators: bool = False,
    ) -> Thread:
        """A top-level comment with its next replies after the cursor (its ``replies_cursor``),
        nested under their parents; each reply whose parent came in an earlier page comes with
        the comments above it (those the reader may not see as placeholders), for the widget to
        find where it hangs."""
        after = decode_cursor(REPLIES, cursor) if cursor else None
        context = await articles.thread_context(conn, slug, key, viewer_id)
        if context is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        viewer = Viewer(viewer_id, moderators or context.viewer_moderates)
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
        self, conn: asyncpg.Connection, viewer: Viewer, cut: dict[int, StoredComment]
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

    async def _counts(self, conn: asyncpg.Connection, slug: str, keys: list[str]) -> dict[str, int]:
        """Public counts from PostgreSQL (the keys checked by the caller)."""
        site = await sites.get_site(conn, slug)
        if site is None:
            raise NotFound(NO_SUCH_SITE.format(slug=slug))
        stored = await articles.counts(conn, site.id, keys)
        return {key: stored.get(key, 0) for key in keys}

    async def edit(self, comment_id: int, editor_id: int, body: str) -> Comment:
        """An edit is judged like a new comment: refused to a banned author or on a locked article,
        and held by the same policy. A published comment the policy holds is hidden until a
        moderator decides (the text readers saw is not kept: the row has one text, and the counts
        follow its status); a held comment stays held, its item showing the new text."""
        body = rendering.check_body(body)
        body_html = rendering.render(body)
        new_hash = body_hash(body)
        async with connection(self._db) as conn, self._events.transaction(conn) as change:
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
            site, standing = await comments.editing_standing(conn, comment_id, new_hash)
            if standing.ban is not None:
                raise banned(standing.ban)
            if context.article_locked:
                raise Forbidden(LOCKED, reason=Reason.LOCKED)
            found = policy.findings(site, standing, body_html=body_html, now=datetime.now(UTC))
            status = "pending" if found else comment.status
            await comments.update_body(
                conn, comment_id, body, body_html, new_hash, status, policy.hold_reason(found), found
            )
            if status == "pending":
                await moderation.hold(conn, context.site_id, comment_id)
            await change.record(_comment_event(EventType.COMMENT_EDITED, context, status))
            row = await comments.get_one(conn, comment_id, editor_id, context.viewer_moderates)
        return shown(row, Viewer(editor_id, context.viewer_moderates))

    async def history(self, comment_id: int, viewer_id: int) -> list[Version]:
        """Every text of the comment, oldest first, the current one last: for its author and the
        site's moderators (what an edit withdrew is not for everyone)."""
        async with connection(self._db) as conn:
            context = await self._visible(conn, comment_id, viewer_id)
            if context.comment.author_id != viewer_id and not context.viewer_moderates:
                raise Forbidden(
                    "Only its author and the site's moderators can read a comment's earlier versions."
                )
            return await comments.versions(conn, comment_id)

    async def delete(self, comment_id: int, user_id: int) -> None:
        async with connection(self._db) as conn, self._events.transaction(conn) as change:
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
            await change.record(_comment_event(EventType.COMMENT_DELETED, context, "deleted"))

    async def vote(self, comment_id: int, user_id: int, value: int) -> int:
        async with connection(self._db) as conn, self._events.transaction(conn) as change:
            context = await self._to_react_to(conn, comment_id, user_id, "vote on", "voted on")
            score = await comments.set_vote(conn, comment_id, user_id, value)
            await change.record(
                NewEvent(
                    EventType.COMMENT_VOTED,
                    context.site_id,
                    context.comment.article_id,
                    CommentVoted(comment_id, score),
                )
            )
        return score

    async def report(self, comment_id: int, user_id: int, reason: str, note: str | None) -> None:
        if note is not None:
            rendering.check_text(note, "note")
        async with connection(self._db) as conn, self._events.transaction(conn) as change:
            context = await self._to_react_to(conn, comment_id, user_id, "report", "reported")
            if not await comments.insert_report(conn, comment_id, user_id, reason, note or None):
                raise Conflict("You have already reported this comment.", reason=Reason.ALREADY_REPORTED)
            opened = await moderation.distinct_reporters(conn, comment_id) >= context.report_threshold
            if opened:
                # Once open, the item shows every report, later ones included.
                await moderation.open_item(conn, context.site_id, comment_id, "reported")
            await change.record(
                NewEvent(
                    EventType.COMMENT_REPORTED,
                    context.site_id,
                    context.comment.article_id,
                    CommentReported(comment_id, item_opened=opened),
                )
            )

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
            raise banned(ban)

    async def _visible(self, conn: asyncpg.Connection, comment_id: int, viewer_id: int) -> CommentContext:
        """The comment, if this viewer may see it; otherwise it does not exist for them."""
        context = await comments.context(conn, comment_id, viewer_id)
        if context is None or not can_see(context.comment, Viewer(viewer_id, context.viewer_moderates)):
            raise NotFound(NO_SUCH_COMMENT)
        return context
