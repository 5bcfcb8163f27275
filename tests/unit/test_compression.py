"""A shared page gzipped with one reader's ending in place of its last byte: one gzip stream
that a strict decoder reads whole, whatever the ending's size, with the shared part's blocks
kept from one reader to the next."""

from __future__ import annotations

import gzip
import zlib

import pytest
from litestar import Litestar, Request

from commentsvc.api.compression import page_response

APP = Litestar()


def asking(encoding: str) -> Request:
    return Request({"type": "http", "app": APP, "headers": [(b"accept-encoding", encoding.encode())]})


def inflated(stream: bytes) -> bytes:
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    body = inflate.decompress(stream)
    assert inflate.eof and not inflate.unused_data
    return body


PAGE = b'{"comments":[' + b",".join(b'{"id":%d,"body_html":"<p>un avis</p>"}' % n for n in range(400)) + b"]}"


@pytest.mark.parametrize("size", [0, 1, 300, 0xFFFF, 0xFFFF + 1, 200_000])
def test_a_shared_page_ended_for_one_reader_is_one_gzip_stream(size):
    ending = b',"viewer":"' + b"x" * size + b'"}'
    response = page_response(asking("gzip, br"), PAGE, shared=True, ending=ending)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert inflated(response.content) == gzip.decompress(response.content) == PAGE[:-1] + ending
    plain = page_response(asking("identity"), PAGE, shared=True, ending=ending)
    assert "Content-Encoding" not in plain.headers and plain.content == PAGE[:-1] + ending


def test_the_shared_blocks_are_kept_and_only_the_ending_differs():
    first = page_response(asking("gzip"), PAGE, shared=True, ending=b',"viewer":{"votes":{"1":1}}}').content
    second = page_response(asking("gzip"), PAGE, shared=True, ending=b',"viewer":{"votes":{}}}').content
    head = first.rindex(b"\x00\x00\xff\xff") + 4  # the shared blocks end with a sync flush
    assert first[:head] == second[:head] and head > len(first) - 64
    # The whole page, shared as it is, is one gzip member of its own.
    whole = page_response(asking("gzip"), PAGE, shared=True).content
    assert inflated(whole) == PAGE
