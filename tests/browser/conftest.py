"""Browser tests: Playwright driving Debian's Chromium against a real `commentsvc serve`.

Without /usr/bin/chromium they are skipped with one loud line naming the
package, except under CI=true, where a missing browser is a failure."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from tests.builders import make_site
from tests.served import serve

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# As the machine's own probe runs it: no sandbox as root, and no calls to the outside world.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DARK_HOST_STYLE = (
    "<style>:root { color-scheme: dark; } body, main { background: #16161a; color: #e8e8e8; }</style>"
)
# The demo article's key, and the end of the element its comments go in.
DEMO_ARTICLE = "un-tiers-lieu-pour-les-rassembler-tous"
DEMO_ELEMENT_END = 'data-article-title="Un tiers-lieu pour les rassembler tous"></div>'
MISSING = "BROWSER TESTS SKIPPED: Debian's Chromium is not installed (apt-get install chromium)"


@pytest.hookimpl(trylast=True)  # after `-m` deselects: `make test-fast` leaves these out on purpose
def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or not any("tests/browser" in str(item.fspath) for item in items):
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"{MISSING}: under CI=true a missing browser is a failure.")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"!!! {MISSING} !!!", red=True, bold=True)
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
async def browser(playwright) -> AsyncIterator[object]:
    """Chromium as most readers run it: third-party frames may keep (partitioned) storage."""
    launched = await playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-features=ThirdPartyCookieBlocking"]
    )
    yield launched
    await launched.close()


@pytest.fixture(scope="session")
async def strict_browser(playwright) -> AsyncIterator[object]:
    """This Chromium's own default: third-party cookies blocked, and with them the iframe's storage."""
    launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    await launched.close()


@pytest.fixture(scope="session")
def live_url(settings, tmp_path_factory) -> Iterator[str]:
    """The service on a real socket, on the tests' own database and Redis prefix, sending its
    mail to the session's mailbox (it delivers events of the in-process service's too)."""
    log = tmp_path_factory.mktemp("served") / "serve.log"
    with serve(settings, workers=1, log=log, COMMENTSVC_SMTP_URL=settings.smtp_url) as url:
        yield url


@pytest.fixture(scope="session")
def host_pages() -> Iterator[HostPages]:
    """The demo host pages, served from another origin than the service (localhost, not 127.0.0.1)."""
    pages = HostPages()
    server = ThreadingHTTPServer(("127.0.0.1", 0), pages.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pages.origin = f"http://localhost:{server.server_address[1]}"
    yield pages
    server.shutdown()
    server.server_close()


class HostPages:
    """Serves the project's copies of the demo pages, filled for a given service and site."""

    origin = ""

    def __init__(self) -> None:
        self.service = ""
        self.site = ""
        self.requests: list[str] = []

    def url(self, name: str) -> str:
        return f"{self.origin}/{name}"

    def fragment(self) -> str:
        """The demo article's comments as the service renders them, and the element's end."""
        answer = httpx.get(
            f"{self.service}/api/v1/sites/{self.site}/comments.html", params={"article": DEMO_ARTICLE}
        )
        answer.raise_for_status()
        return answer.text + "</div>"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                name, _, query = self.path.lstrip("/").partition("?")
                if name not in ("article.html", "listing.html"):
                    self.send_error(404)
                    return
                text = resources.files("commentsvc").joinpath("demo", name).read_text(encoding="utf-8")
                text = text.replace("{{SERVICE_ORIGIN}}", pages.service).replace("{{SITE_ID}}", pages.site)
                asked = parse_qs(query)
                if asked.get("lang"):  # the same host page, written in another language
                    text = text.replace('<html lang="fr">', f'<html lang="{asked["lang"][0]}">')
                if asked.get("data_lang"):  # its widget asked for in a language of its own
                    text = text.replace(
                        "<div data-commentsvc", f'<div data-lang="{asked["data_lang"][0]}" data-commentsvc'
                    )
                if asked.get("theme") == ["dark"]:  # the same host page, in dark colours
                    text = text.replace("</head>", DARK_HOST_STYLE + "</head>")
                if asked.get("fragment") == ["1"]:  # the comments included on the server (README)
                    text = text.replace(
                        DEMO_ELEMENT_END, DEMO_ELEMENT_END.replace("</div>", pages.fragment())
                    )
                body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
async def demo(db, live_url, host_pages) -> HostPages:
    """A site for the host pages' origin, and the pages wired to it."""
    host_pages.service = live_url
    host_pages.site = await make_site(db, origins=(host_pages.origin,))
    return host_pages


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
