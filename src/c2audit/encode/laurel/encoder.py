"""``--format laurel``: the JSON line laurel 0.5.1 writes for an event, enrichment off.

::

    {"ID":"1615114232.375:15558","NODE":"work",
     "SYSCALL":{"arch":"0xc000003e","syscall":59,…,"ARGV":["0x63b29337fd18",…]},
     "EXECVE":{"argc":1,"ARGV":["whoami"]},"CWD":{"cwd":"/home/user/tmp"},
     "PATH":[{"item":0,"name":"/usr/bin/whoami",…},…],"PROCTITLE":{"ARGV":["whoami"]}}

``ID`` and ``NODE`` first, then one key per record type in the order the
types arrived: ``SYSCALL``, ``EXECVE``, ``PROCTITLE`` and ``CWD`` as one
object, other types of a multi-record event as a list, a single-record event's
record as an object.  laurel rewrites three records: a ``SYSCALL``'s ``aN``
become ``ARGV`` (last), an ``EXECVE``'s ``aN``/``aN[M]`` become ``ARGV``
(``aN_len`` dropped), a ``PROCTITLE``'s ``proctitle`` is split at NUL bytes
into ``ARGV``.  Keys and order are laurel's, repeated keys included (the
ENRICHED section's upper-case keys stay as written, since laurel translates
nothing here).  Everything else laurel adds needs its process table, the
user database or ``/proc`` (enrichment) and is not written.

Events come from :class:`~c2audit.encode.laurel.coalesce.LaurelGrouper`
(``c2audit parse --format laurel`` groups with it); an event grouped another
way is written as laurel would write those records as one event.
"""
from __future__ import annotations

import orjson

from c2audit.encode import EncodeOptions
from c2audit.encode.laurel.coalesce import SINGLE_TYPES, EventBody, LaurelEvent, add_record, is_multipart
from c2audit.encode.laurel.grammar import parse_record
from c2audit.encode.laurel.values import (
    EOE,
    EXECVE,
    PROCTITLE,
    SYSCALL,
    TYPE_NAMES,
    LaurelParseError,
    ParsedRecord,
    quote,
    type_name,
)
from c2audit.events import Event, Output

_NEWLINE = orjson.OPT_APPEND_NEWLINE
_dumps = orjson.dumps


class LaurelEncoder:
    """Encode events as laurel's JSON lines (group them with :class:`LaurelGrouper` for laurel's events)."""

    def __init__(self, options: EncodeOptions | None = None) -> None:
        self.options = options or EncodeOptions()

    def encode(self, item: Output) -> bytes:
        if isinstance(item, LaurelEvent):
            body, timestamp = item.body, item.timestamp
        elif isinstance(item, Event):
            body, timestamp = _body_of(item)
        else:  # a loss: laurel has no way to say it
            return b""
        if not body:
            return b""
        document: dict[str, object] = {"ID": f"{timestamp // 1000}.{timestamp % 1000:03d}:{item.serial}"}
        if item.node is not None:
            document["NODE"] = quote(item.node)
        for record_type, entry in body.items():
            name = TYPE_NAMES.get(record_type) or type_name(record_type)
            if type(entry) is list:
                document[name] = [
                    fields if type(fields := record.fields) is dict else _object(fields) for record in entry
                ]
            else:
                document[name] = _single(entry)  # type: ignore[arg-type]
        return _dumps(document, option=_NEWLINE)

    def finish(self) -> bytes:
        return b""


def _body_of(event: Event) -> tuple[EventBody, int]:
    """The laurel body of an event grouped elsewhere: its records laurel accepts, ``EOE`` left out."""
    body: EventBody = {}
    timestamp = 0
    multi = sum(1 for record in event.records if record.type != EOE) > 1
    for record in event.records:
        try:
            record_type, timestamp, parsed = parse_record(record)
        except LaurelParseError:
            continue
        if record_type != EOE:
            single = not multi or not is_multipart(record_type) or record_type in SINGLE_TYPES
            add_record(body, parsed, single)
    return body, timestamp


def _single(record: ParsedRecord) -> object:
    """A record laurel writes as one object, with its ``ARGV`` rewrites."""
    if record.type == SYSCALL:
        return _with_argv(record.fields, record.sys_args)
    if record.type == EXECVE:
        return _with_argv(record.fields, _execve_argv(record.exe_args))
    if record.type == PROCTITLE and isinstance(record.proctitle, str):
        return {"ARGV": _proctitle_argv(record.proctitle)}
    return _object(record.fields)


def _with_argv(fields: dict[str, object] | list[tuple[str, object]], argv: list[object]) -> object:
    if isinstance(fields, dict) and "ARGV" not in fields:
        document = fields.copy()
        document["ARGV"] = argv
        return document
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    pairs.append(("ARGV", argv))
    return _object(pairs)


def _object(fields: dict[str, object] | list[tuple[str, object]]) -> object:
    """A record's JSON object; written by hand when a key repeats (a dict cannot hold it twice)."""
    if isinstance(fields, dict):
        return fields
    members = b",".join(_dumps(key) + b":" + _dumps(value) for key, value in fields)
    return orjson.Fragment(b"{" + members + b"}")


def _execve_argv(args: list[tuple[int, int | None, str | None]]) -> list[str | None]:
    """laurel's ``ARGV`` of an ``EXECVE``, quirks included.

    ``aN`` sets argument N; ``aN[M]`` sets piece M of argument N, but only
    while N is past the arguments seen so far and M past its pieces so far
    (laurel ignores a piece otherwise); pieces are quoted one by one.
    """
    argv: list[str | None | list[str]] = []
    for number, piece, raw in args:
        if piece is None:
            if len(argv) <= number:
                argv.extend([None] * (number + 1 - len(argv)))
            argv[number] = raw
            continue
        if len(argv) <= number:
            argv.extend([None] * (number + 1 - len(argv)))
            argv[number] = []
        pieces = argv[number]
        if isinstance(pieces, list) and len(pieces) <= piece:
            pieces.extend([""] * (piece + 1 - len(pieces)))
            pieces[piece] = raw or ""
    return [
        None if arg is None else "".join(map(quote, arg)) if isinstance(arg, list) else quote(arg)
        for arg in argv
    ]


def _proctitle_argv(title: str) -> list[str]:
    """laurel's split of a process title at NUL bytes.

    A piece ends at each NUL; an empty piece is skipped but, as in laurel,
    without moving its start past that NUL, so ``a\\0\\0b`` gives ``a`` and ``\\0b``.
    """
    argv: list[str] = []
    start = 0
    nul = title.find("\x00")
    while nul >= 0:
        if nul > start:
            argv.append(quote(title[start:nul]))
            start = nul + 1
        nul = title.find("\x00", nul + 1)
    if len(title) > start:
        argv.append(quote(title[start:]))
    return argv
