"""The ``commentsvc`` command: serve, migrate, manage sites, roles and webhooks, import comments,
export and restore a site, seed the demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from commentsvc.backup.jsonl import ExportFile, writing
from commentsvc.config import PREFIX, ConfigError, Settings, load_settings
from commentsvc.domain import appeals, backup, roles, sites, sso
from commentsvc.domain.articles import describe_article
from commentsvc.domain.dry_run import dry_run
from commentsvc.domain.imports import REASONS, Importer, Progress
from commentsvc.domain.moderation_views import rule_named
from commentsvc.domain.webhooks.registry import Webhooks
from commentsvc.errors import Conflict, Invalid, ServiceError, Unavailable
from commentsvc.imports import READERS
from commentsvc.imports.reach import Reached
from commentsvc.kv.client import check as check_redis
from commentsvc.model.events import SITE_TYPES
from commentsvc.model.imports import ImportSummary, KeyMode, Source
from commentsvc.model.sites import SETTINGS, Range, Setting, Site, SiteSettings
from commentsvc.store import articles, events
from commentsvc.store.migrations import migrate
from commentsvc.store.pool import UNAVAILABLE_ERRORS, connect, unreachable
from commentsvc.store.replicas import connect_for_reading


def say(sentence: str) -> None:
    """A warning or an error, on stderr."""
    print(f"commentsvc: {sentence}", file=sys.stderr, flush=True)


def _tell(sentence: str) -> None:
    print(f"commentsvc: {sentence}", flush=True)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except Invalid as exc:  # a site setting's flag, refused in one sentence (argparse's own is three lines)
        say(_with_flag(exc))
        return 2
    try:
        settings = load_settings(secret_dir=getattr(args, "secret_dir", None), warn=say)
    except ConfigError as exc:
        say(str(exc))
        return 2
    try:
        return args.run(settings, args)
    except Invalid as exc:  # what the command was given, as argparse's own refusals
        say(_with_flag(exc))
        return 2
    except ServiceError as exc:
        say(exc.detail)
        return 1
    except UNAVAILABLE_ERRORS as exc:
        say(unreachable(settings, exc).detail)
        return 1
    except asyncpg.UndefinedTableError as exc:
        say(f"the database has no commentsvc schema yet ({exc}): run `commentsvc migrate` first.")
        return 1


def _with_flag(exc: Invalid) -> str:
    """The domain starts a sentence about a site setting with its name, as stored; here it is
    the flag that sets it."""
    if exc.field not in _FLAG_NAMES:
        return exc.detail
    return exc.detail.replace(exc.field, _FLAG_NAMES[exc.field], 1)


Action = Callable[[asyncpg.Connection, argparse.Namespace], Awaitable[int]]


def _with_connection(
    action: Action, in_transaction: bool = True, create_database: bool = False, reading: bool = False
) -> Callable[[Settings, argparse.Namespace], int]:
    """Run ``action`` with one PostgreSQL connection, by default in a transaction; with
    ``create_database``, on a database made first if it is missing; ``reading`` (it writes
    nothing), on a replica that has caught up when there is one."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        async def go() -> int:
            if reading:
                conn = await connect_for_reading(settings)
            else:
                conn = await connect(settings, created=_tell if create_database else None)
            try:
                if not in_transaction:
                    return await action(conn, args)
                async with conn.transaction():
                    return await action(conn, args)
            finally:
                await conn.close()

        args.settings = settings
        return asyncio.run(go())

    return run


# --- serve -----------------------------------------------------------------


# Where `commentsvc serve` keeps, in development, the secret it made (git-ignored, like the
# throwaway databases dev/services.py keeps there).
DEVELOPMENT_DATA = Path(".data")


# The start-up check only warns, so it must not hold the start-up for long.
STARTUP_CHECK_SECONDS = 2.0


def serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if cannot_listen := _cannot_listen(settings.host, settings.port):
        say(cannot_listen)
        return 1
    for backend_down in asyncio.run(_backends_down(settings)):
        say(f"{backend_down} Serving anyway: /readyz answers 503 until then.")
    # Each worker writes its metrics here and /metrics sums them.
    metrics_dir = tempfile.mkdtemp(prefix="commentsvc-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # Every worker signs with the secret settled here (in development, perhaps just made).
    os.environ[PREFIX + "JWT_SECRET"] = settings.jwt_secret
    # Only now: prometheus_client chooses its mode when imported, and one worker runs in this process.
    from commentsvc.protocol import DeadlineProtocol

    # A single worker's uvicorn stops gracefully on SIGTERM, then sends it again to the handler it
    # found: the default one would end the process before the metrics folder is removed.
    signal.signal(signal.SIGTERM, _stop)
    workers = args.workers or settings.workers
    try:
        print(f"commentsvc: serving on {settings.public_url} with {workers} worker(s)", flush=True)
        uvicorn.run(
            "commentsvc.worker:create_worker",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            proxy_headers=False,  # X-Forwarded-For is believed only from COMMENTSVC_TRUSTED_PROXIES
            access_log=False,  # commentsvc logs one structured line per request itself
            server_header=False,  # nothing to tell a visitor about what runs the service
            http=functools.partial(
                DeadlineProtocol,
                header_timeout=settings.header_timeout_seconds,
                body_timeout=settings.body_timeout_seconds,
            ),
            ws="none",  # no route is a WebSocket: an upgrade is an ordinary request
            log_config=_log_config(),
            timeout_graceful_shutdown=args.grace_seconds,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _stop(*_: object) -> None:
    raise SystemExit(0)  # stopped as asked: unwind, cleaning up on the way


def _cannot_listen(host: str, port: int) -> str | None:
    """Why uvicorn could not listen on host:port, in one sentence, found by trying as it does
    (uvicorn's own failure is a logged errno)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As uvicorn: a port whose last connections are still closing (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"{host}:{port} is in use by another program: stop it, or set COMMENTSVC_PORT."
            return f"cannot listen on {host}:{port} ({exc.strerror}): check COMMENTSVC_HOST and _PORT."
    return None


async def _backends_down(settings: Settings) -> list[str]:
    """Why PostgreSQL or Redis cannot be used, a sentence for each."""

    async def postgres() -> None:
        await (await connect(settings, timeout=STARTUP_CHECK_SECONDS)).close()

    outcomes = await asyncio.gather(postgres(), check_redis(settings), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Unavailable):
            raise outcome
    return [outcome.detail for outcome in outcomes if isinstance(outcome, Unavailable)]


def _log_config() -> dict:  # type: ignore[type-arg]
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "loggers": dict(LOGGING_CONFIG["loggers"])}
    config["handlers"] = {
        **LOGGING_CONFIG["handlers"],
        "lines": {"()": "commentsvc.logs.background_stdout_handler"},
    }
    config["loggers"]["commentsvc"] = {"handlers": ["lines"], "level": "INFO", "propagate": False}
    return config


# --- migrate -----------------------------------------------------------------


async def _migrate(conn: asyncpg.Connection, _: argparse.Namespace) -> int:
    applied = await migrate(conn)
    print(
        f"commentsvc: applied {', '.join(m.name for m in applied)}"
        if applied
        else "commentsvc: schema up to date"
    )
    return 0


# --- site ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingFlag:
    """A flag of `site create|update`, made from the site settings it sets (model.sites.SETTINGS):
    its --help and the README's table say what those say."""

    flag: str
    metavar: str
    read: Callable[[str], dict[str, object]]  # the flag's text: each setting's value, checked
    text: Callable[[SiteSettings], str]  # the settings' values, as the flag would be given them
    meaning: str
    allowed: str
    names: dict[str, str]  # how a refusal names each setting the flag sets

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def default(self) -> str:
        return self.text(SiteSettings()) or "none"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return ",".join(value) if isinstance(value, list) else str(value)


def _bool(text: str) -> bool:
    if text.lower() in ("true", "yes", "on", "1"):
        return True
    if text.lower() in ("false", "no", "off", "0"):
        return False
    raise ValueError(text)


# How the command line writes each kind of setting.
_PARSERS: dict[type, Callable[[str], object]] = {
    int: int,
    float: float,
    bool: _bool,
    str: str,
    list: lambda text: text.split(","),
}


def _read(setting: Setting, text: str) -> dict[str, object]:
    try:
        value = _PARSERS[setting.kind](text)
    except ValueError:
        value = text  # not even of the setting's kind: the domain refuses it as it refuses the rest
    return {setting.name: sites.check_setting(setting.name, value)}


def _flag_of(setting: Setting) -> SettingFlag:
    flag = "--" + setting.name.replace("_", "-")
    kinds = {int: "N", float: "R", bool: "true|false", list: "a,b"}
    return SettingFlag(
        flag=flag,
        metavar="|".join(setting.choices) or kinds[setting.kind],
        read=functools.partial(_read, setting),
        text=lambda settings: _text(getattr(settings, setting.name)),
        meaning=setting.description,
        allowed=setting.allowed,
        names={setting.name: flag},
    )


def _read_burst(text: str) -> dict[str, object]:
    count, _, minutes = text.partition("/")
    try:
        values = {"burst_count": int(count), "burst_minutes": int(minutes.rstrip("m"))}
    except ValueError:
        raise Invalid(
            f"--burst must be N/Mm (N comments in M minutes), {_BURST.allowed}, not {text!r}."
        ) from None
    return {name: sites.check_setting(name, value) for name, value in values.items()}


# Site owners think of a burst as one thing: --burst 10/10m sets both its settings.
_BURST = SettingFlag(
    flag="--burst",
    metavar="N/Mm",
    read=_read_burst,
    text=lambda settings: f"{settings.burst_count}/{settings.burst_minutes}m",
    meaning=f"N: {SETTINGS['burst_count'].description}; M: {SETTINGS['burst_minutes'].description}",
    allowed=f"N {SETTINGS['burst_count'].allowed} and M {SETTINGS['burst_minutes'].allowed}",
    names={"burst_count": "the N of --burst N/Mm", "burst_minutes": "the M of --burst N/Mm"},
)
SETTING_FLAGS = tuple(
    _BURST if name == "burst_count" else _flag_of(setting)
    for name, setting in SETTINGS.items()
    if name != "burst_minutes"
)
_FLAG_NAMES = {"name": "--name", "months": "--months"} | {
    name: said for flag in SETTING_FLAGS for name, said in flag.names.items()
}


def _site_change(args: argparse.Namespace) -> dict[str, object]:
    change: dict[str, object] = {}
    if args.name is not None:
        change["name"] = args.name
    if args.origin:
        change["origins"] = args.origin
    return change | _settings_change(args)


def _settings_change(args: argparse.Namespace) -> dict[str, object]:
    change: dict[str, object] = {}
    for flag in SETTING_FLAGS:
        change.update(getattr(args, flag.dest) or {})
    return change


def _add_setting_flags(cmd: argparse.ArgumentParser) -> None:
    for flag in SETTING_FLAGS:
        cmd.add_argument(
            flag.flag,
            type=flag.read,
            metavar=flag.metavar,
            help=f"{flag.meaning} ({flag.allowed}; default {flag.default})",
        )


def _describe(site: Site) -> str:
    settings = " ".join(f"{flag.dest}={flag.text(site.settings) or '-'}" for flag in SETTING_FLAGS)
    return f"{site.slug}: {site.name!r} origins={','.join(site.origins) or '-'} {settings}"


async def _site_create(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    if not args.origin:
        raise Invalid("site create needs at least one --origin URL.")
    print(_describe(await sites.create_site(conn, args.slug, _site_change(args))))
    return 0


async def _site_update(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    print(_describe(await sites.update_site(conn, args.slug, _site_change(args))))
    return 0


async def _site_list(conn: asyncpg.Connection, _: argparse.Namespace) -> int:
    for site in await sites.list_sites(conn):
        print(_describe(site))
    return 0


DRY_RUN_DAYS = Range(1, 3650)


def _days(text: str) -> int:
    if (
        not text.isascii()
        or not text.isdigit()
        or int(text) not in range(DRY_RUN_DAYS.minimum, DRY_RUN_DAYS.maximum + 1)
    ):
        raise Invalid(f"--days must be {DRY_RUN_DAYS}, not {text}.")
    return int(text)


async def _site_dry_run(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    judged = await dry_run(conn, args.slug, _settings_change(args), args.days)
    changes = [f"{name}={_text(new)} (now {_text(now)})" for name, (now, new) in judged.changed.items()]
    print(
        f"{judged.site.slug}: {judged.judged} comment(s) of the last {judged.days} day(s) judged "
        f"with {', '.join(changes) if changes else 'the current settings'}"
    )
    width = max(len(rule) for rule in judged.would_hold)
    print(f"{'rule':<{width}}  would hold  held")
    for rule, count in judged.would_hold.items():
        print(f"{rule:<{width}}  {count:>10}  {judged.held[rule]:>4}")
    print(f"{'any rule':<{width}}  {judged.would_hold_any:>10}  {judged.held_any:>4}")
    _tell("a dry run: nothing was changed")
    return 0


async def _site_sso(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    """With --rotate, the new secret alone on stdout (for a script to hand to the host site);
    otherwise what the site's SSO is like, never its secret."""
    if args.rotate:
        print(await sso.rotate_secret(conn, args.slug))
        say(f"the SSO secret of {args.slug} above is shown once; the previous one works for 24 more hours")
        return 0
    state = await sso.status(conn, args.slug)
    if state.current_since is None:
        print(f"{args.slug}: no SSO secret (`commentsvc site sso {args.slug} --rotate` makes one)")
        return 0
    previous = (
        f", the previous one accepted until {state.previous_valid_until:%Y-%m-%d %H:%M} UTC"
        if state.previous_valid_until
        else ""
    )
    print(
        f"{args.slug}: SSO secret set {state.current_since:%Y-%m-%d %H:%M} UTC{previous}; "
        f"{state.accounts} account(s) signed in through it"
    )
    return 0


# What `site stats` counts, by its column's name: removals, appeals against them, and appeals
# decided, as reinstated (reversals) or upheld.
STATS_COLUMNS = ("removals", "appeals", "reversals", "upheld")
# How `site stats` names removals no queue item brought before a moderator.
NO_RULE = "none"


async def _site_stats(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    """By month and by rule: the figures of a transparency report (a plain table, or JSON)."""
    months = await appeals.transparency(conn, args.slug, args.months)
    rows = [
        {"month": f"{m.month:%Y-%m}", "rule": rule_named(m.rule) if m.rule else NO_RULE}
        | {column: getattr(m, column) for column in STATS_COLUMNS}
        for m in months
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = ("month", "rule", *STATS_COLUMNS)
    lines = [header, *(tuple(str(row[column]) for column in header) for row in rows)]
    totals = ("total", "", *(str(sum(getattr(m, column) for m in months)) for column in STATS_COLUMNS))
    lines.append(totals)
    widths = [max(len(line[n]) for line in lines) for n in range(len(header))]
    for line in lines:
        print(
            "  ".join(
                cell.ljust(width) if n < 2 else cell.rjust(width)
                for n, (cell, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
    return 0


# --- counts -------------------------------------------------------------------------


async def _counts_verify(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    drifted = await articles.recount(conn, fix=args.fix)
    for article_id, key, stored, actual in drifted:
        print(
            f"article {article_id} {key!r}: stored {stored}, actual {actual}{' (fixed)' if args.fix else ''}"
        )
    print(
        f"commentsvc: {len(drifted)} article(s) with a wrong count{', fixed' if args.fix and drifted else ''}"
    )
    return 1 if drifted and not args.fix else 0


# --- export, restore -------------------------------------------------------------------


def _counted(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


# How an export's summary names each kind of record it wrote.
_EXPORTED = (
    ("article", "article", ""),
    ("comment", "comment", ""),
    ("user", "user", ""),
    ("vote", "vote", ""),
    ("report", "report", ""),
    ("moderation_item", "moderation item", ""),
    ("ban", "ban", ""),
    ("audit", "audit log entry", "audit log entries"),
    ("appeal", "appeal", ""),
    ("version", "earlier text", "earlier texts"),
    ("role", "role", ""),
)


async def _export(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    """The export on stdout, or in --output; what it holds on stderr."""
    tally: dict[str, int] = {}
    with writing(args.output) as writer:
        # Closed here, whatever happens: it holds the snapshot's transaction open.
        async with contextlib.aclosing(backup.export(conn, args.site)) as records:
            async for record in records:
                writer.write(record)
                tag = type(record).__struct_config__.tag
                tally[tag] = tally.get(tag, 0) + 1
    held = ", ".join(_counted(tally.get(tag, 0), one, many) for tag, one, many in _EXPORTED)
    where = f" to {args.output}" if args.output else ""
    say(f"exported {args.site}{where}: {held}. It holds personal data: keep it private, delete it when done.")
    return 0


async def _restore(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    with ExportFile(args.file) as export:
        done = await backup.restore(conn, args.site, export.header, export.records())
        header = export.header
    print(
        f"commentsvc: restored {header.site} (exported {header.exported_at:%Y-%m-%d %H:%M} UTC) into "
        f"{args.site}: {_counted(done.articles, 'article')}, {_counted(done.comments, 'comment')}, "
        f"{_counted(done.votes, 'vote')}, {_counted(done.reports, 'report')}, "
        f"{_counted(done.moderation_items, 'moderation item')}, {_counted(done.bans, 'ban')}, "
        f"{_counted(done.audit_entries, 'audit log entry', 'audit log entries')}, "
        f"{_counted(done.appeals, 'appeal')}; "
        f"authors: {_counted(done.accounts, 'account')} of this instance, {_counted(done.guests, 'guest')}; "
        f"{_counted(done.roles, 'role')} given"
        + (
            f", {done.roles_not_given} not (their holders have no account here: grant them again)"
            if done.roles_not_given
            else ""
        )
    )
    return 0


# --- events ----------------------------------------------------------------------------


async def _events_list(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    listed = await events.deliveries(conn, args.dead, args.subscriber, args.limit)
    for d in listed:
        e = d.event
        where = (e.site or "(an account)") if e.article is None else f"{e.site} {e.article!r}"
        state = (
            f"dead since {d.dead_at:%Y-%m-%d %H:%M:%S}" if d.dead_at else f"due {d.due_at:%Y-%m-%d %H:%M:%S}"
        )
        error = f": {d.last_error}" if d.last_error else ""
        print(f"event {e.id} {e.type} {where} -> {d.subscriber}, {d.attempts} attempt(s), {state}{error}")
    kind = "dead " if args.dead else "undelivered "
    print(
        f"commentsvc: {len(listed)} {kind}deliver{'y' if len(listed) == 1 else 'ies'}"
        f"{' (the first ' + str(args.limit) + ')' if len(listed) == args.limit else ''}"
    )
    return 0


async def _events_replay(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    if not args.all and not args.event_ids:
        say("name the events to replay (their ids, from `commentsvc events list --dead`), or --all.")
        return 2
    replayed = await events.replay(conn, args.subscriber, None if args.all else args.event_ids)
    print(f"commentsvc: {replayed} dead deliver{'y' if replayed == 1 else 'ies'} sent again")
    return 0 if replayed else 1


# --- user ----------------------------------------------------------------------------


async def _user_grant(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    new = await roles.grant(conn, args.username, args.role, args.site)
    print(f"commentsvc: {args.username} {'is now' if new else 'already was'} {_role_name(args)}")
    return 0


async def _user_revoke(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    had = await roles.revoke(conn, args.username, args.role, args.site)
    print(f"commentsvc: {args.username} {'is no longer' if had else 'was not'} {_role_name(args)}")
    return 0


def _role_name(args: argparse.Namespace) -> str:
    return f"{args.role} of {args.site}" if args.site else args.role


# --- webhook ---------------------------------------------------------------------------


async def _webhook_add(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    webhooks = Webhooks(args.settings.webhook_allow_private)
    added = await webhooks.add(conn, args.site, args.url, args.event, caller=None)
    print(f"webhook {added.id} {added.url} events={','.join(added.events)}")
    print(f"secret {added.secret}")
    _tell("keep the secret: it signs every delivery, and is not shown again")
    return 0


async def _webhook_list(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    webhooks = Webhooks(args.settings.webhook_allow_private)
    for webhook in await webhooks.listing(conn, args.site, caller=None):
        last = webhook.last_delivery
        said = "never sent"
        if last is not None:
            outcome = last.error or f"answered {last.status}"
            said = f"last sent {last.at:%Y-%m-%d %H:%M:%S} (attempt {last.attempt}): {outcome}"
        print(f"webhook {webhook.id} {webhook.url} events={','.join(webhook.events)} {said}")
    return 0


async def _webhook_remove(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    await Webhooks(args.settings.webhook_allow_private).remove(conn, args.site, args.id, caller=None)
    _tell(f"webhook {args.id} of {args.site} removed, with its deliveries not yet made")
    return 0


# --- import ----------------------------------------------------------------------------


async def _import(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        raise Invalid(f"there is no file {str(path)!r} to import.")
    source = Source(args.format)
    with _import_progress(path) as (reached, progress):
        summary = await Importer(conn).run(
            args.site, source, READERS[source](path, reached), KeyMode(args.key), args.dry_run, progress
        )
    print("\n".join(_summary(summary, path, args.site)))
    return 0


@contextlib.contextmanager
def _import_progress(path: Path) -> Iterator[tuple[Reached | None, Progress | None]]:
    """A bar of how much of the file has been read, with the records read so far, on a terminal
    (stderr) only: redirected, the command says only its summary. Once the file is read, the
    bar says that the records are being written, which takes a while more."""
    if not sys.stderr.isatty():
        yield None, None
        return
    from rich.console import Console
    from rich.progress import BarColumn, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
    )
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:
        size = f"{path.stat().st_size / 1e6:,.1f} MB"
        task = bar.add_task(f"reading {path.name} ({size})", total=1.0, records=0)
        read = 0

        def reached(share: float) -> None:
            bar.update(task, completed=share)
            if share >= 1:
                bar.update(task, description=f"writing what {path.name} holds")

        def progress(records: int) -> None:
            nonlocal read
            read += records
            bar.update(task, records=read)

        yield reached, progress


def _summary(summary: ImportSummary, path: Path, site: str) -> list[str]:
    done = "would import" if summary.dry_run else "imported"
    lines = [
        f"commentsvc: {done} {path.name} into {site}:",
        f"  threads read: {summary.threads}",
        f"  articles created: {summary.articles_created}",
        f"  comments read: {summary.comments}",
        f"  comments created: {summary.comments_created}",
        f"  already imported: {summary.already_imported}",
        f"  authors (guests) created: {summary.authors_created}",
        f"  skipped: {sum(summary.skipped.values())}",
        *(f"    {REASONS[reason]}: {n}" for reason, n in summary.skipped.items()),
    ]
    if summary.dry_run:
        lines.append("commentsvc: dry run: nothing written")
    return lines


# --- demo -----------------------------------------------------------------------------


# The key and title of demo/article.html.
DEMO_ARTICLE = ("un-tiers-lieu-pour-les-rassembler-tous", "Un tiers-lieu pour les rassembler tous")


async def _demo(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    """The demo site accepts the service's own origin and its other loopback
    name, so the demo pages also work when served from a second origin, and the SSO demo host's
    origin when given (`make run` starts that host beside the service)."""
    public_url: str = args.settings.public_url
    origins = [public_url, *_loopback_twin(public_url), *([args.sso_host] if args.sso_host else [])]
    settings = {"name": "commentsvc demo", "origins": origins}
    try:
        site = await sites.create_site(conn, sites.DEMO_SITE, settings)
    except Conflict:
        site = await sites.update_site(conn, sites.DEMO_SITE, {"origins": origins})
    # A reader's comment does not title an article: the demo article is titled as a moderator would.
    await describe_article(conn, site, *DEMO_ARTICLE, f"{public_url}/demo/article.html")
    print(f"commentsvc: demo article: {public_url}/demo/article.html")
    print(f"commentsvc: demo listing: {public_url}/demo/listing.html")
    if args.sso_host:
        print(f"commentsvc: host-site SSO demo: {args.sso_host}/demo/sso.html")
    return 0


def _loopback_twin(origin: str) -> list[str]:
    parts = urlsplit(origin)
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname not in twins:
        return []
    return [f"{parts.scheme}://{twins[parts.hostname]}" + (f":{parts.port}" if parts.port else "")]


# --- argument parsing ----------------------------------------------------------------


def _positive(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 2**62:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {raw!r}")
    return int(raw)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="commentsvc", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve_cmd = commands.add_parser("serve", help="run the service")
    serve_cmd.add_argument(
        "--workers", type=int, help="worker processes (default: COMMENTSVC_WORKERS, else 1)"
    )
    serve_cmd.add_argument(
        "--grace-seconds", type=int, default=20, help="time in-flight requests get on shutdown"
    )
    serve_cmd.set_defaults(run=serve, secret_dir=DEVELOPMENT_DATA)

    # Migrations take their own transactions, one per file.
    migrate_cmd = commands.add_parser("migrate", help="apply pending sql/ migrations")
    migrate_cmd.set_defaults(run=_with_connection(_migrate, in_transaction=False, create_database=True))
    demo = commands.add_parser("demo", help="create the demo site")
    demo.add_argument(
        "--sso-host", metavar="ORIGIN", help="the origin of the SSO demo host (dev/sso_host.py)"
    )
    demo.set_defaults(run=_with_connection(_demo))

    site = commands.add_parser("site", help="manage sites").add_subparsers(required=True, metavar="ACTION")
    for action, handler in (("create", _site_create), ("update", _site_update)):
        cmd = site.add_parser(action, help=f"{action} a site")
        cmd.add_argument("slug")
        cmd.add_argument(
            "--origin", action="append", help="an origin allowed to embed (repeatable; replaces all)"
        )
        cmd.add_argument("--name", help="the site's name, as moderators see it (default: the slug)")
        _add_setting_flags(cmd)
        cmd.set_defaults(run=_with_connection(handler))
    rehearsal = site.add_parser(
        "dry-run",
        help="how many recent comments other settings would have held, by rule; changes nothing",
        description="Judge the site's comments of the last days again with the settings given "
        "(the site's own for the others), as posting judged each, and print how many each rule "
        "would have held, against how many were held. Nothing is changed.",
    )
    rehearsal.add_argument("slug")
    rehearsal.add_argument(
        "--days",
        type=_days,
        default=30,
        metavar="N",
        help=f"the comments of the last N days ({DRY_RUN_DAYS}; default 30)",
    )
    _add_setting_flags(rehearsal)
    rehearsal.set_defaults(run=_with_connection(_site_dry_run))
    site.add_parser("list", help="list sites").set_defaults(run=_with_connection(_site_list))
    sso_cmd = site.add_parser("sso", help="a site's SSO secret: its state, or --rotate for a new one")
    sso_cmd.add_argument("slug")
    sso_cmd.add_argument(
        "--rotate", action="store_true", help="print a new secret; the previous one works for 24 hours"
    )
    sso_cmd.set_defaults(run=_with_connection(_site_sso))
    stats = site.add_parser(
        "stats", help="removals, appeals, reversals and upheld removals, by month and by rule"
    )
    stats.add_argument("slug")
    stats.add_argument(
        "--months", type=_positive, default=12, help="this month and the N-1 before (default 12)"
    )
    stats.add_argument("--json", action="store_true", help="print JSON rather than a table")
    stats.set_defaults(run=_with_connection(_site_stats))

    counts = commands.add_parser("counts", help="check comment counts").add_subparsers(
        required=True, metavar="ACTION"
    )
    verify = counts.add_parser("verify", help="compare stored counts with COUNT(*); exit 1 if any differs")
    verify.add_argument("--fix", action="store_true", help="correct the counts that differ")
    verify.set_defaults(run=_with_connection(_counts_verify))

    export = commands.add_parser(
        "export", help="write a site as JSON Lines (it holds personal data: keep it private)"
    )
    export.add_argument("--site", required=True, help="the site's slug")
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="the file (gzipped when it ends in .gz; default: stdout)"
    )
    export.set_defaults(run=_with_connection(_export, in_transaction=False, reading=True))
    restore = commands.add_parser("restore", help="write an export's site into an empty site")
    restore.add_argument("file", type=Path, metavar="FILE", help="a file `commentsvc export` wrote")
    restore.add_argument("--site", required=True, help="the site to restore into: it must have no article")
    restore.set_defaults(run=_with_connection(_restore, in_transaction=False))

    events_cmd = commands.add_parser("events", help="the event outbox's deliveries").add_subparsers(
        required=True, metavar="ACTION"
    )
    listing = events_cmd.add_parser("list", help="deliveries not made yet (retrying or dead)")
    listing.add_argument("--dead", action="store_true", help="only those whose attempts are spent")
    listing.add_argument("--subscriber", help="only this subscriber's")
    listing.add_argument("--limit", type=_positive, default=100, help="at most this many (default 100)")
    listing.set_defaults(run=_with_connection(_events_list))
    replay = events_cmd.add_parser("replay", help="send dead deliveries again")
    replay.add_argument("event_ids", nargs="*", type=_positive, metavar="EVENT_ID")
    replay.add_argument("--all", action="store_true", help="every dead delivery")
    replay.add_argument("--subscriber", help="only this subscriber's")
    replay.set_defaults(run=_with_connection(_events_replay))

    webhook = commands.add_parser("webhook", help="manage a site's webhooks").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = webhook.add_parser("add", help="register a webhook; prints its secret, once")
    add.add_argument("site")
    add.add_argument("url", help="an absolute http(s) URL")
    add.add_argument(
        "--event",
        action="append",
        required=True,
        choices=sorted(t.value for t in SITE_TYPES),
        metavar="TYPE",
        help=f"an event type to send (repeatable): {', '.join(sorted(SITE_TYPES))}",
    )
    add.set_defaults(run=_with_connection(_webhook_add))
    listed = webhook.add_parser("list", help="a site's webhooks and their last delivery")
    listed.add_argument("site")
    listed.set_defaults(run=_with_connection(_webhook_list))
    remove = webhook.add_parser("remove", help="remove a webhook")
    remove.add_argument("site")
    remove.add_argument("id", type=_positive)
    remove.set_defaults(run=_with_connection(_webhook_remove))

    importing = commands.add_parser(
        "import", help="import another system's comments into a site (all of a file, or nothing)"
    )
    importing.add_argument("format", choices=[source.value for source in READERS])
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.add_argument("--site", required=True, metavar="SLUG")
    importing.add_argument(
        "--key",
        choices=[mode.value for mode in KeyMode],
        default=KeyMode.PATH.value,
        help="an article's key: its URL's path, as the widget derives it (default), its whole URL,"
        " or the source's identifier of the thread",
    )
    importing.add_argument(
        "--dry-run", action="store_true", help="read and check everything, then write nothing"
    )
    # The import takes its own transaction.
    importing.set_defaults(run=_with_connection(_import, in_transaction=False))

    user = commands.add_parser("user", help="manage roles").add_subparsers(required=True, metavar="ACTION")
    for action, handler in (("grant", _user_grant), ("revoke", _user_revoke)):
        cmd = user.add_parser(action, help=f"{action} a role")
        cmd.add_argument("username")
        cmd.add_argument("role", choices=roles.ROLES)
        cmd.add_argument("--site", help="the site, for the moderator and owner roles")
        cmd.set_defaults(run=_with_connection(handler))
    return parser


if __name__ == "__main__":
    sys.exit(main())
