"""The daemon's threads and its start/stop sequence against tests/fakekernel.py (no root, no real kernel).

The paths a real kernel must never see -- an immutable audit configuration
(``enabled=2``), another daemon registered -- are exercised here.
"""
from __future__ import annotations

import errno
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakekernel import FakeKernel
from test_daemon_kauditd import FakeThread
from test_daemon_writer import Notes

from c2audit import netlink
from c2audit.daemon import logformat
from c2audit.daemon.channel import Channel
from c2audit.daemon.config import parse_config
from c2audit.daemon.kauditd import Scheduling
from c2audit.daemon.reader import BATCH_RECORDS, HALTED_RCVBUF, Reader
from c2audit.daemon.selfexclude import exclusion_rules
from c2audit.daemon.service import Daemon, Overrides, StartError
from c2audit.daemon.state import ReaderCounters, parse_state
from c2audit.kernel import AuditSocket
from c2audit.netlink import AuditStatus
from c2audit.rules import RuleData, compile_rules_text, kernel_form
from c2audit.tables import uapi


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def fake() -> FakeKernel:
    return FakeKernel()


@pytest.fixture(autouse=True)
def keep_signal_mask() -> Iterator[None]:
    """Daemon.start blocks the signals it handles (for its threads to inherit); undo that after."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    yield
    signal.pthread_sigmask(signal.SIG_SETMASK, before)


def make_daemon(tmp_path: Path, fake: FakeKernel, text: str = "", kauditd: FakeThread | None = None) -> Daemon:
    """A daemon on the fake kernel; kauditd's scheduling is a fake too (never the real thread's)."""
    config = parse_config(
        f"log_file = {tmp_path}/log/audit.log\npid_file = {tmp_path}/run/c2audit.pid\n"
        f"state_file = {tmp_path}/run/c2audit.state\npriority_boost = 0\nstatus_interval = 1\n"
        f"backlog_limit = 8192\nfailure_mode = 1\nbacklog_wait_time = 0\nenabled_at_exit = 0\n{text}",
        "t.conf", group_lookup=lambda name: 0)
    return Daemon(config, None, Overrides(), Notes(), connect=lambda rcvbuf: AuditSocket(fake.connect()),
                  kauditd=(kauditd or FakeThread()).priority())


def log_lines(tmp_path: Path) -> list[str]:
    data = (tmp_path / "log" / "audit.log").read_bytes()
    assert data.endswith(b"\n")
    return data.decode().split("\n")[:-1]


def emit_records(fake: FakeKernel, count: int, start: int = 1) -> None:
    for serial in range(start, start + count):
        text = f'audit(1700000000.000:{serial}): arch=c000003e syscall=121 key="c2test"'
        fake.emit(uapi.AUDIT_SYSCALL, text)
        fake.emit(uapi.AUDIT_EOE, f"audit(1700000000.000:{serial}): ")


def test_start_drain_stop(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    assert fake.pid
    assert (fake.enabled, fake.backlog_limit, fake.failure, fake.backlog_wait_time) == (1, 8192, 1, 0)
    assert (tmp_path / "run" / "c2audit.pid").read_text().strip() == str(fake.pid)
    emit_records(fake, 50)
    wait_for(lambda: daemon.counters.writer.lines_written >= 51)
    fake.signal_sender = (1000, 4242)
    daemon.shutdown(daemon._sender(signal.struct_siginfo((signal.SIGTERM, 0, 0, 4242, 0, 0, 0))))
    got = log_lines(tmp_path)
    assert got[0].startswith("type=DAEMON_START ") and " op=start ver=" in got[0] and "format=raw" in got[0]
    assert [line.split(":")[1].split(")")[0] for line in got[1:51]] == [str(s) for s in range(1, 51)]
    assert got[-1].endswith("op=terminate auid=1000 pid=4242 subj= res=success")
    assert (fake.pid, fake.enabled) == (0, 0)  # unregistered, enabled as configured
    assert not (tmp_path / "run" / "c2audit.pid").exists()
    state = parse_state((tmp_path / "run" / "c2audit.state").read_text())
    assert state["state"] == "stopped" and state["records_received"] == "100"
    assert state["records_not_logged"] == "50" and state["lines_written"] == "52"  # EOE is not logged
    assert float(state["cpu_user_seconds"]) >= 0 and state["records_dropped"] == "0"


def test_kauditd_runs_realtime_while_the_daemon_runs(tmp_path: Path, fake: FakeKernel) -> None:
    kauditd = FakeThread(Scheduling(os.SCHED_OTHER, 0, 0))
    daemon = make_daemon(tmp_path, fake, kauditd=kauditd)  # kauditd_priority: the default, realtime
    daemon.start()
    assert kauditd.scheduling == Scheduling(os.SCHED_FIFO, 1, 0)
    assert parse_state((tmp_path / "run" / "c2audit.state").read_text())["kauditd_scheduling"] == "fifo 1"
    daemon.shutdown(None)
    assert kauditd.scheduling == Scheduling(os.SCHED_OTHER, 0, 0) and not kauditd.alerts


def test_kernel_loss_is_written_as_a_record(tmp_path: Path, fake: FakeKernel) -> None:
    fake.lost = 40  # lost before we started: the baseline, not ours
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    fake.lost = 52
    daemon.monitor.poll()
    wait_for(lambda: daemon.counters.writer.kernel_lost_reported == 12)
    daemon.shutdown(None)
    losses = [line for line in log_lines(tmp_path) if "op=lost" in line]
    assert len(losses) == 1
    assert "op=lost src=kernel reason=lost-counter lost=12 total=12 kernel_lost=52" in losses[0]
    assert parse_state((tmp_path / "run" / "c2audit.state").read_text())["kernel_lost_since_start"] == "12"


def test_immutable_kernel_is_left_alone(tmp_path: Path, fake: FakeKernel) -> None:
    fake.enabled = 2
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    assert fake.pid and fake.backlog_limit == 64 and fake.enabled == 2
    daemon.shutdown(None)
    assert fake.pid == 0 and fake.enabled == 2
    assert any("locked (enabled=2)" in m for m in daemon.notifier.messages)  # type: ignore[attr-defined]
    assert requests_made(fake) == ["register", "unregister"]  # no rule change: the kernel refuses them all


def test_another_registered_daemon_stops_the_start(tmp_path: Path, fake: FakeKernel) -> None:
    fake.daemon = fake.connect(pid=1)  # pid 1 exists: a live daemon
    with pytest.raises(StartError, match="another audit daemon"):
        make_daemon(tmp_path, fake).start()


def test_refused_registration_writes_daemon_abort(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake)
    fake.daemon = fake.connect(pid=2**22 + 1)  # registered after our check, by a pid we cannot see
    with pytest.raises(StartError, match="set-pid"):
        daemon.start()
    got = log_lines(tmp_path)
    assert got[1].startswith("type=DAEMON_ABORT ") and "op=set-pid" in got[1]
    assert got[1].endswith("res=failed")
    assert got[-1].startswith("type=DAEMON_END ")


def test_halt_equivalent_stops_draining_until_resumed(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    daemon._halt("halt (test)")
    assert daemon.reader.halted
    time.sleep(0.6)  # the reader notices within one idle wait
    emit_records(fake, 5)
    time.sleep(0.3)
    assert daemon.counters.reader.records_received == 0  # left in the kernel's hands
    daemon.reader.resume()
    wait_for(lambda: daemon.counters.reader.records_received == 10)
    daemon.shutdown(None)


def test_reader_batches_in_order_and_skips_replies(fake: FakeKernel) -> None:
    sock = AuditSocket(fake.connect())
    transport = sock._transport  # the daemon end, as if registered
    channel: Channel = Channel(1000)
    counters = ReaderCounters()
    reader = Reader(sock, channel, counters, rcvbuf=1 << 20)
    reader.start()
    messages = [(uapi.AUDIT_SYSCALL, f"audit(1.000:{serial}): a=1".encode()) for serial in range(1, 2501)]
    messages.insert(7, (uapi.AUDIT_REPLACE, b"\x01\x00\x00\x00"))
    for msg_type, payload in messages:
        datagram = netlink.HEADER.pack(len(payload), msg_type, 0, 0, 0) + payload
        while not transport.deliver(datagram):  # the fake's queue is small: wait for the reader
            time.sleep(0.001)
    wait_for(lambda: counters.records_received == 2500 and counters.control_messages == 1)
    reader.stop()
    reader.join(5)
    batches = []
    while (item := channel.get(0)) is not None:
        batches.extend(item)
    serials = [int(payload.split(b":")[1].split(b")")[0]) for batch in batches for _, payload in batch]
    assert serials == list(range(1, 2501))
    assert max(len(batch) for batch in batches) <= BATCH_RECORDS and reader.exception is None


def test_sender_falls_back_to_siginfo_for_sigint(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake)
    sender = daemon._sender(signal.struct_siginfo((signal.SIGINT, 0, 0, 1, 0, 0, 0)))
    assert sender == logformat.Sender(auid=sender.auid, pid=1, ctx="")


def test_a_dead_writer_stops_the_daemon_cleanly(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake, "queue_depth = 1\n")
    daemon.start()

    def broken(batch: object) -> bytes:
        raise RuntimeError("formatter bug")

    daemon.writer.formatter.lines = broken  # type: ignore[method-assign]
    emit_records(fake, 20)
    wait_for(lambda: not daemon.writer.is_alive())
    failure = daemon._thread_failure()
    assert failure and "formatter bug" in failure
    started = time.monotonic()
    daemon._abort("error-halt", failure)
    assert time.monotonic() - started < 10  # the reader was not left waiting for room in the queue
    assert fake.pid == 0 and not daemon.reader.is_alive()
    assert parse_state((tmp_path / "run" / "c2audit.state").read_text())["state"] == "stopped"


# -- self-exclusion and the receive buffer -----------------------------------------------------------

USER_RULE = "-a always,exit -F arch=b64 -S getpgid -F key=c2test"


def rules_of(fake: FakeKernel) -> list[RuleData]:
    return [RuleData.decode(rule) for rule in fake.rules]


def listed(text: str) -> RuleData:
    (rule,) = compile_rules_text(text + "\n", "t").rules
    return RuleData.decode(kernel_form(rule.data))


def ours(pid: int) -> list[RuleData]:
    return [RuleData.decode(kernel_form(rule.data)) for rule in exclusion_rules(pid)]


def requests_made(fake: FakeKernel) -> list[str]:
    """The state-changing requests the fake received, in order (status polls left out)."""
    made = []
    for request in fake.requests:
        if request.type == uapi.AUDIT_SET:
            status = netlink.decode(AuditStatus, request.payload.ljust(44, b"\0"))
            if status.mask & uapi.AUDIT_STATUS_PID:
                made.append("register" if status.pid else "unregister")
            elif status.mask & uapi.AUDIT_STATUS_ENABLED:
                made.append(f"enabled={status.enabled}")
        elif request.type in (uapi.AUDIT_ADD_RULE, uapi.AUDIT_DEL_RULE):
            made.append("add" if request.type == uapi.AUDIT_ADD_RULE else "delete")
    return made


def test_self_exclusion_rules_go_first_once_registered_and_leave_at_stop(tmp_path: Path, fake: FakeKernel) -> None:
    user = listed(USER_RULE)
    fake.rules = [user.encode(), *(rule.encode() for rule in ours(2**22 + 7)), ours(1)[1].encode()]
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    assert rules_of(fake) == [*ours(fake.pid), user]  # on top: they outrank every rule loaded before
    assert requests_made(fake) == ["register", "delete", "delete", "delete", "add", "add", "enabled=1"]
    notes = daemon.notifier.messages  # type: ignore[attr-defined]
    assert [m for m in notes if "left in the kernel" in m] == [
        "deleted the self-exclusion rules an earlier audit daemon (pid 1) left in the kernel",
        f"deleted the self-exclusion rules an earlier audit daemon (pid {2**22 + 7}) left in the kernel",
    ]  # pid 1 lives, but is not the registered daemon: its rule would hide it from auditing
    assert parse_state((tmp_path / "run" / "c2audit.state").read_text())["self_exclusion_rules"] == "2"
    daemon.shutdown(None)
    assert rules_of(fake) == [user]
    assert requests_made(fake)[-4:] == ["delete", "delete", "enabled=0", "unregister"]  # deleted while registered


def test_exclude_self_no_leaves_the_rules_alone(tmp_path: Path, fake: FakeKernel) -> None:
    fake.rules = [rule.encode() for rule in ours(2**22 + 7)]  # not ours to judge when we exclude nothing
    daemon = make_daemon(tmp_path, fake, "exclude_self = no\n")
    daemon.start()
    daemon.shutdown(None)
    assert requests_made(fake) == ["register", "enabled=1", "enabled=0", "unregister"]
    assert rules_of(fake) == ours(2**22 + 7)


def test_a_reload_reinstalls_deleted_rules_and_obeys_exclude_self(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake)
    path = tmp_path / "c2audit.conf"
    path.write_text("\n".join(f"{name} = {line}" for name, line in [
        ("log_file", daemon.config.log_file), ("pid_file", daemon.pid_file), ("state_file", daemon.state_file),
        ("priority_boost", 0), ("enabled_at_exit", 0)]) + "\n")
    daemon.config_path = str(path)
    daemon.start()
    fake.rules.clear()  # auditctl -D
    daemon.reload(None)
    assert rules_of(fake) == ours(fake.pid)
    path.write_text(path.read_text() + "exclude_self = no\n")
    daemon.reload(None)
    assert fake.rules == []
    daemon.shutdown(None)
    assert requests_made(fake)[-2:] == ["enabled=0", "unregister"]


def test_a_failed_start_deletes_the_rules_it_added(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake, "backlog_wait_time = 2000000\n")  # the kernel refuses it
    with pytest.raises(StartError):
        daemon.start()
    assert "add" in requests_made(fake) and fake.rules == [] and fake.pid == 0


def test_a_refused_rule_is_reported_and_the_daemon_runs(tmp_path: Path, fake: FakeKernel,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(kind: int, rule: bytes) -> None:
        raise OSError(errno.EINVAL, "refused")

    monkeypatch.setattr(fake, "_change_rule", refuse)
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    assert daemon.state == "running" and fake.enabled == 1
    notes = daemon.notifier.messages  # type: ignore[attr-defined]
    assert any(m.startswith("cannot exclude the daemon's own processes from auditing") for m in notes)
    daemon.shutdown(None)


def test_halt_shrinks_the_receive_buffer_and_resume_restores_it(fake: FakeKernel) -> None:
    sock = AuditSocket(fake.connect())
    reader = Reader(sock, Channel(4), ReaderCounters(), rcvbuf=1 << 20)
    full = sock.set_receive_buffer(1 << 20)
    assert full >= 1 << 20  # the kernel reports twice what was asked
    reader.halt()
    assert sock.receive_buffer() <= 2 * HALTED_RCVBUF < full  # the kernel notices the halt at once
    reader.resume()
    assert sock.receive_buffer() == full
    sock.close()


def test_rules_deleted_by_someone_else_are_put_back(tmp_path: Path, fake: FakeKernel) -> None:
    daemon = make_daemon(tmp_path, fake)
    daemon.start()
    daemon._restore_self_exclusion()  # nothing missing: nothing done
    assert requests_made(fake).count("add") == 2
    fake.rules.clear()  # auditctl -D: the kernel says so in a CONFIG_CHANGE record
    fake.emit(uapi.AUDIT_CONFIG_CHANGE, 'audit(1700000000.000:9): auid=0 ses=1 op=remove_rule '
                                        'key="c2audit-self" list=4 res=1')
    wait_for(daemon.reader.self_rules_removed.is_set)
    daemon._restore_self_exclusion()  # what the main loop does on its next wake-up
    assert rules_of(fake) == ours(fake.pid) and not daemon.reader.self_rules_removed.is_set()
    assert "the self-exclusion rules were deleted from the kernel: put back" in daemon.notifier.messages  # type: ignore[attr-defined]
    daemon.shutdown(None)
    assert fake.rules == []
