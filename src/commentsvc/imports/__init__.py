"""The readers of other systems' exports: one module per format, each a path in and records out
(``commentsvc.model.imports``), in the file's order, never the whole file in memory, and no
database. A reader refuses a file it cannot read with ``Invalid`` while it is iterated, so that
the import's transaction rolls back and nothing is half-written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from commentsvc.imports import disqus, isso, remark42, wordpress
from commentsvc.imports.reach import Reached
from commentsvc.model.imports import Record, Source

# Each reader takes the file, and whom to tell how far into it it is (a progress bar, or None).
READERS: dict[Source, Callable[[Path, Reached | None], Iterator[Record]]] = {
    Source.DISQUS: disqus.read,
    Source.WORDPRESS: wordpress.read,
    Source.ISSO: isso.read,
    Source.REMARK42: remark42.read,
}
