"""Settings come from the environment, and a bad variable is named in one sentence."""

from __future__ import annotations

import ipaddress

import pytest

from commentsvc.config import DEFAULT_RATE_LIMITS, ConfigError, RateLimit, load_settings


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
    ],
)
def test_a_malformed_variable_is_named(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_production_requires_a_real_jwt_secret():
    with pytest.raises(ConfigError, match="COMMENTSVC_JWT_SECRET is required"):
        load_settings({"COMMENTSVC_ENV": "production"})
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load_settings({"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": "short"})
    secret = "s" * 32
    settings = load_settings({"COMMENTSVC_ENV": "production", "COMMENTSVC_JWT_SECRET": secret})
    assert settings.is_production and settings.jwt_secret == secret
