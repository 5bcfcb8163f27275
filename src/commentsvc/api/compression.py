"""Pages (JSON, a thread's HTML fragment, feeds) gzipped for clients that accept it: a thread page
is large and shrinks several times over, which is what a reader on a phone waits for
(bench/README.md, "Figures behind the code").

Pages shared by every anonymous reader come back from the cache as the very same bytes object
on every hit, so their compressed form is kept beside them (keyed by the page itself: CPython
keeps a bytes object's hash, and equal pages compare by identity first), compressed once per
process and change. A page made for one reader is compressed for that request only, faster, and
kept by no cache: it carries what only that reader may see (source text, pending comments, votes)."""

from __future__ import annotations

import gzip
from collections import OrderedDict

from litestar import MediaType, Request, Response

# Below this, gzip's own header and the work are not worth it.
MIN_BYTES = 1024
SHARED_LEVEL = 6
ONE_OFF_LEVEL = 1
# Few: each holds its page too (the key), so the largest pages weigh on every process.
MAX_SHARED_PAGES = 64
PERSONAL_CACHE_CONTROL = "private, no-store"

_shared: OrderedDict[bytes, bytes] = OrderedDict()


def page_response(
    request: Request,
    page: bytes,
    *,
    shared: bool,
    headers: dict[str, str] | None = None,
    media_type: str = MediaType.JSON,
) -> Response:
    """``page`` (encoded already) as the response, gzipped when the client accepts it."""
    headers = {"Vary": "Accept-Encoding", **(headers or {})}
    if not shared:
        headers["Cache-Control"] = PERSONAL_CACHE_CONTROL
    if len(page) >= MIN_BYTES and accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        page = _compressed_shared(page) if shared else gzip.compress(page, ONE_OFF_LEVEL, mtime=0)
    return Response(page, media_type=media_type, headers=headers)


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def _compressed_shared(page: bytes) -> bytes:
    compressed = _shared.get(page)
    if compressed is None:
        compressed = _shared[page] = gzip.compress(page, SHARED_LEVEL, mtime=0)
        if len(_shared) > MAX_SHARED_PAGES:
            _shared.popitem(last=False)
    else:
        _shared.move_to_end(page)
    return compressed
