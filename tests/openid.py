"""OpenID providers on loopback for the sign-in tests: the certified `oidc-provider` package run by
Node.js (tests/oidc/provider.mjs, installed by `make test`), and a forging one in this process whose
ID tokens each test writes (wrong audience, expired, another nonce, unsigned...), so that every
refusal is met end to end through the service's callback."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

PROVIDER_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "commentsvc-tests"
CLIENT_SECRET = "a client secret of the tests' own"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signing_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}, private=True)


def public_set(*keys: RSAKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


class NodeProvider:
    """`oidc-provider` in a Node.js process; ``restart`` with other keys rotates them."""

    def __init__(
        self,
        redirect_uris: list[str],
        accounts: dict[str, dict[str, Any]] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": redirect_uris,
        }
        self._accounts = accounts or {}
        self._process: subprocess.Popen[str] | None = None

    def start(self, *keys: RSAKey) -> None:
        node = shutil.which("node")
        assert node and (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(), (
            "the sign-in tests need Node.js and tests/oidc/node_modules: run `make openid-provider`"
        )
        env = {
            **os.environ,
            "PORT": str(self.port),
            "ISSUER": self.issuer,
            "CLIENT": json.dumps(self._client),
            "KEYS": json.dumps({"keys": [key.as_dict(private=True) for key in keys]}),
            "ACCOUNTS": json.dumps(self._accounts),
        }
        self._process = subprocess.Popen(
            [node, "provider.mjs"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # blocks until it listens, or ends
        assert line.strip() == "listening", f"the OpenID provider did not start: {line!r}"

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def restart(self, *keys: RSAKey) -> None:
        self.stop()
        self.start(*keys)


async def sign_in_at_provider(authorize_url: str, login: str, service_url: str) -> str:
    """What a reader does at the Node provider: its login form, then back to the service. Returns
    the URL the provider sends the browser back to (the service's callback)."""
    url = authorize_url
    async with httpx.AsyncClient() as browser:
        for _ in range(10):
            if url.startswith(service_url):
                return url
            response = await browser.get(url)
            if response.status_code == 200 and "<form" in response.text:  # the login form
                action = response.text.split('action="', 1)[1].split('"', 1)[0]
                response = await browser.post(str(response.url.join(action)), data={"login": login})
            assert response.is_redirect, (response.status_code, response.text[:500])
            url = str(response.url.join(response.headers["location"]))
    raise AssertionError("the provider never sent the browser back")


class ForgingProvider:
    """An OpenID provider whose ID tokens the test writes: ``forge(claims, header)`` may change
    what an honest token would say (or return a token of its own making). The code exchange checks
    PKCE as a provider would."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = signing_key("forger-1")
        self.published = [self.key]
        self.forge: Callable[[dict[str, Any], dict[str, Any]], str | None] = lambda claims, header: None
        self.subject = "reader-1"
        self.email: str | None = "forged@example.test"
        self.jwks_fetches = 0
        self._codes: dict[str, dict[str, str]] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def token(self, claims: dict[str, Any], header: dict[str, Any] | None = None, key: Any = None) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, **(header or {})}, claims, key or self.key)

    async def _discovery(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response(public_set(*self.published))

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"]}
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        raise web.HTTPFound(target)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        flow = self._codes.pop(str(form["code"]), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if flow is None or challenge != flow["challenge"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": self.subject,
            "iat": now,
            "exp": now + 300,
            "nonce": flow["nonce"],
            "email": self.email,
            "email_verified": True,
            "preferred_username": "forged",
        }
        header: dict[str, Any] = {}
        id_token = self.forge(claims, header) or self.token(claims, header)
        return web.json_response({"access_token": "opaque", "token_type": "Bearer", "id_token": id_token})


def callback_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
