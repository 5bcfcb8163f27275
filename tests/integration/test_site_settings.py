"""Site settings against PostgreSQL: a value a `site create|update` flag may not take is one
sentence naming the flag and what it may take, exit status 2, and nothing changed; a good one is
stored as the structure (model.sites.SiteSettings) types it and read back the same; the schema's
CHECKs still refuse what is below a setting's range."""

from __future__ import annotations

import asyncpg
import msgspec
import pytest

from commentsvc.cli import SETTING_FLAGS
from commentsvc.domain.sites import create_site, get_site
from commentsvc.model.sites import SETTINGS, SiteSettings
from tests.builders import unique_slug
from tests.served import commentsvc, service_environment


@pytest.fixture(scope="module")
def env(settings):
    return service_environment(settings)


async def sites_table(db: asyncpg.Connection) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM sites ORDER BY id")


@pytest.mark.parametrize("action", ["create", "update"])
@pytest.mark.parametrize(
    ("flag", "value", "sentence"),
    [
        (
            "--burst",
            "x",
            "--burst must be N/Mm (N comments in M minutes), N between 1 and 10000 and M between 1 and 1440, not 'x'.",
        ),
        (
            "--burst",
            "10",
            "--burst must be N/Mm (N comments in M minutes), N between 1 and 10000 and M between 1 and 1440, not '10'.",
        ),
        ("--moderation", "maybe", "--moderation must be pre or post, not 'maybe'."),
        ("--trust-after", "abc", "--trust-after must be between 0 and 10000, not 'abc'."),
        ("--max-depth", "2.5", "--max-depth must be between 0 and 50, not '2.5'."),
        ("--distrust-ratio", "a third", "--distrust-ratio must be between 0 and 1, not 'a third'."),
        ("--hold-first-comment", "maybe", "--hold-first-comment must be true or false, not 'maybe'."),
        ("--language", "de", "--language must be fr or en, not 'de'."),
    ],
)
async def test_a_value_a_flag_cannot_take_is_one_sentence_and_changes_nothing(
    env, db, action, flag, value, sentence
):
    slug = unique_slug()
    if action == "update":
        assert commentsvc("site", "create", slug, "--origin", "https://a.example", env=env).returncode == 0
    before = await sites_table(db)
    result = commentsvc("site", action, slug, "--origin", "https://a.example", f"{flag}={value}", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"commentsvc: {sentence}\n")
    assert await sites_table(db) == before


async def test_every_setting_given_by_its_flag_is_stored_and_read_back(env, db):
    given = {
        "--moderation": "pre",
        "--trust-after": "7",
        "--distrust-ratio": "0.5",
        "--hold-first-comment": "yes",
        "--require-verified-email": "true",
        "--max-links": "0",
        "--blocked-words": "Casino, promo",
        "--burst": "3/60m",
        "--report-threshold": "4",
        "--edit-window-minutes": "0",
        "--max-depth": "50",
        "--language": "en",
    }
    assert sorted(given) == sorted(flag.flag for flag in SETTING_FLAGS)  # a new setting is given here too
    slug = unique_slug()
    assert commentsvc("site", "create", slug, "--origin", "https://a.example", env=env).returncode == 0
    updated = commentsvc(
        "site", "update", slug, *(f"{flag}={value}" for flag, value in given.items()), env=env
    )
    assert updated.returncode == 0, updated.stderr
    site = await get_site(db, slug)
    assert site.origins == ["https://a.example"]
    assert site.settings == SiteSettings(
        moderation="pre",
        trust_after=7,
        distrust_ratio=0.5,
        hold_first_comment=True,
        require_verified_email=True,
        max_links=0,
        blocked_words=["casino", "promo"],
        burst_count=3,
        burst_minutes=60,
        report_threshold=4,
        edit_window_minutes=0,
        max_depth=50,
        language="en",
    )
    assert updated.stdout == (
        f"{slug}: {slug!r} origins=https://a.example moderation=pre trust_after=7 distrust_ratio=0.5 "
        "hold_first_comment=true require_verified_email=true max_links=0 blocked_words=casino,promo burst=3/60m report_threshold=4 "
        "edit_window_minutes=0 max_depth=50 language=en\n"
    )
    assert updated.stdout in commentsvc("site", "list", env=env).stdout


async def test_a_site_created_with_no_settings_has_the_structures_defaults(db):
    slug = unique_slug()
    await create_site(db, slug, {"origins": ["https://a.example"]})
    stored, defaults = (await get_site(db, slug)).settings, SiteSettings()
    assert stored.distrust_ratio == pytest.approx(defaults.distrust_ratio)  # a PostgreSQL real
    assert msgspec.structs.replace(stored, distrust_ratio=defaults.distrust_ratio) == defaults


@pytest.mark.parametrize("setting", [name for name, setting in SETTINGS.items() if setting.range])
async def test_the_schema_still_refuses_a_value_below_a_settings_range(db, setting):
    slug = unique_slug()
    await create_site(db, slug, {"origins": ["https://a.example"]})
    below = SETTINGS[setting].kind(SETTINGS[setting].range.minimum - 1)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(f"UPDATE sites SET {setting} = $1 WHERE slug = $2", below, slug)
