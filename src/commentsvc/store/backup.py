"""SQL for a site's export and restore. An export reads each kind of record through a cursor, a
batch at a time. A restore copies the file's records into temporary tables of its transaction,
then writes the site's rows from them with a few set-based statements, each exported id mapped
to the new row's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Iterator

import asyncpg
import msgspec

from commentsvc.errors import Invalid
from commentsvc.model.backup import (
    AppealRecord,
    ArticleRecord,
    AuditEntryRecord,
    BanRecord,
    CommentRecord,
    ModerationItemRecord,
    ReportRecord,
    RoleRecord,
    StandingRecord,
    UserRecord,
    VersionRecord,
    VoteRecord,
)

# Rows a cursor fetches at a time: an export's memory does not grow with the site.
BATCH = 1000

_SITE_COMMENTS = "comments c JOIN articles a ON a.id = c.article_id AND a.site_id = $1"
# Everyone the site's rows name.
_SITE_USERS = f"""
    SELECT c.author_id FROM {_SITE_COMMENTS}
    UNION SELECT v.user_id FROM votes v JOIN {_SITE_COMMENTS} ON c.id = v.comment_id
    UNION SELECT r.user_id FROM reports r JOIN {_SITE_COMMENTS} ON c.id = r.comment_id
    UNION SELECT decided_by FROM moderation_items WHERE site_id = $1
    UNION SELECT user_id FROM bans WHERE site_id = $1
    UNION SELECT banned_by FROM bans WHERE site_id = $1
    UNION SELECT user_id FROM author_standing WHERE site_id = $1
    UNION SELECT actor_id FROM audit_log WHERE site_id = $1
    UNION SELECT target_user_id FROM audit_log WHERE site_id = $1
    UNION SELECT user_id FROM user_roles WHERE site_id = $1"""

# What each kind of record is read with ($1: the site's id), in id order.
_EXPORTS: dict[type, str] = {
    # A guest's address waits in guests, an SSO account's in sso_accounts (whose site vouches for it).
    UserRecord: f"""
        SELECT u.id, u.username, u.display_name, coalesce(u.email, g.email, s.email) AS email,
               u.email_verified OR s.email IS NOT NULL AS email_verified, u.created_at,
               g.user_id IS NOT NULL AS guest
        FROM users u LEFT JOIN guests g ON g.user_id = u.id LEFT JOIN sso_accounts s ON s.user_id = u.id
        WHERE u.id IN ({_SITE_USERS}) ORDER BY u.id""",
    ArticleRecord: "SELECT id, key, title, url, locked, created_at FROM articles WHERE site_id = $1 ORDER BY id",
    CommentRecord: f"""
        SELECT c.id, c.article_id, c.parent_id, c.root_id, c.depth, c.status, c.author_id, c.body,
               c.body_html, c.held_because, c.held_findings::text AS held_findings, c.moderation_reason,
               c.created_at, c.edited_at, c.deleted_at, c.revision, c.score
        FROM {_SITE_COMMENTS} ORDER BY c.id""",
    VersionRecord: f"""
        SELECT v.comment_id, v.revision, v.body, v.edited_at
        FROM comment_versions v JOIN {_SITE_COMMENTS} ON c.id = v.comment_id ORDER BY v.comment_id, v.revision""",
    VoteRecord: f"""
        SELECT v.comment_id, v.user_id, v.value, v.voted_at
        FROM votes v JOIN {_SITE_COMMENTS} ON c.id = v.comment_id ORDER BY v.comment_id, v.user_id""",
    ReportRecord: f"""
        SELECT r.comment_id, r.user_id, r.reason, r.note, r.created_at
        FROM reports r JOIN {_SITE_COMMENTS} ON c.id = r.comment_id ORDER BY r.comment_id, r.user_id""",
    ModerationItemRecord: """
        SELECT id, comment_id, kind, opened_revision, created_at, decision, reason, ban_days,
               decided_by, decided_at
        FROM moderation_items WHERE site_id = $1 ORDER BY id""",
    BanRecord: """
        SELECT user_id, until, reason, banned_by, created_at FROM bans WHERE site_id = $1 ORDER BY user_id""",
    StandingRecord: "SELECT user_id, approved, rejected FROM author_standing WHERE site_id = $1 ORDER BY user_id",
    AuditEntryRecord: """
        SELECT id, actor_id, action, comment_id, target_user_id, article_key, reason, rule,
               change::text AS change, created_at
        FROM audit_log WHERE site_id = $1 ORDER BY id""",
    AppealRecord: """
        SELECT ap.comment_id, ap.item_id, ap.removal_id, ap.text, ap.created_at
        FROM appeals ap JOIN moderation_items i ON i.id = ap.item_id AND i.site_id = $1 ORDER BY ap.item_id""",
    RoleRecord: "SELECT user_id, role, granted_at FROM user_roles WHERE site_id = $1 ORDER BY user_id, role",
}


# JSON columns, read and written as text (the connections have no JSON codec).
_JSON = ("change", "held_findings")


async def records(conn: asyncpg.Connection, site_id: int, kind: type) -> AsyncIterator:
    """The site's records of this kind, read a batch at a time (inside a transaction)."""
    async for row in conn.cursor(_EXPORTS[kind], site_id, prefetch=BATCH):
        fields = dict(row)
        for name in _JSON:
            if fields.get(name) is not None:
                fields[name] = msgspec.json.decode(fields[name])
        yield kind(**fields)


# --- restore -------------------------------------------------------------------------

# The temporary table each kind of record is copied into: its columns are the record's fields
# (a comment's also its body's hash, for spotting the same text posted again).
_STAGES: dict[type, tuple[str, str]] = {
    UserRecord: (
        "restore_users",
        """id bigint PRIMARY KEY, username text NOT NULL, display_name text NOT NULL, email text,
           email_verified boolean NOT NULL, created_at timestamptz NOT NULL, guest boolean NOT NULL,
           guest_username text NOT NULL""",
    ),
    ArticleRecord: (
        "restore_articles",
        """id bigint PRIMARY KEY, key text NOT NULL, title text, url text, locked boolean NOT NULL,
           created_at timestamptz NOT NULL""",
    ),
    CommentRecord: (
        "restore_comments",
        """id bigint PRIMARY KEY, article_id bigint NOT NULL, parent_id bigint, root_id bigint,
           depth smallint NOT NULL, status text NOT NULL, author_id bigint, body text NOT NULL,
           body_html text NOT NULL, held_because text, held_findings jsonb, moderation_reason text,
           created_at timestamptz NOT NULL, edited_at timestamptz, deleted_at timestamptz,
           revision integer NOT NULL, score integer NOT NULL, body_hash bytea NOT NULL""",
    ),
    VersionRecord: (
        "restore_versions",
        "comment_id bigint NOT NULL, revision integer NOT NULL, body text NOT NULL, edited_at timestamptz",
    ),
    VoteRecord: (
        "restore_votes",
        "comment_id bigint NOT NULL, user_id bigint NOT NULL, value smallint NOT NULL, voted_at timestamptz NOT NULL",
    ),
    ReportRecord: (
        "restore_reports",
        """comment_id bigint NOT NULL, user_id bigint NOT NULL, reason text NOT NULL, note text,
           created_at timestamptz NOT NULL""",
    ),
    ModerationItemRecord: (
        "restore_items",
        """id bigint PRIMARY KEY, comment_id bigint NOT NULL, kind text NOT NULL,
           opened_revision integer NOT NULL, created_at timestamptz NOT NULL, decision text,
           reason text, ban_days integer, decided_by bigint, decided_at timestamptz""",
    ),
    BanRecord: (
        "restore_bans",
        """user_id bigint NOT NULL, until timestamptz, reason text NOT NULL, banned_by bigint,
           created_at timestamptz NOT NULL""",
    ),
    StandingRecord: (
        "restore_standing",
        "user_id bigint NOT NULL, approved integer NOT NULL, rejected integer NOT NULL",
    ),
    AuditEntryRecord: (
        "restore_audit",
        """id bigint PRIMARY KEY, actor_id bigint, action text NOT NULL, comment_id bigint,
           target_user_id bigint, article_key text, reason text, rule text, change jsonb,
           created_at timestamptz NOT NULL""",
    ),
    AppealRecord: (
        "restore_appeals",
        """comment_id bigint NOT NULL, item_id bigint NOT NULL, removal_id bigint NOT NULL,
           text text NOT NULL, created_at timestamptz NOT NULL""",
    ),
    RoleRecord: (
        "restore_roles",
        "user_id bigint NOT NULL, role text NOT NULL, granted_at timestamptz NOT NULL",
    ),
}
# The columns a kind's rows are copied into, in the order the domain gives them: the record's
# fields, then what the domain adds.
EXTRA_COLUMNS: dict[type, tuple[str, ...]] = {UserRecord: ("guest_username",), CommentRecord: ("body_hash",)}


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """A restore's writes: a row the schema refuses (a status, action or role this instance does
    not know, a body too long, a parent in another article…) refuses the file."""
    try:
        yield
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        raise Invalid(f"the file's records cannot be restored as they are ({_first_line(exc)}).") from None


def _json_text(value: object) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def _first_line(exc: Exception) -> str:
    """What a refusal says, without its detail (which would print a whole row, bodies and all)."""
    return str(exc).splitlines()[0]


def _columns(kind: type) -> tuple[str, ...]:
    return (*kind.__struct_fields__, *EXTRA_COLUMNS.get(kind, ()))


async def lock_empty_site(conn: asyncpg.Connection, site_id: int) -> bool:
    """Lock the site against a second restore until the transaction ends; whether it has no
    article yet (comments are in articles)."""
    await conn.execute("SELECT FROM sites WHERE id = $1 FOR UPDATE", site_id)
    return not await conn.fetchval("SELECT EXISTS (SELECT FROM articles WHERE site_id = $1)", site_id)


async def stage(conn: asyncpg.Connection) -> None:
    """The restore's temporary tables, dropped with its transaction."""
    await conn.execute(
        ";\n".join(
            f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP" for table, columns in _STAGES.values()
        )
    )


async def copy(conn: asyncpg.Connection, kind: type, rows: Iterable[tuple]) -> None:
    """Rows of one kind into its table (a file that names an id twice is refused here)."""
    columns = _columns(kind)
    json = [i for i, column in enumerate(columns) if column in _JSON]
    if json:
        rows = (tuple(_json_text(v) if i in json else v for i, v in enumerate(row)) for row in rows)
    try:
        await conn.copy_records_to_table(_STAGES[kind][0], records=rows, columns=columns)
    except asyncpg.UniqueViolationError:
        raise Invalid(
            f"the file holds two {kind.__struct_config__.tag} records of one id: it is damaged."
        ) from None
    except (asyncpg.DataError, asyncpg.NotNullViolationError, ValueError, OverflowError) as exc:
        # ValueError, OverflowError: the driver's own refusal of a value its column cannot take.
        raise Invalid(
            f"the file holds a {kind.__struct_config__.tag} record that cannot be kept ({_first_line(exc)})."
        ) from None


# Each reference the file makes: what is named, the staged table and column naming it, the staged
# table that should hold it.
_REFERENCES = (
    ("a comment's article", "restore_comments", "article_id", "restore_articles"),
    ("a comment's parent", "restore_comments", "parent_id", "restore_comments"),
    ("a comment's top-level comment", "restore_comments", "root_id", "restore_comments"),
    ("a comment's author", "restore_comments", "author_id", "restore_users"),
    ("a version's comment", "restore_versions", "comment_id", "restore_comments"),
    ("a vote's comment", "restore_votes", "comment_id", "restore_comments"),
    ("a vote's voter", "restore_votes", "user_id", "restore_users"),
    ("a report's comment", "restore_reports", "comment_id", "restore_comments"),
    ("a report's reporter", "restore_reports", "user_id", "restore_users"),
    ("a moderation item's comment", "restore_items", "comment_id", "restore_comments"),
    ("a moderation item's moderator", "restore_items", "decided_by", "restore_users"),
    ("a ban's reader", "restore_bans", "user_id", "restore_users"),
    ("a ban's moderator", "restore_bans", "banned_by", "restore_users"),
    ("a standing's author", "restore_standing", "user_id", "restore_users"),
    ("an audit entry's moderator", "restore_audit", "actor_id", "restore_users"),
    ("an audit entry's comment", "restore_audit", "comment_id", "restore_comments"),
    ("an audit entry's reader", "restore_audit", "target_user_id", "restore_users"),
    ("an appeal's comment", "restore_appeals", "comment_id", "restore_comments"),
    ("an appeal's moderation item", "restore_appeals", "item_id", "restore_items"),
    ("an appeal's removal", "restore_appeals", "removal_id", "restore_audit"),
    ("a role's user", "restore_roles", "user_id", "restore_users"),
)


async def dangling(conn: asyncpg.Connection) -> list[str]:
    """What the staged records name but the file does not hold, each kind said once. (First, the
    staged tables' statistics: autovacuum never reads temporary tables, and the joins from here
    on are planned on them.)"""
    await conn.execute("ANALYZE " + ", ".join(table for table, _ in _STAGES.values()))
    checks = " UNION ALL ".join(
        f"""(SELECT {i} FROM {table} s WHERE s.{column} IS NOT NULL
             AND NOT EXISTS (SELECT FROM {named} n WHERE n.id = s.{column}) LIMIT 1)"""
        for i, (_, table, column, named) in enumerate(_REFERENCES)
    )
    return [_REFERENCES[row[0]][0] for row in await conn.fetch(checks)]


async def map_accounts(conn: asyncpg.Connection) -> int:
    """Which of the file's users are accounts of this instance: the account with their address,
    when its owner verified it or has their username too (a username alone proves nothing).
    Returns how many."""
    await conn.execute(
        """CREATE TEMP TABLE restore_user_map (
               id bigint PRIMARY KEY, user_id bigint NOT NULL, account boolean NOT NULL) ON COMMIT DROP;
           INSERT INTO restore_user_map
           SELECT r.id, u.id, true FROM restore_users r
           JOIN users u ON lower(u.email) = lower(r.email)
           WHERE u.email_verified OR lower(u.username) = lower(r.username)"""
    )
    return await conn.fetchval("SELECT count(*) FROM restore_user_map")


async def insert_guests(conn: asyncpg.Connection, site_id: int) -> int:
    """A guest of the site for each of the file's other users, named as they were. Returns how many."""
    return await conn.fetchval(
        """WITH wanted AS (
               SELECT r.* FROM restore_users r
               WHERE NOT EXISTS (SELECT FROM restore_user_map m WHERE m.id = r.id)),
           made AS (
               INSERT INTO users (username, display_name, created_at)
               SELECT guest_username, display_name, created_at FROM wanted ORDER BY id
               RETURNING id, username),
           guests AS (
               INSERT INTO guests (user_id, site_id, source, key, email)
               SELECT made.id, $1, 'restore', w.username,
                      CASE WHEN length(w.email) BETWEEN 3 AND 254 THEN w.email END
               FROM made JOIN wanted w ON w.guest_username = made.username),
           mapped AS (
               INSERT INTO restore_user_map
               SELECT w.id, made.id, false FROM made JOIN wanted w ON w.guest_username = made.username)
           SELECT count(*) FROM made""",
        site_id,
    )


async def insert_articles(conn: asyncpg.Connection, site_id: int) -> int:
    await conn.execute(
        "CREATE TEMP TABLE restore_article_map (id bigint PRIMARY KEY, article_id bigint NOT NULL) ON COMMIT DROP"
    )
    await conn.execute(
        """WITH made AS (
               INSERT INTO articles (site_id, key, title, url, locked, created_at)
               SELECT $1, key, title, url, locked, created_at FROM restore_articles ORDER BY id
               RETURNING id, key)
           INSERT INTO restore_article_map SELECT r.id, made.id FROM made JOIN restore_articles r USING (key)""",
        site_id,
    )
    return await conn.fetchval("SELECT count(*) FROM restore_article_map")


async def _new_ids(conn: asyncpg.Connection, staged: str, table: str) -> None:
    """``<staged>_map``: each staged row's id, and the id its row takes in ``table``, given in the
    staged ids' order (pages and logs sort ties by id)."""
    await conn.execute(
        f"""CREATE TEMP TABLE {staged}_map ON COMMIT DROP AS
            SELECT id, nextval(pg_get_serial_sequence('{table}', 'id')) AS new_id
            FROM (SELECT id FROM {staged} ORDER BY id) ordered;
            ALTER TABLE {staged}_map ADD PRIMARY KEY (id)"""
    )


async def insert_comments(conn: asyncpg.Connection) -> int:
    """The comments, parents and replies in one statement, and their earlier texts."""
    await _new_ids(conn, "restore_comments", "comments")
    status = await conn.execute(
        """INSERT INTO comments (id, article_id, parent_id, root_id, depth, status, author_id, body,
                                 body_html, body_hash, held_because, held_findings, moderation_reason, created_at,
                                 edited_at, deleted_at, revision)
           OVERRIDING SYSTEM VALUE
           SELECT m.new_id, a.article_id, p.new_id, t.new_id, c.depth, c.status, u.user_id,
                  c.body, c.body_html, c.body_hash, c.held_because, c.held_findings, c.moderation_reason,
                  c.created_at,
                  c.edited_at, c.deleted_at, c.revision
           FROM restore_comments c
           JOIN restore_comments_map m USING (id)
           JOIN restore_article_map a ON a.id = c.article_id
           LEFT JOIN restore_comments_map p ON p.id = c.parent_id
           LEFT JOIN restore_comments_map t ON t.id = c.root_id
           LEFT JOIN restore_user_map u ON u.id = c.author_id
           ORDER BY c.id"""
    )
    await conn.execute(
        """INSERT INTO comment_versions (comment_id, revision, body, edited_at)
           SELECT m.new_id, v.revision, v.body, v.edited_at
           FROM restore_versions v JOIN restore_comments_map m ON m.id = v.comment_id"""
    )
    return int(status.split()[-1])


async def insert_votes_and_reports(conn: asyncpg.Connection) -> tuple[int, int]:
    """Votes (each moving its comment's score, as a reader's does) and reports. Two of the file's
    users found as one account count once."""
    votes = await conn.execute(
        """INSERT INTO votes (comment_id, user_id, value, voted_at)
           SELECT m.new_id, u.user_id, v.value, v.voted_at
           FROM restore_votes v JOIN restore_comments_map m ON m.id = v.comment_id
           JOIN restore_user_map u ON u.id = v.user_id
           ORDER BY m.new_id, u.user_id
           ON CONFLICT DO NOTHING"""
    )
    reports = await conn.execute(
        """INSERT INTO reports (comment_id, user_id, reason, note, created_at)
           SELECT m.new_id, u.user_id, r.reason, r.note, r.created_at
           FROM restore_reports r JOIN restore_comments_map m ON m.id = r.comment_id
           JOIN restore_user_map u ON u.id = r.user_id
           ON CONFLICT DO NOTHING"""
    )
    return int(votes.split()[-1]), int(reports.split()[-1])


async def insert_moderation(conn: asyncpg.Connection, site_id: int) -> tuple[int, int]:
    """Moderation items (the open ones to be queued, as any new item is), bans and the authors'
    standing as the file has it. Returns how many items and bans."""
    await _new_ids(conn, "restore_items", "moderation_items")
    items = await conn.execute(
        """INSERT INTO moderation_items (id, site_id, comment_id, kind, opened_revision, created_at,
                                         decision, reason, ban_days, decided_by, decided_at)
           OVERRIDING SYSTEM VALUE
           SELECT n.new_id, $1, m.new_id, i.kind, i.opened_revision, i.created_at, i.decision,
                  i.reason, i.ban_days, u.user_id, i.decided_at
           FROM restore_items i JOIN restore_items_map n USING (id)
           JOIN restore_comments_map m ON m.id = i.comment_id
           LEFT JOIN restore_user_map u ON u.id = i.decided_by
           ORDER BY i.id""",
        site_id,
    )
    bans = await conn.execute(
        """INSERT INTO bans (site_id, user_id, until, reason, banned_by, created_at)
           SELECT $1, u.user_id, b.until, b.reason, banner.user_id, b.created_at
           FROM restore_bans b JOIN restore_user_map u ON u.id = b.user_id
           LEFT JOIN restore_user_map banner ON banner.id = b.banned_by
           ON CONFLICT DO NOTHING""",
        site_id,
    )
    # The comments' insert counted their statuses; the file's standing also remembers removed
    # comments deleted since, which no comment shows any more.
    await conn.execute(
        """INSERT INTO author_standing AS s (site_id, user_id, approved, rejected)
           SELECT $1, u.user_id, sum(st.approved), sum(st.rejected)
           FROM restore_standing st JOIN restore_user_map u ON u.id = st.user_id
           GROUP BY u.user_id ORDER BY u.user_id
           ON CONFLICT (site_id, user_id) DO UPDATE SET approved = excluded.approved, rejected = excluded.rejected""",
        site_id,
    )
    return int(items.split()[-1]), int(bans.split()[-1])


async def insert_audit_and_roles(conn: asyncpg.Connection, site_id: int) -> tuple[int, int, int, int]:
    """The audit log, in its order; the appeals, each against its removal's entry; the site's
    roles of the users found as accounts (a guest cannot sign in to use one). Returns how many
    entries, appeals, roles given and roles not given."""
    await _new_ids(conn, "restore_audit", "audit_log")
    entries = await conn.execute(
        """INSERT INTO audit_log (id, site_id, actor_id, action, comment_id, target_user_id, article_key,
                                  reason, rule, change, created_at)
           OVERRIDING SYSTEM VALUE
           SELECT n.new_id, $1, actor.user_id, e.action, m.new_id, target.user_id, e.article_key,
                  e.reason, e.rule, e.change, e.created_at
           FROM restore_audit e JOIN restore_audit_map n USING (id)
           LEFT JOIN restore_user_map actor ON actor.id = e.actor_id
           LEFT JOIN restore_comments_map m ON m.id = e.comment_id
           LEFT JOIN restore_user_map target ON target.id = e.target_user_id
           ORDER BY e.id""",
        site_id,
    )
    appeals = await conn.execute(
        """INSERT INTO appeals (comment_id, item_id, removal_id, text, created_at)
           SELECT c.new_id, i.new_id, r.new_id, ap.text, ap.created_at
           FROM restore_appeals ap JOIN restore_comments_map c ON c.id = ap.comment_id
           JOIN restore_items_map i ON i.id = ap.item_id JOIN restore_audit_map r ON r.id = ap.removal_id"""
    )
    given = await conn.execute(
        """INSERT INTO user_roles (user_id, role, site_id, granted_at)
           SELECT u.user_id, r.role, $1, r.granted_at
           FROM restore_roles r JOIN restore_user_map u ON u.id = r.user_id AND u.account
           ON CONFLICT DO NOTHING""",
        site_id,
    )
    not_given = await conn.fetchval(
        """SELECT count(*) FROM restore_roles r JOIN restore_user_map u ON u.id = r.user_id
           WHERE NOT u.account"""
    )
    return int(entries.split()[-1]), int(appeals.split()[-1]), int(given.split()[-1]), not_given


async def restored_articles(conn: asyncpg.Connection) -> list[tuple[int, int, int]]:
    """Each restored article: its id, how many comments, how many items await a decision (read
    from the staged records: the site's rows are the same)."""
    rows = await conn.fetch(
        """SELECT a.article_id, count(c.id)::int AS comments, count(i.id)::int AS open
           FROM restore_article_map a
           LEFT JOIN restore_comments c ON c.article_id = a.id
           LEFT JOIN restore_items i ON i.comment_id = c.id AND i.decision IS NULL
           GROUP BY a.article_id ORDER BY a.article_id"""
    )
    return [(row["article_id"], row["comments"], row["open"]) for row in rows]
