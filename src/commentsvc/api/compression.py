"""Pages (JSON, a thread's HTML fragment, feeds) gzipped for clients that accept it: a thread page
is large and shrinks several times over, which is what a reader on a phone waits for
(bench/README.md, "Figures behind the code").

Pages shared by every anonymous reader come back from the cache as the very same bytes object
on every hit, so their compressed form is kept beside them (keyed by the page itself: CPython
keeps a bytes object's hash, and equal pages compare by identity first), compressed once per
process and change. A page made for one reader is compressed for that request only, faster, and
kept by no cache: it carries what only that reader may see (source text, pending comments, votes).
A shared page served to a signed-in reader with their own ending (domain.comments.ThreadPage)
is both: the shared part's compressed blocks are kept, flushed to a byte boundary, and the
ending follows them as blocks of its own that end the same gzip stream."""

from __future__ import annotations

import gzip
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from litestar import MediaType, Request, Response

# Below this, gzip's own header and the work are not worth it.
MIN_BYTES = 1024
SHARED_LEVEL = 6
ONE_OFF_LEVEL = 1
# Few: each holds its page too (the key), so the largest pages weigh on every process.
MAX_SHARED_PAGES = 64
PERSONAL_CACHE_CONTROL = "private, no-store"

# A gzip member's header: deflate, no flags, no time, no extra flags, unknown system.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
RAW_DEFLATE = -zlib.MAX_WBITS
# The most a stored (uncompressed) deflate block holds.
MAX_STORED = 0xFFFF

T = TypeVar("T")


class _Head(NamedTuple):
    """A shared page but its last byte, compressed: the gzip header and deflate blocks that do not
    end the stream, with the checksum and length of what they hold."""

    compressed: bytes
    crc: int
    size: int


_shared: OrderedDict[bytes, bytes] = OrderedDict()
_heads: OrderedDict[bytes, _Head] = OrderedDict()


def page_response(
    request: Request,
    page: bytes,
    *,
    shared: bool,
    ending: bytes | None = None,
    headers: dict[str, str] | None = None,
    media_type: str = MediaType.JSON,
) -> Response:
    """``page`` (encoded already) as the response, gzipped when the client accepts it; with
    ``ending``, a shared ``page`` whose last byte this reader gets ``ending`` in place of."""
    headers = {"Vary": "Accept-Encoding", **(headers or {})}
    if not shared or ending is not None:
        headers["Cache-Control"] = PERSONAL_CACHE_CONTROL
    gzipped = len(page) >= MIN_BYTES and accepts_gzip(request)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    if ending is not None:
        body = _ended(kept_beside(_heads, page, _head), ending) if gzipped else page[:-1] + ending
    elif gzipped:
        body = kept_beside(_shared, page, _whole) if shared else gzip.compress(page, ONE_OFF_LEVEL, mtime=0)
    else:
        body = page
    return Response(body, media_type=media_type, headers=headers)


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def kept_beside(kept: OrderedDict[bytes, T], page: bytes, make: Callable[[bytes], T]) -> T:
    """What ``make`` makes of a shared page, made once while the page is among the last served
    (``kept``: one such dict per kind of thing made)."""
    found = kept.get(page)
    if found is None:
        found = kept[page] = make(page)
        if len(kept) > MAX_SHARED_PAGES:
            kept.popitem(last=False)
    else:
        kept.move_to_end(page)
    return found


def _whole(page: bytes) -> bytes:
    return gzip.compress(page, SHARED_LEVEL, mtime=0)


def _head(page: bytes) -> _Head:
    head = memoryview(page)[:-1]
    deflate = zlib.compressobj(SHARED_LEVEL, zlib.DEFLATED, RAW_DEFLATE)
    # A sync flush ends the blocks on a byte boundary without ending the stream: another
    # compressor's blocks may follow (the decoder's window spans both).
    blocks = deflate.compress(head) + deflate.flush(zlib.Z_SYNC_FLUSH)
    return _Head(GZIP_HEADER + blocks, zlib.crc32(head), len(head))


def _ended(head: _Head, ending: bytes) -> bytes:
    """The gzip stream of the head's page with ``ending`` in place of its last byte. The ending
    (a reader's part, mostly a few hundred bytes) goes in stored blocks, as it is: compressing it
    would save a few bytes and cost a compressor's set-up on every request."""
    blocks = []
    for start in range(0, len(ending) or 1, MAX_STORED):
        stored = ending[start : start + MAX_STORED]
        last = start + MAX_STORED >= len(ending)
        blocks.append(struct.pack("<BHH", last, len(stored), len(stored) ^ 0xFFFF) + stored)
    trailer = struct.pack("<II", zlib.crc32(ending, head.crc), (head.size + len(ending)) & 0xFFFFFFFF)
    return b"".join([head.compressed, *blocks, trailer])
