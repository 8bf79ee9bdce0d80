"""Grouping records into events: two policies, no I/O, no clock.

Records of one event share ``(node, sec, milli, serial)``.  How to decide that
an event is *complete* differs between the two places records come from, so
there are two groupers with one interface (:class:`Grouper`):

:class:`Reassembler` — the live stream (kernel netlink, a log being tailed).
    go-libaudit's reassembler model: events are delivered in serial order
    (rollover-aware) once complete — an ``EOE``, a single-record type
    (:func:`is_last_record`) — or expired (``timeout`` seconds on the caller's
    ``now`` or, without one, on the records' own timestamps), or evicted
    because more than ``max_in_flight`` are pending.  A complete event behind
    a gap in serials waits (the missing one may be on its way) until it
    expires; a gap that is then confirmed becomes an :class:`EventsLost` value.

:class:`AuparseGrouper` — files, exactly as libauparse 3.0.9 groups them.
    Events may interleave; an event completes when its *last* record is of a
    single-record type (:func:`is_last_record_auparse_3_0`), or when a record
    arrives whose second is ``eoe_timeout`` (2) past the event's, or at the end
    of input.  Events come out in timestamp order: the earliest pending event,
    once it is complete.  An ``EOE`` after its event completed is dropped
    (unless ``keep_eoe``); losses are not reported.
    ``c2audit.auparse`` and ``c2audit parse`` use it, so their events match the
    C library's (``tests/test_events_auparse.py`` compares them).

Both take an explicit ``now`` where time matters, and return what became
ready as a list, the h11 way: the caller drives, the core never waits.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from c2audit.records import Record
from c2audit.tables import uapi

SERIAL_MODULUS = 1 << 32  # the kernel's serial is an unsigned int and wraps
_HALF = SERIAL_MODULUS >> 1


@dataclass(slots=True, eq=False)
class Event:
    """The records of one audit event, in arrival order (``EOE`` included)."""

    node: str | None
    sec: int
    milli: int
    serial: int
    records: list[Record] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, int, int, int]:
        return (self.node, self.sec, self.milli, self.serial)

    @property
    def timestamp(self) -> float:
        return self.sec + self.milli / 1000

    def __repr__(self) -> str:
        node = f"node={self.node} " if self.node is not None else ""
        types = ",".join(record.type_text for record in self.records)
        return f"<Event {node}{self.sec}.{self.milli:03d}:{self.serial} [{types}]>"


@dataclass(frozen=True, slots=True)
class EventsLost:
    """``count`` events never arrived: the serials between two delivered events.

    ``after_serial`` is the last serial delivered before the gap and
    ``next_serial`` the first after it (both as the kernel wrote them).
    """

    count: int
    node: str | None = None
    after_serial: int | None = None
    next_serial: int | None = None


Output = Event | EventsLost


def is_last_record(record_type: int) -> bool:
    """True for a type that ends its event (audit-userspace 4.x ``audit_is_last_record``).

    ``EOE``, ``PROCTITLE`` (the kernel writes it last), and the types only ever
    sent alone: user-space messages (``USER`` and 1100–1299, 2100 and up),
    ``KERNEL`` and the labelled-networking ``MAC_UNLBL_ALLOW``…``MAC_CALIPSO_DEL``.
    ``LOGIN`` is not: the kernel follows it with the ``SYSCALL`` of its event.
    """
    return (
        record_type == uapi.AUDIT_PROCTITLE
        or record_type == uapi.AUDIT_EOE
        or uapi.AUDIT_LOGIN < record_type < uapi.AUDIT_FIRST_EVENT
        or record_type == uapi.AUDIT_USER
        or record_type >= uapi.AUDIT_FIRST_ANOM_MSG
        or record_type == uapi.AUDIT_KERNEL
        or uapi.AUDIT_MAC_UNLBL_ALLOW <= record_type <= uapi.AUDIT_MAC_CALIPSO_DEL
    )


def is_last_record_auparse_3_0(record_type: int) -> bool:
    """The rule libauparse 3.0.9 applies: every type below 1300 ends an event (``LOGIN`` too).

    Types no table knows (-1) are below 1300 as well, so they stand alone.
    """
    return (
        record_type < uapi.AUDIT_FIRST_EVENT
        or record_type == uapi.AUDIT_PROCTITLE
        or record_type == uapi.AUDIT_EOE
        or record_type >= uapi.AUDIT_FIRST_ANOM_MSG
        or record_type == uapi.AUDIT_KERNEL
        or uapi.AUDIT_MAC_UNLBL_ALLOW <= record_type <= uapi.AUDIT_MAC_CALIPSO_DEL
    )


class Grouper(Protocol):
    """What every grouping policy offers its driver."""

    def push(self, record: Record, now: float | None = None) -> list[Output]:
        """Add a record; return what became ready."""

    def tick(self, now: float) -> list[Output]:
        """Let time pass (no new record); return what expired."""

    def flush(self) -> list[Output]:
        """End of input: return everything still pending, in order."""

    @property
    def pending(self) -> int:
        """Events held, waiting to complete."""


def group(records: Iterable[Record], grouper: Grouper) -> Iterator[Output]:
    """Drive ``grouper`` over ``records`` and yield events (and losses) as they are ready."""
    push = grouper.push
    for record in records:
        ready = push(record)
        if ready:
            yield from ready
    yield from grouper.flush()


# --- the live stream: go-libaudit's reassembler, loss as a value ---------------------------


@dataclass(slots=True, eq=False)
class _Pending:
    event: Event
    deadline: float
    position: int  # serial unwrapped past rollovers, so later means larger
    restart: bool  # first event after the serials restarted (reboot): no gap before it
    complete: bool = False


@dataclass(slots=True, eq=False)
class _Stream:
    """One node's serial space: its pending events and what was delivered last."""

    heap: list[tuple[int, int, int, int, _Pending]] = field(default_factory=list)
    open: dict[tuple[int, int, int], _Pending] = field(default_factory=dict)
    anchor_serial: int = -1  # newest serial seen, as written (-1: none yet)
    anchor_position: int = 0
    newest_time: float = 0.0
    delivered: int | None = None  # position of the last delivered event
    delivered_serial: int | None = None


class Reassembler:
    """Group a live record stream; deliver events in serial order and report losses.

    ``max_in_flight`` bounds the events held (the oldest is delivered, complete
    or not, when it is exceeded); ``timeout`` is how long, in seconds, an event
    may wait for its ``EOE``.  Time is the ``now`` given to :meth:`push` and
    :meth:`tick` (any monotonic clock) or, when :meth:`push` gets none, the
    newest record timestamp seen.  ``last_record`` says which record types end
    their event by themselves.
    """

    MAX_NODES = 4096  # per-node loss bookkeeping kept for at most this many idle nodes

    def __init__(
        self,
        *,
        max_in_flight: int = 1024,
        timeout: float = 2.0,
        last_record: Callable[[int], bool] = is_last_record,
        report_loss: bool = True,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.report_loss = report_loss
        self._last_record = last_record
        self._streams: dict[str | None, _Stream] = {}
        self._count = 0
        self._clock = float("-inf")
        self._sequence = 0  # tie-break for events with equal positions

    @property
    def pending(self) -> int:
        return self._count

    def push(self, record: Record, now: float | None = None) -> list[Output]:
        time = record.sec + record.milli / 1000
        self._clock = now if now is not None else max(self._clock, time)
        stream = self._streams.get(record.node)
        if stream is None:
            stream = self._new_stream(record.node)
        key = (record.serial, record.sec, record.milli)
        pending = stream.open.get(key)
        if pending is None:
            if record.type == uapi.AUDIT_EOE:
                return self._deliver()  # its event is gone already: nothing to end
            pending = self._open(stream, record, key, time)
        pending.event.records.append(record)
        if record.type == uapi.AUDIT_EOE or self._last_record(record.type):
            pending.complete = True
        return self._deliver()

    def tick(self, now: float) -> list[Output]:
        self._clock = max(self._clock, now)
        return self._deliver()

    def flush(self) -> list[Output]:
        return self._deliver(everything=True)

    def _new_stream(self, node: str | None) -> _Stream:
        if len(self._streams) >= self.MAX_NODES:
            for idle in [name for name, stream in self._streams.items() if not stream.heap]:
                del self._streams[idle]
        stream = self._streams[node] = _Stream()
        return stream

    def _open(self, stream: _Stream, record: Record, key: tuple[int, int, int], time: float) -> _Pending:
        position, restart = self._position(stream, record.serial, time)
        event = Event(record.node, record.sec, record.milli, record.serial, [])
        pending = _Pending(event, self._clock + self.timeout, position, restart)
        stream.open[key] = pending
        self._sequence += 1
        heapq.heappush(stream.heap, (position, record.sec, record.milli, self._sequence, pending))
        self._count += 1
        return pending

    def _position(self, stream: _Stream, serial: int, time: float) -> tuple[int, bool]:
        """Place a serial on an unwrapped line: rollover moves forward, a reboot starts anew."""
        restart = False
        if stream.anchor_serial < 0:
            position = serial
            stream.anchor_serial, stream.anchor_position = serial, position
        else:
            step = (serial - stream.anchor_serial + _HALF) % SERIAL_MODULUS - _HALF
            if step < 0 and time > stream.newest_time + self.timeout:
                # Serials went back while time moved on: the kernel restarted them.
                step, restart = 1, True
            position = stream.anchor_position + step
            if step > 0:
                stream.anchor_serial, stream.anchor_position = serial, position
        stream.newest_time = max(stream.newest_time, time)
        return position, restart

    def _deliver(self, everything: bool = False) -> list[Output]:
        ready: list[Output] = []
        clock = self._clock
        for stream in self._streams.values():
            heap = stream.heap
            while heap:
                pending = heap[0][-1]
                if not (everything or clock >= pending.deadline
                        or (pending.complete and self._in_sequence(stream, pending))):
                    break
                self._take(stream, ready)
        while self._count > self.max_in_flight:
            oldest = min((stream for stream in self._streams.values() if stream.heap),
                         key=lambda stream: stream.heap[0][1:3])
            self._take(oldest, ready)
        return ready

    @staticmethod
    def _in_sequence(stream: _Stream, pending: _Pending) -> bool:
        """No serial is missing between the last delivered event and this one."""
        return stream.delivered is None or pending.restart or pending.position <= stream.delivered + 1

    def _take(self, stream: _Stream, ready: list[Output]) -> None:
        pending = heapq.heappop(stream.heap)[-1]
        self._count -= 1
        event = pending.event
        key = (event.serial, event.sec, event.milli)
        if stream.open.get(key) is pending:
            del stream.open[key]
        delivered = stream.delivered
        if delivered is None or pending.restart:
            stream.delivered = pending.position
        elif pending.position > delivered:
            gap = pending.position - delivered - 1
            if gap and self.report_loss:
                ready.append(EventsLost(gap, event.node, stream.delivered_serial, event.serial))
            stream.delivered = pending.position
        if stream.delivered == pending.position:
            stream.delivered_serial = event.serial
        ready.append(event)


# --- files: libauparse's grouping, event for event -----------------------------------------


EventKey = tuple[str | None, int, int, int]
"""(node, sec, milli, serial): what makes records one event."""


@dataclass(slots=True, eq=False)
class HeldEvent:
    event: Event
    slot: int  # its place in the list: a tie in time goes to the lower slot
    complete: bool = False


class HeldEvents:
    """The event list libauparse and ausearch 3.0.9 both keep, under their file groupers.

    Events wait in delivery order: the earliest (sec, milli, serial) first, a
    tie to the lower list slot, which a delivered event frees again.  The
    earliest is delivered once it is complete (``au_get_ready_event``); one
    still building completes when a record ``eoe_timeout`` seconds younger
    arrives (``au_check_events``).  Both tools hold events without limit;
    ``max_pending`` is the one departure: past that many the earliest is
    delivered as it is, so that a log whose clock stands still cannot exhaust
    memory.  With ``keep_finished`` a complete event stays findable by key
    (:attr:`_finished`) until it is delivered.
    """

    def __init__(self, eoe_timeout: int, max_pending: int, keep_finished: bool = False) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.eoe_timeout = eoe_timeout
        self.max_pending = max_pending
        self._keep_finished = keep_finished
        self._building: dict[EventKey, HeldEvent] = {}
        self._finished: dict[EventKey, HeldEvent] = {}
        self._held: list[tuple[int, int, int, int, HeldEvent]] = []
        self._ages: list[tuple[int, int, HeldEvent]] = []  # building events by their first second
        self._free_slots: list[int] = []
        self._next_slot = 0
        self._sequence = 0

    @property
    def pending(self) -> int:
        return len(self._held)

    def tick(self, now: float) -> list[Output]:
        self._expire(int(now))
        return self._ready()

    def flush(self) -> list[Output]:
        for held in list(self._building.values()):
            self._complete(held)
        self._ages.clear()
        return self._ready()

    def _hold(self, event: Event, key: EventKey, building: bool) -> HeldEvent:
        """Put ``event`` in the list: still ``building`` (it ages), or complete already."""
        if self._free_slots:
            slot = heapq.heappop(self._free_slots)
        else:
            slot = self._next_slot
            self._next_slot += 1
        held = HeldEvent(event, slot)
        heapq.heappush(self._held, (event.sec, event.milli, event.serial, slot, held))
        if building:
            self._building[key] = held
            self._sequence += 1
            heapq.heappush(self._ages, (event.sec, self._sequence, held))
        else:
            held.complete = True
            if self._keep_finished:
                self._finished[key] = held
        return held

    def _bound(self) -> list[Output]:
        """Keep the list within ``max_pending``, drop the ages of events completed meanwhile; what is ready."""
        if len(self._held) > self.max_pending:
            self._complete(self._held[0][-1])
        ages = self._ages
        if len(ages) > 2 * len(self._building) + 1024:
            self._ages = [entry for entry in ages if not entry[-1].complete]
            heapq.heapify(self._ages)
        return self._ready() if self._held[0][-1].complete else []

    def _expire(self, sec: int) -> None:
        ages = self._ages
        limit = sec - self.eoe_timeout
        while ages and ages[0][0] <= limit:
            self._complete(heapq.heappop(ages)[-1])

    def _complete(self, held: HeldEvent) -> None:
        if not held.complete:
            held.complete = True
            key = held.event.key
            del self._building[key]
            if self._keep_finished:
                self._finished[key] = held

    def _ready(self) -> list[Output]:
        """``au_get_ready_event`` until it finds nothing: the earliest held event, if complete."""
        held = self._held
        ready: list[Output] = []
        while held and held[0][-1].complete:
            done = heapq.heappop(held)[-1]
            heapq.heappush(self._free_slots, done.slot)
            if self._finished and self._finished.get(done.event.key) is done:
                del self._finished[done.event.key]
            ready.append(done.event)
        return ready


class AuparseGrouper(HeldEvents):
    """Group records as libauparse 3.0.9 does when it reads a file or a feed.

    ``eoe_timeout`` (seconds, 2 in auparse) completes an event once a record
    that many seconds younger arrives; ``last_record`` is the single-record
    rule (:func:`is_last_record_auparse_3_0`, or :func:`is_last_record` for
    audit-userspace 4.x's).  ``now`` in :meth:`push` is ignored (auparse uses
    the records' seconds); :meth:`tick` is ``auparse_feed_age_events``;
    ``max_pending`` bounds the events held (:class:`HeldEvents`).

    auparse drops an ``EOE`` that arrives after its event was completed (by a
    ``PROCTITLE``, typically); ``keep_eoe`` keeps it instead — added to its
    event while that is still held, else delivered on its own — so that a
    consumer that must not lose a line (``c2audit parse --format raw``) can
    use auparse's grouping.
    """

    def __init__(
        self,
        *,
        eoe_timeout: int = 2,
        last_record: Callable[[int], bool] = is_last_record_auparse_3_0,
        max_pending: int = 65536,
        keep_eoe: bool = False,
    ) -> None:
        super().__init__(eoe_timeout, max_pending, keep_finished=keep_eoe)
        self.keep_eoe = keep_eoe
        self._last_record = last_record

    def push(self, record: Record, now: float | None = None) -> list[Output]:
        key = (record.node, record.sec, record.milli, record.serial)
        building = self._building.get(key)
        if building is not None:
            building.event.records.append(record)
            self._check(record.sec, building, record.type)
            return []  # auparse reads on after adding to an event it holds
        if record.type == uapi.AUDIT_EOE:
            finished = self._finished.get(key) if self.keep_eoe else None
            if finished is not None:
                finished.event.records.append(record)
                return []
            if not self.keep_eoe:
                return []  # a lone EOE: auparse drops it, its event was completed already
        last = self._last_record(record.type)
        if last and not self._held:
            # Nothing waits and the record ends its own event: ready at once, as the long way
            # below would find (no event is building, so none can expire).
            return [Event(record.node, record.sec, record.milli, record.serial, [record])]
        ages = self._ages
        if ages and ages[0][0] <= record.sec - self.eoe_timeout:  # au_check_events: others first
            self._expire(record.sec)
        self._hold(Event(record.node, record.sec, record.milli, record.serial, [record]), key, not last)
        return self._bound()

    def _check(self, sec: int, building: HeldEvent, record_type: int) -> None:
        """``au_check_events``: expire old events, complete one whose last record ends it."""
        ages = self._ages
        if ages and ages[0][0] <= sec - self.eoe_timeout:  # most records expire nothing
            self._expire(sec)
        if not building.complete and self._last_record(record_type):
            self._complete(building)
