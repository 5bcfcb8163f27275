"""The `commentsvc` command line: sites, roles, the demo, configuration errors, the secret
`commentsvc serve` keeps for development, and what a newcomer meets first (a missing database or
role, a mistyped variable, a port in use, a backend down, a setting out of range)."""

from __future__ import annotations

import getpass
import importlib
import pkgutil
import signal
import socket
import stat
import time
import uuid
from urllib.parse import urlsplit

import asyncpg
import httpx
import jwt
import pytest

import commentsvc as package
from tests.builders import register, unique_name
from tests.conftest import RUN_ID, empty_database, with_database
from tests.served import commentsvc, free_port, service_environment, serving

# The development secret of earlier versions, published with the source.
PUBLISHED_SECRET = "development-only-secret-never-use-in-production!"
# Where `commentsvc serve` keeps the secret it makes for development, from where it runs.
KEPT_SECRET = ".data/jwt-secret"


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


@pytest.mark.parametrize("command", ["migrate", "serve"])
@pytest.mark.parametrize(
    ("variables", "sentence"),
    [
        ({"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": ""}, "is required in production"),
        (
            {"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": PUBLISHED_SECRET},
            "is the development value published in commentsvc's source",
        ),
        (
            {"COMMENTSVC_JWT_SECRET": PUBLISHED_SECRET},
            "is the development value published in commentsvc's source",
        ),
    ],
    ids=[
        "production-without-secret",
        "production-with-published-secret",
        "development-with-published-secret",
    ],
)
def test_a_missing_or_published_secret_stops_the_command_with_one_sentence(env, command, variables, sentence):
    result = commentsvc(command, env={**env, "COMMENTSVC_PORT": str(free_port()), **variables})
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"commentsvc: COMMENTSVC_JWT_SECRET {sentence}"), result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith(".\n"), result.stderr


def strings_in_the_source() -> set[str]:
    """Every string the package's modules hold at their top level, alone or in a collection."""
    found = {PUBLISHED_SECRET}
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        for value in vars(importlib.import_module(module.name)).values():
            items = value if isinstance(value, (frozenset, set, tuple, list)) else (value,)
            # (An empty string is no HMAC key at all: PyJWT refuses to sign with one.)
            found |= {item for item in items if isinstance(item, str) and item}
    return found


def token(secret: str, user_id: int, issuer: str) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "iat": now, "exp": now + 600, "iss": issuer, "aud": "commentsvc"}
    return jwt.encode(claims | {"jti": uuid.uuid4().hex}, secret, algorithm="HS256")


# Most strings of the source are short keys: PyJWT says so, and the point is that they are refused.
@pytest.mark.filterwarnings("ignore:The HMAC key is .* below the minimum recommended length")
@pytest.mark.slow
async def test_no_string_of_the_source_signs_a_token_a_development_instance_accepts(settings, tmp_path):
    """`commentsvc serve` in development without COMMENTSVC_JWT_SECRET, as `make run` starts it."""
    with serving(settings, ["--workers", "2"], cwd=tmp_path, COMMENTSVC_JWT_SECRET="") as served:
        async with httpx.AsyncClient(base_url=served.url) as client:
            reader = await register(client)
            for secret in sorted(strings_in_the_source()):
                forged = token(secret, reader.id, served.url)
                me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
                assert me.status_code == 401, f"a token signed with {secret!r} was accepted"
            # The test signs as the service does: with the secret it kept, a token is accepted.
            kept = (tmp_path / KEPT_SECRET).read_text().strip()
            signed = token(kept, reader.id, served.url)
            assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {signed}"})).is_success


@pytest.mark.slow
async def test_development_makes_its_secret_once_owner_only_and_tokens_outlive_a_restart(settings, tmp_path):
    kept = tmp_path / KEPT_SECRET
    # The same public URL for both runs, so that the tokens' issuer is the same.
    variables = {"COMMENTSVC_JWT_SECRET": "", "COMMENTSVC_PUBLIC_URL": settings.public_url}
    with serving(settings, ["--workers", "1"], cwd=tmp_path, **variables) as served:
        async with httpx.AsyncClient(base_url=served.url) as client:
            reader = await register(client)
    made = kept.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    with serving(settings, ["--workers", "1"], cwd=tmp_path, **variables) as served:
        async with httpx.AsyncClient(base_url=served.url) as client:
            me = await client.get("/api/v1/me", headers=reader.auth)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == reader.username
    assert kept.read_text() == made


# --- site settings out of range (issue 16) ------------------------------------------------------


@pytest.mark.parametrize("action", ["create", "update"])
@pytest.mark.parametrize(
    ("flag", "value", "sentence"),
    [
        ("--name", "", "--name must be between 1 and 200 characters long, not 0."),
        ("--trust-after", "-1", "--trust-after must be between 0 and 10000, not -1."),
        ("--distrust-ratio", "2", "--distrust-ratio must be between 0 and 1, not 2."),
        ("--distrust-ratio", "nan", "--distrust-ratio must be between 0 and 1, not nan."),
        ("--max-links", "3000000000", "--max-links must be between 0 and 1000, not 3000000000."),
        ("--burst", "0/10m", "the N of --burst N/Mm must be between 1 and 10000, not 0."),
        ("--burst", "5/0m", "the M of --burst N/Mm must be between 1 and 1440, not 0."),
        ("--report-threshold", "0", "--report-threshold must be between 1 and 1000, not 0."),
        ("--edit-window-minutes", "-5", "--edit-window-minutes must be between 0 and 525600, not -5."),
        ("--max-depth", "-1", "--max-depth must be between 0 and 50, not -1."),
        ("--max-depth", "51", "--max-depth must be between 0 and 50, not 51."),
    ],
)
@pytest.mark.slow
def test_a_site_setting_out_of_range_is_one_sentence_naming_the_flag(env, action, flag, value, sentence):
    name = slug()
    if action == "update":
        assert commentsvc("site", "create", name, "--origin", "https://a.example", env=env).returncode == 0
    before = commentsvc("site", "list", env=env).stdout
    result = commentsvc("site", action, name, "--origin", "https://a.example", f"{flag}={value}", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"commentsvc: {sentence}\n")
    assert commentsvc("site", "list", env=env).stdout == before


# --- the database and the role (issue 16) ---------------------------------------------------


def server_of(url: str) -> tuple[str, str]:
    """(host:port, role) of a database URL, as the command's sentences name them."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}", parts.username or getpass.getuser()


async def as_admin(server_settings, statement: str) -> None:
    admin = await asyncpg.connect(with_database(server_settings.database_url, "postgres"))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def test_migrate_creates_a_missing_database_and_says_so(env, server_settings):
    name = f"commentsvc_created_{RUN_ID}"
    url = with_database(server_settings.database_url, name)
    where, role = server_of(url)
    try:
        first = commentsvc("migrate", env={**env, "COMMENTSVC_DATABASE_URL": url})
        again = commentsvc("migrate", env={**env, "COMMENTSVC_DATABASE_URL": url})
    finally:
        await as_admin(server_settings, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert (first.returncode, first.stderr) == (0, "")
    created, applied = first.stdout.splitlines()
    assert created == f"commentsvc: created database '{name}' on PostgreSQL at {where} (owner '{role}')"
    assert applied.startswith("commentsvc: applied 0001_init, 0002_comments")
    assert (again.returncode, again.stdout) == (0, "commentsvc: schema up to date\n")


async def test_other_commands_do_not_create_a_missing_database_but_say_migrate_does(env, server_settings):
    name = f"commentsvc_missing_{RUN_ID}"
    url = with_database(server_settings.database_url, name)
    where, role = server_of(url)
    result = commentsvc("site", "list", env={**env, "COMMENTSVC_DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr == (
        f"commentsvc: PostgreSQL at {where} has no database '{name}' (role '{role}'); "
        "`commentsvc migrate` creates it.\n"
    )
    admin = await asyncpg.connect(with_database(server_settings.database_url, "postgres"))
    try:
        assert not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await admin.close()


def test_a_role_that_does_not_exist_is_one_sentence(env, server_settings):
    role = f"commentsvc_nobody_{RUN_ID}"
    url = with_database(server_settings.database_url, "x").replace(
        f"//{urlsplit(server_settings.database_url).username}@", f"//{role}@"
    )
    where, _ = server_of(url)
    result = commentsvc("migrate", env={**env, "COMMENTSVC_DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr == (
        f"commentsvc: PostgreSQL at {where} has no role '{role}' (for database 'x'): "
        f"create it (createuser --createdb {role}) or name another in COMMENTSVC_DATABASE_URL.\n"
    )


async def test_a_role_that_may_not_create_the_missing_database_is_one_sentence(env, server_settings):
    role, name = f"commentsvc_nocreate_{RUN_ID}", f"commentsvc_uncreated_{RUN_ID}"
    url = with_database(server_settings.database_url, name).replace(
        f"//{urlsplit(server_settings.database_url).username}@", f"//{role}@"
    )
    where, _ = server_of(url)
    await as_admin(server_settings, f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    try:
        result = commentsvc("migrate", env={**env, "COMMENTSVC_DATABASE_URL": url})
    finally:
        await as_admin(server_settings, f'DROP ROLE "{role}"')
    assert result.returncode == 1
    assert result.stderr == (
        f"commentsvc: PostgreSQL at {where} has no database '{name}' and role '{role}' may not create "
        f"databases: create it (createdb -O {role} {name}) or name another in COMMENTSVC_DATABASE_URL.\n"
    )


async def test_a_database_without_the_schema_says_to_migrate(env, server_settings):
    async with empty_database(server_settings, f"commentsvc_unmigrated_{RUN_ID}") as url:
        result = commentsvc("site", "list", env={**env, "COMMENTSVC_DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.startswith("commentsvc: the database has no commentsvc schema yet")
    assert result.stderr.endswith("run `commentsvc migrate` first.\n") and result.stderr.count("\n") == 1


# --- what `commentsvc` says at start-up (issue 16) -------------------------------


@pytest.mark.parametrize("command", [["site", "list"], ["migrate"]])
def test_an_unknown_variable_is_named_with_the_closest_setting(env, command):
    result = commentsvc(*command, env={**env, "COMMENTSVC_RATE_LIMIT_LOGNI": "5/1m"})
    assert result.returncode == 0
    assert result.stderr == (
        "commentsvc: COMMENTSVC_RATE_LIMIT_LOGNI is not a setting and is ignored; "
        "the closest setting is COMMENTSVC_RATE_LIMIT_LOGIN.\n"
    )


def test_serve_on_a_port_in_use_stops_with_one_sentence(env, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = commentsvc("serve", env={**env, "COMMENTSVC_PORT": str(port), "TMPDIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr == (
        f"commentsvc: 127.0.0.1:{port} is in use by another program: stop it, or set COMMENTSVC_PORT.\n"
    )
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", ["unreachable", "refused"])
@pytest.mark.slow
def test_serve_says_once_that_a_backend_cannot_be_used_and_serves_anyway(settings, tmp_path, case):
    closed = free_port()
    postgres, redis = {
        "unreachable": (f"postgresql://postgres@127.0.0.1:{closed}/x", f"redis://127.0.0.1:{closed}/0"),
        # A database that does not exist, a Redis database index beyond the server's.
        "refused": (
            with_database(settings.database_url, f"commentsvc_absent_{RUN_ID}"),
            settings.redis_url.rsplit("/", 1)[0] + "/99999",
        ),
    }[case]
    log = tmp_path / "serve.log"
    variables = {"COMMENTSVC_DATABASE_URL": postgres, "COMMENTSVC_REDIS_URL": redis}
    with serving(settings, ["--workers", "1"], log, up="/healthz", **variables) as served:
        ready = httpx.get(f"{served.url}/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "postgres": "unreachable", "redis": "unreachable"}
    said = [line for line in log.read_text().splitlines() if "Serving anyway" in line]
    serving_anyway = " Serving anyway: /readyz answers 503 until then."
    if case == "unreachable":
        assert [line.split(" (")[0] for line in said] == [
            f"commentsvc: cannot reach PostgreSQL at 127.0.0.1:{closed}",
            f"commentsvc: cannot reach Redis at 127.0.0.1:{closed}/0",
        ]
        assert all(line.endswith(serving_anyway) for line in said)
    else:
        where, role = server_of(postgres)
        redis_where = redis.split("//", 1)[1]
        assert said == [
            f"commentsvc: PostgreSQL at {where} has no database 'commentsvc_absent_{RUN_ID}' (role '{role}'); "
            f"`commentsvc migrate` creates it.{serving_anyway}",
            f"commentsvc: Redis at {redis_where} refused the connection (DB index is out of range); "
            f"check COMMENTSVC_REDIS_URL.{serving_anyway}",
        ]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.slow
def test_serve_stopped_with_sigterm_leaves_no_metrics_folder(settings, tmp_path, workers):
    with serving(settings, ["--workers", str(workers)], TMPDIR=str(tmp_path)) as served:
        assert [path.name.startswith("commentsvc-metrics-") for path in tmp_path.iterdir()] == [True]
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
    assert list(tmp_path.iterdir()) == []
