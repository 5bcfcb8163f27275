"""Writing and reading an export's file. Neither holds more than a line (or a write buffer) in
memory; a reader refuses, in one sentence, a file that is not a whole export of this version."""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from commentsvc.errors import Invalid
from commentsvc.model.backup import FORMAT, VERSION, End, Header, Record

# No record comes near this (a comment's body and HTML are bounded): a longer line is damage.
MAX_LINE = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
FLUSH_BYTES = 1 << 16
# The file holds personal data: its owner alone may read it.
PRIVATE = 0o600

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Record)


class _Kind(msgspec.Struct):
    """Enough of a first line to say what the file is, whatever else it holds."""

    type: object = None
    format: object = None
    version: object = None


class Writer:
    """Writes records a line each, in chunks."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self.records = 0

    def write(self, record: Record) -> None:
        _ENCODER.encode_into(record, self._buffer, -1)
        self._buffer += b"\n"
        self.records += 1
        if len(self._buffer) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        self._stream.write(self._buffer)
        self._buffer.clear()


@contextlib.contextmanager
def writing(output: Path | None) -> Iterator[Writer]:
    """A writer to ``output`` (gzipped when its name ends in .gz), else to stdout. The file is
    written beside, readable by its owner only, and takes its name once whole: an export that
    fails leaves nothing that could be taken for one."""
    if output is None:
        writer = Writer(sys.stdout.buffer)
        yield writer
        writer.flush()
        sys.stdout.buffer.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
        os.fchmod(fd, PRIVATE)  # a leftover of an earlier attempt keeps its own mode otherwise
    except OSError as exc:
        raise Invalid(f"cannot write {partial}: {exc.strerror}.") from None
    try:
        with open(fd, "wb") as raw:
            if output.name.endswith(".gz"):
                with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0) as zipped:
                    writer = Writer(zipped)  # type: ignore[arg-type]
                    yield writer
                    writer.flush()
            else:
                writer = Writer(raw)
                yield writer
                writer.flush()
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class ExportFile:
    """An export opened for reading; its header is read and checked at once."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._line = 0
        try:
            raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        except OSError as exc:
            raise Invalid(f"cannot read {path}: {exc.strerror}.") from None
        self._stream: BinaryIO = raw
        try:
            if raw.peek(2)[:2] == GZIP_MAGIC:
                self._stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            self.header = self._header()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ExportFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()

    def _header(self) -> Header:
        not_export = f"{self._path} is not a commentsvc export (its first line is not an export's header)."
        try:
            first = self._next_line()
        except Invalid:
            raise Invalid(not_export) from None
        if first is None:
            raise Invalid(f"{self._path} is empty: it is not a commentsvc export.")
        try:
            kind = msgspec.json.decode(first, type=_Kind)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise Invalid(not_export) from None
        if kind.type != "header" or kind.format != FORMAT:
            raise Invalid(not_export)
        if kind.version != VERSION:
            raise Invalid(
                f"{self._path} is a commentsvc export of format version {kind.version!r}; "
                f"this commentsvc restores version {VERSION} only."
            )
        try:
            return msgspec.json.decode(first, type=Header)
        except msgspec.ValidationError as exc:
            raise Invalid(f"the header of {self._path} is damaged ({exc}).") from None

    def records(self) -> Iterator[Record]:
        """The records after the header, up to the end record (not yielded); refuses a file cut
        short, or with anything but records."""
        count = 1
        while (line := self._next_line()) is not None:
            try:
                record = _DECODER.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise Invalid(
                    f"line {self._line} of {self._path} is not a record of an export ({exc}): the file is damaged."
                ) from None
            if isinstance(record, End):
                if record.records != count or self._next_line() is not None:
                    raise Invalid(
                        f"{self._path} does not hold the records its last line counts: the file is damaged."
                    )
                return
            if isinstance(record, Header):
                raise Invalid(f"line {self._line} of {self._path} is a second header: the file is damaged.")
            count += 1
            yield record
        raise Invalid(
            f"{self._path} ends before its last record: it was cut short (or is still being written)."
        )

    def _next_line(self) -> bytes | None:
        try:
            line = self._stream.readline(MAX_LINE + 1)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise Invalid(f"{self._path} is a damaged or truncated gzip file ({exc}).") from None
        except OSError as exc:
            raise Invalid(f"cannot read {self._path}: {exc.strerror or exc}.") from None
        if not line:
            return None
        self._line += 1
        if len(line) > MAX_LINE:
            raise Invalid(
                f"line {self._line} of {self._path} is longer than any record of an export: the file is damaged."
            )
        return line
