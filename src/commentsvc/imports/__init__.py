"""The formats ``commentsvc import`` reads: one module per format, each a function from a file's
path to the records it holds (``commentsvc.model.imports``), read as the engine asks for them.
A file a reader cannot read raises ``commentsvc.errors.Invalid`` while it is iterated."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from commentsvc.imports import isso, remark42
from commentsvc.model.imports import Record, Source

READERS: dict[Source, Callable[[Path], Iterator[Record]]] = {
    Source.ISSO: isso.read,
    Source.REMARK42: remark42.read,
}
