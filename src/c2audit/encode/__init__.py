"""Output formats of ``c2audit parse``: one small module per format.

An encoder turns each item the grouper delivers (an
:class:`~c2audit.events.Event` or :class:`~c2audit.events.EventsLost`) into
the bytes to write, newline included (``b""`` writes nothing), and may write
a trailer at the end (:meth:`Encoder.finish`).  Formats are registered in
:data:`FORMATS` by name and imported only when chosen; adding one is a module
with an encoder class and one line here.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from c2audit.events import Output
from c2audit.records import Record

RecordInterpreter = Callable[[Record], Sequence[str | None]]
"""Interpretations of a record's :attr:`~c2audit.records.Record.fields`, in the same order."""


@dataclass(frozen=True)
class EncodeOptions:
    """What the command line tells every encoder; an encoder ignores what it does not use."""

    interpreter: RecordInterpreter | None = None


class Encoder(Protocol):
    def encode(self, item: Output) -> bytes:
        """The bytes for one event (or loss), newline included."""

    def finish(self) -> bytes:
        """Anything to write after the last event."""


# format name -> ("module:Class", one-line help)
FORMATS: dict[str, tuple[str, str]] = {
    "raw": ("c2audit.encode.raw:RawEncoder", "the records of each event, regrouped, as logged"),
    "json": ("c2audit.encode.json_event:JsonEncoder", "one JSON document per event (fields with raw values)"),
    "interpreted": ("c2audit.encode.interpreted:InterpretedEncoder",
                    "events as `ausearch -i` prints them (ausearch's grouping; TZ and LC_TIME decide the time)"),
    "laurel": ("c2audit.encode.laurel:LaurelEncoder",
               "the JSON lines laurel 0.5.1 writes with enrichment off (laurel's grouping)"),
}


def make_encoder(name: str, options: EncodeOptions | None = None) -> Encoder:
    """An encoder for format ``name`` (a key of :data:`FORMATS`)."""
    target, _ = FORMATS[name]
    module_name, class_name = target.split(":")
    encoder_class = getattr(importlib.import_module(module_name), class_name)
    return encoder_class(options or EncodeOptions())


def auparse_interpreter() -> RecordInterpreter:
    """Interpret every field as libauparse's ``interpret_field`` does (local name lookups, cached)."""
    from c2audit.interpret import RecordContext, default_lookups, interpret

    lookups = default_lookups()

    def interpret_record(record: Record) -> list[str | None]:
        fields = record.fields
        context = RecordContext.from_fields(record.type, fields, record.enriched)  # type: ignore[arg-type]
        return [None if value is None else interpret(name, value, context, lookups) for name, value in fields]

    return interpret_record
