"""``c2audit parse [FILE…|-]``: read audit logs as grouped events, in the chosen format.

Reads the files in order (standard input when none is given, or for ``-``),
groups records into events the way libauparse does (``--grouping live`` for
go-libaudit's serial-ordered reassembly with loss reports) and writes one
encoded event at a time, so memory stays flat whatever the input size.
Lines that are not records are reported on stderr as ``FILE:LINE: reason``
and counted; reading goes on.  ``--follow`` keeps reading one file as it
grows, across rotation.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import BinaryIO

from c2audit.encode import FORMATS, EncodeOptions, Encoder, auparse_interpreter, make_encoder
from c2audit.encode.laurel.coalesce import LaurelGrouper
from c2audit.events import AuparseGrouper, Grouper, Output, Reassembler
from c2audit.events_ausearch import AusearchGrouper
from c2audit.reader import StderrErrorSink, follow_events, read_events

PROGRAM = "c2audit parse"
FLUSH_BYTES = 1 << 16
GROUPERS: dict[str, Callable[[], Grouper]] = {
    # every line read comes out again: an EOE libauparse would drop joins its event
    "auparse": partial(AuparseGrouper, keep_eoe=True), "live": Reassembler, "ausearch": AusearchGrouper, "laurel": LaurelGrouper,
}
# A format that reproduces another tool groups as that tool does unless told otherwise.
DEFAULT_GROUPING = {"interpreted": "ausearch", "laurel": "laurel"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", metavar="FILE", help="audit logs to read ('-' or none: stdin)")
    parser.add_argument("-F", "--format", choices=sorted(FORMATS), default="raw",
                        help="; ".join(f"{name}: {help_}" for name, (_, help_) in sorted(FORMATS.items())))
    parser.add_argument("--grouping", choices=sorted(GROUPERS), default=None,
                        help="auparse: as libauparse groups files (default); live: serial order, "
                             "losses reported (as for the kernel stream); ausearch: as ausearch groups "
                             "files (the default of --format interpreted); laurel: as laurel 0.5.1 groups "
                             "(the default of --format laurel)")
    parser.add_argument("--interpret", action="store_true",
                        help="add each field's interpretation (as auparse's interpret_field) to json")
    parser.add_argument("-f", "--follow", action="store_true",
                        help="after the end of FILE, keep reading what is appended (across rotation)")
    parser.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                        help="progress bar on stderr (auto: when stderr is a terminal and inputs are files)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    files = args.files or ["-"]
    if args.follow and (len(files) != 1 or files[0] == "-"):
        print(f"{PROGRAM}: --follow takes exactly one file", file=sys.stderr)
        return 2
    unreadable = [name for name in files if name != "-" and (not os.path.exists(name) or os.path.isdir(name))]
    if unreadable:  # pipes and devices are fine (<(zcat audit.log.gz)); directories are not
        print(f"{PROGRAM}: not a file: {', '.join(unreadable)}", file=sys.stderr)
        return 2
    options = EncodeOptions(interpreter=auparse_interpreter() if args.interpret else None)
    encoder = make_encoder(args.format, options)
    errors = StderrErrorSink(prefix=PROGRAM)
    grouper: Grouper = GROUPERS[args.grouping or DEFAULT_GROUPING.get(args.format, "auparse")]()
    if hasattr(grouper, "on_error"):  # a grouper that drops records it rejects (laurel's) reports them
        grouper.on_error = errors
    if args.follow:
        items = follow_events(files[0], grouper, errors)
    else:
        items = read_events(_inputs(files, args.progress), grouper, errors)
    try:
        _write(items, encoder, sys.stdout.buffer, live=args.follow)
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    if errors.count:
        print(f"{PROGRAM}: {errors.count} line(s) were not audit records", file=sys.stderr)
    return 0


def _write(items: Iterator[Output], encoder: Encoder, out: BinaryIO, *, live: bool = False) -> None:
    """Encode and write in ~64 KiB batches; ``live`` (following a log) writes each event at once."""
    encode = encoder.encode
    limit = 0 if live else FLUSH_BYTES
    batch: list[bytes] = []
    size = 0
    for item in items:
        data = encode(item)
        batch.append(data)
        size += len(data)
        if size >= limit:
            out.write(b"".join(batch))
            if live:
                out.flush()
            batch.clear()
            size = 0
    batch.append(encoder.finish())
    out.write(b"".join(batch))
    out.flush()


def _inputs(files: list[str], progress: str) -> list[str | BinaryIO]:
    """The sources, wrapped to drive a progress bar when one is wanted."""
    regular = all(name != "-" and os.path.isfile(name) for name in files)  # sizes known in advance
    show = progress == "always" or (progress == "auto" and regular and sys.stderr.isatty())
    if not show:
        return list(files)
    from tqdm import tqdm

    total = sum(os.path.getsize(name) for name in files if os.path.isfile(name))
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, desc=PROGRAM)
    return [_Progress(name, bar) if name != "-" else name for name in files]


class _Progress:
    """A file, opened when first read, that advances a progress bar and closes at its end."""

    def __init__(self, path: str, bar: object) -> None:
        self.name = path
        self._bar = bar
        self._stream: BinaryIO | None = None

    def read(self, size: int = -1) -> bytes:
        if self._stream is None:
            self._stream = open(self.name, "rb")  # noqa: SIM115 - closed when read to the end
        data = self._stream.read(size)
        self._bar.update(len(data))  # type: ignore[attr-defined]
        if not data:
            self._stream.close()
            if self._bar.n >= self._bar.total:  # type: ignore[attr-defined]
                self._bar.close()  # type: ignore[attr-defined]
        return data
