"""SQL for sites: their origins and moderation settings."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec


class Site(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    origins: list[str]
    moderation: str
    trust_after: int
    distrust_ratio: float
    hold_first_comment: bool
    max_links: int
    blocked_words: list[str]
    burst_count: int
    burst_minutes: int
    report_threshold: int
    edit_window_minutes: int
    max_depth: int
    created_at: datetime


# The settings a site owner may change; the only column names ever put into SQL text.
SETTING_COLUMNS = (
    "name",
    "origins",
    "moderation",
    "trust_after",
    "distrust_ratio",
    "hold_first_comment",
    "max_links",
    "blocked_words",
    "burst_count",
    "burst_minutes",
    "report_threshold",
    "edit_window_minutes",
    "max_depth",
)
_FIELDS = ("id", "slug", *SETTING_COLUMNS, "created_at")
_COLUMNS = ", ".join(_FIELDS)


def _site(row: asyncpg.Record) -> Site:
    return Site(**{key: row[key] for key in row.keys()})


def columns_as(alias: str) -> str:
    """A site's columns in a query that joins ``sites`` as ``alias``, each named ``site_<column>``."""
    return ", ".join(f"{alias}.{field} AS site_{field}" for field in _FIELDS)


def site_from(row: asyncpg.Record) -> Site:
    """The site of a row selected with ``columns_as``."""
    return Site(**{field: row[f"site_{field}"] for field in _FIELDS})


def _checked(settings: dict[str, object]) -> list[str]:
    unknown = set(settings) - set(SETTING_COLUMNS)
    if unknown:
        raise ValueError(f"not site settings: {sorted(unknown)}")
    return list(settings)


async def insert_site(conn: asyncpg.Connection, slug: str, settings: dict[str, object]) -> Site | None:
    """The new site, or None if the slug is taken."""
    columns = ["slug", *_checked(settings)]
    values = [slug, *settings.values()]
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row = await conn.fetchrow(
        f"""INSERT INTO sites ({", ".join(columns)}) VALUES ({placeholders})
            ON CONFLICT (slug) DO NOTHING RETURNING {_COLUMNS}""",
        *values,
    )
    return _site(row) if row else None


async def update_site(conn: asyncpg.Connection, slug: str, settings: dict[str, object]) -> Site | None:
    columns = _checked(settings)
    if not columns:
        return await get_site(conn, slug)
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(columns, start=2))
    row = await conn.fetchrow(
        f"UPDATE sites SET {assignments} WHERE slug = $1 RETURNING {_COLUMNS}", slug, *settings.values()
    )
    return _site(row) if row else None


async def get_site(conn: asyncpg.Connection, slug: str) -> Site | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sites WHERE slug = $1", slug)
    return _site(row) if row else None


async def get_site_by_id(conn: asyncpg.Connection, site_id: int) -> Site | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sites WHERE id = $1", site_id)
    return _site(row) if row else None


async def list_sites(conn: asyncpg.Connection) -> list[Site]:
    return [_site(row) for row in await conn.fetch(f"SELECT {_COLUMNS} FROM sites ORDER BY slug")]
