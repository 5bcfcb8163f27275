"""Imports from the dashboard (HTTP API): the file is uploaded, imported in the background by a
process of the service, its progress and summary read back; only the site's owners (today its
admins) may; bad requests are refused with nothing queued; and a process killed mid-import leaves
nothing behind, another taking the job again from the start."""

from __future__ import annotations

import dataclasses
import os
import signal
from pathlib import Path

import asyncpg
import httpx
import pytest

from commentsvc.domain.import_jobs import upload_name
from commentsvc.domain.import_runner import LEASE
from commentsvc.domain.roles import grant
from commentsvc.domain.sites import create_site
from commentsvc.model.imports import KeyMode, Source
from commentsvc.store import import_jobs as store
from tests.builders import (
    PASSWORD,
    eventually,
    make_moderator,
    make_site,
    read_thread,
    register,
    unique_name,
    unique_slug,
)
from tests.conftest import migrated_database, open_client, settings_for_tests
from tests.served import serving

FIXTURE = Path("/work/shared/fixtures/imports/disqus.xml")
UPLOAD = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
async def admin(client, db):
    reader = await register(client, username=unique_name("admin"))
    await grant(db, reader.username, "admin", None)
    return reader


async def upload(
    client: httpx.AsyncClient, site: str, caller, content: bytes, **params: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/sites/{site}/imports",
        params={"format": "disqus", **params},
        content=content,
        headers={**UPLOAD, **caller.auth},
    )


async def ended(client: httpx.AsyncClient, site: str, caller, job_id: int, seconds: float = 60) -> dict:
    """The job once done or failed."""
    job: dict = {}

    async def over() -> bool:
        nonlocal job
        response = await client.get(f"/api/v1/sites/{site}/imports/{job_id}", headers=caller.auth)
        assert response.status_code == 200, response.text
        job = response.json()
        return job["state"] in ("done", "failed")

    await eventually(over, f"import {job_id} ended", seconds)
    return job


def disqus_export(threads: int, per_thread: int) -> bytes:
    """A Disqus export of ``threads`` pages, each with ``per_thread`` comments, every other one a
    reply to the one before."""
    parts = [
        '<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
    ]
    for t in range(threads):
        parts.append(
            f'<thread dsq:id="t{t}"><id>page-{t}</id><link>https://news.example/pages/{t}</link>'
            f"<title>Page {t}</title><createdAt>2020-01-01T00:00:00Z</createdAt></thread>"
        )
        for c in range(per_thread):
            parent = f'<parent dsq:id="p{t}-{c - 1}"/>' if c % 2 else ""
            parts.append(
                f'<post dsq:id="p{t}-{c}"><message>&lt;p&gt;Comment {c} of page {t}&lt;/p&gt;</message>'
                f"<createdAt>2020-01-02T00:00:{c % 60:02d}Z</createdAt><isDeleted>false</isDeleted>"
                f"<isSpam>false</isSpam><author><name>Reader {c % 50}</name><email>r{c % 50}@example.org</email>"
                f'<isAnonymous>true</isAnonymous></author><thread dsq:id="t{t}"/>{parent}</post>'
            )
    parts.append("</disqus>\n")
    return "\n".join(parts).encode()


async def test_an_uploaded_disqus_export_is_imported_in_the_background(client, db, admin, settings):
    site = await make_site(db)
    response = await upload(client, site, admin, FIXTURE.read_bytes())
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["state"] in ("queued", "running")
    assert (queued["site"], queued["format"], queued["key"]) == (site, "disqus", "path")
    assert queued["file_bytes"] == FIXTURE.stat().st_size
    assert queued["started_by"] == admin.username

    job = await ended(client, site, admin, queued["id"])
    assert job["state"] == "done", job
    assert job["failure"] is None
    assert job["records_read"] == 5  # two threads, three posts
    assert job["summary"] == {
        "threads": 2,
        "articles_created": 1,
        "comments": 3,
        "comments_created": 2,
        "already_imported": 0,
        "authors_created": 2,
        "replies_without_parent": 0,
        "skipped": {"its thread is not in the file": 1},
        "dry_run": False,
    }
    assert job["started_at"] <= job["finished_at"]
    # The thread of http://example.org/ is the article "/", its reply under the first comment.
    thread = await read_thread(client, site, "/")
    assert thread["article"]["comment_count"] == 2
    assert thread["article"]["title"] == "Hello, World!"
    [first] = thread["comments"]
    assert [reply["body_html"] for reply in first["replies"]] == ["<p>Hello, World.</p>"]
    # The upload is gone once imported.
    assert not list(Path(settings.import_dir).glob("*.upload"))

    listed = await client.get(f"/api/v1/sites/{site}/imports", headers=admin.auth)
    assert listed.status_code == 200
    assert listed.json() == {"imports": [job]}


async def test_the_same_file_uploaded_again_adds_nothing(client, db, admin):
    site = await make_site(db)
    first = await ended(
        client, site, admin, (await upload(client, site, admin, FIXTURE.read_bytes())).json()["id"]
    )
    second = await ended(
        client, site, admin, (await upload(client, site, admin, FIXTURE.read_bytes())).json()["id"]
    )
    assert first["summary"]["comments_created"] == 2
    assert (second["summary"]["comments_created"], second["summary"]["already_imported"]) == (0, 2)
    count = await db.fetchval(
        "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id JOIN sites s ON s.id = a.site_id"
        " WHERE s.slug = $1",
        site,
    )
    assert count == 2
    listed = (await client.get(f"/api/v1/sites/{site}/imports", headers=admin.auth)).json()["imports"]
    assert [job["id"] for job in listed] == [second["id"], first["id"]]


async def test_a_file_the_reader_refuses_fails_the_job_with_its_sentence_and_is_deleted(
    client, db, admin, settings
):
    site = await make_site(db)
    queued = (
        await upload(client, site, admin, b"<?xml version='1.0'?><rss><channel></channel></rss>")
    ).json()
    job = await ended(client, site, admin, queued["id"])
    assert job["state"] == "failed"
    assert job["summary"] is None
    assert "Disqus" in job["failure"] and "nothing was imported" in job["failure"], job["failure"]
    assert not list(Path(settings.import_dir).glob("*.upload"))


async def test_only_the_sites_owners_may_import_or_see_its_imports(client, db, admin):
    site = await make_site(db)
    moderator = await make_moderator(client, db, site)
    reader = await register(client)
    done = await ended(
        client, site, admin, (await upload(client, site, admin, FIXTURE.read_bytes())).json()["id"]
    )
    for caller in (moderator, reader):
        for response in (
            await upload(client, site, caller, FIXTURE.read_bytes()),
            await client.get(f"/api/v1/sites/{site}/imports", headers=caller.auth),
            await client.get(f"/api/v1/sites/{site}/imports/{done['id']}", headers=caller.auth),
        ):
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "forbidden"
    anonymous = await client.post(
        f"/api/v1/sites/{site}/imports", params={"format": "disqus"}, content=b"<disqus/>", headers=UPLOAD
    )
    assert anonymous.status_code == 401
    assert (
        await db.fetchval(
            "SELECT count(*) FROM import_jobs j JOIN sites s ON s.id = j.site_id WHERE s.slug = $1", site
        )
        == 1
    )


async def test_an_import_of_another_site_is_not_found_through_this_one(client, db, admin):
    site, other = await make_site(db), await make_site(db)
    job = await ended(
        client, other, admin, (await upload(client, other, admin, FIXTURE.read_bytes())).json()["id"]
    )
    assert (
        await client.get(f"/api/v1/sites/{site}/imports/{job['id']}", headers=admin.auth)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/sites/nowhere-{unique_slug()}/imports", headers=admin.auth)
    ).status_code == 404


@pytest.mark.parametrize(
    ("params", "headers", "content", "status", "field"),
    [
        ({"format": "blogger"}, UPLOAD, b"<x/>", 400, "format"),
        ({"format": "disqus", "key": "title"}, UPLOAD, b"<x/>", 400, "key"),
        ({}, UPLOAD, b"<x/>", 400, "format"),
        ({"format": "disqus"}, UPLOAD, b"", 400, "file"),
        ({"format": "disqus"}, {"Content-Type": "application/json"}, b"{}", 415, None),
        ({"format": "disqus"}, {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--", 415, None),
    ],
    ids=["unknown format", "unknown key", "no format", "empty file", "json", "form"],
)
async def test_a_bad_upload_is_refused_and_nothing_is_queued(
    client, db, admin, settings, params, headers, content, status, field
):
    site = await make_site(db)
    response = await client.post(
        f"/api/v1/sites/{site}/imports", params=params, content=content, headers={**headers, **admin.auth}
    )
    assert response.status_code == status, response.text
    assert response.json().get("field") == field
    assert (
        await db.fetchval(
            "SELECT count(*) FROM import_jobs j JOIN sites s ON s.id = j.site_id WHERE s.slug = $1", site
        )
        == 0
    )
    assert not list(Path(settings.import_dir).glob("*.upload"))


async def test_a_file_over_the_size_limit_is_refused_with_a_413_whether_announced_or_streamed(
    db, admin, settings
):
    small = dataclasses.replace(settings, import_max_bytes=4096)
    site = await make_site(db)

    async def chunks():
        for _ in range(10):
            yield b"x" * 1024

    async with open_client(small) as client:
        announced = await upload(client, site, admin, b"x" * 5000)
        streamed = await client.post(
            f"/api/v1/sites/{site}/imports",
            params={"format": "disqus"},
            content=chunks(),  # no Content-Length: the limit is found while receiving
            headers={**UPLOAD, **admin.auth},
        )
        exactly = FIXTURE.read_bytes().ljust(4096)  # the export, padded to the limit
        just_right = await upload(client, site, admin, exactly)
        assert just_right.status_code == 202, just_right.text
        assert (await ended(client, site, admin, just_right.json()["id"]))["state"] == "done"
    for response in (announced, streamed):
        assert response.status_code == 413, response.text
        assert response.json() | {"detail": ""} == {
            "status_code": 413,
            "code": "too_large",
            "field": "file",
            "detail": "",
        }
        assert "4096 bytes" in response.json()["detail"]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM import_jobs j JOIN sites s ON s.id = j.site_id WHERE s.slug = $1", site
        )
        == 1
    )


async def test_a_job_whose_process_was_killed_mid_import_is_taken_again_and_imported_once(
    server_settings, redis_prefix, tmp_path
):
    """The import's process is killed (SIGKILL: no goodbye) while it imports; the interrupted run
    left nothing, and once its lease runs out another process imports the file, once."""
    threads, per_thread = 250, 100
    export = disqus_export(threads, per_thread)
    async with migrated_database(server_settings, f"commentsvc_test_jobs_{unique_name('db').lower()}") as url:
        settings = dataclasses.replace(
            settings_for_tests(server_settings, url, f"{redis_prefix}jobs:"),
            import_dir=str(tmp_path / "imports"),
        )
        conn = await asyncpg.connect(url)
        try:
            site = unique_slug()
            await create_site(conn, site, {"origins": ["https://news.example"]})
            with serving(settings, ["--workers", "1"], tmp_path / "first.log") as first:
                async with httpx.AsyncClient(base_url=first.url, timeout=30) as api:
                    admin = await register(api, username=unique_name("admin"))
                    await grant(conn, admin.username, "admin", None)
                    response = await upload(api, site, admin, export)
                    assert response.status_code == 202, response.text
                    job_id = response.json()["id"]

                async def reading() -> bool:
                    return (
                        await conn.fetchval("SELECT records_read FROM import_jobs WHERE id = $1", job_id) > 0
                    )

                await eventually(reading, "the first process reading the file", 60)
                os.kill(first.process.pid, signal.SIGKILL)
                first.process.wait()
            row = await conn.fetchrow("SELECT state, attempts FROM import_jobs WHERE id = $1", job_id)
            assert tuple(row) == ("running", 1)
            site_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", site)

            async def comments() -> int:
                return await conn.fetchval(
                    "SELECT count(*) FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.site_id = $1",
                    site_id,
                )

            assert await comments() == 0  # the killed run's transaction left nothing

            with serving(settings, ["--workers", "1"], tmp_path / "second.log") as second:
                async with httpx.AsyncClient(base_url=second.url, timeout=30) as api:
                    # Its tokens' issuer is its own address: sign in again.
                    login = {"login": admin.username, "password": PASSWORD}
                    admin.access_token = (await api.post("/api/v1/auth/login", json=login)).json()[
                        "access_token"
                    ]
                    job = await ended(api, site, admin, job_id, seconds=LEASE.total_seconds() + 120)
            assert job["state"] == "done", job
            assert job["summary"]["comments_created"] == threads * per_thread
            assert job["records_read"] == threads * (per_thread + 1)
            assert await conn.fetchval("SELECT attempts FROM import_jobs WHERE id = $1", job_id) == 2
            assert await comments() == threads * per_thread
            assert await conn.fetchval("SELECT count(*) FROM articles WHERE site_id = $1", site_id) == threads
            assert not list((tmp_path / "imports").glob("*.upload"))
        finally:
            await conn.close()


async def test_a_sites_imports_are_claimed_one_at_a_time_oldest_first_and_a_lost_claim_changes_nothing(
    server_settings,
):
    """The claims as processes make them (on a database of the test's own: no runner there)."""
    async with migrated_database(
        server_settings, f"commentsvc_test_claims_{unique_name('db').lower()}"
    ) as url:
        conn = await asyncpg.connect(url)
        try:
            await create_site(conn, "one", {"origins": ["https://one.example"]})
            await create_site(conn, "two", {"origins": ["https://two.example"]})
            sites = dict(await conn.fetch("SELECT slug, id FROM sites"))
            user = await conn.fetchval(
                "INSERT INTO users (username, email, display_name, password_hash)"
                " VALUES ('owner', 'owner@example.org', 'Owner', 'x') RETURNING id"
            )
            first, second, other = [
                await store.insert(conn, sites[slug], Source.DISQUS, KeyMode.PATH, upload_name(), 10, user)
                for slug in ("one", "one", "two")
            ]
            claimed = await store.claim(conn, LEASE)
            assert (claimed.id, claimed.site, claimed.attempt) == (first.id, "one", 1)
            # The site's next waits while its first runs; another site's does not.
            assert (await store.claim(conn, LEASE)).id == other.id
            assert await store.claim(conn, LEASE) is None
            # A lease run out (its process died): the job is taken again, and the old claim is void.
            await conn.execute(
                "UPDATE import_jobs SET leased_until = now() - interval '1 second' WHERE id = $1", first.id
            )
            again = await store.claim(conn, LEASE)
            assert (again.id, again.attempt) == (first.id, 2)
            assert not await store.keep(conn, claimed, 100, LEASE)
            assert not await store.fail(conn, claimed, "too late")
            assert await store.keep(conn, again, 100, LEASE)
            assert await store.fail(conn, again, "A sentence.")
            assert (await store.claim(conn, LEASE)).id == second.id
        finally:
            await conn.close()
