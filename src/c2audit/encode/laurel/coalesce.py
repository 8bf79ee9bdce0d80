"""laurel 0.5.1's grouping of records into events (its ``Coalesce``), as a c2audit grouper.

laurel groups differently from libauparse (:class:`c2audit.events.AuparseGrouper`),
and its output order follows from it, so ``--format laurel`` groups this way:

* kernel records (types 1300–2099 but ``MAC_UNLBL_ALLOW``…``MAC_CALIPSO_DEL``
  and ``KERNEL``, plus ``LOGIN``) are collected by (node, timestamp, serial)
  until that event's ``EOE``; every other record is an event of its own, out at
  once;
* whenever a record's timestamp passes the next check point (1 s after the
  previous one), events more than 5 s older than that record go out, and
  finished events older than 120 s are forgotten;
* at the end of input every event still held goes out, ordered by node (none
  first), timestamp and serial (laurel keeps them in a ``BTreeMap``);
* laurel drops, and reports, a record it cannot parse, an ``EOE`` of an event
  it does not hold, and a second ``EOE`` or user-space record of an event it
  has finished ("duplicate event id").

Time is the records' own (laurel's event time); :meth:`LaurelGrouper.tick`
applies the same 5 s rule to a caller's clock, for logs being followed.  Two
bounds laurel does not have keep memory flat on hostile input: at most
``max_in_flight`` events held (the oldest goes out early) and at most
``max_done`` finished events remembered.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

from c2audit.encode.laurel.grammar import parse_record
from c2audit.encode.laurel.values import (
    ABSENT,
    CWD,
    EOE,
    EXECVE,
    PROCTITLE,
    SYSCALL,
    LaurelParseError,
    ParsedRecord,
)
from c2audit.events import Event, Output
from c2audit.records import Record
from c2audit.tables import uapi

EXPIRE_PERIOD = 1_000  # ms of event time between two expiry passes
INFLIGHT_TIMEOUT = 5_000  # ms an event waits for its EOE
DONE_TIMEOUT = 120_000  # ms a finished event is remembered (duplicate detection)

SINGLE_TYPES = frozenset((SYSCALL, EXECVE, PROCTITLE, CWD))
"""Kernel record types laurel merges into one JSON object per event; the others become lists."""


def is_multipart(record_type: int) -> bool:
    """True for the record types laurel collects until ``EOE`` (auparse 3.0.6's rule)."""
    if record_type == uapi.AUDIT_LOGIN:
        return True
    return (
        uapi.AUDIT_FIRST_EVENT <= record_type < uapi.AUDIT_FIRST_USER_MSG2
        and not uapi.AUDIT_MAC_UNLBL_ALLOW <= record_type <= uapi.AUDIT_MAC_CALIPSO_DEL
        and record_type != uapi.AUDIT_KERNEL
    )


_COLLECTED = frozenset(filter(is_multipart, range(uapi.AUDIT_FIRST_USER_MSG2))) - {EOE}


EventBody = dict[int, "ParsedRecord | list[ParsedRecord]"]
"""An event's records as laurel keys them: by type, in the order types first appear.

A type of :data:`SINGLE_TYPES` holds one :class:`ParsedRecord` (a second
record of that type is appended to it, repeated keys and all); any other type
in a multi-record event holds a list.
"""


def add_record(body: EventBody, record: ParsedRecord, single: bool) -> None:
    """Put a record in an event body as laurel does."""
    current = body.get(record.type)
    if current is None:
        body[record.type] = record if single else [record]
    elif isinstance(current, list):
        current.append(record)
    else:
        _extend(current, record)


def _extend(into: ParsedRecord, record: ParsedRecord) -> None:
    """laurel's ``Record::extend``: the second record's fields follow the first's."""
    mine = into.fields.items() if isinstance(into.fields, dict) else into.fields
    theirs = record.fields.items() if isinstance(record.fields, dict) else record.fields
    into.fields = [*mine, *theirs]
    into.sys_args = [*into.sys_args, *record.sys_args]
    into.exe_args = [*into.exe_args, *record.exe_args]
    if into.proctitle is ABSENT:
        into.proctitle = record.proctitle


@dataclass(slots=True, eq=False)
class LaurelEvent(Event):
    """An event as laurel holds it: the records it accepted (its ``EOE`` too) and their parsed body.

    ``timestamp`` is laurel's (milliseconds), which ``ID`` prints.
    """

    timestamp: int = 0
    body: EventBody = field(default_factory=dict)


_Key = tuple[str | None, int, int]  # (node, timestamp, serial)


def laurel_order(key: _Key) -> tuple[bool, bytes, int, int]:
    """Sort key of laurel's ``BTreeMap<(Option<node>, EventID)>``: no node first, then bytes."""
    node, timestamp, serial = key
    name = b"" if node is None else node.encode("utf-8", "surrogateescape")
    return (node is not None, name, timestamp, serial)


class LaurelGrouper:
    """Group records into :class:`LaurelEvent` values exactly as laurel 0.5.1 does.

    ``on_error`` receives a :class:`LaurelParseError` for each record laurel
    would reject (the record is then ignored, as laurel ignores it).
    """

    def __init__(
        self,
        on_error: Callable[[LaurelParseError], None] | None = None,
        *,
        max_in_flight: int = 65_536,
        max_done: int = 262_144,
    ) -> None:
        self.on_error = on_error
        self.max_in_flight = max_in_flight
        self.max_done = max_done
        self.errors = 0
        self._inflight: dict[_Key, LaurelEvent] = {}
        self._inflight_heap: list[tuple[int, int, _Key, LaurelEvent]] = []
        self._done: set[_Key] = set()
        self._done_heap: list[tuple[int, int, _Key]] = []
        self._next_expire: int | None = None
        self._order = count()

    @property
    def pending(self) -> int:
        return len(self._inflight)

    def push(self, record: Record, now: float | None = None) -> list[Output]:
        """Add a record; return the events it completes or expires (``now`` is not used)."""
        try:
            record_type, timestamp, parsed = parse_record(record)
        except LaurelParseError as error:
            self._reject(error)
            return []
        ready: list[Output] = []
        next_expire = self._next_expire
        if next_expire is None:
            self._next_expire = timestamp + EXPIRE_PERIOD
        elif next_expire < timestamp:
            self._expire_inflight(timestamp, ready)
            self._expire_done(timestamp)
            self._next_expire = timestamp + EXPIRE_PERIOD
        key = (record.node, timestamp, record.serial)
        if record_type in _COLLECTED:
            event = self._inflight.get(key)
            if event is None:
                event = self._inflight[key] = LaurelEvent(
                    record.node, timestamp // 1000, timestamp % 1000, record.serial, [record], timestamp)
                heapq.heappush(self._inflight_heap, (timestamp, next(self._order), key, event))
            else:
                event.records.append(record)
            add_record(event.body, parsed, record_type in SINGLE_TYPES)
        elif record_type == EOE:
            event = None if key in self._done else self._inflight.pop(key, None)
            if event is None:
                self._reject_event(record, key, duplicate=key in self._done)
            else:
                event.records.append(record)  # not in laurel's body, but other formats show it
                self._emit(key, event, ready)
        elif key in self._done:
            self._reject_event(record, key, duplicate=True)
        else:
            event = LaurelEvent(
                record.node, timestamp // 1000, timestamp % 1000, record.serial, [record], timestamp)
            event.body[record_type] = parsed
            self._emit(key, event, ready)
        if len(self._inflight) > self.max_in_flight:
            self._evict(ready)
        return ready

    def tick(self, now: float) -> list[Output]:
        """Let a clock pass (seconds): events 5 s older than ``now`` go out, as a later record would do."""
        ready: list[Output] = []
        self._expire_inflight(int(now * 1000), ready)
        return ready

    def flush(self) -> list[Output]:
        """End of input: every event held, in laurel's order."""
        ready: list[Output] = []
        for key in sorted(self._inflight, key=laurel_order):
            self._emit(key, self._inflight.pop(key), ready)
        self._inflight_heap.clear()
        return ready

    def _emit(self, key: _Key, event: LaurelEvent, ready: list[Output]) -> None:
        if key not in self._done:
            self._done.add(key)
            heapq.heappush(self._done_heap, (key[1], next(self._order), key))
            if len(self._done_heap) > self.max_done:
                self._done.discard(heapq.heappop(self._done_heap)[2])
        ready.append(event)

    def _expire_inflight(self, now: int, ready: list[Output]) -> None:
        heap = self._inflight_heap
        expired: list[_Key] = []
        while heap and heap[0][0] + INFLIGHT_TIMEOUT < now:
            _, _, key, event = heapq.heappop(heap)
            if self._inflight.get(key) is event:
                expired.append(key)
        for key in sorted(expired, key=laurel_order):
            self._emit(key, self._inflight.pop(key), ready)

    def _expire_done(self, now: int) -> None:
        heap = self._done_heap
        while heap and heap[0][0] + DONE_TIMEOUT < now:
            self._done.discard(heapq.heappop(heap)[2])

    def _evict(self, ready: list[Output]) -> None:
        """Past ``max_in_flight``: the earliest held event goes out incomplete."""
        heap = self._inflight_heap
        while heap:
            _, _, key, event = heapq.heappop(heap)
            if self._inflight.get(key) is event:
                self._emit(key, self._inflight.pop(key), ready)
                return

    def _reject(self, error: LaurelParseError) -> None:
        self.errors += 1
        if self.on_error is not None:
            self.on_error(error)

    def _reject_event(self, record: Record, key: _Key, *, duplicate: bool) -> None:
        event_id = format_id(key[1], key[2])
        if duplicate:
            reason = f"duplicate event id {event_id}"
        else:
            reason = f"Event id {event_id} for EOE marker not found"
        self._reject(LaurelParseError(reason, record.raw, record.filename, record.line))


def format_id(timestamp: int, serial: int) -> str:
    """laurel's event id: ``SEC.MSEC:SERIAL``."""
    return f"{timestamp // 1000}.{timestamp % 1000:03d}:{serial}"
