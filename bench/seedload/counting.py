"""Counting the workload's events in a daemon's log (pure: bytes in, numbers out).

An event is in the log when its ``SYSCALL`` record is: the kernel writes the
rule's key there and nowhere else, and drops an event whole when that first
record finds the backlog full (later records of an event can be lost on their
own, which is why the kernel's ``lost`` counts records, not events).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

_PID = re.compile(rb" pid=(\d+) ")


@dataclass(frozen=True)
class EventCount:
    workload: int  # SYSCALL records with the key, from a workload pid
    other: int  # SYSCALL records with the key from any other process (a system-wide rule)
    lines: int  # every line in the log


def _record_type_and_body(line: bytes) -> bytes:
    """The line without a ``node=NAME `` prefix (name_format other than none)."""
    if line.startswith(b"node="):
        _, _, line = line.partition(b" ")
    return line


def count_events(lines: Iterable[bytes], key: str, pids: Collection[int]) -> EventCount:
    """SYSCALL records carrying ``key="<key>"`` in ``lines``, split by whether ``pid=`` is a workload pid."""
    needle = f' key="{key}"'.encode()
    wanted = {str(pid).encode() for pid in pids}
    workload = other = total = 0
    for raw in lines:
        total += 1
        line = _record_type_and_body(raw)
        if not line.startswith(b"type=SYSCALL ") or needle not in line:
            continue
        match = _PID.search(line)
        if match and match.group(1) in wanted:
            workload += 1
        else:
            other += 1
    return EventCount(workload, other, total)

