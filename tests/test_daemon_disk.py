"""The size and disk-space policy: auditd's decisions and latches, as values."""
from __future__ import annotations

import pytest

from c2audit.daemon.config import MIB, DaemonConfig, parse_config
from c2audit.daemon.disk import DiskPolicy, Kind


def policy(text: str) -> DiskPolicy:
    return DiskPolicy(parse_config(text, "t.conf", group_lookup=lambda name: 0))


def kinds(steps: list) -> list[Kind]:
    return [step.kind for step in steps]


@pytest.mark.parametrize(("action", "num_logs", "expected"), [
    ("rotate", 5, [Kind.ROTATE]),
    ("rotate", 1, [Kind.SYSLOG]),  # rotation disabled: said once
    ("keep_logs", 0, [Kind.SHIFT]),
    ("suspend", 0, [Kind.SUSPEND]),
    ("syslog", 0, [Kind.SYSLOG]),
    ("ignore", 0, []),
])
def test_max_log_file_actions(action: str, num_logs: int, expected: list[Kind]) -> None:
    p = policy(f"max_log_file = 2\nmax_log_file_action = {action}\nnum_logs = {num_logs}\n")
    assert p.check_size(2 * MIB - 1) == []
    assert kinds(p.check_size(2 * MIB)) == expected
    assert p.suspended == (action == "suspend")


def test_size_warnings_are_not_repeated_until_rotation() -> None:
    p = policy("max_log_file = 1\nmax_log_file_action = syslog\n")
    assert kinds(p.check_size(MIB)) == [Kind.SYSLOG]
    assert p.check_size(2 * MIB) == []
    p.on_rotated()
    assert kinds(p.check_size(2 * MIB)) == [Kind.SYSLOG]


def test_max_log_file_zero_means_no_limit() -> None:
    assert policy("max_log_file = 0\nmax_log_file_action = rotate\nnum_logs = 5\n").check_size(10**12) == []


def test_space_left_fires_once_then_admin_space_left() -> None:
    p = policy("space_left = 100\nspace_left_action = syslog\nadmin_space_left = 50\n"
               "admin_space_left_action = suspend\n")
    total, block = 10_000 * MIB, 4096
    assert p.check_space(200 * MIB, total, block) == []
    steps = p.check_space(90 * MIB, total, block)
    assert kinds(steps) == [Kind.SYSLOG] and "low on disk space" in steps[0].message
    assert p.check_space(80 * MIB, total, block) == []  # latched
    assert kinds(p.check_space(40 * MIB, total, block)) == [Kind.SUSPEND]
    assert p.suspended and not p.writing
    assert p.check_space(200 * MIB, total, block) == []
    assert not p.space_warning  # syslog re-arms when space comes back
    assert p.admin_space_warning  # suspend does not: it waits for a resume


def test_percent_thresholds_use_the_file_system_size() -> None:
    p = policy("space_left = 10%\nspace_left_action = rotate\nnum_logs = 3\n")
    assert p.check_space(11 * MIB, 100 * MIB, 4096) == []
    assert kinds(p.check_space(9 * MIB, 100 * MIB, 4096)) == [Kind.ROTATE]


@pytest.mark.parametrize(("action", "expected", "suspended", "halted"), [
    ("ignore", [Kind.SYSLOG], False, False),
    ("syslog", [Kind.SYSLOG], False, False),
    ("suspend", [Kind.SYSLOG, Kind.SUSPEND], True, False),
    ("rotate", [Kind.SYSLOG, Kind.ROTATE], False, False),
    ("exec /usr/local/sbin/free-space", [Kind.SYSLOG, Kind.EXEC], True, False),
    ("single", [Kind.SYSLOG, Kind.HALT], False, True),
    ("halt", [Kind.SYSLOG, Kind.HALT], False, True),
])
def test_disk_full_actions(action: str, expected: list[Kind], suspended: bool, halted: bool) -> None:
    p = policy(f"disk_full_action = {action}\nnum_logs = 4\n")
    steps = p.on_disk_full()
    assert kinds(steps) == expected
    assert (p.suspended, p.halted is not None) == (suspended, halted)
    assert p.on_disk_full() == []  # once, until resumed
    if halted:
        assert action.split()[0] in (p.halted or "") and "kernel" in steps[-1].message
    if action.startswith("exec"):
        assert steps[-1].exe == "/usr/local/sbin/free-space"


def test_free_space_under_five_blocks_is_disk_full() -> None:
    p = policy("disk_full_action = suspend\n")
    assert kinds(p.check_space(4 * 4096, 10 * MIB, 4096)) == [Kind.SYSLOG, Kind.SUSPEND]


def test_disk_error_syslog_warns_five_times_in_a_row() -> None:
    p = policy("disk_error_action = syslog\n")
    warnings = [p.on_disk_error("write", "Input/output error") for _ in range(7)]
    assert [len(w) for w in warnings] == [1, 1, 1, 1, 1, 0, 0]
    assert warnings[0][0].message == (
        "write: Audit daemon detected an error writing an event to disk (Input/output error)")
    p.on_write_ok()
    assert len(p.on_disk_error("write", "EIO")) == 1


@pytest.mark.parametrize(("action", "expected"), [("suspend", Kind.SUSPEND), ("halt", Kind.HALT),
                                                  ("single", Kind.HALT), ("exec /sbin/fix", Kind.EXEC)])
def test_disk_error_actions(action: str, expected: Kind) -> None:
    assert kinds(policy(f"disk_error_action = {action}\n").on_disk_error("write", "EIO")) == [expected]


def test_resume_and_reconfigure_rearm_everything() -> None:
    p = policy("disk_full_action = halt\n")
    p.on_disk_full()
    assert not p.writing
    p.resume()
    assert p.writing and not p.disk_full
    assert kinds(p.on_disk_full()) == [Kind.SYSLOG, Kind.HALT]
    p.reconfigure(DaemonConfig())
    assert p.writing and kinds(p.on_disk_full()) == [Kind.SYSLOG]


def test_write_logs_no_means_not_writing() -> None:
    assert not policy("write_logs = no\n").writing
