"""docker-compose.yml, the Dockerfile and .dockerignore, read as Docker would read them (Docker
itself does not run here): liveness for the container's health, on the configured port; no
password anyone could guess; only variables the service knows; no secret in an image."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from commentsvc.config import known_variables

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICE = COMPOSE["services"]["commentsvc"]
# Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error} (and $$ for a literal $).
INTERPOLATED = re.compile(r"\$\{(\w+)(:?[-?])?")


def dockerfile_instruction(name: str) -> str:
    """The Dockerfile's instruction ``name``, its continued lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.startswith(name + " ")]
    return line


def test_the_container_health_is_liveness_on_the_configured_port():
    healthcheck = dockerfile_instruction("HEALTHCHECK")
    assert "http://127.0.0.1:${COMMENTSVC_PORT}/healthz" in healthcheck
    assert "readyz" not in healthcheck
    # Compose keeps the image's check, and passes the port it publishes to the service.
    assert "healthcheck" not in SERVICE
    port = SERVICE["environment"]["COMMENTSVC_PORT"]
    assert port == "${COMMENTSVC_PORT:-8000}"
    assert SERVICE["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert "COMMENTSVC_PORT=" in dockerfile_instruction("ENV")


def test_the_database_password_has_no_default_and_is_required():
    # The server's own, and the one in the service's database URL: each an error when unset.
    text = yaml.safe_dump(COMPOSE)  # the values only, not the comments
    uses = [how for name, how in INTERPOLATED.findall(text) if name == "POSTGRES_PASSWORD"]
    assert uses == [":?", ":?"]


def test_every_variable_passed_to_the_service_is_one_it_knows():
    passed = set(SERVICE["environment"])
    assert passed <= known_variables(), passed - known_variables()
    assert {"COMMENTSVC_DATABASE_URL", "COMMENTSVC_REDIS_URL", "COMMENTSVC_JWT_SECRET"} <= passed


def test_the_env_file_never_reaches_an_image():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored
