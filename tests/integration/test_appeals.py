"""Appeals against removals (once, by the author of a removed comment, decided by another
moderator than the remover, told to the author in the thread and by e-mail), edit history, and
the transparency figures of `commentsvc site stats`."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from tests.builders import (
    Reader,
    decide,
    make_moderator,
    make_site,
    moderation_queue,
    post_comment,
    read_thread,
    register,
    unique_name,
)
from tests.mailbox import Mailbox
from tests.served import commentsvc, service_environment

ORIGIN = "https://news.example"


@dataclass
class Removed:
    """A comment its moderator removed, on a site with a second moderator."""

    site: str
    article: str
    author: Reader
    remover: Reader
    other: Reader
    comment: dict


async def removed(client, db, action: str = "reject", reason: str = "Hors sujet", **settings) -> Removed:
    """A held comment (pre-moderation) removed by a moderator, with the reason its author is shown."""
    site, article = (
        await make_site(db, origins=(ORIGIN,), moderation="pre", **settings),
        unique_name("article"),
    )
    author = await register(client, display_name="Zoé")
    remover, other = await make_moderator(client, db, site), await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Un avis tranché")
    [item] = await moderation_queue(client, site, remover)
    await decide(client, remover, item["item_id"], action=action, reason=reason)
    return Removed(site, article, author, remover, other, comment)


async def appeal(
    client, reader: Reader, comment_id: int, text: str = "Je ne comprends pas ce retrait."
) -> httpx.Response:
    return await client.post(
        f"/api/v1/comments/{comment_id}/appeal", json={"text": text}, headers=reader.auth
    )


async def mine(client, case: Removed) -> dict:
    """The removed comment as its author reads it in the thread."""
    thread = await read_thread(client, case.site, case.article, case.author)
    [comment] = [c for c in thread["comments"] if c["id"] == case.comment["id"]]
    return comment


async def test_the_author_appeals_once_and_the_appeal_enters_the_queue(client, db):
    case = await removed(client, db, action="spam", reason="Publicité")
    response = await appeal(client, case.author, case.comment["id"], "Ce n'est pas de la publicité.")
    assert response.status_code == 202, response.text
    again = await appeal(client, case.author, case.comment["id"], "Vraiment pas.")
    assert again.status_code == 409 and again.json()["reason"] == "already_appealed"
    assert await db.fetchval("SELECT count(*) FROM appeals WHERE comment_id = $1", case.comment["id"]) == 1
    [item] = await moderation_queue(client, case.site, case.other)
    assert item["kind"] == "appeal" and item["comment"]["id"] == case.comment["id"]
    assert item["comment"]["status"] == "spam"
    assert item["appeal"] == {
        "text": "Ce n'est pas de la publicité.",
        "appealed_at": item["appeal"]["appealed_at"],
        "removal": "spam",
        "removal_reason": "Publicité",
        "removed_by": case.remover.username,
        "removed_by_id": case.remover.id,
        "rule": "pre_moderation",
    }
    assert (await mine(client, case))["appeal"] == {"status": "pending"}


async def test_only_the_author_appeals_and_only_a_removal(client, db):
    case = await removed(client, db)
    stranger = await register(client)
    # A removed comment is nobody else's to see.
    assert (await appeal(client, stranger, case.comment["id"])).status_code == 404
    anonymous = await client.post(f"/api/v1/comments/{case.comment['id']}/appeal", json={"text": "x"})
    assert anonymous.status_code == 401
    published = await post_comment(client, stranger, case.site, case.article)
    [item] = await moderation_queue(client, case.site, case.remover)
    await decide(client, case.remover, item["item_id"], action="approve")
    assert (await appeal(client, case.author, published["id"])).status_code == 403  # someone else's
    assert (await appeal(client, stranger, published["id"])).status_code == 403  # not removed
    pending = await post_comment(client, case.author, case.site, case.article)
    assert (await appeal(client, case.author, pending["id"])).status_code == 403  # awaiting a decision
    assert await db.fetchval("SELECT count(*) FROM appeals WHERE comment_id = ANY ($1::bigint[])",
                             [case.comment["id"], published["id"], pending["id"]]) == 0  # fmt: skip


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "caché\u0000"])
async def test_an_appeal_says_why_in_1_to_2000_characters(client, db, text):
    case = await removed(client, db)
    response = await appeal(client, case.author, case.comment["id"], text)
    assert response.status_code == 400 and response.json()["field"] == "text"
    assert await db.fetchval("SELECT count(*) FROM appeals WHERE comment_id = $1", case.comment["id"]) == 0
    assert (await appeal(client, case.author, case.comment["id"], "x" * 2000)).status_code == 202


async def test_the_remover_cannot_decide_the_appeal_and_another_moderator_reinstates(
    client, db, mailbox: Mailbox
):
    case = await removed(client, db)
    assert (await appeal(client, case.author, case.comment["id"])).status_code == 202
    # The queue does not hand the remover the appeal against their removal; nor may they decide it.
    assert await moderation_queue(client, case.site, case.remover) == []
    item_id = await db.fetchval("SELECT item_id FROM appeals WHERE comment_id = $1", case.comment["id"])
    refused = await client.post(
        f"/api/v1/moderation/items/{item_id}/decision",
        json={"action": "approve", "reason": "Je me suis trompé"},
        headers=case.remover.auth,
    )
    assert refused.status_code == 403 and "another moderator" in refused.json()["detail"]
    [item] = await moderation_queue(client, case.site, case.other)
    assert item["item_id"] == item_id
    before = (await read_thread(client, case.site, case.article))["article"]["comment_count"]
    decided = await decide(
        client, case.other, item_id, action="approve", reason="Le commentaire est dans le sujet."
    )
    assert decided["decision"]["action"] == "approve"
    # Deciding again returns the first decision.
    again = await decide(client, case.other, item_id, action="reject", reason="Finalement non")
    assert again["decision"]["action"] == "approve"
    public = await read_thread(client, case.site, case.article)
    assert public["article"]["comment_count"] == before + 1
    [shown] = [c for c in public["comments"] if c["id"] == case.comment["id"]]
    assert shown["status"] == "approved" and "appeal" not in shown and "moderation_reason" not in shown
    assert (await mine(client, case))["appeal"] == {
        "status": "reinstated",
        "reason": "Le commentaire est dans le sujet.",
    }
    standing = await db.fetchrow(
        """SELECT approved, rejected FROM author_standing st JOIN sites s ON s.id = st.site_id
           WHERE s.slug = $1 AND st.user_id = $2""",
        case.site,
        case.author.id,
    )
    assert (standing["approved"], standing["rejected"]) == (1, 0)
    [letter] = await mailbox.wait_for_kind(case.author.email, "appeal")
    assert "rétabli" in letter.message["Subject"]
    assert "Le commentaire est dans le sujet." in letter.part("plain")
    assert "Un avis tranché" in letter.part("plain")


async def test_an_upheld_appeal_leaves_the_comment_removed_and_tells_its_author(client, db, mailbox: Mailbox):
    case = await removed(client, db)
    await db.execute("UPDATE users SET language = 'en' WHERE id = $1", case.author.id)
    assert (await appeal(client, case.author, case.comment["id"])).status_code == 202
    [item] = await moderation_queue(client, case.site, case.other)
    await decide(client, case.other, item["item_id"], action="reject", reason="Still off topic.")
    comment = await mine(client, case)
    assert comment["status"] == "rejected" and comment["moderation_reason"] == "Hors sujet"
    assert comment["appeal"] == {"status": "upheld", "reason": "Still off topic."}
    [letter] = await mailbox.wait_for_kind(case.author.email, "appeal")
    assert letter.message["Subject"].endswith("your appeal is rejected, your comment stays removed")
    assert "The reason for this decision: Still off topic." in letter.part("plain")
    assert "Still off topic." in letter.part("html")


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"action": "approve"}, "reason"),
        ({"action": "keep", "reason": "r"}, "action"),
        ({"action": "spam", "reason": "r"}, "action"),
        ({"action": "reject", "reason": "r", "ban_days": 1}, "ban_days"),
    ],
)
async def test_an_appeal_is_decided_by_approve_or_reject_with_a_reason(client, db, decision, field):
    case = await removed(client, db)
    assert (await appeal(client, case.author, case.comment["id"])).status_code == 202
    [item] = await moderation_queue(client, case.site, case.other)
    response = await client.post(
        f"/api/v1/moderation/items/{item['item_id']}/decision", json=decision, headers=case.other.auth
    )
    assert response.status_code == 400 and response.json()["field"] == field
    assert await db.fetchval("SELECT decision FROM moderation_items WHERE id = $1", item["item_id"]) is None


async def test_the_appeal_and_its_outcome_are_in_the_audit_log_and_the_events(client, db):
    case = await removed(client, db)
    assert (await appeal(client, case.author, case.comment["id"], "Relisez-le.")).status_code == 202
    [item] = await moderation_queue(client, case.site, case.other)
    await decide(client, case.other, item["item_id"], action="approve", reason="Relu.")
    response = await client.get(f"/api/v1/sites/{case.site}/moderation/log", headers=case.other.auth)
    entries = [(e["action"], e["actor"], e["reason"]) for e in response.json()["entries"]][:3]
    assert entries == [
        ("reinstate", case.other.username, "Relu."),
        ("appeal", case.author.username, "Relisez-le."),
        ("reject", case.remover.username, "Hors sujet"),
    ]
    rules = await db.fetch(
        "SELECT action, rule FROM audit_log WHERE comment_id = $1 ORDER BY id", case.comment["id"]
    )
    assert [(r["action"], r["rule"]) for r in rules] == [
        ("reject", "pre_moderation"),
        ("appeal", "pre_moderation"),
        ("reinstate", "pre_moderation"),
    ]
    events = await db.fetch(
        "SELECT type, data FROM events WHERE (data->>'id')::bigint = $1 ORDER BY id", case.comment["id"]
    )
    assert [(e["type"], json.loads(e["data"])) for e in events][-3:] == [
        ("comment.appealed", {"id": case.comment["id"]}),
        ("comment.approved", {"id": case.comment["id"], "parent_id": None, "status": "approved",
                              "previous_status": "rejected"}),
        ("appeal.decided", {"id": case.comment["id"], "outcome": "reinstated"}),
    ]  # fmt: skip


async def test_a_moderator_of_another_site_is_refused_the_new_routes(client, db):
    case = await removed(client, db)
    assert (await appeal(client, case.author, case.comment["id"])).status_code == 202
    elsewhere = await make_moderator(client, db, await make_site(db))
    item_id = await db.fetchval("SELECT item_id FROM appeals WHERE comment_id = $1", case.comment["id"])
    decision = await client.post(
        f"/api/v1/moderation/items/{item_id}/decision",
        json={"action": "approve", "reason": "r"},
        headers=elsewhere.auth,
    )
    assert decision.status_code == 403
    published = await post_comment(client, case.author, case.site, case.article, "Publié")
    [held] = await moderation_queue(client, case.site, case.remover)
    await decide(client, case.remover, held["item_id"], action="approve")
    history = await client.get(f"/api/v1/comments/{published['id']}/history", headers=elsewhere.auth)
    assert history.status_code == 403
    assert (await appeal(client, elsewhere, published["id"])).status_code == 403


async def test_the_history_shows_every_version_to_the_author_and_moderators_only(client, db):
    site, article = await make_site(db), unique_name("article")
    author, reader = await register(client), await register(client)
    moderator = await make_moderator(client, db, site)
    comment = await post_comment(client, author, site, article, "Premier jet")
    for body in ("Deuxième jet", "Version finale"):
        edited = await client.patch(
            f"/api/v1/comments/{comment['id']}", json={"body": body}, headers=author.auth
        )
        assert edited.status_code == 200, edited.text
    for viewer in (author, moderator):
        response = await client.get(f"/api/v1/comments/{comment['id']}/history", headers=viewer.auth)
        assert response.status_code == 200, response.text
        versions = response.json()["versions"]
        assert [v["body"] for v in versions] == ["Premier jet", "Deuxième jet", "Version finale"]
        assert versions[0]["edited_at"] is None and versions[1]["edited_at"] <= versions[2]["edited_at"]
    assert (
        await client.get(f"/api/v1/comments/{comment['id']}/history", headers=reader.auth)
    ).status_code == 403
    assert (await client.get(f"/api/v1/comments/{comment['id']}/history")).status_code == 401
    assert (await client.get("/api/v1/comments/999999999/history", headers=author.auth)).status_code == 404


async def test_a_comment_never_edited_has_one_version(client, db):
    site, article = await make_site(db), unique_name("article")
    author = await register(client)
    comment = await post_comment(client, author, site, article, "Tel quel")
    response = await client.get(f"/api/v1/comments/{comment['id']}/history", headers=author.auth)
    assert response.json() == {"versions": [{"body": "Tel quel", "edited_at": None}]}


async def test_site_stats_count_removals_appeals_reversals_and_upheld_by_rule(client, db, settings):
    case = await removed(client, db, max_links=0)
    # A second removal on the site, held for its links, appealed and upheld.
    linked = await post_comment(client, case.author, case.site, case.article, "Voir https://a.example")
    [item] = await moderation_queue(client, case.site, case.remover)
    await decide(client, case.remover, item["item_id"], action="spam", reason="Lien douteux")
    # A published comment reported, then removed; not appealed.
    writer, reporter = await register(client), await register(client)
    reported = await post_comment(client, writer, case.site, case.article, "Un avis publié")
    [item] = await moderation_queue(client, case.site, case.remover)
    await decide(client, case.remover, item["item_id"], action="approve")
    response = await client.post(
        f"/api/v1/comments/{reported['id']}/reports", json={"reason": "abuse"}, headers=reporter.auth
    )
    assert response.status_code == 202, response.text
    [item] = await moderation_queue(client, case.site, case.remover)
    await decide(client, case.remover, item["item_id"], action="reject", reason="Insultant")
    for comment_id in (case.comment["id"], linked["id"]):
        assert (await appeal(client, case.author, comment_id)).status_code == 202
    for outcome in ("approve", "reject"):
        [item] = await moderation_queue(client, case.site, case.other, limit=1)
        await decide(client, case.other, item["item_id"], action=outcome, reason="Vu")
    month = await db.fetchval("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')")
    env = service_environment(settings)
    listed = commentsvc("site", "stats", case.site, "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["rule"]: row for row in json.loads(listed.stdout)}
    assert {rule: row["month"] for rule, row in rows.items()} == {
        "links": month, "pre_moderation": month, "reports": month
    }  # fmt: skip
    figures = {
        rule: [row[c] for c in ("removals", "appeals", "reversals", "upheld")] for rule, row in rows.items()
    }
    assert figures["reports"] == [1, 0, 0, 0]
    # The first appeal claimed is the first made (the pre-moderated comment's): reinstated.
    assert figures["pre_moderation"] == [1, 1, 1, 0]
    assert figures["links"] == [1, 1, 0, 1]
    table = commentsvc("site", "stats", case.site, "--months", "1", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["month", "rule", "removals", "appeals", "reversals", "upheld"]
    assert lines[-1].split() == ["total", "3", "2", "1", "1"]


@pytest.mark.parametrize(
    ("args", "status", "sentence"),
    [
        (["--months", "121"], 2, "--months: between 1 and 120, not 121."),
        (["--months", "0"], 2, "expected a positive whole number"),
    ],
)
def test_site_stats_refuses_a_wrong_value_in_one_sentence(settings, args, status, sentence):
    env = service_environment(settings)
    done = commentsvc("site", "stats", "any-site", *args, env=env)
    assert done.returncode == status and sentence in done.stderr


def test_site_stats_of_no_site_says_so(settings):
    done = commentsvc("site", "stats", "no-such-site-at-all", env=service_environment(settings))
    assert done.returncode == 1 and "no site named 'no-such-site-at-all'" in done.stderr
