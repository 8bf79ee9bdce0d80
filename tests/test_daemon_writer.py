"""The writer thread and the log file, without the kernel: batches in, standard log lines out."""
from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from c2audit.daemon import logformat
from c2audit.daemon.channel import Channel
from c2audit.daemon.config import DaemonConfig, parse_config
from c2audit.daemon.logfile import AuditLogFile
from c2audit.daemon.state import Counters, parse_state, render_state
from c2audit.daemon.writer import Control, DaemonRecord, LossCheck, Notifier, Resume, Rotate, Writer
from c2audit.tables import uapi

NOW = 1700000000.0
DRAINED = object()  # in a Harness script: wait until the writer took every queued batch


class Notes(Notifier):
    def __init__(self) -> None:
        super().__init__(use_syslog=False)
        self.messages: list[str] = []

    def alert(self, message: str) -> None:
        self.messages.append(message)


def config_for(tmp_path: Path, text: str = "") -> DaemonConfig:
    return parse_config(f"log_file = {tmp_path}/log/audit.log\n{text}", "t.conf", group_lookup=lambda n: 0)


def record(serial: int, size: int = 200) -> tuple[int, bytes]:
    body = f"audit({int(NOW)}.000:{serial}): arch=c000003e syscall=121 key=\"c2test\" pad="
    return 1300, (body + "x" * max(0, size - len(body))).encode()


def batches(count: int, per_batch: int, size: int = 200, start: int = 1) -> list[list[tuple[int, bytes]]]:
    serials = range(start, start + count)
    return [[record(s, size) for s in serials[i:i + per_batch]] for i in range(0, count, per_batch)]


class Harness:
    def __init__(self, config: DaemonConfig):
        self.config = config
        self.channel: Channel[Control] = Channel(4)
        self.counters = Counters()
        self.notes = Notes()
        self.halts: list[str] = []
        self.writer = Writer(config, self.channel, self.counters, logformat.LineFormatter(), self.notes,
                             on_halt=self.halts.append, serial=logformat.DaemonSerial(9000),
                             clock=lambda: NOW)

    def run(self, items: Iterable[object]) -> Harness:
        self.writer.open_log()
        self.writer.start()
        for item in items:
            if item is DRAINED:
                while len(self.channel):
                    os.sched_yield()
            elif isinstance(item, list):
                self.channel.put_batch(item)
            else:
                self.channel.put_control(item)  # type: ignore[arg-type]
        self.channel.close()
        self.writer.join(30)
        assert not self.writer.is_alive() and self.writer.exception is None
        return self


def lines(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the log must end on a whole line"
    return data.decode().split("\n")[:-1]  # not splitlines(): it splits at \x1d too


def test_records_then_daemon_end_in_a_0600_log(tmp_path: Path) -> None:
    h = Harness(config_for(tmp_path)).run(batches(10, 3))
    log = tmp_path / "log" / "audit.log"
    got = lines(log)
    assert got[:10] == [f"type=SYSCALL msg={record(s)[1].decode()}" for s in range(1, 11)]
    assert got[10] == (f"type=DAEMON_END msg=audit({int(NOW)}.000:9000): "
                       "op=terminate auid=-1 pid=-1 subj=? res=success")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert h.counters.writer.lines_written == 11 and h.counters.writer.log_size == log.stat().st_size


def test_log_group_gives_0640_and_the_group(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's group to another one needs root")
    Harness(config_for(tmp_path, "log_group = 4\n")).run(batches(1, 1))
    log = tmp_path / "log" / "audit.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o640 and log.stat().st_gid == 4


def test_rotation_by_size_keeps_num_logs(tmp_path: Path) -> None:
    config = config_for(tmp_path, "max_log_file = 1\nmax_log_file_action = rotate\nnum_logs = 3\n")
    h = Harness(config).run(batches(18_000, 500))  # ~3.6 MB: three rotations
    directory = tmp_path / "log"
    assert sorted(p.name for p in directory.iterdir()) == ["audit.log", "audit.log.1", "audit.log.2"]
    assert h.counters.writer.rotations == 3
    for old in ("audit.log.1", "audit.log.2"):
        assert stat.S_IMODE((directory / old).stat().st_mode) == 0o400
        assert (directory / old).stat().st_size >= 1024 * 1024
    serials = [int(line.split(":")[1].split(")")[0]) for name in ("audit.log.2", "audit.log.1", "audit.log")
               for line in lines(directory / name) if "type=SYSCALL" in line]
    assert serials == list(range(serials[0], 18_001))  # the newest records, in order, none missing


def test_keep_logs_never_deletes(tmp_path: Path) -> None:
    config = config_for(tmp_path, "max_log_file = 1\nmax_log_file_action = keep_logs\nnum_logs = 2\n")
    Harness(config).run(batches(18_000, 500))
    names = sorted(p.name for p in (tmp_path / "log").iterdir())
    assert names == ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]


def test_excess_logs_are_removed_at_start(tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    for index in (1, 2, 3, 4):
        (tmp_path / "log" / f"audit.log.{index}").write_text("x\n")
    h = Harness(config_for(tmp_path, "max_log_file_action = rotate\nnum_logs = 3\n")).run([])
    assert sorted(p.name for p in (tmp_path / "log").iterdir()) == ["audit.log", "audit.log.1", "audit.log.2"]
    assert any("audit.log.3 removed" in m for m in h.notes.messages)


@pytest.mark.parametrize(("mode", "freq", "most"), [("incremental", 10, 10), ("incremental_async", 25, 4),
                                                    ("none", 0, 0)])
def test_incremental_flush_every_freq_records(tmp_path: Path, mode: str, freq: int, most: int) -> None:
    h = Harness(config_for(tmp_path, f"flush = {mode}\nfreq = {freq}\n")).run(batches(100, 5))
    # one fsync after each write that completes freq records (queued batches share a write)
    assert min(most, 1) <= h.counters.writer.flushes <= most


@pytest.mark.parametrize(("mode", "flag"), [("data", os.O_DSYNC), ("sync", os.O_SYNC)])
def test_data_and_sync_open_the_log_synchronous(tmp_path: Path, mode: str, flag: int) -> None:
    flush = config_for(tmp_path, f"flush = {mode}\n").flush
    log = AuditLogFile(str(tmp_path / "log" / "audit.log"), flush=flush)
    log.open()
    assert fcntl.fcntl(log.fd, fcntl.F_GETFL) & flag == flag
    log.close()


def test_sigusr1_rotation_writes_daemon_rotate_in_the_new_log(tmp_path: Path) -> None:
    sender = logformat.Sender(1000, 4242, "unconfined")
    Harness(config_for(tmp_path, "num_logs = 4\n")).run([*batches(3, 3), DRAINED, Rotate(sender),
                                                            *batches(2, 2, start=4)])
    old, new = lines(tmp_path / "log" / "audit.log.1"), lines(tmp_path / "log" / "audit.log")
    assert len(old) == 3
    assert new[0].endswith("op=rotate-logs auid=1000 pid=4242 subj=unconfined res=success")
    assert new[0].startswith("type=DAEMON_ROTATE ")


def test_suspended_records_are_counted_and_reported_on_resume(tmp_path: Path) -> None:
    config = config_for(tmp_path, "max_log_file = 1\nmax_log_file_action = suspend\nnum_logs = 2\n")
    h = Harness(config).run([*batches(8000, 500), DRAINED, Rotate(None), Resume(None),
                             *batches(1, 1, start=8001)])
    writer = h.counters.writer
    written = sum(1 for line in lines(tmp_path / "log" / "audit.log.1") if "type=SYSCALL" in line)
    dropped = 8000 - written + 1  # and the DAEMON_ROTATE of a rotation while suspended (as auditd)
    assert writer.records_dropped_suspended == dropped and written < 8000
    got = lines(tmp_path / "log" / "audit.log")
    assert [line.split(" ")[0] for line in got] == ["type=DAEMON_ERR", "type=DAEMON_RESUME", "type=SYSCALL",
                                                    "type=DAEMON_END"]
    assert f"op=lost src=daemon reason=suspended lost={dropped} total={dropped} res=failed" in got[0]
    assert ":8001): arch=c000003e" in got[2]
    assert any("suspending logging due to logfile size" in m for m in h.notes.messages)


def test_kernel_loss_becomes_a_record(tmp_path: Path) -> None:
    h = Harness(config_for(tmp_path))
    h.counters.kernel.lost_since_start, h.counters.kernel.lost, h.counters.kernel.backlog_limit = 7, 9, 64
    h.run([*batches(1, 1), DRAINED, LossCheck(), LossCheck()])
    losses = [line for line in lines(tmp_path / "log" / "audit.log") if "op=lost" in line]
    assert losses == [(f"type=DAEMON_ERR msg=audit({int(NOW)}.000:9000): op=lost src=kernel "
                       "reason=lost-counter lost=7 total=7 kernel_lost=9 backlog=0 backlog_limit=64 "
                       "res=failed")]
    assert h.counters.writer.kernel_lost_reported == 7


def test_daemon_records_are_stamped_in_order(tmp_path: Path) -> None:
    Harness(config_for(tmp_path)).run([DaemonRecord(uapi.AUDIT_DAEMON_START, "op=start x=1 res=success")])
    got = lines(tmp_path / "log" / "audit.log")
    assert [line.split(" ")[1] for line in got] == [f"msg=audit({int(NOW)}.000:9000):",
                                                    f"msg=audit({int(NOW)}.000:9001):"]


def test_a_log_cut_mid_line_is_repaired_and_said(tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "audit.log").write_bytes(b"type=SYSCALL msg=audit(1.000:1): a=1\ntype=SYSC")
    Harness(config_for(tmp_path)).run(batches(1, 1))
    got = lines(tmp_path / "log" / "audit.log")
    assert got[1] == "type=SYSC"
    assert got[2].endswith("op=repair-log reason=partial-last-line bytes=9 res=success")


def test_exec_action_runs_the_script_detached_and_suspends(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "free-space"
    script.write_text(f"#!/bin/sh\nenv > {marker}\n")
    script.chmod(0o755)
    h = Harness(config_for(tmp_path, f"space_left = 99%\nspace_left_action = exec {script}\n"))
    h.run(batches(5, 5))
    deadline = time.monotonic() + 10
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.01)  # the script runs detached: nothing waits for it
    assert h.writer.policy.suspended and h.counters.writer.records_dropped_suspended == 6  # and DAEMON_END
    assert "PATH" not in marker.read_text()  # an empty environment, as auditd's safe_exec


def test_halt_equivalent_stops_writing_and_tells_the_daemon(tmp_path: Path) -> None:
    h = Harness(config_for(tmp_path, "space_left = 99%\nspace_left_action = halt\n")).run(batches(5, 5))
    assert h.halts and "halt" in h.halts[0]
    assert h.counters.writer.records_dropped_halted == 6  # five records and DAEMON_END
    assert h.writer.policy.halted


def test_state_report_round_trips() -> None:
    counters = Counters()
    counters.reader.enobufs = 3
    counters.kernel.lost_since_start = 12
    from c2audit.daemon.state import state_values

    text = render_state(state_values(counters, {"pid": 1, "state": "running"}, {"logging_suspended": False}))
    values = parse_state("# c2audit\n" + text)
    assert values["enobufs"] == "3" and values["kernel_lost_since_start"] == "12"
    assert values["logging_suspended"] == "no" and values["state"] == "running"
    assert values["records_dropped"] == "0"
