"""A tiny host site for trying host-site SSO: its own origin, its own session cookie, a sign-in
form that takes any name, and /sso-token, which signs its reader's token with the site's SSO
secret. /demo/sso.html embeds the comments with data-sso-url. `make run` starts it beside the
service; the tests start it as the host site of their SSO tests.

    python dev/sso_host.py --port 8001 --site demo

Open it as http://localhost:8001/demo/sso.html: another site than the service's 127.0.0.1, so the
browser treats the comments' frame as a third party, as it will be in production. The secret is
SSO_HOST_SECRET, else a new one from `commentsvc site sso SITE --rotate`; the service's address is
COMMENTSVC_PUBLIC_URL's, else --service. It stops when the process that started it does."""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt

from commentsvc.config import load_settings

COOKIE = "host_session"
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>A host site with its own sign-in</title></head>
<body><main style="max-width:40rem;margin:auto;font-family:sans-serif">
<h1>A host site with its own sign-in</h1>
<p id="who">{who}</p>
<p>The comments below know this site's reader: the loader fetches <code>/sso-token</code> (this
site's session cookie goes with it) and hands the token to the comments' frame.</p>
<div data-commentsvc data-article-id="sso-demo" data-article-title="Host-site SSO"
     data-sso-url="/sso-token" data-login-url="/login" data-logout-url="/logout"></div>
<script src="{service}/embed.js" data-site="{site}" async></script>
</main></body></html>
"""
LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to the host site</title></head>
<body><form method="post" action="/login"><label>Your name <input name="name" required maxlength="60"></label>
<button>Sign in</button></form></body></html>
"""


def sso_token(secret: str, site: str, sub: str, name: str) -> str:
    """What a host site's server does (the README shows the same in PHP)."""
    now = int(time.time())
    claims = {"sub": sub, "aud": site, "iat": now, "exp": now + 300, "name": name}
    return jwt.encode(claims, secret, algorithm="HS256")


class Host(BaseHTTPRequestHandler):
    server: HostServer

    def do_GET(self) -> None:
        reader = self._reader()
        path, _, query = self.path.partition("?")
        if path == "/":
            self._redirect("/demo/sso.html")
        elif path == "/demo/sso.html":
            who = (
                f"Signed in here as {html.escape(reader[1])}. <a href='/logout'>Sign out</a>"
                if reader
                else ("Nobody is signed in here. <a href='/login'>Sign in</a>")
            )
            lang = "fr" if parse_qs(query).get("lang") == ["fr"] else "en"  # the comments follow it
            self._send(
                200, PAGE.format(lang=lang, who=who, service=self.server.service, site=self.server.site)
            )
        elif path == "/login":
            self._send(200, LOGIN)
        elif path == "/logout":
            self.server.sessions.pop(self._session_id() or "", None)
            self._redirect("/demo/sso.html", f"{COOKIE}=; Path=/; Max-Age=0")
        elif path == "/sso-token":
            token = sso_token(self.server.secret, self.server.site, *reader) if reader else ""
            self._send(200, json.dumps({"token": token}), "application/json")
        else:
            self._send(404, "Not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        name = parse_qs(self.rfile.read(length).decode()).get("name", [""])[0].strip()[:60]
        if self.path == "/login" and name:
            # The same name is the same reader: its id here is derived from it.
            sub = "reader-" + hashlib.sha256(name.casefold().encode()).hexdigest()[:16]
            session = secrets.token_urlsafe(16)
            self.server.sessions[session] = (sub, name)
            self._redirect("/demo/sso.html", f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax")
        elif self.path == "/name" and name and (session := self._session_id()) in self.server.sessions:
            self.server.sessions[session] = (self.server.sessions[session][0], name)  # a profile change
            self._redirect("/demo/sso.html")
        else:
            self._send(400, "Give a name.")

    def _session_id(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        return cookie[COOKIE].value if COOKIE in cookie else None

    def _reader(self) -> tuple[str, str] | None:
        return self.server.sessions.get(self._session_id() or "")

    def _redirect(self, to: str, cookie: str | None = None) -> None:
        self.send_response(303)
        self.send_header("Location", to)
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()

    def _send(self, status: int, body: str, media_type: str = "text/html") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{media_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


class HostServer(ThreadingHTTPServer):
    def __init__(self, port: int, service: str, site: str, secret: str) -> None:
        super().__init__(("127.0.0.1", port), Host)
        self.service, self.site, self.secret = service, site, secret
        self.sessions: dict[str, tuple[str, str]] = {}  # session cookie -> (sub, name)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--service", help="the commentsvc instance (default: its COMMENTSVC_PUBLIC_URL)")
    parser.add_argument("--site", default="demo", help="the site's slug")
    args = parser.parse_args()
    service = args.service or load_settings(warn=lambda _: None).public_url
    secret = (
        os.environ.get("SSO_HOST_SECRET")
        or subprocess.run(
            [sys.executable, "-m", "commentsvc.cli", "site", "sso", args.site, "--rotate"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    server = HostServer(args.port, service.rstrip("/"), args.site, secret)
    threading.Thread(target=_stop_with_parent, args=(server,), daemon=True).start()
    print(f"sso host: http://localhost:{args.port}/demo/sso.html", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _stop_with_parent(server: HostServer) -> None:
    """`make run` starts this beside `commentsvc serve`: when serve ends, so does this."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
