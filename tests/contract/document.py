"""The OpenAPI document, as the service serves it at /schema/openapi.json."""

from __future__ import annotations

import json
import os
from typing import Any

from litestar.serialization import encode_json

from commentsvc.app import create_app
from commentsvc.config import load_settings


def openapi_document() -> dict[str, Any]:
    """Made from the application (no I/O), so tests can be generated from it at
    collection time; a contract test checks that the served document is this one."""
    app = create_app(load_settings(os.environ))
    return json.loads(encode_json(app.openapi_schema.to_schema()))
