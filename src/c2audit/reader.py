"""Reading audit logs: files and streams → numbered lines → records → events.

The edge around the pure cores (:mod:`c2audit.records`, :mod:`c2audit.events`):
it reads bytes in large chunks, cuts them into lines (decoded as UTF-8 with
``surrogateescape``, so every byte survives the round trip), parses each line
and feeds a grouper.  Memory stays flat whatever the file size: one chunk, one
over-long line at most (:data:`MAX_LINE`), and the events a grouper holds.

A line that is not a record raises :class:`~c2audit.records.RecordError` in
the parser; here it is counted and handed to an error sink (by default
:class:`StderrErrorSink`: ``FILE:LINE: reason: 'text'`` on stderr) and reading
goes on.  Empty lines are skipped silently: they carry nothing.

:func:`follow_lines` tails a growing log across rotation (a new inode behind
the name) and truncation, yielding ``None`` whenever it is idle so the caller
can let its grouper expire events on time.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO

from c2audit.events import AuparseGrouper, Grouper, Output, group
from c2audit.records import Record, RecordError, parse_line

CHUNK = 1 << 20
MAX_LINE = 1 << 20
"""Longest line kept (the kernel's records are under 9 KiB, ENRICHED ones a few more);
the rest of a longer line is dropped and the line reported as an error."""

Source = str | os.PathLike[str] | BinaryIO
"""A path, ``"-"`` for standard input, or an open binary stream."""


class ErrorSink(Protocol):
    """Where the reader reports lines that are not records."""

    def __call__(self, error: RecordError) -> None: ...


@dataclass
class StderrErrorSink:
    """Count every error; print the first ``limit`` of them as ``FILE:LINE: reason: 'text'``."""

    stream: TextIO | None = None
    prefix: str = "c2audit"
    limit: int = 1000
    count: int = 0

    def __call__(self, error: RecordError) -> None:
        self.count += 1
        stream = self.stream or sys.stderr
        if self.count <= self.limit:
            print(f"{self.prefix}: {error}", file=stream)
        elif self.count == self.limit + 1:
            print(f"{self.prefix}: more unparsable lines; counting them without showing them", file=stream)


@dataclass
class CollectingErrorSink:
    """Keep every error (tests, callers that report them their own way)."""

    errors: list[RecordError] = field(default_factory=list)

    def __call__(self, error: RecordError) -> None:
        self.errors.append(error)

    @property
    def count(self) -> int:
        return len(self.errors)


def source_name(source: Source) -> str:
    """The name errors and records carry for a source."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        return "<stdin>" if name == "-" else name
    return str(getattr(source, "name", "<stream>"))


def iter_lines(stream: BinaryIO, filename: str, on_error: ErrorSink) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line of ``stream``, newline removed; a last line without one too."""
    number = 0
    rest = b""
    skipping = False  # inside the tail of an over-long line
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        cut = chunk.rfind(b"\n")
        if cut < 0:
            rest, skipping = _hold(rest + chunk, skipping, number + 1, filename, on_error)
            continue
        head, rest_next = chunk[: cut + 1], chunk[cut + 1:]
        if rest:
            head = rest + head
        lines = head.decode("utf-8", "surrogateescape").split("\n")
        lines.pop()  # after the last newline: empty
        if skipping:
            lines[0] = ""  # the end of an over-long line already reported
            skipping = False
        for text in lines:
            number += 1
            if len(text) > MAX_LINE:
                on_error(RecordError(f"line longer than {MAX_LINE} bytes, dropped", text[:200], filename,
                                     number))
                continue
            yield number, text
        rest, skipping = _hold(rest_next, False, number + 1, filename, on_error)
    if rest and not skipping:
        number += 1
        yield number, rest.decode("utf-8", "surrogateescape")


def _hold(rest: bytes, skipping: bool, number: int, filename: str, on_error: ErrorSink) -> tuple[bytes, bool]:
    """Keep an unfinished line, unless it has grown past :data:`MAX_LINE`."""
    if skipping or len(rest) <= MAX_LINE:
        return (b"" if skipping else rest), skipping
    text = rest[:200].decode("utf-8", "surrogateescape")
    on_error(RecordError(f"line longer than {MAX_LINE} bytes, dropped", text, filename, number))
    return b"", True


def parse_lines(
    lines: Iterable[tuple[int, str]], filename: str | None, on_error: ErrorSink
) -> Iterator[Record]:
    """Records of numbered lines; the others go to ``on_error``."""
    for number, text in lines:
        if not text:
            continue
        try:
            yield parse_line(text, filename, number)
        except RecordError as error:
            on_error(error)


def read_records(sources: Iterable[Source], on_error: ErrorSink | None = None) -> Iterator[Record]:
    """Every record of every source, in order."""
    sink = on_error if on_error is not None else StderrErrorSink()
    for source in sources:
        name = source_name(source)
        with _open(source) as stream:
            yield from parse_lines(iter_lines(stream, name, sink), name, sink)


def read_events(
    sources: Iterable[Source],
    grouper: Grouper | None = None,
    on_error: ErrorSink | None = None,
) -> Iterator[Output]:
    """Events of every source, grouped as libauparse does unless another grouper is given."""
    yield from group(read_records(sources, on_error), grouper if grouper is not None else AuparseGrouper())


def follow_events(
    path: str | os.PathLike[str],
    grouper: Grouper | None = None,
    on_error: ErrorSink | None = None,
    *,
    clock: Callable[[], float] = time.time,
    **follow_options: object,
) -> Iterator[Output]:
    """Events of a growing log, forever: the file as it is, then what is appended."""
    grouper = grouper if grouper is not None else AuparseGrouper()
    sink = on_error if on_error is not None else StderrErrorSink()
    name = os.fspath(path)
    for item in follow_lines(path, **follow_options):  # type: ignore[arg-type]
        if item is None:
            yield from grouper.tick(clock())
            continue
        number, text = item
        if not text:
            continue
        try:
            record = parse_line(text, name, number)
        except RecordError as error:
            sink(error)
            continue
        yield from grouper.push(record)


def follow_lines(
    path: str | os.PathLike[str],
    *,
    poll_interval: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[int, str] | None]:
    """Numbered lines of ``path`` as they are written, across rotation and truncation.

    Yields ``None`` each time it finds nothing new (then sleeps
    ``poll_interval`` when resumed), until ``stop()`` is true.  A line is
    yielded once its newline is written.  When the name points at a new file
    (rotation) the old one is read to its end first; when the file shrinks
    (truncation) reading restarts at its beginning.  Line numbers restart
    with each new file.
    """
    stream = _open_when_present(path, sleep, poll_interval, stop)
    if stream is None:
        return
    try:
        identity = _identity(os.fstat(stream.fileno()))
        number, rest = 0, b""
        while not stop():
            chunk = stream.read(CHUNK)
            if chunk:
                rest += chunk
                *complete, rest = rest.split(b"\n")
                for line in complete:
                    number += 1
                    yield number, line.decode("utf-8", "surrogateescape")
                continue
            current = _stat(path)
            if current is not None and _identity(current) != identity:  # rotated: finish the old file
                if rest:
                    number += 1
                    yield number, rest.decode("utf-8", "surrogateescape")
                stream.close()
                stream = open(path, "rb")  # noqa: SIM115 - closed in finally / on the next rotation
                identity = _identity(os.fstat(stream.fileno()))
                number, rest = 0, b""
                continue
            if current is not None and current.st_size < stream.tell():  # truncated in place
                stream.seek(0)
                number, rest = 0, b""
                continue
            yield None
            sleep(poll_interval)
    finally:
        stream.close()


def _identity(status: os.stat_result) -> tuple[int, int]:
    return (status.st_dev, status.st_ino)


def _stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None  # between rotation's rename and the new file's creation


def _open_when_present(
    path: str | os.PathLike[str],
    sleep: Callable[[float], None],
    poll_interval: float,
    stop: Callable[[], bool],
) -> BinaryIO | None:
    while not stop():
        try:
            return open(path, "rb")  # the caller closes it
        except FileNotFoundError:
            sleep(poll_interval)
    return None


class _Borrowed:
    """A stream the caller owns: used in a ``with`` without being closed."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def __enter__(self) -> BinaryIO:
        return self.stream

    def __exit__(self, *exc: object) -> None:
        return None


def _open(source: Source) -> BinaryIO | _Borrowed:
    if isinstance(source, (str, os.PathLike)):
        if os.fspath(source) == "-":
            return _Borrowed(sys.stdin.buffer)
        return Path(source).open("rb")
    return _Borrowed(source)
