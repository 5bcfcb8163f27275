"""Browser tests: Playwright driving Debian's Chromium against a real `commentsvc serve`.

Without /usr/bin/chromium they are skipped with one loud line naming the
package, except under CI=true, where a missing browser is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

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
MISSING = "BROWSER TESTS SKIPPED: Debian's Chromium is not installed (apt-get install chromium)"


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
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def live_url(settings, tmp_path_factory) -> Iterator[str]:
    """The service on a real socket, on the tests' own database and Redis prefix."""
    log = tmp_path_factory.mktemp("served") / "serve.log"
    with serve(settings, workers=1, log=log) as url:
        yield url


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
