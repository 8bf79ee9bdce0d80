"""``--format raw``: each event's records as they were logged, one per line, event by event.

Records keep their ENRICHED part; a loss has no place in the log format and
writes nothing.
"""
from __future__ import annotations

from c2audit.encode import EncodeOptions
from c2audit.events import Event, Output


class RawEncoder:
    def __init__(self, options: EncodeOptions) -> None:
        self.options = options

    def encode(self, item: Output) -> bytes:
        if not isinstance(item, Event):
            return b""
        text = "".join([f"{record.raw}\n" for record in item.records])
        return text.encode("utf-8", "surrogateescape")

    def finish(self) -> bytes:
        return b""
