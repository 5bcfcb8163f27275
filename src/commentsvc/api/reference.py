"""The API reference at /schema: the OpenAPI document rendered to plain HTML on the server.

No script, no stylesheet from a CDN (the usual viewers load both), so it works on a closed
network and lives under the baseline policy (api/headers.py): no script, no style, no frames."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import MediaType, Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


class ReferencePage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/", media_type=MediaType.HTML)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema["info"]
        parts = [
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(info["title"])} API</title>'
            "</head><body>",
            f"<h1>{escape(info['title'])} {escape(info['version'])}</h1><p>{escape(info.get('description', ''))}</p>",
            '<p>The machine-readable document: <a href="/schema/openapi.json">/schema/openapi.json</a>.</p>',
        ]
        for path, item in openapi_schema["paths"].items():
            for method in METHODS:
                if method in item:
                    parts.append(_operation(method, path, item[method]))
        parts.append("</body></html>")
        return "".join(parts).encode()


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    rows = [f"<h2><code>{method.upper()} {escape(path)}</code></h2>"]
    if summary := operation.get("summary"):
        rows.append(f"<p><strong>{escape(summary)}</strong></p>")
    if description := operation.get("description"):
        rows.append(f"<p>{escape(description)}</p>")
    if parameters := operation.get("parameters"):
        rows.append(
            "<p>Parameters: "
            + ", ".join(
                f"<code>{escape(p['name'])}</code> ({escape(p['in'])}{', required' if p.get('required') else ''})"
                for p in parameters
            )
            + "</p>"
        )
    responses = operation.get("responses", {})
    rows.append(
        "<ul>"
        + "".join(
            f"<li><code>{escape(code)}</code> {escape(response.get('description', ''))}</li>"
            for code, response in responses.items()
        )
        + "</ul>"
    )
    return "".join(rows)
