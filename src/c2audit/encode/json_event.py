"""``--format json``: one JSON document per line per event.

::

    {"node": null, "sec": 1615114232, "milli": 375, "serial": 15558,
     "records": [{"type": "SYSCALL", "file": "audit.log", "line": 1,
                  "fields": [["arch", "c000003e"], ["syscall", "59"], …],
                  "enriched": "ARCH=x86_64 SYSCALL=execve …"}, …]}

``fields`` is a list of ``[name, raw]`` pairs — ``[name, raw, interpreted]``
with an interpreter — in auparse's order, repeated names kept (a record may
say ``uid=`` twice), ``node``/``type`` left to the record header.  Values are
raw as logged (quotes, hex); a ``key`` auparse cannot decode is ``null``.
``enriched`` (the text after ``\\x1d``) is present only when the line had one.
A loss is ``{"lost": N, "node": …, "after_serial": …, "next_serial": …}``.
Bytes that are not UTF-8 come out as ``\\udcXX`` escapes.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

from c2audit.encode import EncodeOptions
from c2audit.events import Event, Output
from c2audit.records import Record


class JsonEncoder:
    def __init__(self, options: EncodeOptions) -> None:
        self.interpreter = options.interpreter

    def encode(self, item: Output) -> bytes:
        document = self.document(item)
        try:
            return orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:  # lone surrogates: bytes that were not UTF-8
            return (json.dumps(document, separators=(",", ":")) + "\n").encode("ascii")

    def finish(self) -> bytes:
        return b""

    def document(self, item: Output) -> dict[str, Any]:
        if not isinstance(item, Event):
            return {"lost": item.count, "node": item.node,
                    "after_serial": item.after_serial, "next_serial": item.next_serial}
        return {"node": item.node, "sec": item.sec, "milli": item.milli, "serial": item.serial,
                "records": [self.record(record) for record in item.records]}

    def record(self, record: Record) -> dict[str, Any]:
        skip = 1 if record.node is None else 2
        fields: list[Any] = record.fields[skip:]
        if self.interpreter is not None:
            meanings = self.interpreter(record)[skip:]
            fields = [(name, value, meaning) for (name, value), meaning in zip(fields, meanings)]
        document = {"type": record.type_text, "file": record.filename, "line": record.line, "fields": fields}
        if record.enriched is not None:
            document["enriched"] = record.enriched
        return document
