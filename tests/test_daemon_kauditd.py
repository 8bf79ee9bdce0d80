"""kauditd's scheduling (daemon.kauditd): finding the thread, the decision, set-and-restore.

The pure parts run on a fake /proc and fake scheduler calls; the daemon's use of
the real kernel thread is tested in test_daemon_kernel.py.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from c2audit.daemon.config import KauditdSetting
from c2audit.daemon.kauditd import (
    KEEP,
    KauditdPriority,
    Scheduling,
    find_kauditd,
    memo_text,
    parse_memo,
    target,
)

OTHER_0 = Scheduling(os.SCHED_OTHER, 0, 0)
FIFO_1 = Scheduling(os.SCHED_FIFO, 1, 0)
REALTIME = KauditdSetting(realtime=True)


def fake_proc(tmp_path: Path, stats: dict[str, str]) -> Path:
    for name, stat in stats.items():
        (tmp_path / name).mkdir()
        if stat:
            (tmp_path / name / "stat").write_text(stat)
    return tmp_path


def test_find_kauditd_takes_the_kernel_thread_only(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {
        "1": "1 (systemd) S 0 1 1 0 -1 4194560",
        "self": "",
        "666": "666 (kauditd) S 1000 666 666 0 -1 0",  # a user process that calls itself kauditd
        "700": "700 (evil) (kauditd) S 2 0 0 0 -1 0",  # a name with ") (" in it
        "33": "33 (kauditd) S 2 0 0 0 -1 2129984",
        "34": "",  # gone while we looked: no stat
    })
    assert find_kauditd(proc) == 33


def test_find_kauditd_without_audit_support(tmp_path: Path) -> None:
    assert find_kauditd(fake_proc(tmp_path, {"1": "1 (systemd) S 0 1 1"})) is None
    assert find_kauditd(tmp_path / "missing") is None


@pytest.mark.parametrize(("setting", "found", "expected"), [
    (REALTIME, Scheduling(os.SCHED_OTHER, 0, -3), Scheduling(os.SCHED_FIFO, 1, -3)),
    (KauditdSetting(boost=10), OTHER_0, Scheduling(os.SCHED_OTHER, 0, -10)),
    (KauditdSetting(boost=10), FIFO_1, Scheduling(os.SCHED_OTHER, 0, -10)),
    (KEEP, Scheduling(os.SCHED_OTHER, 0, -3), Scheduling(os.SCHED_OTHER, 0, -3)),
])
def test_target(setting: KauditdSetting, found: Scheduling, expected: Scheduling) -> None:
    assert target(setting, found) == expected


class FakeThread:
    """A kauditd whose scheduling lives in a variable; every write is recorded."""

    def __init__(self, scheduling: Scheduling = OTHER_0, pid: int | None = 33):
        self.pid, self.scheduling, self.writes, self.alerts = pid, scheduling, [], []

    def priority(self, memo: Path | None = None) -> KauditdPriority:
        return KauditdPriority(self.alerts.append, memo, find=lambda: self.pid, read=self.read, write=self.write)

    def read(self, pid: int) -> Scheduling:
        assert pid == self.pid
        return self.scheduling

    def write(self, pid: int, scheduling: Scheduling) -> None:
        assert pid == self.pid
        self.scheduling = scheduling
        self.writes.append(scheduling)


def test_apply_then_restore_puts_back_what_was_found() -> None:
    thread = FakeThread(Scheduling(os.SCHED_OTHER, 0, -2))
    priority = thread.priority()
    priority.apply(REALTIME)
    assert thread.scheduling == Scheduling(os.SCHED_FIFO, 1, -2) and priority.describe() == "fifo 1"
    priority.apply(KauditdSetting(boost=5))  # a reload: the first finding stays the one to restore
    assert thread.scheduling == Scheduling(os.SCHED_OTHER, 0, -5)
    priority.restore()
    assert thread.scheduling == Scheduling(os.SCHED_OTHER, 0, -2) and not thread.alerts
    priority.restore()  # once only
    assert len(thread.writes) == 3


def test_keep_touches_nothing() -> None:
    thread = FakeThread()
    priority = thread.priority()
    priority.apply(KEEP)
    priority.restore()
    assert thread.writes == [] and priority.pid is None and priority.describe() == "unknown"


def test_reloading_keep_after_a_boost_puts_kauditd_back() -> None:
    thread = FakeThread()
    priority = thread.priority()
    priority.apply(REALTIME)
    priority.apply(KEEP)
    assert thread.scheduling == OTHER_0


def test_a_change_by_someone_else_is_left_alone() -> None:
    thread = FakeThread()
    priority = thread.priority()
    priority.apply(REALTIME)
    thread.scheduling = Scheduling(os.SCHED_OTHER, 0, -19)  # an administrator's renice meanwhile
    priority.restore()
    assert thread.scheduling.nice == -19 and "changed by someone else" in thread.alerts[0]


def test_failures_are_reported_not_raised() -> None:
    missing = FakeThread(pid=None)
    missing.priority().apply(REALTIME)
    assert "no kauditd thread found" in missing.alerts[0]

    refused = FakeThread()

    def refuse(pid: int, scheduling: Scheduling) -> None:
        raise PermissionError(1, "Operation not permitted")

    priority = KauditdPriority(refused.alerts.append, None, find=lambda: 33, read=refused.read, write=refuse)
    priority.apply(REALTIME)
    priority.restore()  # nothing applied: nothing to restore
    assert refused.alerts == ["kauditd_priority: cannot set kauditd's (pid 33) scheduling (Operation not permitted)"]


def test_a_killed_daemons_memo_gives_the_next_one_what_was_found(tmp_path: Path) -> None:
    memo = tmp_path / "run" / "kauditd-found"
    thread = FakeThread(Scheduling(os.SCHED_OTHER, 0, -2))
    thread.priority(memo).apply(REALTIME)  # then killed: no restore
    assert parse_memo(memo.read_text()) == (Scheduling(os.SCHED_OTHER, 0, -2), Scheduling(os.SCHED_FIFO, 1, -2))
    second = thread.priority(memo)
    second.apply(REALTIME)
    second.restore()
    assert thread.scheduling == Scheduling(os.SCHED_OTHER, 0, -2) and not memo.exists()
    assert thread.alerts == ["kauditd_priority: a previous daemon left kauditd at fifo 1; it had found nice -2"]


def test_a_memo_is_ignored_once_kauditd_was_changed_since(tmp_path: Path) -> None:
    memo = tmp_path / "kauditd-found"
    memo.write_text(memo_text(OTHER_0, FIFO_1))
    thread = FakeThread(Scheduling(os.SCHED_OTHER, 0, -7))  # an administrator's setting since the crash
    priority = thread.priority(memo)
    priority.apply(REALTIME)
    priority.restore()
    assert thread.scheduling == Scheduling(os.SCHED_OTHER, 0, -7) and thread.alerts == []


@pytest.mark.parametrize("text", ["", "found 0 0 0\n", "found 0 0 x\napplied 1 1 0\n", "garbage\n",
                                  "found 0 0 0\n\napplied 1 1 0\n"])
def test_a_damaged_memo_is_no_memo(text: str) -> None:
    assert parse_memo(text) is None
