"""The readers of other systems' exports: one module per format, each a path in and records out
(``commentsvc.model.imports``), in the file's order, never the whole file in memory, and no
database. A reader refuses a file it cannot read with ``Invalid`` while it is iterated, so that
the import's transaction rolls back and nothing is half-written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from commentsvc.imports import disqus, isso, remark42, wordpress
from commentsvc.model.imports import Record, Source

READERS: dict[Source, Callable[[Path], Iterator[Record]]] = {
    Source.DISQUS: disqus.read,
    Source.WORDPRESS: wordpress.read,
    Source.ISSO: isso.read,
    Source.REMARK42: remark42.read,
}
