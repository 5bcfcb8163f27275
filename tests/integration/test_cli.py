"""The `commentsvc` command line: sites, roles, the demo, and configuration errors."""

from __future__ import annotations

import pytest

from tests.builders import register, unique_name
from tests.served import commentsvc, service_environment


@pytest.fixture(scope="module")
def env(settings):
    return service_environment(settings)


def slug() -> str:
    return unique_name("site").lower().replace("_", "-")


def test_site_create_with_defaults_and_list(env):
    name = slug()
    created = commentsvc(
        "site", "create", name, "--origin", "https://www.Example.org/", "--name", "Example", env=env
    )
    assert created.returncode == 0, created.stderr
    assert "origins=https://www.example.org" in created.stdout
    assert "moderation=post trust_after=3" in created.stdout
    assert "max_links=3" in created.stdout and "max_depth=5" in created.stdout
    assert "edit_window_minutes=15" in created.stdout and "report_threshold=1" in created.stdout
    listed = commentsvc("site", "list", env=env)
    assert any(line.startswith(f"{name}: 'Example'") for line in listed.stdout.splitlines())


def test_site_update_changes_only_the_given_settings(env):
    name = slug()
    commentsvc("site", "create", name, "--origin", "https://a.example", env=env)
    updated = commentsvc(
        "site", "update", name, "--moderation", "pre", "--trust-after", "5", "--burst", "4/30m",
        "--blocked-words", "Spam,Arnaque", "--hold-first-comment", "true", env=env,
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert "moderation=pre trust_after=5" in updated.stdout
    assert "burst=4/30m" in updated.stdout
    assert "blocked_words=arnaque,spam" in updated.stdout
    assert "hold_first_comment=true" in updated.stdout
    assert "origins=https://a.example" in updated.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["site", "create", "Bad Slug", "--origin", "https://a.example"], "slug"),
        (["site", "create", "no-origin"], "--origin"),
        (["site", "create", "bad-origin", "--origin", "not-a-url"], "origin"),
        (["site", "update", "does-not-exist", "--moderation", "pre"], "no site named"),
        (["user", "grant", "nobody-at-all", "admin"], "no user named"),
        (["user", "grant", "someone", "moderator"], "--site"),
    ],
)
def test_bad_commands_fail_with_a_sentence(env, args, message):
    result = commentsvc(*args, env=env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_creating_a_site_twice_is_refused(env):
    name = slug()
    assert commentsvc("site", "create", name, "--origin", "https://a.example", env=env).returncode == 0
    again = commentsvc("site", "create", name, "--origin", "https://a.example", env=env)
    assert again.returncode == 1
    assert "already exists" in again.stderr


async def test_grant_and_revoke_roles(env, client):
    reader = await register(client)
    name = slug()
    commentsvc("site", "create", name, "--origin", "https://a.example", env=env)
    granted = commentsvc("user", "grant", reader.username, "moderator", "--site", name, env=env)
    assert granted.returncode == 0 and "is now moderator of" in granted.stdout
    assert commentsvc("user", "grant", reader.username.upper(), "admin", env=env).returncode == 0
    roles = (await client.get("/api/v1/me", headers=reader.auth)).json()["roles"]
    assert roles == [{"role": "admin", "site": None}, {"role": "moderator", "site": name}]
    revoked = commentsvc("user", "revoke", reader.username, "admin", env=env)
    assert "is no longer admin" in revoked.stdout
    roles = (await client.get("/api/v1/me", headers=reader.auth)).json()["roles"]
    assert roles == [{"role": "moderator", "site": name}]


def test_demo_creates_the_demo_site_once_and_prints_its_pages(env):
    first = commentsvc("demo", env=env)
    second = commentsvc("demo", env=env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "/demo/article.html" in second.stdout and "/demo/listing.html" in second.stdout
    listed = commentsvc("site", "list", env=env).stdout
    assert [line for line in listed.splitlines() if line.startswith("demo:")]


def test_a_malformed_setting_stops_the_command_with_one_sentence(env):
    result = commentsvc("migrate", env={**env, "COMMENTSVC_PORT": "eighty"})
    assert result.returncode == 2
    assert result.stderr.strip() == "commentsvc: COMMENTSVC_PORT must be a whole number, not 'eighty'."


def test_an_unreachable_database_is_said_plainly(env):
    result = commentsvc(
        "migrate", env={**env, "COMMENTSVC_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"}
    )
    assert result.returncode == 1
    assert "cannot reach PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


async def test_counts_verify_finds_and_fixes_drift(env, client, db):
    from tests.builders import make_site, post_comment

    site = await make_site(db)
    reader = await register(client)
    comment = await post_comment(client, reader, site, "drifting-article")
    clean = commentsvc("counts", "verify", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    await db.execute(
        "UPDATE articles SET comment_count = 7 WHERE id = (SELECT article_id FROM comments WHERE id = $1)",
        comment["id"],
    )
    found = commentsvc("counts", "verify", env=env)
    assert found.returncode == 1
    assert "'drifting-article': stored 7, actual 1" in found.stdout
    fixed = commentsvc("counts", "verify", "--fix", env=env)
    assert fixed.returncode == 0 and "(fixed)" in fixed.stdout
    assert commentsvc("counts", "verify", env=env).returncode == 0
