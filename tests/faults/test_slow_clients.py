"""Clients that stop half-way through a request, against the real `commentsvc serve`: their
connection is closed once COMMENTSVC_HEADER_TIMEOUT_SECONDS or COMMENTSVC_BODY_TIMEOUT_SECONDS have
passed, not before, and idle keep-alive connections are kept as before; a large upload that keeps
coming is no such client."""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from commentsvc.config import Settings
from commentsvc.domain.roles import grant
from tests.builders import make_site, register, unique_name
from tests.faults.conftest import database
from tests.served import serve

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
# Far longer than either: how long a test waits for the server before calling the connection stuck.
PATIENCE = 15.0
Address = tuple[str, int]


@pytest.fixture(scope="module")
def address(fault_settings: Settings, tmp_path_factory) -> Iterator[Address]:
    settings = dataclasses.replace(fault_settings, redis_prefix=f"{fault_settings.redis_prefix}slow:")
    with serve(
        settings,
        workers=1,
        log=tmp_path_factory.mktemp("slow") / "serve.log",
        COMMENTSVC_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
        COMMENTSVC_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
    ) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def connect(address: Address) -> socket.socket:
    return socket.create_connection(address, timeout=PATIENCE)


def quiet_for(sock: socket.socket, seconds: float) -> bool:
    """Nothing arrives, not even the end of the connection, for ``seconds``."""
    readable, _, _ = select.select([sock], [], [], seconds)
    return not readable


def until_closed(sock: socket.socket) -> tuple[float, bytes]:
    """How long until the server closes the connection, and what it sent meanwhile."""
    started, received = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the connection is still open after {PATIENCE} s")
    return time.monotonic() - started, received


def response(sock: socket.socket) -> http.client.HTTPResponse:
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    answer.read()
    return answer


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: of the headers"],
    ids=["nothing", "half the headers"],
)
def test_a_connection_whose_headers_stop_arriving_is_closed_after_the_header_timeout(address, sent):
    with connect(address) as sock:
        sock.sendall(sent)
        elapsed, received = until_closed(sock)
    assert received == b""
    assert HEADER_TIMEOUT * 0.9 <= elapsed <= HEADER_TIMEOUT + 5


def test_headers_sent_slowly_but_within_the_timeout_are_answered(address):
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert quiet_for(sock, HEADER_TIMEOUT / 2)
        sock.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        assert response(sock).status == 200


def test_a_body_that_stops_arriving_gets_a_408_and_the_connection_closes(address):
    with connect(address) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"login": "'
        )
        elapsed, received = until_closed(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), received
    assert json.loads(body)["code"] == "request_timeout"
    assert b"server:" not in head.lower()
    assert BODY_TIMEOUT * 0.9 <= elapsed <= BODY_TIMEOUT + 5


def test_a_body_still_trickling_after_the_answer_is_cut_off_after_the_body_timeout(address):
    """The service answers some requests without reading their body (here a 405): a client
    sending one anyway, a byte at a time, must not hold the connection."""
    with connect(address) as sock:
        sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx")
        started = time.monotonic()
        assert response(sock).status == 405
        while quiet_for(sock, 0.25) and time.monotonic() - started < PATIENCE:
            try:
                sock.sendall(b"x")
            except OSError:  # closed meanwhile
                break
        until_closed(sock)
    assert BODY_TIMEOUT * 0.9 <= time.monotonic() - started <= BODY_TIMEOUT + 5


def test_an_idle_keep_alive_connection_outlives_the_header_timeout(address):
    """Between requests uvicorn's keep-alive timeout (5 s) applies, not the header timeout."""
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert response(sock).status == 200
        assert quiet_for(sock, HEADER_TIMEOUT * 1.5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert response(sock).status == 200


async def test_a_large_upload_that_keeps_coming_outlives_the_body_timeout(address, fault_settings):
    """An import's upload the service is reading: each further MiB within the body timeout keeps
    its connection, however long the whole takes (here twice the timeout)."""
    base_url = "http://{}:{}".format(*address)
    async with httpx.AsyncClient(base_url=base_url) as api:
        admin = await register(api, username=unique_name("admin"))
    async with database(fault_settings) as conn:
        await grant(conn, admin.username, "admin", None)
        site = await make_site(conn)

    def body() -> Iterator[bytes]:
        for _ in range(int(BODY_TIMEOUT * 2 / 0.25)):  # 1 MiB/s, for twice the body timeout
            yield b"<!-- " + b"x" * (256 * 1024 - 9) + b" -->"
            time.sleep(0.25)

    def upload() -> httpx.Response:
        headers = {"Content-Type": "application/octet-stream", **admin.auth}
        return httpx.post(
            f"{base_url}/api/v1/sites/{site}/imports?format=disqus",
            content=body(),
            headers=headers,
            timeout=PATIENCE,
        )

    started = time.monotonic()
    response = await asyncio.to_thread(upload)
    assert response.status_code == 202, response.text
    assert time.monotonic() - started > BODY_TIMEOUT * 1.5
    assert response.json()["file_bytes"] == int(BODY_TIMEOUT * 2 / 0.25) * 256 * 1024
