"""Security headers on every response, whatever produced it (a handler, an error, the router).

A handler that knows better (the /embed document's frame-ancestors, the dashboard's policy) sets
its own header; these fill in only what it left out. The baseline policy suits the JSON API and
static assets: nothing they return is ever a document to run or to frame."""

from __future__ import annotations

from collections.abc import Sequence

BASELINE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# Two years, the preload list's minimum; sub-domains are the operator's business, not ours.
HSTS = "max-age=63072000"


class SecurityHeaders:
    def __init__(self, public_url: str) -> None:
        defaults = {
            b"x-content-type-options": b"nosniff",
            b"referrer-policy": b"strict-origin-when-cross-origin",
            b"content-security-policy": BASELINE_CSP.encode(),
        }
        self._defaults = tuple(defaults.items())
        self._hsts = (b"strict-transport-security", HSTS.encode())
        self._always_https = public_url.startswith("https://")

    def added_to(self, headers: Sequence[tuple[bytes, bytes]], scheme: str) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        missing = [header for header in self._defaults if header[0] not in present]
        # HTTPS is known from the configured public URL (behind a proxy) or the connection itself.
        if self._always_https or scheme == "https":
            missing.append(self._hsts)
        return [*headers, *missing]
