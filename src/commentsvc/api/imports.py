"""Imports from the dashboard, for the site's owners: upload another system's export (queued and
imported in the background), follow its progress, read its summary or why it failed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import PathParameter, QueryParameter

from commentsvc.api.deps import Caller, Conn, Pool
from commentsvc.api.errors import error_responses
from commentsvc.api.moderation import SITE
from commentsvc.api.security import UPLOAD_BODY, UPLOAD_TYPE, requires_user
from commentsvc.domain.import_jobs import ImportJobs
from commentsvc.model.import_jobs import ImportJob
from commentsvc.model.imports import KeyMode, Source

ImportsService = NamedDependency[ImportJobs]


def _one_of(choices: type[StrEnum]) -> str:
    """A pattern for a choice: unlike an enum's, its refusal does not repeat what was sent."""
    return f"^({'|'.join(choices)})$"


def provide_imports(state: State) -> ImportJobs:
    return state.imports


@dataclass
class FileUpload(Operation):
    """The upload's body is the file itself, which Litestar cannot tell from the handler."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={
                UPLOAD_TYPE: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                )
            },
            description="The export file, as the other system wrote it.",
            required=True,
        )


class ImportsOut(msgspec.Struct):
    imports: list[ImportJob]


class SiteImportsController(Controller):
    path = "/api/v1/sites/{site:str}/imports"
    tags = ["imports"]
    guards = [requires_user]
    security = [{"bearer": []}]
    dependencies = {"imports": Provide(provide_imports, sync_to_thread=False)}

    @post(
        status_code=202,
        request_max_body_size=None,  # the import's own limit (COMMENTSVC_IMPORT_MAX_BYTES), while streaming
        opt={UPLOAD_BODY: True},
        operation_class=FileUpload,
        responses=error_responses(400, 401, 403, 404, 413, 415, 503),
    )
    async def start(
        self,
        site: SITE,
        format: Annotated[
            str,
            QueryParameter(
                pattern=_one_of(Source),
                description=f"The system the file was exported from: {', '.join(Source)}.",
            ),
        ],
        request: Request,
        principal: Caller,
        db: Pool,
        imports: ImportsService,
        key: Annotated[
            str,
            QueryParameter(
                pattern=_one_of(KeyMode),
                description=f"What an imported thread's article key is made of, of {', '.join(KeyMode)} "
                "(default: its URL's path).",
            ),
        ] = KeyMode.PATH.value,
    ) -> ImportJob:
        """Upload an export (Disqus or WordPress XML, an Isso database, a Remark42 backup) as the
        request body, with `Content-Type: application/octet-stream`, to import into the site
        (its owners and admins only). The import runs in the background: follow it at
        `GET …/imports/{id}`."""
        return await imports.start(
            db,
            site,
            principal.user_id,
            Source(format),
            KeyMode(key),
            request.content_length,
            request.stream(),
        )

    @get(responses=error_responses(400, 401, 403, 404, 503))
    async def listing(self, site: SITE, principal: Caller, conn: Conn, imports: ImportsService) -> ImportsOut:
        """The site's latest imports (100 at most), the newest first."""
        return ImportsOut(await imports.listing(conn, site, principal.user_id))

    @get("/{id:int}", responses=error_responses(400, 401, 403, 404, 503))
    async def one(
        self,
        site: SITE,
        id: Annotated[int, PathParameter(ge=1, le=2**62, description="The import's id.")],
        principal: Caller,
        conn: Conn,
        imports: ImportsService,
    ) -> ImportJob:
        """An import: `queued`, `running` (with `records_read`), `done` (with its `summary`) or
        `failed` (with its `failure`, a sentence)."""
        return await imports.get(conn, site, principal.user_id, id)
