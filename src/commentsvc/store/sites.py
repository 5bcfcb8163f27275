"""SQL for sites: their origins and settings, a column each."""

from __future__ import annotations

import asyncpg
import msgspec

from commentsvc.model.sites import Site, SiteSettings

_SETTINGS = SiteSettings.__struct_fields__
# What a change may set, each a column of the same name: the only column names ever put into SQL text.
_CHANGEABLE = ("name", "origins", *_SETTINGS)
_FIELDS = ("id", "slug", *_CHANGEABLE, "created_at")
_COLUMNS = ", ".join(_FIELDS)


def _site(row: asyncpg.Record, prefix: str = "") -> Site:
    return Site(
        id=row[prefix + "id"],
        slug=row[prefix + "slug"],
        name=row[prefix + "name"],
        origins=row[prefix + "origins"],
        settings=SiteSettings(**{name: row[prefix + name] for name in _SETTINGS}),
        created_at=row[prefix + "created_at"],
    )


def columns_as(alias: str) -> str:
    """A site's columns in a query that joins ``sites`` as ``alias``, each named ``site_<column>``."""
    return ", ".join(f"{alias}.{field} AS site_{field}" for field in _FIELDS)


def site_from(row: asyncpg.Record) -> Site:
    """The site of a row selected with ``columns_as``."""
    return _site(row, "site_")


async def insert_site(
    conn: asyncpg.Connection, slug: str, name: str, origins: list[str], settings: SiteSettings
) -> Site | None:
    """The new site, with every setting written, or None if the slug is taken."""
    values = {"slug": slug, "name": name, "origins": origins, **msgspec.structs.asdict(settings)}
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row = await conn.fetchrow(
        f"""INSERT INTO sites ({", ".join(values)}) VALUES ({placeholders})
            ON CONFLICT (slug) DO NOTHING RETURNING {_COLUMNS}""",
        *values.values(),
    )
    return _site(row) if row else None


async def update_site(conn: asyncpg.Connection, slug: str, change: dict[str, object]) -> Site | None:
    """The site with the columns ``change`` names set, or None if there is no such site."""
    unknown = set(change) - set(_CHANGEABLE)
    if unknown:
        raise ValueError(f"not site settings: {sorted(unknown)}")
    if not change:
        return await get_site(conn, slug)
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(change, start=2))
    row = await conn.fetchrow(
        f"UPDATE sites SET {assignments} WHERE slug = $1 RETURNING {_COLUMNS}", slug, *change.values()
    )
    return _site(row) if row else None


async def get_site(conn: asyncpg.Connection, slug: str, for_update: bool = False) -> Site | None:
    """``for_update``: locked until the transaction ends, for a change made from what it holds now."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sites WHERE slug = $1{lock}", slug)
    return _site(row) if row else None


async def get_site_by_id(conn: asyncpg.Connection, site_id: int) -> Site | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sites WHERE id = $1", site_id)
    return _site(row) if row else None


async def list_sites(conn: asyncpg.Connection) -> list[Site]:
    return [_site(row) for row in await conn.fetch(f"SELECT {_COLUMNS} FROM sites ORDER BY slug")]
