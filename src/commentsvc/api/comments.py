"""Comments: threads, posting, editing (and the versions edits replaced), deleting, votes, reports,
appeals against removals and counts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from commentsvc.api.compression import page_response
from commentsvc.api.deps import AppealsService, Caller, CommentsService
from commentsvc.api.errors import error_responses
from commentsvc.api.limits import client_address, rate_limit
from commentsvc.api.security import (
    guard_then,
    provide_principal,
    provide_viewer,
    refuses_bad_token,
    requires_token,
    requires_user,
)
from commentsvc.domain.appeals import MAX_TEXT as MAX_APPEAL_TEXT
from commentsvc.domain.articles import MAX_TITLE, MAX_URL
from commentsvc.domain.comments import MAX_ARTICLE_KEY, NewComment, Thread, preview_html
from commentsvc.domain.rendering import MAX_BODY_CHARS
from commentsvc.domain.sites import SLUG
from commentsvc.domain.threads import Comment
from commentsvc.model.comments import Version

SITE = Annotated[str, PathParameter(pattern=SLUG.pattern, description="The site's slug.")]
COUNTS_CACHE_CONTROL = "public, max-age=10, stale-while-revalidate=30"
IDEMPOTENCY_KEY_MAX = 255


class NewCommentIn(msgspec.Struct, forbid_unknown_fields=True):
    article: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ARTICLE_KEY)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY_CHARS)]
    article_title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE)] | None = None
    article_url: Annotated[str, msgspec.Meta(max_length=MAX_URL)] | None = None
    parent_id: Annotated[int, msgspec.Meta(ge=1, le=2**62)] | None = None


class EditIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY_CHARS)]


class VoteIn(msgspec.Struct, forbid_unknown_fields=True):
    value: Literal[-1, 0, 1]


class ScoreOut(msgspec.Struct):
    score: int


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Literal["spam", "abuse", "off_topic", "other"]
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


COMMENT_ID = Annotated[int, PathParameter(ge=1, le=2**62, description="The comment's id.")]


class HistoryOut(msgspec.Struct):
    versions: Annotated[
        list[Version],
        msgspec.Meta(
            description=(
                "Every text the comment had, oldest first, the current one last; `edited_at` is when"
                " an edit wrote it, null for the text as first posted."
            )
        ),
    ]


class AppealIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_APPEAL_TEXT)]


class SiteCommentsController(Controller):
    path = "/api/v1/sites/{site:str}"
    tags = ["comments"]

    @get(
        "/comments",
        before_request=guard_then(refuses_bad_token, rate_limit(address="read")),
        responses=error_responses(400, 401, 404, 429, 503),
    )
    # The two hottest routes take their services from the app's state rather than as injected
    # dependencies: Litestar resolves several dependencies in a task group of their own, which
    # costs these mostly cached reads more than serving the page does.
    async def thread(
        self,
        request: Request,
        site: SITE,
        article: Annotated[
            str, QueryParameter(min_length=1, max_length=MAX_ARTICLE_KEY, description="The host site's key.")
        ],
        sort: Annotated[Literal["oldest", "newest", "top"], QueryParameter()] = "oldest",
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        replies_to: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=2**62,
                description=(
                    "A top-level comment's id: that comment alone, with its next replies (from its"
                    " `replies_cursor`, given as `cursor`) instead of a page of top-level comments."
                ),
            ),
        ] = None,
        overlay: Annotated[
            bool,
            QueryParameter(
                description=(
                    "Signed in: the page every reader shares (every moderator, for a moderator),"
                    " served faster, with what is the reader's own in `viewer.votes` and"
                    " `viewer.own` instead of in the comments. A reader with comments on the"
                    " article only they may see gets their own page, without `viewer.votes`."
                )
            ),
        ] = False,
    ) -> Response[Thread]:
        """A page of top-level comments, each with its first replies nested (`more_replies`
        and `replies_cursor` lead to the rest of a long thread, through `replies_to`); an
        article nobody has commented on is an empty thread."""
        viewer = provide_viewer(request)
        viewer_id = viewer.user_id if viewer else None
        state = request.app.state
        thread = await state.comments.thread_json(
            site, article, viewer_id, sort, limit, cursor, replies_to, overlay
        )
        # Already JSON, and from the cache when shared: by every anonymous reader, and with their
        # own ending by signed-in readers asking for `overlay`.
        return page_response(request, thread.page, shared=viewer is None, ending=thread.ending)

    @post(
        "/comments",
        before_request=guard_then(requires_token, rate_limit(address="post", user="post_user")),
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 403, 404, 422, 413, 415, 429, 503),
    )
    async def post_comment(
        self,
        request: Request,
        site: SITE,
        data: JSONBody[NewCommentIn],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                min_length=1,
                max_length=IDEMPOTENCY_KEY_MAX,
                description="Retrying with the same key returns the first result instead of posting twice.",
            ),
        ] = None,
    ) -> Response[Comment]:
        """Post a comment or a reply; its `status` says whether it is published or awaits moderation."""
        new = NewComment(data.article, data.body, data.article_title, data.article_url, data.parent_id)
        state = request.app.state
        address = client_address(request, state.settings.trusted_proxies)
        principal = provide_principal(request)
        posted = await state.posting.post(site, principal.user_id, new, address, idempotency_key)
        headers = {"Idempotent-Replayed": "true"} if posted.replayed else {}
        return Response(posted.comment, status_code=201, headers=headers)

    @get(
        "/counts",
        before_request=rate_limit(address="read"),
        responses=error_responses(400, 404, 429, 503),
    )
    async def counts(
        self,
        request: Request,
        site: SITE,
        article: Annotated[
            list[str], QueryParameter(min_items=1, max_items=100, description="1 to 100 article keys.")
        ],
    ) -> Response[dict[str, int]]:
        """Public comment counts of up to 100 articles, in one request."""
        state = request.app.state
        counted = await state.comments.counts_json(site, article)
        return page_response(request, counted, shared=True, headers={"Cache-Control": COUNTS_CACHE_CONTROL})


class PreviewIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_BODY_CHARS)]


class PreviewOut(msgspec.Struct):
    body_html: str


@post(
    "/api/v1/preview",
    status_code=200,
    tags=["comments"],
    guards=[requires_user],
    security=[{"bearer": []}],
    before_request=rate_limit(user="edit_user"),
    responses=error_responses(400, 401, 413, 415, 429),
)
async def preview(data: JSONBody[PreviewIn]) -> PreviewOut:
    """What a comment would look like, rendered and sanitised exactly as when it is posted."""
    return PreviewOut(preview_html(data.body))


class CommentController(Controller):
    path = "/api/v1/comments/{id:int}"
    tags = ["comments"]
    guards = [requires_user]
    security = [{"bearer": []}]

    @patch(
        "",
        before_request=rate_limit(user="edit_user"),
        responses=error_responses(400, 401, 403, 404, 413, 415, 429, 503),
    )
    async def edit(
        self,
        id: COMMENT_ID,
        data: JSONBody[EditIn],
        principal: Caller,
        comments: CommentsService,
    ) -> Comment:
        """Change a comment's text: its author only, within the site's edit window, and not once a
        moderator removed it. The new text is judged like a new comment's: a banned author or a
        locked article gets 403, and text the site's policy holds makes the comment `pending`
        (hidden from readers) until a moderator decides."""
        return await comments.edit(id, principal.user_id, data.body)

    @delete(
        "",
        before_request=rate_limit(user="edit_user"),
        responses=error_responses(400, 401, 403, 404, 429, 503),
    )
    async def delete_comment(self, id: COMMENT_ID, principal: Caller, comments: CommentsService) -> None:
        """Delete a comment (its author or a moderator). With replies it stays as a placeholder."""
        await comments.delete(id, principal.user_id)

    @put(
        "/vote",
        before_request=rate_limit(user="vote_user"),
        responses=error_responses(400, 401, 403, 404, 413, 415, 429, 503),
    )
    async def vote(
        self,
        id: COMMENT_ID,
        data: JSONBody[VoteIn],
        principal: Caller,
        comments: CommentsService,
    ) -> ScoreOut:
        """Vote a published comment up (1) or down (-1), or withdraw the vote (0)."""
        return ScoreOut(await comments.vote(id, principal.user_id, data.value))

    @post(
        "/reports",
        status_code=202,
        before_request=rate_limit(user="report_user"),
        responses=error_responses(400, 401, 403, 404, 409, 413, 415, 429, 503),
    )
    async def report(
        self,
        id: COMMENT_ID,
        data: JSONBody[ReportIn],
        principal: Caller,
        comments: CommentsService,
    ) -> None:
        """Report a published comment to the site's moderators, once per reader."""
        await comments.report(id, principal.user_id, data.reason, data.note)

    @get(
        "/history",
        before_request=rate_limit(address="read"),
        responses=error_responses(400, 401, 403, 404, 429, 503),
    )
    async def history(self, id: COMMENT_ID, principal: Caller, comments: CommentsService) -> HistoryOut:
        """Every version of a comment's text, the current one included: for its author and the
        site's moderators."""
        return HistoryOut(await comments.history(id, principal.user_id))

    @post(
        "/appeal",
        status_code=202,
        before_request=rate_limit(user="report_user"),
        responses=error_responses(400, 401, 403, 404, 409, 413, 415, 429, 503),
    )
    async def appeal(
        self, id: COMMENT_ID, data: JSONBody[AppealIn], principal: Caller, appeals: AppealsService
    ) -> None:
        """Contest the removal of one's own comment (rejected or marked as spam by a moderator),
        once: the appeal enters the site's moderation queue as an item of kind `appeal`, which the
        moderator who removed the comment cannot decide. Its outcome (`appeal` on the comment, and
        an e-mail) comes with the deciding moderator's reason."""
        await appeals.appeal(id, principal.user_id, data.text)
