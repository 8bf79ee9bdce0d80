"""The writer on a full disk (a small tmpfs mounted for the test).

Whole lines, nothing written lost, every drop counted.

No kernel here (tests/test_daemon_kernel.py runs the same faults with the real
daemon); mounting needs root, so these skip without it.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_daemon_writer import Harness, batches, config_for, lines

from c2audit.daemon.logfile import AuditLogFile, PartialWrite


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs; unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    point = tmp_path / "small"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(point)], check=True)
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_batch_cut_by_enospc_keeps_whole_lines(full_disk: Path) -> None:
    log = AuditLogFile(str(full_disk / "log" / "audit.log"))
    log.open()
    line = b"type=SYSCALL msg=audit(1.000:1): " + b"x" * 300 + b"\n"
    kept = 0
    with pytest.raises(PartialWrite) as caught:
        for _ in range(1000):
            log.append(line * 7)
            kept += 7
    data = (full_disk / "log" / "audit.log").read_bytes()
    assert data.endswith(b"\n") and data == line * (kept + caught.value.kept // len(line))
    assert caught.value.lost_lines == 7 - caught.value.kept // len(line)
    assert log.size == len(data)


@pytest.mark.parametrize("action", ["suspend", "ignore", "halt"])
def test_disk_full_loses_nothing_written_and_counts_the_rest(tmp_path: Path, full_disk: Path,
                                                             action: str) -> None:
    config = config_for(tmp_path, f"disk_full_action = {action}\n")
    config = config.__class__(**{**config.__dict__, "log_file": str(full_disk / "log" / "audit.log")})
    h = Harness(config).run(batches(600, 20))  # 120 KB for a 64 KB file system
    got = lines(full_disk / "log" / "audit.log")
    records = [int(line.split(":")[1].split(")")[0]) for line in got if line.startswith("type=SYSCALL ")]
    assert records == list(range(1, len(records) + 1))  # the first records, in order, none missing
    writer = h.counters.writer
    assert writer.lines_written == len(got)
    # every record is written or counted; daemon records (a loss record, DAEMON_END) fit in the
    # last bytes or are counted too
    assert 600 <= len(records) + writer.records_dropped <= 600 + 2
    assert h.writer.policy.disk_full
    assert any("no space left on logging partition" in m for m in h.notes.messages)
    if action == "halt":
        assert h.halts and writer.records_dropped_halted > 0
    if action == "suspend":
        assert h.writer.policy.suspended and writer.records_dropped_suspended > 0
    if action == "ignore":  # nothing stops the writing: every batch fails and is counted
        assert writer.records_dropped_write_error == writer.records_dropped
