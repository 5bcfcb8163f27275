"""Why a comment is held, told in full: each queue item names every rule that held its comment
with what the rule found (the words, the counts against the site's limits), in the dashboard's
API and in the moderators' e-mail; and `commentsvc site dry-run`, which judges a site's recent
comments again with other settings, through the same policy, changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commentsvc.domain.sites import get_site
from tests.builders import make_moderator, make_site, moderation_queue, post_comment, register, unique_name
from tests.integration.test_moderator_alerts import choose
from tests.served import commentsvc, service_environment


async def test_an_item_names_every_rule_that_held_it_with_what_each_found(client, db):
    site = await make_site(db, moderation="pre", max_links=1, blocked_words=["arnaque", "casino", "vol"])
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    body = "Une ARNAQUÉ au casino : https://a.example et https://b.example"
    comment = await post_comment(client, author, site, unique_name("article"), body)
    assert (
        await db.fetchval("SELECT held_because FROM comments WHERE id = $1", comment["id"])
        == "too_many_links"
    )
    [item] = await moderation_queue(client, site, moderator)
    assert item["held_because"] == ["links", "blocked_word", "pre_moderation"]
    assert item["held_details"] == [
        {"rule": "links", "count": 2, "limit": 1},
        {"rule": "blocked_word", "words": ["arnaque", "casino"]},
        {"rule": "pre_moderation"},
    ]


async def test_a_reported_comment_edited_into_a_held_one_says_both(client, db):
    site = await make_site(db, max_links=1)
    author, reporters = await register(client), [await register(client) for _ in range(2)]
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, unique_name("article"), "Un avis")
    for reporter in reporters:
        reported = await client.post(
            f"/api/v1/comments/{comment['id']}/reports", json={"reason": "spam"}, headers=reporter.auth
        )
        assert reported.status_code == 202
    links = "Un avis : https://a.example https://b.example https://c.example"
    edited = await client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body": links}, headers=author.auth
    )
    assert edited.status_code == 200
    [item] = await moderation_queue(client, site, moderator)
    assert item["held_details"] == [
        {"rule": "links", "count": 3, "limit": 1},
        {"rule": "reports", "count": 2},
    ]


async def test_a_burst_says_how_many_comments_came_within_how_many_minutes(client, db):
    site = await make_site(db, burst_count=2, burst_minutes=15)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    article = unique_name("article")
    statuses = [(await post_comment(client, author, site, article))["status"] for _ in range(3)]
    assert statuses == ["approved", "approved", "pending"]
    [item] = await moderation_queue(client, site, moderator)
    assert item["held_details"] == [{"rule": "burst", "count": 2, "limit": 2, "minutes": 15}]


async def test_an_edit_held_again_says_what_its_new_text_holds(client, db):
    site = await make_site(db, blocked_words=["arnaque", "escroc"])
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, unique_name("article"), "Une arnaque")
    edited = await client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body": "Un escroc, pas une arnaque"}, headers=author.auth
    )
    assert edited.status_code == 200
    [item] = await moderation_queue(client, site, moderator)
    assert item["held_details"] == [{"rule": "blocked_word", "words": ["arnaque", "escroc"]}]


async def test_a_comment_held_before_findings_were_kept_shows_its_rule_alone(client, db):
    site = await make_site(db, max_links=0)
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, unique_name("article"), "Voir https://a.example")
    await db.execute("UPDATE comments SET held_findings = NULL WHERE id = $1", comment["id"])
    [item] = await moderation_queue(client, site, moderator)
    assert (item["held_because"], item["held_details"]) == (["links"], [{"rule": "links"}])


async def test_the_alert_says_what_each_rule_found(client, db, mailbox):
    site = await make_site(db, max_links=1, blocked_words=["arnaque"])
    author = await register(client)
    moderator = await make_moderator(client, db, site)
    await choose(db, moderator.id, "instant")
    await post_comment(
        client, author, site, unique_name("article"), "Arnaque : https://a.example https://b.example"
    )
    [alert] = await mailbox.wait_for_kind(moderator.email, "alert")
    assert "Retenu : trop de liens (2, au-delà de 1) ; un mot bloqué (« arnaque »)." in alert.part("plain")


# `commentsvc site dry-run`


@pytest.fixture(scope="module")
def env(settings):
    return service_environment(settings)


async def a_month_of_comments(client, db) -> tuple[str, dict[str, int]]:
    """A site whose comments of the last weeks have 0, 1 and 3 links, one held for its links."""
    site = await make_site(db, max_links=2)
    article = unique_name("article")
    author = await register(client)
    posted = {
        "plain": await post_comment(client, author, site, article, "Rien à signaler"),
        "one": await post_comment(client, author, site, article, "Voir https://a.example"),
        "three": await post_comment(
            client, author, site, article, "https://a.example https://b.example https://c.example"
        ),
        "old": await post_comment(client, author, site, article, "Ancien : https://a.example"),
    }
    assert [c["status"] for c in posted.values()] == ["approved", "approved", "pending", "approved"]
    # The account is older than its comments, which are spread over the weeks.
    await db.execute("UPDATE users SET created_at = now() - interval '90 days' WHERE id = $1", author.id)
    for days, name in ((1, "plain"), (5, "one"), (20, "three"), (60, "old")):
        at = datetime.now(UTC) - timedelta(days=days)
        await db.execute("UPDATE comments SET created_at = $2 WHERE id = $1", posted[name]["id"], at)
    return site, {name: c["id"] for name, c in posted.items()}


def table(output: str) -> dict[str, tuple[int, int]]:
    rows = [line.split() for line in output.splitlines()[2:] if line.split() and line.split()[-1].isdigit()]
    return {" ".join(row[:-2]): (int(row[-2]), int(row[-1])) for row in rows}


async def test_a_dry_run_counts_what_other_settings_would_have_held_and_changes_nothing(client, db, env):
    site, _ = await a_month_of_comments(client, db)
    before = await get_site(db, site)
    counts_before = await db.fetch(
        "SELECT id, status, held_because FROM comments WHERE site_id = $1 ORDER BY id", before.id
    )

    judged = commentsvc("site", "dry-run", site, "--max-links", "0", "--blocked-words", "signaler", env=env)
    assert judged.returncode == 0, judged.stderr
    assert judged.stdout.startswith(f"{site}: 3 comment(s) of the last 30 day(s) judged with ")
    assert "max_links=0 (now 2)" in judged.stdout and "blocked_words=signaler (now )" in judged.stdout
    found = table(judged.stdout)
    assert found["links"] == (2, 1) and found["blocked_word"] == (1, 0) and found["any rule"] == (3, 1)
    assert found["burst"] == (0, 0) and found["pre_moderation"] == (0, 0)
    assert "nothing was changed" in judged.stdout

    a_quarter = table(commentsvc("site", "dry-run", site, "--days", "90", "--max-links", "0", env=env).stdout)
    assert a_quarter["links"] == (3, 1)
    as_they_are = table(commentsvc("site", "dry-run", site, env=env).stdout)
    assert as_they_are["links"] == (1, 1) and as_they_are["any rule"] == (1, 1)

    assert await get_site(db, site) == before
    assert (
        await db.fetch(
            "SELECT id, status, held_because FROM comments WHERE site_id = $1 ORDER BY id", before.id
        )
        == counts_before
    )


async def test_a_dry_run_judges_each_comment_with_its_authors_record_of_the_time(client, db, env):
    site = await make_site(db, burst_count=1000)
    article = unique_name("article")
    newcomer = await register(client)
    for n in range(4):
        await post_comment(client, newcomer, site, article, f"Message {n}")
    # Four comments within minutes of a new account: a burst of 3 holds the fourth only; a
    # pre-moderated site trusting after 2 approvals holds the first two.
    burst = table(commentsvc("site", "dry-run", site, "--burst", "3/10m", env=env).stdout)
    assert burst["burst"] == (1, 0)
    pre = table(
        commentsvc("site", "dry-run", site, "--moderation", "pre", "--trust-after", "2", env=env).stdout
    )
    assert pre["pre_moderation"] == (2, 0)


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--max-links", "-1"], "commentsvc: --max-links must be between 0 and 1000, not -1.\n"),
        (["--days", "0"], "commentsvc: --days must be between 1 and 3650, not 0.\n"),
        (["--days", "a-month"], "commentsvc: --days must be between 1 and 3650, not a-month.\n"),
        (["--language", "de"], "commentsvc: --language must be fr or en, not 'de'.\n"),
    ],
)
@pytest.mark.slow
def test_a_bad_flag_of_a_dry_run_is_one_sentence(env, args, sentence):
    refused = commentsvc("site", "dry-run", "any-site", *args, env=env)
    assert (refused.returncode, refused.stderr) == (2, sentence)


def test_a_dry_run_of_a_site_that_does_not_exist_is_one_sentence(env):
    refused = commentsvc("site", "dry-run", "no-such-site", env=env)
    assert (refused.returncode, refused.stderr) == (1, "commentsvc: There is no site named 'no-such-site'.\n")
