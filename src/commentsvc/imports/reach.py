"""How far a reader has got into its file, for a progress bar: told every few thousand records,
and once more after the last."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from commentsvc.model.imports import Record

# Told the share of the file read so far, from 0 to 1.
Reached = Callable[[float], None]
# Records between two reports: often enough for a bar to move, rare enough to cost nothing.
EVERY = 2000


def reporting(
    records: Iterator[Record], reached: Reached | None, where: Callable[[int], float]
) -> Iterator[Record]:
    """``records`` as they come; ``reached`` told ``where(n)`` (the share read once ``n`` records
    are) every EVERY records, and 1 after the last."""
    if reached is None:
        yield from records
        return
    n = 0
    for n, record in enumerate(records, 1):
        yield record
        if n % EVERY == 0:
            reached(min(where(n), 1.0))
    reached(1.0)
