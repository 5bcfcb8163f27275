"""A reader tells how far into its file it is, for the import's progress bar: the share of the file
read, growing, then all of it once the last record is out."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from commentsvc.imports import READERS
from commentsvc.imports.reach import EVERY
from commentsvc.model.imports import ImportedComment, Source

POSTS = 3 * EVERY + 10


def _disqus(path: Path) -> Path:
    posts = "".join(
        f'<post dsq:id="{i}"><message>comment {i}</message><createdAt>2024-01-01T00:00:00Z</createdAt>'
        f'<author><name>a{i}</name></author><thread dsq:id="t"/></post>'
        for i in range(POSTS)
    )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
        '<thread dsq:id="t"><link>https://news.example/a</link><title>A</title></thread>'
        f"{posts}</disqus>"
    )
    return path


def _remark42(path: Path) -> Path:
    lines = [json.dumps({"version": 1, "users": [], "posts": []})]
    lines += [
        json.dumps(
            {
                "id": str(i),
                "text": f"<p>comment {i}</p>",
                "user": {"name": f"a{i}", "id": f"u{i}"},
                "locator": {"site": "s", "url": "https://news.example/a"},
                "time": "2024-01-01T00:00:00Z",
            }
        )
        for i in range(POSTS)
    ]
    with gzip.open(path, "wt") as file:
        file.write("\n".join(lines))
    return path


@pytest.mark.parametrize(("source", "write"), [(Source.DISQUS, _disqus), (Source.REMARK42, _remark42)])
def test_a_reader_tells_the_share_of_its_file_read_then_all_of_it(tmp_path, source, write):
    path = write(tmp_path / f"export-{source.value}")
    reached: list[float] = []
    records = list(READERS[source](path, reached.append))
    assert sum(isinstance(r, ImportedComment) for r in records) == POSTS
    assert len(reached) >= 3 + 1, reached  # every EVERY records, and once at the end
    assert reached == sorted(reached) and 0 < reached[0] < 1 and reached[-1] == 1.0, reached


def test_without_anyone_to_tell_a_reader_reads_the_same(tmp_path):
    path = _disqus(tmp_path / "export.xml")
    assert list(READERS[Source.DISQUS](path, None)) == list(READERS[Source.DISQUS](path, lambda _: None))
