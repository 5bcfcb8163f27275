"""The service's configuration: one frozen object, read once from the environment.

This is the only module that reads ``os.environ``; everything else receives a
``Settings``. A missing or malformed variable stops start-up with one sentence
naming it (``ConfigError``); one the service does not know is named in a warning,
with the closest name it knows.
"""

from __future__ import annotations

import contextlib
import difflib
import email.utils
import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from commentsvc.redis_endpoint import BadRedisUrl, RedisEndpoint, parse_redis_url

PREFIX = "COMMENTSVC_"

# The development default of earlier versions, published with the source: anyone could sign
# tokens with it, so it is refused in every mode.
PUBLISHED_JWT_SECRETS = frozenset({"development-only-secret-never-use-in-production!"})
MIN_SECRET_BYTES = 32
# Where `commentsvc serve` keeps the secret it makes for development, under the data directory.
SECRET_FILE = "jwt-secret"
MAKE_A_SECRET = "e.g. from `openssl rand -base64 48`"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
EVERYWHERE: tuple[IPNetwork, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
# Each OpenID Connect provider named in COMMENTSVC_OIDC_PROVIDERS is read from these, per name
# (COMMENTSVC_OIDC_<NAME>_ISSUER...); GitHub is a preset (OAuth 2.0) whose issuer is optional.
OIDC_FIELDS = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")
OIDC_PRESETS = frozenset({"github"})
_OIDC_NAME = re.compile(r"[a-z][a-z0-9]{0,19}")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` requests per ``period_seconds`` (with that much burst)."""

    count: int
    period_seconds: int


# Route groups and their default limits, per client address unless the name
# says otherwise (_account: per account signed into; _user: per signed-in
# user). Each is tunable with COMMENTSVC_RATE_LIMIT_<GROUP>="N/PERIOD".
DEFAULT_RATE_LIMITS: dict[str, RateLimit] = {
    "register": RateLimit(10, 3600),
    "login": RateLimit(20, 60),
    "login_account": RateLimit(10, 300),
    "sso": RateLimit(60, 60),
    "refresh": RateLimit(60, 60),
    "account": RateLimit(120, 60),
    "forgot": RateLimit(10, 3600),
    "forgot_email": RateLimit(3, 3600),
    "account_link": RateLimit(30, 3600),
    "password_user": RateLimit(10, 3600),
    "verification_user": RateLimit(3, 3600),
    "read": RateLimit(600, 60),
    "post": RateLimit(60, 600),
    "post_user": RateLimit(30, 600),
    "edit_user": RateLimit(60, 600),
    "vote_user": RateLimit(120, 60),
    "report_user": RateLimit(30, 3600),
}

_PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _random_secret() -> str:
    return secrets.token_urlsafe(48)


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """An identity provider readers may sign in with: ``issuer`` is its OpenID Connect issuer (for
    the GitHub preset, None for github.com or a GitHub Enterprise Server's address)."""

    name: str
    issuer: str | None
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "postgresql://postgres@127.0.0.1:5432/commentsvc"
    # Streaming replicas of database_url that thread pages, counts, search and exports read from.
    database_replica_urls: tuple[str, ...] = field(default=(), repr=False)
    # A replica further behind the primary than this is taken out until it catches up.
    replica_max_lag_seconds: float = 5.0
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Every Redis key starts with this, so several instances (or test runs) can share a server.
    redis_prefix: str = "commentsvc:"
    environment: str = "development"
    # Without one given, a random secret: tokens then hold for this process only.
    jwt_secret: str = field(default_factory=_random_secret, repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = "http://127.0.0.1:8000"
    trusted_proxies: tuple[IPNetwork, ...] = ()
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    db_pool_size: int = 10
    # How long items handed to a moderator stay theirs before another may get them.
    moderation_claim_seconds: int = 300
    redis_timeout_seconds: float = 1.0
    # A request's headers must arrive within this of its first byte (or of the connection's
    # opening), and its body within this of its headers; else the connection is closed.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    # /metrics answers a bearer of this token, or a client address in these networks.
    metrics_token: str | None = field(default=None, repr=False)
    metrics_allow: tuple[IPNetwork, ...] = EVERYWHERE
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    # Set by `commentsvc serve --workers N` so every worker's metrics are summed.
    metrics_dir: str | None = None
    # Mail goes to this relay (smtp://[user:password@]host:port[?starttls=true], or smtps://);
    # without one, each message is written under mail_dir and its links are logged.
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "commentsvc <no-reply@localhost>"
    mail_dir: str = ".data/mail"
    # Replies to one reader within this many seconds of the first make one e-mail.
    reply_mail_batch_seconds: int = 600
    # A moderator who chose instant alerts gets at most one per this many seconds.
    moderator_alert_seconds: int = 600
    # Webhooks may target loopback, private and link-local addresses (tests, a private network).
    webhook_allow_private: bool = False
    oidc_providers: tuple[OidcProvider, ...] = ()
    # Files uploaded for import (dashboard) wait here until imported; every process of the service
    # must see the same directory. They hold the old system's comments and authors' addresses.
    import_dir: str = ".data/imports"
    import_max_bytes: int = 1024**3
    # Live update streams (Server-Sent Events) one client address may hold open at once, per process.
    live_max_per_address: int = 8

    @property
    def redis(self) -> RedisEndpoint:
        return parse_redis_url(self.redis_url)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def jwt_audience(self) -> str:
        return "commentsvc"


class _Variables:
    """The environment's COMMENTSVC_* variables, noting each name the settings read: every read
    is unconditional, so a load names every variable there is."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.read: set[str] = set()

    def get(self, name: str) -> str | None:
        self.read.add(PREFIX + name)
        value = self._env.get(PREFIX + name)
        return value.strip() if value is not None else None

    def outside(self, name: str) -> str | None:
        """A variable of another program's, read as it is."""
        return self._env.get(name)


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    secret_dir: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Build ``Settings`` from ``environ`` (default: the process environment). In development
    without ``COMMENTSVC_JWT_SECRET``, the secret is the one kept in ``secret_dir`` (made there
    the first time), else a random one for this process only. Each COMMENTSVC_* variable that is
    no setting (a typo, most likely) is handed to ``warn`` in one sentence, before any error."""
    env = os.environ if environ is None else environ
    if warn is not None:
        known = known_variables() | oidc_variables(env.get(PREFIX + "OIDC_PROVIDERS"))
        for name in sorted(name for name in env if name.startswith(PREFIX) and name not in known):
            closest = difflib.get_close_matches(name, known, n=1, cutoff=0)
            warn(f"{name} is not a setting and is ignored; the closest setting is {closest[0]}.")
    return _load(_Variables(env), secret_dir)


def known_variables() -> frozenset[str]:
    """The name of every variable the settings are read from."""
    variables = _Variables({})
    _load(variables, None)
    return frozenset(variables.read)


def oidc_variables(providers: str | None) -> frozenset[str]:
    """The variables of each provider COMMENTSVC_OIDC_PROVIDERS names (they depend on its value)."""
    names = _oidc_names(providers)
    return frozenset(f"{PREFIX}OIDC_{name.upper()}_{part}" for name in names for part in OIDC_FIELDS)


def _oidc_names(raw: str | None) -> list[str]:
    return [name.strip().lower() for name in (raw or "").split(",") if name.strip()]


def _oidc_providers(get: Callable[[str], str | None], environment: str) -> tuple[OidcProvider, ...]:
    providers = []
    names = _oidc_names(get("OIDC_PROVIDERS"))
    for name in names:
        if not _OIDC_NAME.fullmatch(name) or names.count(name) > 1:
            raise ConfigError(
                f"{PREFIX}OIDC_PROVIDERS must list distinct names of lower-case letters and digits "
                f"(at most 20), not {name!r}."
            )
        issuer, client_id, client_secret = (get(f"OIDC_{name.upper()}_{part}") for part in OIDC_FIELDS)
        for part, value in zip(OIDC_FIELDS, (issuer, client_id, client_secret), strict=True):
            if not value and not (part == "ISSUER" and name in OIDC_PRESETS):
                raise ConfigError(
                    f"{PREFIX}OIDC_{name.upper()}_{part} is required (a provider named {name})."
                )
        if issuer:
            schemes = ("https",) if environment == "production" else ("https", "http")
            _url(f"{PREFIX}OIDC_{name.upper()}_ISSUER", issuer, schemes)
        providers.append(OidcProvider(name, issuer or None, client_id or "", client_secret or ""))
    return tuple(providers)


def _load(variables: _Variables, secret_dir: Path | None) -> Settings:
    get = variables.get
    defaults = Settings()
    environment = get("ENV") or defaults.environment
    if environment not in ("development", "production"):
        raise ConfigError(f"{PREFIX}ENV must be 'development' or 'production', not {environment!r}.")
    host = get("HOST") or defaults.host
    port = _int(PREFIX + "PORT", get("PORT"), defaults.port, minimum=1, maximum=65535)
    public_url = _public_url(get("PUBLIC_URL") or f"http://{host}:{port}")
    jwt_secret = get("JWT_SECRET")
    if jwt_secret:
        _check_secret(PREFIX + "JWT_SECRET", jwt_secret)
    elif environment == "production":
        raise ConfigError(
            f"{PREFIX}JWT_SECRET is required in production: at least {MIN_SECRET_BYTES} random bytes, "
            f"{MAKE_A_SECRET}."
        )
    elif secret_dir is not None:
        jwt_secret = _kept_secret(secret_dir)
    metrics_token = get("METRICS_TOKEN") or None
    if metrics_token:
        _check_secret(PREFIX + "METRICS_TOKEN", metrics_token)
    metrics_allow = get("METRICS_ALLOW")
    smtp_url = get("SMTP_URL") or None
    if smtp_url is not None:
        _url(PREFIX + "SMTP_URL", smtp_url, ("smtp", "smtps"))
    return Settings(
        database_url=_url(
            PREFIX + "DATABASE_URL", get("DATABASE_URL") or defaults.database_url, ("postgresql", "postgres")
        ),
        database_replica_urls=tuple(
            _url(PREFIX + "DATABASE_REPLICA_URLS", url.strip(), ("postgresql", "postgres"))
            for url in (get("DATABASE_REPLICA_URLS") or "").split(",")
            if url.strip()
        ),
        replica_max_lag_seconds=_float(
            PREFIX + "REPLICA_MAX_LAG_SECONDS",
            get("REPLICA_MAX_LAG_SECONDS"),
            defaults.replica_max_lag_seconds,
        ),
        redis_url=_redis_url(get("REDIS_URL") or defaults.redis_url),
        redis_prefix=_redis_prefix(get("REDIS_PREFIX") or defaults.redis_prefix),
        environment=environment,
        jwt_secret=jwt_secret or defaults.jwt_secret,
        host=host,
        port=port,
        workers=_int(PREFIX + "WORKERS", get("WORKERS"), defaults.workers, minimum=1, maximum=64),
        public_url=public_url,
        trusted_proxies=_networks(PREFIX + "TRUSTED_PROXIES", get("TRUSTED_PROXIES")),
        access_token_minutes=_int(
            PREFIX + "ACCESS_TOKEN_MINUTES", get("ACCESS_TOKEN_MINUTES"), 15, minimum=1
        ),
        refresh_token_days=_int(PREFIX + "REFRESH_TOKEN_DAYS", get("REFRESH_TOKEN_DAYS"), 30, minimum=1),
        argon2_time_cost=_int(PREFIX + "ARGON2_TIME_COST", get("ARGON2_TIME_COST"), 2, minimum=2),
        argon2_memory_kib=_int(PREFIX + "ARGON2_MEMORY_KIB", get("ARGON2_MEMORY_KIB"), 19456, minimum=19456),
        argon2_parallelism=_int(PREFIX + "ARGON2_PARALLELISM", get("ARGON2_PARALLELISM"), 1, minimum=1),
        db_pool_size=_int(PREFIX + "DB_POOL_SIZE", get("DB_POOL_SIZE"), defaults.db_pool_size, minimum=1),
        moderation_claim_seconds=_int(
            PREFIX + "MODERATION_CLAIM_SECONDS", get("MODERATION_CLAIM_SECONDS"), 300, minimum=1
        ),
        redis_timeout_seconds=_float(PREFIX + "REDIS_TIMEOUT_SECONDS", get("REDIS_TIMEOUT_SECONDS"), 1.0),
        header_timeout_seconds=_float(
            PREFIX + "HEADER_TIMEOUT_SECONDS", get("HEADER_TIMEOUT_SECONDS"), defaults.header_timeout_seconds
        ),
        body_timeout_seconds=_float(
            PREFIX + "BODY_TIMEOUT_SECONDS", get("BODY_TIMEOUT_SECONDS"), defaults.body_timeout_seconds
        ),
        metrics_token=metrics_token,
        # Unset, /metrics is open in development only, and there only while no token is set: in
        # production the service cannot tell a local scraper from a stranger behind a local proxy.
        metrics_allow=(
            _networks(PREFIX + "METRICS_ALLOW", metrics_allow)
            if metrics_allow
            else (EVERYWHERE if environment == "development" and not metrics_token else ())
        ),
        rate_limits={
            group: _rate_limit(
                f"{PREFIX}RATE_LIMIT_{group.upper()}", get(f"RATE_LIMIT_{group.upper()}"), default
            )
            for group, default in DEFAULT_RATE_LIMITS.items()
        },
        metrics_dir=variables.outside("PROMETHEUS_MULTIPROC_DIR") or None,
        smtp_url=smtp_url,
        mail_from=_mail_from(get("MAIL_FROM"), public_url),
        mail_dir=get("MAIL_DIR") or defaults.mail_dir,
        reply_mail_batch_seconds=_int(
            PREFIX + "REPLY_MAIL_BATCH_SECONDS", get("REPLY_MAIL_BATCH_SECONDS"), 600, minimum=1
        ),
        moderator_alert_seconds=_int(
            PREFIX + "MODERATOR_ALERT_SECONDS", get("MODERATOR_ALERT_SECONDS"), 600, minimum=1
        ),
        webhook_allow_private=_bool(PREFIX + "WEBHOOK_ALLOW_PRIVATE", get("WEBHOOK_ALLOW_PRIVATE")),
        oidc_providers=_oidc_providers(get, environment),
        import_dir=get("IMPORT_DIR") or defaults.import_dir,
        import_max_bytes=_int(
            PREFIX + "IMPORT_MAX_BYTES", get("IMPORT_MAX_BYTES"), defaults.import_max_bytes, minimum=1
        ),
        live_max_per_address=_int(
            PREFIX + "LIVE_MAX_PER_ADDRESS",
            get("LIVE_MAX_PER_ADDRESS"),
            defaults.live_max_per_address,
            minimum=1,
        ),
    )


def _int(name: str, raw: str | None, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ConfigError(f"{name} must be {bounds}, not {value}.")
    return value


def _mail_from(raw: str | None, public_url: str) -> str:
    """The sender of every e-mail; by default no-reply at the public URL's host."""
    if not raw:
        host = urlsplit(public_url).hostname or "localhost"
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(host)
            host = "localhost"  # an address is no mail domain
        return f"commentsvc <no-reply@{host}>"
    _, address = email.utils.parseaddr(raw)
    if "@" not in address or any(c in raw for c in "\r\n"):
        raise ConfigError(
            f"{PREFIX}MAIL_FROM must be an e-mail address such as 'Comments <no-reply@example.org>'."
        )
    return raw


def _bool(name: str, raw: str | None) -> bool:
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise ConfigError(f"{name} must be true or false, not {raw!r}.")
    return raw.lower() == "true"


def _float(name: str, raw: str | None, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {raw!r}.")
    return value


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    if urlsplit(raw).scheme not in schemes:
        raise ConfigError(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}.")
    return raw


def _redis_url(raw: str) -> str:
    try:
        parse_redis_url(raw)
    except BadRedisUrl as exc:
        raise ConfigError(f"{PREFIX}REDIS_URL {exc}.") from None
    return raw


def _redis_prefix(raw: str) -> str:
    # A brace in it would make the prefix every key's hash tag: one Cluster slot for all of them.
    if "{" in raw or "}" in raw:
        raise ConfigError(f"{PREFIX}REDIS_PREFIX must not contain {{ or }}: the keys' hash tags follow it.")
    return raw


def _public_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(
            f"{PREFIX}PUBLIC_URL must be an origin such as https://comments.example.org, not {raw!r}."
        )
    return f"{parts.scheme}://{parts.netloc}"


def _networks(name: str, raw: str | None) -> tuple[IPNetwork, ...]:
    if not raw:
        return ()
    try:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False) for item in raw.split(",") if item.strip()
        )
    except ValueError:
        raise ConfigError(f"{name} must list IP addresses or CIDR ranges, not {raw!r}.") from None


def _check_secret(name: str, secret: str) -> None:
    if secret in PUBLISHED_JWT_SECRETS:
        raise ConfigError(
            f"{name} is the development value published in commentsvc's source; use a secret of your own, "
            f"{MAKE_A_SECRET}."
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"{name} must be at least {MIN_SECRET_BYTES} bytes long.")


def _kept_secret(directory: Path) -> str:
    """Development's secret, made once (random, readable by its owner only) and then reused, so
    tokens, and the client addresses hashed with it, outlive a restart."""
    path = directory / SECRET_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            secret = path.read_text().strip()
        else:
            secret = _random_secret()
            with os.fdopen(fd, "w") as file:
                file.write(secret + "\n")
    except OSError as exc:
        raise ConfigError(
            f"Cannot keep a secret in {path} ({exc.strerror}); set {PREFIX}JWT_SECRET."
        ) from None
    _check_secret(str(path), secret)
    return secret


def _rate_limit(name: str, raw: str | None, default: RateLimit) -> RateLimit:
    """Parse ``N/PERIOD`` where PERIOD is a number of seconds or like ``30s``, ``1m``, ``1h``, ``1d``."""
    if not raw:
        return default
    count, _, period = raw.partition("/")
    unit = _PERIOD_UNITS.get(period[-1:], None) if period else None
    amount = period[:-1] if unit else period
    try:
        limit = RateLimit(int(count), int(amount) * (unit or 1))
    except ValueError:
        raise ConfigError(f"{name} must look like 10/1m (requests per period), not {raw!r}.") from None
    if limit.count < 1 or limit.period_seconds < 1:
        raise ConfigError(f"{name} needs a positive count and period, not {raw!r}.")
    return limit
