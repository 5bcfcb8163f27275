"""The ceiling: a bare Litestar app served exactly as `commentsvc serve` serves the service.

It owns nothing but two endpoints, so whatever the service measures below these numbers is the
cost of commentsvc itself (middleware, auth, logging, its queries), not of the framework,
the server or the machine:

  GET /plain    a small JSON object: Litestar + uvicorn and nothing else
  GET /select1  `SELECT 1` through an asyncpg pool made by the service's own create_pool()

Usage: python bench/ceiling.py --port PORT --database-url URL [--workers N]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from litestar import Litestar, get
from litestar.datastructures import State

from commentsvc.config import load_settings
from commentsvc.store.pool import create_pool

# The workers are separate processes that import this module afresh: they get the URL from here.
DATABASE_URL_VARIABLE = "COMMENTSVC_BENCH_CEILING_DATABASE_URL"


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    # The service's pool factory and default settings (size 10 and all), so /select1 pays per
    # query what the service pays, and keeps doing so when the service's pool changes.
    settings = load_settings({"COMMENTSVC_DATABASE_URL": os.environ[DATABASE_URL_VARIABLE]})
    app.state.pool = await create_pool(settings)
    try:
        yield
    finally:
        await app.state.pool.close()


@get("/plain")
async def plain() -> dict[str, str]:
    return {"status": "ok"}


@get("/select1")
async def select1(state: State) -> dict[str, int]:
    async with state.pool.acquire() as conn:
        return {"value": await conn.fetchval("SELECT 1")}


def create_app() -> Litestar:
    return Litestar(route_handlers=[plain, select1], lifespan=[lifespan], debug=False, logging_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ[DATABASE_URL_VARIABLE] = args.database_url
    # The options commentsvc.cli.serve passes, bar its logging set-up and graceful-shutdown time.
    uvicorn.run(
        "ceiling:create_app",
        app_dir=str(Path(__file__).resolve().parent),
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        access_log=False,
    )


if __name__ == "__main__":
    main()
