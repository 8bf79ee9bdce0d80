"""The seed's workload: copies of ``grep -r blah /usr/include`` run side by side.

Each copy writes its (few) matches to a regular file, not ``/dev/null``: GNU
grep treats a ``/dev/null`` stdout like ``-q`` and may stop at the first match.

How many events the kernel emits is counted without any daemon: the rule
audits every ``open``/``openat``/``openat2`` exit of a workload process, so
the count is the number of those syscalls the process makes, which
``strace`` counts on an unaudited run of the same command (grep over an
unchanged tree makes the same calls every time; the harness checks that by
counting before and after the benchmark).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

AUDITED_SYSCALLS = ("open", "openat", "openat2")
SEED_COMMAND = ("grep", "-r", "blah", "/usr/include")
KILL_WAIT = 300.0  # a producer asleep in the kernel's backlog wait dies only when woken (<= 240 s)
_STRACE_CALL = re.compile(rf"^(?:\d+\s+)?(?:{'|'.join(AUDITED_SYSCALLS)})\(")


@dataclass(frozen=True)
class Workload:
    name: str
    copies: int
    command: tuple[str, ...] = SEED_COMMAND


@dataclass
class WorkloadRun:
    wall: float  # seconds from the first spawn to the last exit (to the kill, when timed out)
    pids: list[int]
    exit_codes: list[int | None]
    timed_out: bool = False
    stuck: list[int] = field(default_factory=list)  # pids still alive after the kill wait


def run_workload(workload: Workload, out_dir: Path, timeout: float,
                 on_timeout: Callable[[], None] = lambda: None) -> WorkloadRun:
    """Run the copies in parallel and wait for them all, at most ``timeout`` seconds.

    On timeout (and on Ctrl-C), ``on_timeout`` runs first (the harness lowers
    ``backlog_wait_time`` there, so nothing new sleeps in the kernel), then the
    copies are killed and waited for (a copy asleep in the backlog wait dies
    only once the kernel wakes it).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = [(out_dir / f"{workload.name}.{i}.out").open("wb") for i in range(workload.copies)]
    try:
        start = time.monotonic()
        procs = [subprocess.Popen(workload.command, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                 for out in outputs]
        try:
            timed_out = _wait_all(procs, start + timeout)
        except BaseException:  # Ctrl-C or SIGTERM: never leave a copy asleep in the kernel
            on_timeout()
            _kill_all(procs)
            raise
        wall = time.monotonic() - start
        stuck: list[int] = []
        if timed_out:
            on_timeout()
            stuck = _kill_all(procs)
        return WorkloadRun(wall, [p.pid for p in procs], [p.returncode for p in procs], timed_out, stuck)
    finally:
        for out in outputs:
            out.close()


def _wait_all(procs: list[subprocess.Popen[bytes]], deadline: float) -> bool:
    """Wait for every copy until ``deadline``; whether it passed first."""
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return True
    return False


def _kill_all(procs: list[subprocess.Popen[bytes]]) -> list[int]:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    return [p.pid for p in procs if p.poll() is None]


def count_audited_syscalls(command: tuple[str, ...]) -> int:
    """How many open/openat/openat2 calls one run of ``command`` makes (strace, unaudited)."""
    with tempfile.TemporaryDirectory(prefix="seedload-strace-") as tmp:
        trace = os.path.join(tmp, "trace")
        with open(os.path.join(tmp, "out"), "wb") as out:
            subprocess.run(["strace", "-f", "-qq", "-e", "trace=" + ",".join(AUDITED_SYSCALLS), "-o", trace,
                            *command], stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                           check=False, timeout=600)
        with open(trace, encoding="utf-8", errors="replace") as handle:
            return sum(1 for line in handle if _STRACE_CALL.match(line))
