"""A host site for the SSO tests: dev/sso_host.py in a process of its own, on its own origin,
with its own session cookie, signing its readers' tokens with the secret the CLI printed."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt

from commentsvc.config import Settings
from tests.served import STARTUP_SECONDS, commentsvc, free_port, service_environment

HOST_APP = Path(__file__).resolve().parents[1] / "dev" / "sso_host.py"


def host_token(secret: str, site: str, sub: str = "42", **claims: object) -> str:
    """A token as a host site's server signs it (the README's example)."""
    now = int(time.time())
    return jwt.encode({"sub": sub, "aud": site, "iat": now, "exp": now + 300, **claims}, secret, "HS256")


def rotate_secret(settings: Settings, slug: str) -> str:
    """A new SSO secret for the site, as a site owner gets one: `commentsvc site sso SLUG --rotate`."""
    done = commentsvc("site", "sso", slug, "--rotate", env=service_environment(settings))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class HostSite:
    """The host site as its reader's browser sees it (its cookie kept between requests)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.browser = httpx.Client(base_url=self.url)

    def sign_in(self, name: str) -> None:
        assert self.browser.post("/login", data={"name": name}).status_code == 303

    def rename(self, name: str) -> None:
        assert self.browser.post("/name", data={"name": name}).status_code == 303

    def sign_out(self) -> None:
        assert self.browser.get("/logout").status_code == 303

    def token(self) -> str:
        answer = self.browser.get("/sso-token")
        assert answer.status_code == 200
        return answer.json()["token"]


@contextlib.contextmanager
def host_site(
    settings: Settings, slug: str, secret: str, service: str, port: int | None = None
) -> Iterator[HostSite]:
    port = port or free_port()
    env = service_environment(settings, SSO_HOST_SECRET=secret)
    process = subprocess.Popen(
        [sys.executable, str(HOST_APP), "--port", str(port), "--site", slug, "--service", service],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    host = HostSite(port)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, f"the host site exited with {process.returncode}"
            try:
                if host.browser.get("/sso-token").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the host site did not start"
                time.sleep(0.1)
        yield host
    finally:
        host.browser.close()
        process.terminate()
        process.wait(timeout=10)
