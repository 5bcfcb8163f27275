"""Settings come from the environment, a bad variable is named in one sentence, and one that is no
setting is named with the closest setting."""

from __future__ import annotations

import dataclasses
import ipaddress
import stat

import pytest

from commentsvc.config import DEFAULT_RATE_LIMITS, ConfigError, RateLimit, known_variables, load_settings

# The development secret of earlier versions, published with the source.
PUBLISHED_SECRET = "development-only-secret-never-use-in-production!"
# The file development keeps its secret in, in the directory it is given.
SECRET_FILE = "jwt-secret"
PRODUCTION = {"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": "p" * 48}


def test_defaults_suit_local_development():
    settings = load_settings({})
    assert settings.host == "127.0.0.1" and settings.port == 8000
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.trusted_proxies == ()
    assert settings.access_token_minutes == 15
    assert dict(settings.rate_limits) == DEFAULT_RATE_LIMITS
    assert not settings.is_production


def test_every_variable_is_read_with_its_prefix():
    settings = load_settings(
        {
            "COMMENTSVC_DATABASE_URL": "postgresql://u@db:5432/c",
            "COMMENTSVC_REDIS_URL": "redis://cache:6379/2",
            "COMMENTSVC_HOST": "0.0.0.0",
            "COMMENTSVC_PORT": "9000",
            "COMMENTSVC_PUBLIC_URL": "https://comments.example.org/",
            "COMMENTSVC_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1",
            "COMMENTSVC_RATE_LIMIT_LOGIN": "5/30s",
            "COMMENTSVC_RATE_LIMIT_REGISTER": "3/1h",
        }
    )
    assert settings.database_url == "postgresql://u@db:5432/c"
    assert settings.redis_url == "redis://cache:6379/2"
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.public_url == "https://comments.example.org"
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.1/32"),
    )
    assert settings.rate_limits["login"] == RateLimit(5, 30)
    assert settings.rate_limits["register"] == RateLimit(3, 3600)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"COMMENTSVC_PORT": "eighty"}, "COMMENTSVC_PORT"),
        ({"COMMENTSVC_PORT": "70000"}, "COMMENTSVC_PORT"),
        ({"COMMENTSVC_DATABASE_URL": "mysql://x"}, "COMMENTSVC_DATABASE_URL"),
        ({"COMMENTSVC_REDIS_URL": "localhost:6379"}, "COMMENTSVC_REDIS_URL"),
        ({"COMMENTSVC_PUBLIC_URL": "comments.example.org"}, "COMMENTSVC_PUBLIC_URL"),
        ({"COMMENTSVC_PUBLIC_URL": "https://example.org/comments"}, "COMMENTSVC_PUBLIC_URL"),
        ({"COMMENTSVC_TRUSTED_PROXIES": "10.0.0.0/33"}, "COMMENTSVC_TRUSTED_PROXIES"),
        ({"COMMENTSVC_RATE_LIMIT_LOGIN": "ten"}, "COMMENTSVC_RATE_LIMIT_LOGIN"),
        ({"COMMENTSVC_RATE_LIMIT_LOGIN": "0/1m"}, "COMMENTSVC_RATE_LIMIT_LOGIN"),
        ({"COMMENTSVC_ENV": "staging"}, "COMMENTSVC_ENV"),
        ({"COMMENTSVC_ARGON2_MEMORY_KIB": "1024"}, "COMMENTSVC_ARGON2_MEMORY_KIB"),
        ({"COMMENTSVC_REDIS_TIMEOUT_SECONDS": "-1"}, "COMMENTSVC_REDIS_TIMEOUT_SECONDS"),
        ({"COMMENTSVC_HEADER_TIMEOUT_SECONDS": "0"}, "COMMENTSVC_HEADER_TIMEOUT_SECONDS"),
        ({"COMMENTSVC_BODY_TIMEOUT_SECONDS": "soon"}, "COMMENTSVC_BODY_TIMEOUT_SECONDS"),
        ({"COMMENTSVC_METRICS_ALLOW": "10.0.0.0/8, the office"}, "COMMENTSVC_METRICS_ALLOW"),
        ({"COMMENTSVC_METRICS_TOKEN": "short"}, "COMMENTSVC_METRICS_TOKEN"),
        ({"COMMENTSVC_JWT_SECRET": "short"}, "COMMENTSVC_JWT_SECRET"),
        ({"COMMENTSVC_SMTP_URL": "mail.example.org:587"}, "COMMENTSVC_SMTP_URL"),
        ({"COMMENTSVC_MAIL_FROM": "nobody"}, "COMMENTSVC_MAIL_FROM"),
        ({"COMMENTSVC_MAIL_FROM": "a@example.org\r\nBcc: b@example.org"}, "COMMENTSVC_MAIL_FROM"),
        ({"COMMENTSVC_WEBHOOK_ALLOW_PRIVATE": "yes"}, "COMMENTSVC_WEBHOOK_ALLOW_PRIVATE"),
        ({"COMMENTSVC_REPLY_MAIL_BATCH_SECONDS": "0"}, "COMMENTSVC_REPLY_MAIL_BATCH_SECONDS"),
    ],
)
def test_a_malformed_variable_is_named(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_production_requires_a_real_jwt_secret():
    with pytest.raises(ConfigError, match="COMMENTSVC_JWT_SECRET is required in production"):
        load_settings({"COMMENTSVC_ENV": "production"})
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load_settings({"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": "short"})
    secret = "s" * 32
    settings = load_settings({"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": secret})
    assert settings.is_production and settings.jwt_secret == secret


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_published_development_secret_is_refused_in_every_mode(environment):
    with pytest.raises(ConfigError, match="^COMMENTSVC_JWT_SECRET is the development value published"):
        load_settings({"COMMENTSVC_ENV": environment, "COMMENTSVC_JWT_SECRET": PUBLISHED_SECRET})


def test_without_a_secret_development_signs_with_one_of_its_own():
    first, second = load_settings({}), load_settings({})
    assert first.jwt_secret != PUBLISHED_SECRET and len(first.jwt_secret.encode()) >= 32
    assert first.jwt_secret != second.jwt_secret
    assert first.jwt_secret not in repr(first)


def test_development_keeps_the_secret_it_made_in_an_owner_only_file(tmp_path):
    data = tmp_path / ".data"
    made = load_settings({}, secret_dir=data).jwt_secret
    kept = data / SECRET_FILE
    assert kept.read_text().strip() == made
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert load_settings({}, secret_dir=data).jwt_secret == made
    # A secret given wins, and production never makes one.
    assert load_settings({"COMMENTSVC_JWT_SECRET": "g" * 40}, secret_dir=data).jwt_secret == "g" * 40
    assert load_settings(PRODUCTION, secret_dir=tmp_path / "unused").jwt_secret == "p" * 48
    assert not (tmp_path / "unused").exists()


def test_a_kept_secret_that_is_too_short_is_named(tmp_path):
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(ConfigError, match=f"{SECRET_FILE} must be at least 32 bytes"):
        load_settings({}, secret_dir=tmp_path)


def test_mail_goes_to_files_by_default_from_the_public_urls_host():
    settings = load_settings({"COMMENTSVC_PUBLIC_URL": "https://comments.example.org"})
    assert settings.smtp_url is None and settings.mail_dir == ".data/mail"
    assert settings.mail_from == "commentsvc <no-reply@comments.example.org>"
    # An address is no mail domain.
    assert load_settings({}).mail_from == "commentsvc <no-reply@localhost>"
    relay = load_settings({"COMMENTSVC_SMTP_URL": "smtps://u:p@mail.example.org:465"})
    assert relay.smtp_url == "smtps://u:p@mail.example.org:465"
    assert "u:p" not in repr(relay)  # its password never reaches a log line


def test_read_timeouts_default_to_10_and_30_seconds_and_are_tunable():
    settings = load_settings({})
    assert (settings.header_timeout_seconds, settings.body_timeout_seconds) == (10.0, 30.0)
    tuned = load_settings(
        {"COMMENTSVC_HEADER_TIMEOUT_SECONDS": "2.5", "COMMENTSVC_BODY_TIMEOUT_SECONDS": "7"}
    )
    assert (tuned.header_timeout_seconds, tuned.body_timeout_seconds) == (2.5, 7.0)


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [
        ({}, ("0.0.0.0/0", "::/0")),
        ({"COMMENTSVC_METRICS_TOKEN": "t" * 32}, ()),
        (PRODUCTION, ()),
        (PRODUCTION | {"COMMENTSVC_METRICS_ALLOW": "10.1.0.0/16, ::1"}, ("10.1.0.0/16", "::1/128")),
    ],
    ids=["development", "development-with-token", "production", "production-with-allow"],
)
def test_metrics_are_open_by_default_in_development_only(environ, allowed):
    settings = load_settings(environ)
    assert settings.metrics_allow == tuple(ipaddress.ip_network(network) for network in allowed)


def test_an_unknown_variable_is_named_with_the_closest_setting_and_ignored():
    said: list[str] = []
    settings = load_settings(
        {"COMMENTSVC_RATE_LIMIT_LOGNI": "5/1m", "COMMENTSVC_DATABSE_URL": "postgresql://u@db/c"},
        warn=said.append,
    )
    assert said == [
        "COMMENTSVC_DATABSE_URL is not a setting and is ignored; the closest setting is COMMENTSVC_DATABASE_URL.",
        "COMMENTSVC_RATE_LIMIT_LOGNI is not a setting and is ignored; "
        "the closest setting is COMMENTSVC_RATE_LIMIT_LOGIN.",
    ]
    assert settings == dataclasses.replace(load_settings({}), jwt_secret=settings.jwt_secret)


def test_a_mistyped_variable_is_named_before_the_error_it_causes():
    said: list[str] = []
    with pytest.raises(ConfigError, match="COMMENTSVC_JWT_SECRET is required in production"):
        load_settings({"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECERT": "s" * 40}, warn=said.append)
    assert said == [
        "COMMENTSVC_JWT_SECERT is not a setting and is ignored; the closest setting is COMMENTSVC_JWT_SECRET."
    ]


def test_every_variable_the_settings_read_is_known():
    every_one_set = {name: "" for name in known_variables()}
    said: list[str] = []
    load_settings(every_one_set, warn=said.append)
    assert said == []
    assert {
        "COMMENTSVC_DATABASE_URL",
        "COMMENTSVC_PORT",
        "COMMENTSVC_RATE_LIMIT_REPORT_USER",
    } <= known_variables()


OIDC = {
    "COMMENTSVC_OIDC_PROVIDERS": "corp, github",
    "COMMENTSVC_OIDC_CORP_ISSUER": "https://id.corp.example",
    "COMMENTSVC_OIDC_CORP_CLIENT_ID": "comments",
    "COMMENTSVC_OIDC_CORP_CLIENT_SECRET": "corp secret",
    "COMMENTSVC_OIDC_GITHUB_CLIENT_ID": "Iv1.abc",
    "COMMENTSVC_OIDC_GITHUB_CLIENT_SECRET": "github secret",
}


def test_openid_providers_are_read_per_name_and_github_needs_no_issuer():
    said: list[str] = []
    providers = load_settings(OIDC, warn=said.append).oidc_providers
    assert [(p.name, p.issuer, p.client_id) for p in providers] == [
        ("corp", "https://id.corp.example", "comments"),
        ("github", None, "Iv1.abc"),
    ]
    assert said == []  # each listed provider's variables are settings
    assert "corp secret" not in repr(providers)


def test_a_providers_variable_for_a_provider_not_listed_is_named():
    said: list[str] = []
    load_settings({**OIDC, "COMMENTSVC_OIDC_COPR_ISSUER": "https://x.example"}, warn=said.append)
    assert said == [
        "COMMENTSVC_OIDC_COPR_ISSUER is not a setting and is ignored; the closest setting is COMMENTSVC_OIDC_CORP_ISSUER."
    ]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"COMMENTSVC_OIDC_CORP_CLIENT_ID": ""}, "COMMENTSVC_OIDC_CORP_CLIENT_ID is required"),
        ({"COMMENTSVC_OIDC_CORP_ISSUER": ""}, "COMMENTSVC_OIDC_CORP_ISSUER is required"),
        ({"COMMENTSVC_OIDC_PROVIDERS": "corp,Bad-Name"}, "COMMENTSVC_OIDC_PROVIDERS must list"),
        (
            {"COMMENTSVC_OIDC_CORP_ISSUER": "ftp://id.corp.example"},
            "COMMENTSVC_OIDC_CORP_ISSUER must be a URL",
        ),
        (
            {**PRODUCTION, "COMMENTSVC_OIDC_CORP_ISSUER": "http://id.corp.example"},
            "must be a URL starting with https",
        ),
    ],
)
def test_a_provider_missing_a_variable_or_with_a_bad_one_is_named(changes, named):
    with pytest.raises(ConfigError, match=named):
        load_settings({**OIDC, **changes})
