"""A real Isso (the version tests/isso/requirements.txt pins, installed by `make isso` into
tests/isso/.venv) serving on loopback, and a commenter writing to it through its HTTP API, as its
embed does: so the import tests read a database Isso itself wrote."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.served import free_port

ISSO = Path(__file__).parent / "isso" / ".venv" / "bin" / "isso"


class IssoServer:
    """``isso -c CONF run`` on a free port, writing ``database``. Without moderation a comment is
    published at once; with it, it waits for the site's owner. The guard (rate limits, no reply to
    oneself) is off: the test writes a whole thread in a second."""

    def __init__(self, directory: Path, database: Path, moderated: bool = False) -> None:
        assert ISSO.is_file(), "the Isso import tests need tests/isso/.venv: run `make isso`"
        self.moderated = moderated
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._config = directory / f"isso-{self.port}.cfg"
        self._config.write_text(
            f"[general]\ndbpath = {database}\nhost = http://127.0.0.1:{free_port()}/\n"
            f"[server]\nlisten = {self.url}\n"
            f"[moderation]\nenabled = {'true' if moderated else 'false'}\n"
            "[guard]\nenabled = false\n"
        )
        self._log = directory / f"isso-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> IssoServer:
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [str(ISSO), "-c", str(self._config), "run"], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while not self._answers():
            assert self._process.poll() is None, f"Isso ended: {self._log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"Isso never answered: {self._log.read_text()[-2000:]}"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/info", timeout=1).status_code == 200
        except httpx.TransportError:
            return False


class IssoCommenter:
    """A browser on the Isso embed's side: it keeps the cookies Isso gives the author of each
    comment, which alone let them edit or delete it while Isso's max-age lasts."""

    def __init__(self, server: IssoServer) -> None:
        self._http = httpx.Client(base_url=server.url, timeout=10)
        self._accepted = 202 if server.moderated else 201  # 202: held for the site's owner

    def close(self) -> None:
        self._http.close()

    def post(self, uri: str, text: str, title: str = "", **fields: Any) -> dict[str, Any]:
        """A new comment on the thread ``uri`` (its title given: Isso would fetch the page's)."""
        response = self._http.post("/new", params={"uri": uri}, json={"text": text, "title": title, **fields})
        assert response.status_code == self._accepted, response.text
        return response.json()

    def edit(self, comment: dict[str, Any], text: str) -> dict[str, Any]:
        response = self._http.put(f"/id/{comment['id']}", json={"text": text})
        assert response.status_code == 200, response.text
        return response.json()

    def delete(self, comment: dict[str, Any]) -> None:
        response = self._http.delete(f"/id/{comment['id']}")
        assert response.status_code == 200, response.text
