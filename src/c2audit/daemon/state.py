"""The daemon's counters and its state report (``SIGCONT``), no I/O.

Like auditd's ``/var/run/auditd.state`` the report is ``key = value`` lines;
unlike it, the keys are stable snake_case names meant to be read back by
programs (``c2audit ctl -s`` shows the loss counters from it): use
:func:`parse_state`.  Every loss the daemon knows of is here, by source:

* ``kernel_lost_since_start`` -- the kernel's ``lost`` counter rose this much
  while we ran (records the kernel dropped before we could read them);
* ``records_dropped_*`` -- records we read but did not write, by reason;
* ``enobufs`` -- times the socket reported ENOBUFS (the kernel found our
  receive buffer full; for the unicast socket it re-queues the record, and if
  that fails too it counts it in ``lost``).

Each counter is written by exactly one thread (reader, writer or monitor) and
read by others; Python's ints make the reads safe without locks.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(slots=True)
class ReaderCounters:
    """Written by the reader thread only."""

    records_received: int = 0
    bytes_received: int = 0
    batches: int = 0
    queue_full_waits: int = 0  # times the writer was behind and the reader had to wait
    enobufs: int = 0
    control_messages: int = 0  # non-record messages on the daemon socket (ACKs, AUDIT_REPLACE)
    malformed: int = 0  # datagrams too short to be a netlink message
    reader_cpu_seconds: float = 0.0  # this thread's CPU time (user + system), as of its last batch


@dataclass(slots=True)
class WriterCounters:
    """Written by the writer thread only."""

    lines_written: int = 0  # kernel and daemon records in the log
    bytes_written: int = 0
    records_dropped_suspended: int = 0  # logging suspended (suspend, exec actions)
    records_dropped_halted: int = 0
    records_dropped_write_error: int = 0
    records_not_logged: int = 0  # EOE, replies: not log records by design (auditd skips them)
    kernel_lost_reported: int = 0  # the part of kernel_lost_since_start written as loss records
    rotations: int = 0
    flushes: int = 0
    disk_errors: int = 0
    log_size: int = 0
    last_error: str = ""
    writer_cpu_seconds: float = 0.0  # this thread's CPU time, as of its last item

    @property
    def records_dropped(self) -> int:
        return self.records_dropped_suspended + self.records_dropped_halted + self.records_dropped_write_error


@dataclass(slots=True)
class KernelCounters:
    """Written by the monitor thread only: the kernel's audit_status as last polled."""

    polls: int = 0
    poll_errors: int = 0
    lost_at_start: int = 0  # the kernel's counter at our first poll
    lost: int = 0  # as last polled
    lost_since_start: int = 0  # rises seen while we ran (survives a reset of the counter)
    backlog: int = 0
    backlog_max: int = 0
    backlog_limit: int = 0
    backlog_wait_time: int = 0
    enabled: int = 0
    failure: int = 0
    audit_pid: int = 0


@dataclass(slots=True)
class Counters:
    reader: ReaderCounters = field(default_factory=ReaderCounters)
    writer: WriterCounters = field(default_factory=WriterCounters)
    kernel: KernelCounters = field(default_factory=KernelCounters)


def _flat(prefix: str, counters: object) -> list[tuple[str, object]]:
    return [(f"{prefix}{f.name}", getattr(counters, f.name)) for f in fields(counters)]  # type: ignore[arg-type]


def state_values(
    counters: Counters, process: dict[str, object], logging: dict[str, object]
) -> list[tuple[str, object]]:
    """Everything the report shows, in order: process facts, logging state, then counters."""
    values: list[tuple[str, object]] = list(process.items()) + list(logging.items())
    values.append(("records_dropped", counters.writer.records_dropped))
    values += _flat("", counters.reader) + _flat("", counters.writer) + _flat("kernel_", counters.kernel)
    return values


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("\n", " ")


def render_state(values: list[tuple[str, object]]) -> str:
    """The report text: one ``key = value`` per line."""
    return "".join(f"{key} = {_text(value)}\n" for key, value in values)


def parse_state(text: str) -> dict[str, str]:
    """Read a state report back (keys and raw values; ``#`` lines and junk are skipped)."""
    values: dict[str, str] = {}
    for line in text.split("\n"):
        key, equals, value = line.partition(" = ")
        if equals and key and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values
