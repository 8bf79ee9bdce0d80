"""bench/seed_load's pieces: log counting, the target verdicts, and one tiny run on the real kernel.

The kernel test runs the harness's own ``measure`` with ``c2audit daemon`` on a
few hundred opens at ``backlog_limit`` 8192, ``backlog_wait_time`` 0 and asserts
only what must hold whatever the machine's load: ~1,600 records fit in the
kernel's 8,192-record queue and the daemon's 256 MiB socket even if the daemon
is not scheduled for a while, so every event strace counted is in the log and
the kernel loses nothing.  Times are not asserted.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from seedload.case import Case, Options, RunResult, measure
from seedload.counting import count_events
from seedload.report import row_cells, verdicts
from seedload.workload import Workload, count_audited_syscalls

SYSCALL = ('type=SYSCALL msg=audit(1700000000.001:{serial}): arch=c000003e syscall=257 success=yes exit=3 '
           'a0=ffffff9c a1=55d0 a2=0 a3=0 items=1 ppid={ppid} pid={pid} auid=0 uid=0 gid=0 euid=0 suid=0 '
           'fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="grep" exe="/usr/bin/grep" key={key}')


def test_count_events_takes_keyed_syscall_records_by_pid() -> None:
    lines = [
        SYSCALL.format(serial=1, ppid=7, pid=100, key='"seedload"'),
        "node=host1 " + SYSCALL.format(serial=2, ppid=7, pid=101, key='"seedload"'),
        SYSCALL.format(serial=3, ppid=100, pid=7, key='"seedload"'),  # ppid=100 is not pid=100
        SYSCALL.format(serial=4, ppid=7, pid=100, key="(null)"),
        SYSCALL.format(serial=5, ppid=7, pid=100, key='"seedloadx"'),
        'type=PATH msg=audit(1700000000.001:1): item=0 name="/usr/include" key="seedload"',
    ]
    counts = count_events((line.encode() + b"\n" for line in lines), "seedload", {100, 101})
    assert (counts.workload, counts.other, counts.lines) == (2, 1, 6)


def _result(daemon: str, workload: Workload, limit: int, wait: int, *, logged: int, cpu: float = 1.0,
            wall_on: float = 1.0) -> RunResult:
    return RunResult(case=Case(daemon, workload, limit, wait), emitted=1000, logged=logged, other_logged=0,
                     lost_delta=0, cpu_window=cpu, cpu_total=None, wall_off=1.0, wall_on=wall_on, load=0.0)


def test_verdicts_compare_with_auditd_in_the_same_run() -> None:
    one = Workload("1-grep", 1)
    results = [
        _result("c2audit", one, 8192, 0, logged=1000, cpu=0.03),
        _result("auditd", one, 8192, 0, logged=600, cpu=0.03),
        _result("c2audit", one, 64, 0, logged=700),  # missed 300
        _result("auditd", one, 64, 0, logged=500),  # missed 500: 300 > 250
        _result("c2audit", one, 64, 60000, logged=1000, wall_on=3.0),
        _result("auditd", one, 64, 60000, logged=1000, wall_on=10.0),
    ]
    text = "\n".join(verdicts(results))
    assert "8192/0, c2audit misses nothing: met (missed [0] of 1000" in text
    assert "64/0, c2audit loses at most half of auditd's: MISSED (c2audit missed 300, auditd 500" in text
    assert "64/60000, c2audit slows the workload at most half as much as auditd: met" in text
    assert "8192/0, CPU per logged event no more than auditd's: met (c2audit 30.0 µs, auditd 50.0 µs)" in text


def test_the_kernel_alone_shows_the_daemons_own_part_of_the_slowdown() -> None:
    four = Workload("4-greps", 4)
    results = [
        _result("c2audit", four, 64, 60000, logged=1000, wall_on=4.5),
        _result("auditd", four, 64, 60000, logged=1000, wall_on=7.0),
        _result("none", four, 64, 60000, logged=0, wall_on=4.0),
    ]
    text = "\n".join(verdicts(results))
    assert ("64/60000, c2audit slows the workload at most half as much as auditd: MISSED (median slowdown "
            "c2audit 4.5×, auditd 7.0×; on the extra time alone: MISSED); with no daemon at all the kernel alone "
            "slows it 4.0×, so the daemon's own part is c2audit +0.5×, auditd +3.0×") in text
    assert [row_cells(r)[5:7] for r in results] == [("1000", "0"), ("1000", "0"), ("n/a", "n/a")]


@pytest.mark.kernel
def test_a_tiny_run_logs_every_emitted_event_and_loses_nothing(tmp_path: Path) -> None:
    if not shutil.which("strace"):
        pytest.skip("strace counts the emitted events independently of the daemon; it is not installed")
    tree = tmp_path / "tree"
    for d in range(3):
        (tree / f"d{d}").mkdir(parents=True)
        for f in range(100):
            (tree / f"d{d}" / f"f{f}.h").write_text("int x;\n")
    workload = Workload("tiny", 1, ("grep", "-r", "blah", str(tree)))
    per_copy = count_audited_syscalls(workload.command)
    assert per_copy >= 304  # 300 files, 4 directories, and the loader's own opens

    result = measure(Case("c2audit", workload, 8192, 0),
                     Options(root=tmp_path / "runs", per_copy=per_copy, timeout=120, lock=False))

    assert not result.timed_out and result.drained
    assert result.logged == result.emitted == per_copy
    assert result.lost_delta == 0 and result.notes["records_dropped"] == "0"
    assert result.other_logged == 0  # the rule is confined to the harness's children
