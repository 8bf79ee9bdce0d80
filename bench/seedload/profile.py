"""``--profile``: where ``c2audit daemon`` spends its CPU while the audited workload runs.

Three views of the same window (rule loaded, workload, drain):

- per thread, from ``/proc/PID/task/TID``: time on the CPU (schedstat, ns),
  its user/system split (stat, ticks), voluntary and involuntary context
  switches (status);
- per thread, system calls made (``perf stat -e raw_syscalls:sys_enter``);
- per Python line and function, py-spy samples taken only while the thread
  holds the GIL (``--gil``): Python-level CPU, not time asleep in a syscall.

py-spy and perf start through a shell that exits at once, so their parent is
not the harness: the benchmark's rule audits the harness's children.
Sampling costs the daemon CPU: profiled runs are for finding costs, not for
the table.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

RATE = 250  # py-spy samples per second
CLK_TCK = os.sysconf("SC_CLK_TCK")
_PYSPY_THREAD = re.compile(r"^thread \((\d+)\): ([^;\s]+)")
_PERF_LINE = re.compile(r"^\s*\S+-(\d+)\s+([\d,]+)\s+raw_syscalls:sys_enter")


@dataclass(frozen=True)
class ThreadTimes:
    cpu_ns: int
    user_ticks: int
    system_ticks: int
    voluntary_switches: int
    involuntary_switches: int

    def __sub__(self, other: ThreadTimes) -> ThreadTimes:
        return ThreadTimes(*(a - b for a, b in zip(self.as_tuple(), other.as_tuple())))

    def as_tuple(self) -> tuple[int, ...]:
        return (self.cpu_ns, self.user_ticks, self.system_ticks, self.voluntary_switches, self.involuntary_switches)


def thread_times(pid: int) -> dict[int, ThreadTimes]:
    """Every thread of ``pid`` now (threads that end meanwhile are skipped)."""
    times = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        base = f"/proc/{pid}/task/{tid}"
        try:
            with open(f"{base}/schedstat", encoding="ascii") as handle:
                cpu_ns = int(handle.read().split()[0])
            with open(f"{base}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"{base}/status", encoding="ascii") as handle:
                status = dict(line.split(":\t", 1) for line in handle.read().splitlines() if ":\t" in line)
        except (OSError, IndexError, ValueError):
            continue
        times[int(tid)] = ThreadTimes(cpu_ns, int(fields[11]), int(fields[12]),
                                      int(status["voluntary_ctxt_switches"]), int(status["nonvoluntary_ctxt_switches"]))
    return times


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


class Profiler:
    """py-spy and perf on one daemon process, plus its threads' times, for one window."""

    def __init__(self, pid: int, directory: Path):
        self.pid, self.directory = pid, directory
        directory.mkdir(parents=True, exist_ok=True)
        self.tool_pids: list[int] = []
        self.before: dict[int, ThreadTimes] = {}
        self.after: dict[int, ThreadTimes] = {}

    def start(self) -> None:
        py_spy, perf = _tool("py-spy"), _tool("perf")
        if py_spy is None:
            raise RuntimeError("--profile needs py-spy (pip install py-spy)")
        commands = [(f'"{py_spy}" record -p {self.pid} -r {RATE} -f raw --threads --gil --nonblocking '
                     f'-o "{self.directory}/py-spy.raw"')]
        if perf is not None:
            commands.append(f'"{perf}" stat --per-thread -e raw_syscalls:sys_enter -p {self.pid} '
                            f'-o "{self.directory}/perf-stat.txt"')
        script = "; ".join(f"{c} >/dev/null 2>&1 & echo $!" for c in commands)
        started = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
        self.tool_pids = [int(pid) for pid in started.stdout.split()]
        time.sleep(0.5)  # let them attach before the workload starts
        self.before = thread_times(self.pid)

    def stop(self, seconds: float = 30.0) -> None:
        """Take the threads' times, then SIGINT makes py-spy and perf write their files and exit."""
        self.after = thread_times(self.pid)
        for pid in self.tool_pids:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + seconds
        while any(os.path.exists(f"/proc/{pid}") for pid in self.tool_pids) and time.monotonic() < deadline:
            time.sleep(0.1)

    def summary(self) -> Path:
        raw = self.directory / "py-spy.raw"
        stacks = raw.read_text(errors="replace").splitlines() if raw.exists() else []
        perf = self.directory / "perf-stat.txt"
        syscalls = syscalls_per_thread(perf.read_text().splitlines()) if perf.exists() else {}
        names = thread_names(stacks)
        deltas = {tid: self.after[tid] - self.before[tid] for tid in self.after if tid in self.before}
        lines = thread_table(deltas, names, syscalls) + [""] + summarize_stacks(stacks)
        path = self.directory / "summary.txt"
        path.write_text("\n".join(lines) + "\n")
        return path


def thread_names(stacks: Iterable[str]) -> dict[int, str]:
    names = {}
    for line in stacks:
        match = _PYSPY_THREAD.match(line)
        if match:
            names[int(match.group(1))] = match.group(2)
    return names


def syscalls_per_thread(lines: Iterable[str]) -> dict[int, int]:
    counts = {}
    for line in lines:
        match = _PERF_LINE.match(line)
        if match:
            counts[int(match.group(1))] = int(match.group(2).replace(",", ""))
    return counts


def thread_table(deltas: dict[int, ThreadTimes], names: dict[int, str], syscalls: dict[int, int]) -> list[str]:
    lines = [f"{'thread':24} {'CPU s':>7} {'user s':>7} {'sys s':>7} {'syscalls':>9} {'vol cs':>8} {'invol cs':>8}"]
    for tid, d in sorted(deltas.items(), key=lambda item: -item[1].cpu_ns):
        name = names.get(tid, "(no GIL sample)")
        lines.append(f"{name + ' ' + str(tid):24} {d.cpu_ns / 1e9:7.3f} {d.user_ticks / CLK_TCK:7.2f} "
                     f"{d.system_ticks / CLK_TCK:7.2f} {syscalls.get(tid, 0):9d} {d.voluntary_switches:8d} "
                     f"{d.involuntary_switches:8d}")
    return lines


def summarize_stacks(lines: Iterable[str], top: int = 15) -> list[str]:
    """py-spy's GIL-holding samples: per thread, per line (self) and per function (inclusive)."""
    threads: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        self_time[frames[-1]] += count
        for function in {frame.rsplit(":", 1)[0] + ")" for frame in frames[1:]}:
            inclusive[function] += count
    if not total:
        return ["py-spy: no samples"]

    def share(counter: Counter[str]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]

    return [f"py-spy: {total} samples holding the GIL at {RATE}/s ({total / RATE:.2f} s of Python)",
            "per thread:", *share(threads), "self (line):", *share(self_time),
            "inclusive (function):", *share(inclusive)]
