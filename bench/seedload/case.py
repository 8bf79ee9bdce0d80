"""One measured run: a daemon, a workload, a backlog limit and wait time.

In order: the workload unaudited (the baseline wall time, ``enabled`` 0, no
rule), the kernel settings, the daemon (until it is the registered audit pid
and ``enabled`` is 1), the rule, the workload audited, the daemon's socket
drained and its log still, the rule deleted, the counters read, the daemon
stopped, its log counted.  Whatever happens -- a timeout, a daemon that dies,
Ctrl-C -- the ``finally`` puts the kernel back as the run found it: no sleeper
left, our rule deleted, the daemon stopped, no dead pid registered, settings,
``enabled`` and kauditd's scheduling restored.

Between the start of the audited workload and the drained socket the harness
sends the kernel nothing (see ``kernel``), and it does no work of its own.
"""
from __future__ import annotations

import os
import signal
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from c2audit.daemon.kauditd import (
    REALTIME_PRIORITY,
    Scheduling,
    find_kauditd,
    read_scheduling,
    write_scheduling,
)
from seedload.counting import count_events
from seedload.daemons import DaemonProcess, start_daemon
from seedload.kernel import Kernel, KernelBusy, compile_rule, exclusive_kernel, has_key
from seedload.profile import Profiler
from seedload.workload import Workload, WorkloadRun, run_workload

KEY = "seedload"
NO_DAEMON = "none"  # the kernel alone: the floor of the audited wall time (see _Run.measure_kernel_alone)
REGISTER_WAIT = 30.0
C2AUDIT_COUNTERS = ("records_received", "batches", "records_dropped", "enobufs", "queue_full_waits",
                    "kernel_lost_since_start", "reader_cpu_seconds", "writer_cpu_seconds")


def rule_text(scope_ppid: int | None) -> str:
    """Issue 2's rule; scoped to our children (``-F ppid=``) unless ``scope_ppid`` is None."""
    scope = f" -F ppid={scope_ppid}" if scope_ppid is not None else ""
    return f"-a always,exit -F arch=b64 -S open,openat,openat2{scope} -k {KEY}"


@dataclass(frozen=True)
class Case:
    daemon: str
    workload: Workload
    backlog_limit: int
    wait_time: int  # jiffies


@dataclass(frozen=True)
class Options:
    root: Path  # where logs and configs go
    per_copy: int  # audited syscalls one copy of the workload makes (strace)
    timeout: float = 300.0  # seconds, per workload run
    system_wide: bool = False
    lock: bool = True  # take the kernel-test lock (False inside a kernel test, which holds it)
    busy_wait: float = 600.0  # seconds to wait for a kernel others are using
    profile: Path | None = None  # py-spy c2audit's runs into this directory (numbers then disturbed)
    extra_conf: dict[str, str] = field(default_factory=dict)  # daemon name -> config lines appended
    kauditd_realtime: bool = False  # kauditd at SCHED_FIFO 1 for every daemon (what c2audit does by default)


@dataclass
class RunResult:
    case: Case
    emitted: int  # the workload's audited syscalls: per_copy x copies
    logged: int  # its SYSCALL records in the daemon's log
    other_logged: int  # keyed SYSCALL records of other processes (system-wide rule only)
    lost_delta: int  # kernel lost counter, records
    cpu_window: float  # daemon CPU seconds from just before the workload to the drained log
    cpu_total: float | None  # daemon CPU seconds over its whole life (wait4)
    wall_off: float  # workload seconds unaudited
    wall_on: float  # workload seconds audited
    load: float  # 1-minute load average when the run started
    blocked_jiffies: int = 0  # backlog_wait_time_actual delta: producers' time asleep
    timed_out: bool = False
    drained: bool = True
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def has_daemon(self) -> bool:
        return self.case.daemon != NO_DAEMON

    @property
    def missed(self) -> int:
        return self.emitted - self.logged

    @property
    def us_per_event(self) -> float:
        return self.cpu_window / self.logged * 1e6 if self.logged else float("nan")

    @property
    def slowdown(self) -> float:
        return self.wall_on / self.wall_off if self.wall_off else float("nan")

    @property
    def sound(self) -> bool:
        """Nothing went wrong that makes the numbers meaningless."""
        return not self.timed_out and self.drained and self.logged <= self.emitted


def measure(case: Case, options: Options) -> RunResult:
    """One run, holding the kernel for its whole duration; the kernel is restored when it returns or raises."""
    holding = exclusive_kernel(KEY, options.busy_wait) if options.lock else nullcontext()
    with holding, Kernel() as kernel:
        found = kernel.status()
        if found.enabled == 2:
            raise KernelBusy("the kernel audit configuration is immutable (enabled=2)")
        kauditd = find_kauditd()
        kauditd_found = read_scheduling(kauditd) if kauditd else None
        if kauditd and options.kauditd_realtime:
            write_scheduling(kauditd, Scheduling(os.SCHED_FIFO, REALTIME_PRIORITY, kauditd_found.nice))
        run = _Run(kernel, case, options)
        try:
            return run.measure()
        finally:
            deferred = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:  # a second Ctrl-C must not cut the restore short: it is delivered after
                _restore(kernel, found, run.daemon, case)
                if kauditd and read_scheduling(kauditd) != kauditd_found:  # ours, or a killed c2audit daemon's
                    write_scheduling(kauditd, kauditd_found)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, deferred)


class _Run:
    def __init__(self, kernel: Kernel, case: Case, options: Options):
        self.kernel, self.case, self.options = kernel, case, options
        self.daemon: DaemonProcess | None = None  # for the restore, whatever happens

    def measure(self) -> RunResult:
        if self.case.daemon == NO_DAEMON:
            return self.measure_kernel_alone()
        kernel, case, options = self.kernel, self.case, self.options
        root, rule, load, baseline = self._baseline()
        kernel.set(backlog_limit=case.backlog_limit, backlog_wait_time=case.wait_time)
        daemon = self.daemon = start_daemon(case.daemon, root, options.extra_conf.get(case.daemon, ""))
        _wait_registered(kernel, daemon)
        before = kernel.status()
        if (before.backlog_limit, before.backlog_wait_time) != (case.backlog_limit, case.wait_time):
            raise RuntimeError(f"{case.daemon} changed the backlog settings: {before}")
        profiler = self._start_profiler(daemon)  # before the rule: its shell is our child
        kernel.add_rule(rule)
        cpu_before = daemon.cpu_seconds()
        # From here until the daemon has drained: no request to the kernel (module doc of seedload.kernel).
        audited = run_workload(case.workload, root / "audited", options.timeout, on_timeout=kernel.release_sleepers)
        drained = daemon.wait_drained()
        cpu_window = daemon.cpu_seconds() - cpu_before if daemon.alive() else float("nan")
        if profiler is not None:
            profiler.stop()
        kernel.delete_rule(rule)
        after = kernel.status()
        cpu_total = daemon.stop()
        with daemon.log.open("rb") as log:
            counts = count_events(log, KEY, audited.pids)
        notes = _daemon_notes(daemon)
        if profiler is not None:
            notes["profile"] = str(profiler.summary())
        if audited.timed_out:
            notes["timed_out"] = f"killed after {options.timeout:.0f} s; still alive: {audited.stuck}"
        if baseline.timed_out:
            notes["baseline"] = "the unaudited run timed out"
        return RunResult(
            case=case, emitted=options.per_copy * case.workload.copies, logged=counts.workload,
            other_logged=counts.other, lost_delta=after.lost - before.lost, cpu_window=cpu_window,
            cpu_total=cpu_total, wall_off=baseline.wall, wall_on=audited.wall, load=load,
            blocked_jiffies=after.backlog_wait_time_actual - before.backlog_wait_time_actual,
            timed_out=audited.timed_out, drained=drained, notes=notes,
        )

    def measure_kernel_alone(self) -> RunResult:
        """The same rule and settings with auditing on and no daemon registered.

        The kernel still builds every record in the workload's system calls and
        queues it; kauditd then hands it to the rate-limited printk and drops it
        (or, on a kernel booted with audit=1, keeps up to backlog_limit of them
        for the next daemon, which the harness then counts as other processes'
        events).  No daemon can make the audited workload faster than this.
        """
        kernel, case, options = self.kernel, self.case, self.options
        root, rule, load, baseline = self._baseline()
        kernel.set(backlog_limit=case.backlog_limit, backlog_wait_time=case.wait_time, enabled=1)
        before = kernel.status()
        kernel.add_rule(rule)
        audited = run_workload(case.workload, root / "audited", options.timeout, on_timeout=kernel.release_sleepers)
        kernel.delete_rule(rule)
        after = kernel.status()
        return RunResult(
            case=case, emitted=options.per_copy * case.workload.copies, logged=0, other_logged=0,
            lost_delta=after.lost - before.lost, cpu_window=float("nan"), cpu_total=None,
            wall_off=baseline.wall, wall_on=audited.wall, load=load, timed_out=audited.timed_out,
            blocked_jiffies=after.backlog_wait_time_actual - before.backlog_wait_time_actual,
        )

    def _baseline(self) -> tuple[Path, bytes, float, WorkloadRun]:
        """The run's directory, its rule, the load average, and the workload run with auditing off."""
        case, options = self.case, self.options
        root = options.root / f"{case.daemon}-{case.workload.name}-{case.backlog_limit}-{case.wait_time}-{time.time_ns()}"
        rule = compile_rule(rule_text(None if options.system_wide else os.getpid()))
        load = os.getloadavg()[0]
        if self.kernel.status().enabled:
            self.kernel.set(enabled=0)
        return root, rule, load, run_workload(case.workload, root / "baseline", options.timeout)

    def _start_profiler(self, daemon: DaemonProcess) -> Profiler | None:
        if self.options.profile is None or daemon.name != "c2audit":
            return None
        profiler = Profiler(daemon.pid, self.options.profile / daemon.root.name)
        profiler.start()
        return profiler


def _wait_registered(kernel: Kernel, daemon: DaemonProcess) -> None:
    """Until the daemon is the audit pid with ``enabled`` 1 (no rule is loaded yet: polling is safe)."""
    deadline = time.monotonic() + REGISTER_WAIT
    while True:
        if not daemon.alive():
            raise RuntimeError(f"{daemon.name} exited before registering: {daemon.stderr_text()}")
        status = kernel.status()
        if status.pid == daemon.pid and status.enabled == 1:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{daemon.name} did not register within {REGISTER_WAIT:.0f} s: {status}")
        time.sleep(0.05)


def _daemon_notes(daemon: DaemonProcess) -> dict[str, str]:
    """c2audit's own loss counters from its final state report (auditd keeps none)."""
    from c2audit.daemon.state import parse_state

    state_file = daemon.root / "c2audit.state"
    if daemon.name != "c2audit" or not state_file.exists():
        return {}
    state = parse_state(state_file.read_text())
    return {name: state[name] for name in C2AUDIT_COUNTERS if name in state}


def _restore(kernel: Kernel, found, daemon: DaemonProcess | None, case: Case) -> None:
    """Put the kernel back as ``found``: sleepers released first, so no request of ours sleeps."""
    if case.wait_time:
        kernel.release_sleepers()
    kernel.delete_keyed_rules(KEY)
    if daemon is not None:
        if daemon.proc.returncode is None:
            daemon.stop()
        kernel.delete_stale_self_exclusions(daemon.pid)  # a c2audit daemon we had to kill leaves them
    kernel.unregister_gone()
    kernel.restore(found)
    now = kernel.status()
    left = [rule for rule in kernel.rules() if has_key(rule, KEY)]
    if now.pid not in (0, found.pid) or left or kernel.restore(found):
        raise RuntimeError(f"kernel not restored: pid={now.pid} rules={len(left)} status={now}")
