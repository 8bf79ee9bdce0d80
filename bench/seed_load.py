#!/usr/bin/env python3
"""Issue 2's benchmark: the 2001 seed workload against ``c2audit daemon`` and Debian's ``auditd``.

Run as root: ``.venv/bin/python bench/seed_load.py [--repeat N] [--quick]``.

For each workload (``1-grep``: ``grep -r blah /usr/include``; ``4-greps``: four
of them at once), each kernel setting (``backlog_limit`` 64 or 8192, with
``backlog_wait_time`` 0 -- the kernel drops -- or 60000 -- it blocks the
producer) and each daemon, one run measures: the workload's wall time
unaudited, then with the daemon and the rule
``-a always,exit -F arch=b64 -S open,openat,openat2 -F ppid=<harness> -k seedload``
loaded; the events the kernel emitted, the kernel's ``lost`` delta, the events
in the daemon's log, and the daemon's CPU time.  It prints a Markdown table and
the verdict on each of issue 2's targets.

Emitted events are counted independently of either daemon: every
open/openat/openat2 exit of a workload process is one event, and ``strace``
counts those calls on an unaudited run (before and after the benchmark, to
show the count is stable).  ``missed`` = emitted - logged.  ``lost`` counts
records, not events (an event is ~5 records; its later records can be lost
alone), so lost and missed are not the same number.

``-F ppid=`` confines the rule to the workload (children of this harness): on a
shared machine a system-wide rule would log other people's processes, and block
them for up to 240 s in blocking mode.  ``--system-wide`` drops it (the counts
stay per workload pid).  The page cache is warmed by the strace run, and each
run's baseline precedes its audited run, so both read a warm cache.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from seedload import report  # bench/ is on sys.path when this script runs
from seedload.case import NO_DAEMON, Case, Options, RunResult, measure
from seedload.daemons import AUDITD
from seedload.kernel import KernelBusy
from seedload.workload import Workload, count_audited_syscalls

from c2audit.kernel import GUARD_ENV

WORKLOADS = {"1-grep": Workload("1-grep", 1), "4-greps": Workload("4-greps", 4)}
SETTINGS = ((8192, 0), (64, 0), (8192, 60000), (64, 60000))
QUICK_SETTINGS = ((8192, 0), (64, 60000))
DAEMONS = ("c2audit", "auditd", NO_DAEMON)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="seed_load", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="run every case N times (default 1)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: one grep, settings 8192/0 and 64/60000 only")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma list of {', '.join(WORKLOADS)}")
    p.add_argument("--settings", help="comma list of LIMIT/WAIT (default: 8192/0,64/0,8192/60000,64/60000)")
    p.add_argument("--daemons", default=",".join(DAEMONS),
                   help=f"comma list of c2audit, auditd, {NO_DAEMON} (the kernel alone: the floor of the audited time)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds a workload may run (default 300)")
    p.add_argument("--system-wide", action="store_true", help="audit every process, not only the workload")
    p.add_argument("--keep", metavar="DIR", help="keep configs and logs under DIR")
    p.add_argument("--c2audit-conf", action="append", default=[], metavar="LINE",
                   help="append a line to c2audit's auditd.conf (A/B of its own settings; repeatable)")
    p.add_argument("--auditd-conf", action="append", default=[], metavar="LINE",
                   help="append a line to auditd's auditd.conf (repeatable)")
    p.add_argument("--kauditd-realtime", action="store_true",
                   help="run kauditd at SCHED_FIFO 1 for both daemons (c2audit's default kauditd_priority), "
                        "to compare the daemons on the same kernel side")
    p.add_argument("--profile", metavar="DIR",
                   help="py-spy c2audit's runs, raw stacks and a summary into DIR (disturbs the numbers)")
    return p.parse_args(argv)


def plan(args: argparse.Namespace) -> list[list[Case]]:
    """The runs, grouped per repeat; the daemons alternate who goes first from one repeat to the next."""
    workloads = [WORKLOADS["1-grep"]] if args.quick else [WORKLOADS[w] for w in args.workloads.split(",")]
    if args.settings:
        settings = [tuple(int(x) for x in s.split("/")) for s in args.settings.split(",")]
    else:
        settings = list(QUICK_SETTINGS if args.quick else SETTINGS)
    daemons = args.daemons.split(",")
    repeats = []
    for n in range(args.repeat):
        order = daemons if n % 2 == 0 else daemons[::-1]
        repeats.append([Case(d, w, limit, wait) for w in workloads for limit, wait in settings for d in order])
    return repeats


def calibrate(commands: set[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    return {command: count_audited_syscalls(command) for command in commands}


def _terminate(_signo: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: every run restores the kernel in its finally


def _missing_tool() -> str | None:
    if os.geteuid() != 0:
        return "run as root (it registers audit daemons and loads a rule)"
    for tool in (AUDITD, "strace", "grep"):
        if not shutil.which(tool):
            return f"{tool} is missing"
    return None


def _print_header(argv: list[str], counts: dict[tuple[str, ...], int], extra_conf: dict[str, str]) -> None:
    print(f"# seed_load on {platform.node()}, kernel {platform.release()}, {os.cpu_count()} CPUs, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"# command: {' '.join(['.venv/bin/python', 'bench/seed_load.py', *argv])}")
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for command, count in counts.items():
        print(f"# emitted per copy of `{' '.join(command)}`: {count} open/openat/openat2 calls (strace)")
    for name, lines in extra_conf.items():
        if lines:
            print(f"# {name} config additions: {lines.strip().replace(chr(10), '; ')}")


def _print_results(results: list[RunResult], repeat: int) -> None:
    print()
    print(report.table(results))
    if repeat > 1:
        print()
        print(report.summary_table(results))
    print()
    print("Notes:")
    print("\n".join(report.notes(results)))
    print()
    print("Targets of issue 2:")
    print("\n".join(report.verdicts(results)) or "- nothing measured")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = _missing_tool()
    if problem:
        print(f"seed_load: {problem}", file=sys.stderr)
        return 2
    os.environ[GUARD_ENV] = "1"  # no request of ours (or the daemons') can lock or panic the kernel
    signal.signal(signal.SIGTERM, _terminate)
    repeats = plan(args)
    commands = {case.workload.command for cases in repeats for case in cases}
    extra_conf = {"c2audit": "".join(f"{line}\n" for line in args.c2audit_conf),
                  "auditd": "".join(f"{line}\n" for line in args.auditd_conf)}
    counts = calibrate(commands)
    _print_header(argv, counts, extra_conf)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="seedload-"))
    results: list[RunResult] = []
    status = 0
    try:
        for case in (case for cases in repeats for case in cases):
            options = Options(root=root, per_copy=counts[case.workload.command], timeout=args.timeout,
                              system_wide=args.system_wide, extra_conf=extra_conf,
                              kauditd_realtime=args.kauditd_realtime,
                              profile=Path(args.profile).resolve() if args.profile else None)
            results.append(measure(case, options))
            print("# " + " | ".join(report.row_cells(results[-1])), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        status = 130
        print("# interrupted: the run in progress restored the kernel", file=sys.stderr)
    except (KernelBusy, RuntimeError, OSError) as exc:  # a daemon that would not start, a busy kernel
        status = 1
        print(f"# stopped: {exc}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    _print_results(results, args.repeat)
    after = calibrate(commands) if status == 0 else counts
    print()
    print(f"# emitted counts {'unchanged' if after == counts else 'CHANGED: ' + repr(after)} after the runs")
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
