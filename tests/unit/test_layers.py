"""The floors hold: the domain and the API take no type from store/ and know nothing of the
drivers' exceptions (store/ and kv/ translate them), and model/ stands beneath every layer."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import asyncpg
import pytest
import redis.exceptions

import commentsvc

PACKAGE = Path(commentsvc.__file__).parent
DRIVERS = ("asyncpg", "redis")


def _modules(floor: str) -> list[Path]:
    return sorted((PACKAGE / floor).rglob("*.py"))


def _is_driver_error(value: object) -> bool:
    """A driver's exception class, or a tuple of classes to catch that names one (such as
    store.pool.UNAVAILABLE_ERRORS)."""
    values = value if isinstance(value, tuple) else (value,)
    return any(
        isinstance(v, type)
        and issubclass(v, (asyncpg.PostgresError, asyncpg.InterfaceError, redis.exceptions.RedisError))
        for v in values
    )


def _trespasses(path: Path) -> list[str]:
    """What a module of the domain or the API must not do, each in a phrase."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    driver_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in DRIVERS:
                    driver_aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):  # a submodule: `from commentsvc.store import comments`
                    importlib.import_module(f"{node.module}.{alias.name}")
                    continue
                value = getattr(module, alias.name)
                if node.module.startswith("commentsvc.store") and isinstance(value, type):
                    found.append(f"takes the type {alias.name} from {node.module}")
                if _is_driver_error(value):
                    found.append(f"imports the driver's exceptions {alias.name} from {node.module}")
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in driver_aliases:
                value = getattr(importlib.import_module(node.value.id), node.attr, None)
                if _is_driver_error(value):
                    found.append(f"names the driver's exception {node.value.id}.{node.attr}")
            if node.attr == "constraint_name":
                found.append("tells errors apart by constraint name")
    return found


@pytest.mark.parametrize(
    "path", _modules("domain") + _modules("api"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_the_domain_and_the_api_take_no_store_type_and_no_driver_exception(path):
    assert _trespasses(path) == []


@pytest.mark.parametrize("path", _modules("model"), ids=lambda p: p.name)
def test_the_model_imports_nothing_of_the_service_but_itself(path):
    tree = ast.parse(path.read_text(), str(path))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("commentsvc")
    }
    assert {module for module in imported if not module.startswith("commentsvc.model")} == set()


def test_the_check_sees_what_it_looks_for(tmp_path):
    """The ways in that the floors forbid are all noticed (else the tests above prove nothing)."""
    module = tmp_path / "trespassing.py"
    module.write_text(
        "import asyncpg\n"
        "from redis.exceptions import ConnectionError\n"
        "from commentsvc.kv.client import UNAVAILABLE_ERRORS\n"
        "from commentsvc.store.articles import recount\n"
        "from commentsvc.store.pool import connection\n"
        "from commentsvc.model.comments import StoredComment\n"
        "from commentsvc.store.comments import comment_from, datetime\n"
        "try:\n    pass\nexcept asyncpg.UniqueViolationError as exc:\n    exc.constraint_name\n"
        "conn: asyncpg.Connection\n"
    )
    assert _trespasses(module) == [
        "imports the driver's exceptions ConnectionError from redis.exceptions",
        "imports the driver's exceptions UNAVAILABLE_ERRORS from commentsvc.kv.client",
        "takes the type datetime from commentsvc.store.comments",
        "names the driver's exception asyncpg.UniqueViolationError",
        "tells errors apart by constraint name",
    ]
