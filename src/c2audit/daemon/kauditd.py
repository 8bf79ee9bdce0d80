"""kauditd's CPU priority: the kernel thread that carries records from the audit backlog to our socket.

Why the daemon touches a kernel thread: with ``backlog_wait_time`` 0 the kernel
drops a record when its backlog holds more than ``backlog_limit`` records, and
the backlog only empties while kauditd runs.  kauditd is an ordinary
``SCHED_OTHER`` thread at nice 0, so under load it waits for a CPU behind the
very processes whose syscalls fill its queue; at the kernel's default limit of
64, four ``grep -r`` on two CPUs overflowed it whatever the daemon did (the
daemon had most of its 256 MiB socket buffer to spare).  Measured with the seed
workload at 64/0: about 13,600 of 35,512 events missed with kauditd as found,
1,700 at nice -10, 0-190 with ``SCHED_FIFO`` priority 1.  The cost is paid by
the audited processes, which yield the CPU to kauditd record by record -- the
trade an audit system makes when losing records is the failure.

The daemon sets kauditd's scheduling at start (``kauditd_priority``), puts back
what it found at a clean stop -- unless someone else changed it meanwhile --
and says what it did in its state report.  What it found is also written to a
memo in its run directory (tmpfs: gone at reboot, as the kernel's setting is):
a daemon killed before it could restore leaves the memo, and the next daemon
restores what the first one found, not what the first one set.
:func:`target` is the pure decision; :class:`KauditdPriority` does the system calls.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from c2audit.daemon.config import KauditdSetting as Setting

KTHREADD_PID = 2  # every kernel thread is a child of kthreadd
REALTIME_PRIORITY = 1  # the lowest SCHED_FIFO priority: above every ordinary process, below RT kernel threads


@dataclass(frozen=True)
class Scheduling:
    """A thread's scheduling as the kernel reports it."""

    policy: int  # os.SCHED_OTHER, os.SCHED_FIFO, ...
    priority: int  # the real-time priority (0 outside SCHED_FIFO/SCHED_RR)
    nice: int

    def __str__(self) -> str:
        if self.policy == os.SCHED_FIFO:
            return f"fifo {self.priority}"
        if self.policy == os.SCHED_RR:
            return f"rr {self.priority}"
        return f"nice {self.nice}"


KEEP = Setting()


def target(setting: Setting, found: Scheduling) -> Scheduling:
    """The scheduling ``setting`` asks for, given what kauditd had (``keep`` keeps it whole)."""
    if setting.realtime:
        return Scheduling(os.SCHED_FIFO, REALTIME_PRIORITY, found.nice)
    if setting.boost:
        return Scheduling(os.SCHED_OTHER, 0, -setting.boost)
    return found


def find_kauditd(proc: Path = Path("/proc")) -> int | None:
    """The pid of the kernel's ``kauditd`` thread (None: no audit support, or /proc unreadable)."""
    try:
        entries = list(proc.iterdir())
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, _, rest = stat.partition(" (")[2].rpartition(") ")
        if name == "kauditd" and rest.split()[1:2] == [str(KTHREADD_PID)]:
            return int(entry.name)
    return None


def read_scheduling(pid: int) -> Scheduling:
    return Scheduling(os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority,
                      os.getpriority(os.PRIO_PROCESS, pid))


def write_scheduling(pid: int, scheduling: Scheduling) -> None:
    os.sched_setscheduler(pid, scheduling.policy, os.sched_param(scheduling.priority))
    if scheduling.policy not in (os.SCHED_FIFO, os.SCHED_RR):
        os.setpriority(os.PRIO_PROCESS, pid, scheduling.nice)


def memo_text(found: Scheduling, applied: Scheduling) -> str:
    return "".join(f"{name} {s.policy} {s.priority} {s.nice}\n" for name, s in (("found", found), ("applied", applied)))


def parse_memo(text: str) -> tuple[Scheduling, Scheduling] | None:
    """(found, applied) from a memo; None for anything else."""
    values = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) != 4 or not all(n.lstrip("-").isdigit() for n in words[1:]):
            return None
        values[words[0]] = Scheduling(*(int(n) for n in words[1:]))
    return (values["found"], values["applied"]) if values.keys() == {"found", "applied"} else None


class KauditdPriority:
    """Sets kauditd's scheduling and puts back what it found; failures are reported, never fatal."""

    def __init__(self, alert: Callable[[str], None], memo: Path | None = None,
                 find: Callable[[], int | None] = find_kauditd,
                 read: Callable[[int], Scheduling] = read_scheduling,
                 write: Callable[[int, Scheduling], None] = write_scheduling):
        self.alert = alert
        self.memo = memo
        self.find, self.read, self.write = find, read, write
        self.pid: int | None = None
        self.found: Scheduling | None = None
        self.applied: Scheduling | None = None

    def apply(self, setting: Setting) -> None:
        """Give kauditd the scheduling ``setting`` asks for (remembering, the first time, what it had)."""
        if setting == KEEP and self.applied is None:
            return
        if self.pid is None:
            self.pid = self.find()
            if self.pid is None:
                self.alert("kauditd_priority: no kauditd thread found; its priority is left alone")
                return
        try:
            if self.found is None:
                self.found = self._found_by_a_killed_daemon(self.read(self.pid))
            wanted = target(setting, self.found)
            self.write(self.pid, wanted)
            self.applied = wanted
            self._write_memo()
        except OSError as exc:
            self.alert(f"kauditd_priority: cannot set kauditd's (pid {self.pid}) scheduling ({exc.strerror})")

    def restore(self) -> None:
        """Put back what kauditd had at start, unless someone changed it since we set it."""
        if self.pid is None or self.found is None or self.applied is None:
            return
        try:
            if self.read(self.pid) == self.applied:
                self.write(self.pid, self.found)
            else:
                self.alert("kauditd_priority: kauditd's scheduling was changed by someone else: left as it is")
            self.applied = None
            if self.memo is not None:
                self.memo.unlink(missing_ok=True)
        except OSError as exc:
            self.alert(f"kauditd_priority: cannot restore kauditd's (pid {self.pid}) scheduling ({exc.strerror})")

    def _found_by_a_killed_daemon(self, current: Scheduling) -> Scheduling:
        """What a previous daemon found, if its memo is left and kauditd still runs as it set it; else ``current``."""
        try:
            memo = parse_memo(self.memo.read_text()) if self.memo is not None else None
        except (OSError, UnicodeDecodeError):
            memo = None
        if memo is None or memo[1] != current:
            return current
        self.alert(f"kauditd_priority: a previous daemon left kauditd at {current}; it had found {memo[0]}")
        return memo[0]

    def _write_memo(self) -> None:
        if self.memo is None or self.found is None or self.applied is None:
            return
        try:
            self.memo.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            self.memo.write_text(memo_text(self.found, self.applied))
        except OSError as exc:
            self.alert(f"kauditd_priority: cannot write {self.memo} ({exc.strerror}): a crash would leave "
                       "kauditd's scheduling as set")

    def describe(self) -> str:
        """For the state report: what kauditd runs with now, as far as we know."""
        if self.pid is None:
            return "unknown"
        try:
            return str(self.read(self.pid))
        except OSError:
            return "unknown"
