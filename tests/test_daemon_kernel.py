"""``c2audit daemon`` on the real kernel: a subprocess on a temporary config, log and run directory.

Every test is ``kernel``-marked: conftest holds the machine-wide lock and the
``kernel_state`` fixture deletes the rules added here, unregisters a daemon left
behind and restores enabled/failure/backlog settings.  Rules match only this
test process (``-F pid=``), so other work on the machine adds nothing.  The
fault tests put the log on a small tmpfs mounted for the test.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from c2audit.daemon.kauditd import Scheduling, find_kauditd, read_scheduling
from c2audit.daemon.state import parse_state
from c2audit.kernel import AuditClient

pytestmark = pytest.mark.kernel
KEY = "c2test"


def wait_for(condition: Callable[[], object], seconds: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kernel_status():  # -> netlink.AuditStatus
    with AuditClient() as client:
        return client.get_status()


def add_rule(text: str) -> None:
    from c2audit.rules import compile_rules_text
    from c2audit.rules.host import host_environment

    compiled = compile_rules_text(text + "\n", "test", host_environment())
    assert not compiled.errors, compiled.errors
    with AuditClient() as client:
        for rule in compiled.rules:
            client.add_rule(rule.data)


def audit_my_getpgid() -> None:
    """Audit getpgid in this process's children.

    Not in this process itself: the kernel gives a process an audit context at fork only
    once auditing has ever been enabled since boot (``audit_alloc``), so on a freshly
    booted machine the test runner's own syscalls can never be audited.
    """
    add_rule(f"-a always,exit -F arch=b64 -S getpgid -F ppid={os.getpid()} -F key={KEY}")


def getpgid_in_child(times: int) -> None:
    """Call getpgid ``times`` times in a child process (forked now, so it has an audit context)."""
    subprocess.run([sys.executable, "-c", f"import os\nfor _ in range({times}): os.getpgid(0)"], check=True)


class DaemonProcess:
    """One ``c2audit daemon`` subprocess with its files under ``root``."""

    def __init__(self, root: Path, settings: str = "", log_dir: Path | None = None):
        self.root = root
        self.log_dir = log_dir or root / "log"
        self.log = self.log_dir / "audit.log"
        self.state_file = root / "run" / "c2audit.state"
        self.pid_file = root / "run" / "c2audit.pid"
        self.config = root / "c2audit.conf"
        self.config.write_text(
            f"log_file = {self.log}\npid_file = {self.pid_file}\nstate_file = {self.state_file}\n"
            f"status_interval = 1\npriority_boost = 0\nflush = incremental_async\nfreq = 100\n"
            f"backlog_limit = 8192\nbacklog_wait_time = 0\nenabled_at_exit = 0\n{settings}")
        self.stderr = root / "daemon.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, expect_registered: bool = True, group: int | None = None) -> DaemonProcess:
        """Run the daemon (as ``group``: a gid that rules can single out, inherited by its children)."""
        with self.stderr.open("wb") as err:
            command = [sys.executable, "-m", "c2audit", "daemon", "--config", str(self.config)]
            self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, group=group)
        if expect_registered:  # registered, enabled and set up: the daemon reports "running" last
            wait_for(lambda: self.proc.poll() is not None or self.running(), what="the daemon to start")
            assert self.proc.poll() is None, self.stderr.read_text()
            assert kernel_status().pid == self.proc.pid
        return self

    def running(self) -> bool:
        """This daemon's own report says it runs (a killed predecessor's report may still be there)."""
        if not self.state_file.exists():
            return False
        state = parse_state(self.state_file.read_text())
        return state.get("state") == "running" and state.get("pid") == str(self.proc.pid)

    def send(self, signo: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signo)

    def stop(self, signo: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.send(signo)
        return self.proc.wait(60)

    def state(self) -> dict[str, str]:
        """A fresh state report (SIGCONT)."""
        before = self.state_file.stat().st_mtime_ns if self.state_file.exists() else 0
        time.sleep(0.01)
        self.send(signal.SIGCONT)
        wait_for(lambda: self.state_file.exists() and self.state_file.stat().st_mtime_ns != before,
                 what="the state report")
        return parse_state(self.state_file.read_text())

    def lines(self, path: Path | None = None) -> list[str]:
        data = (path or self.log).read_bytes()
        assert not data or data.endswith(b"\n"), "the log must end on a whole line"
        return data.decode(errors="replace").split("\n")[:-1]  # not splitlines(): it splits at \x1d too

    def key_records(self) -> list[str]:
        return [line for line in self.lines() if line.startswith("type=SYSCALL ") and f'key="{KEY}"' in line]


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def make(settings: str = "", log_dir: Path | None = None, name: str = "d") -> DaemonProcess:
        """A daemon in ``tmp_path/name`` (a name used again: the same files, as after a restart)."""
        root = tmp_path / name
        root.mkdir(exist_ok=True)
        daemon = DaemonProcess(root, settings, log_dir)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:  # never leave one running, whatever the test did
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait(30)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"tmpfs{len(mounted)}"
        point.mkdir()
        options = f"size={size},mode=0700"
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.mark.parametrize("enabled_at_exit", [0, 1])
def test_rule_hit_is_logged_and_sigterm_leaves_the_kernel_as_configured(daemons, enabled_at_exit) -> None:
    daemon = daemons(f"enabled_at_exit = {enabled_at_exit}\n").start()
    assert kernel_status().enabled == 1
    audit_my_getpgid()
    getpgid_in_child(3)
    wait_for(lambda: len(daemon.key_records()) == 3, what="three records of our getpgid")
    assert all(f" ppid={os.getpid()} " in line and " syscall=121 " in line for line in daemon.key_records())
    first = daemon.lines()[0]
    assert first.startswith("type=DAEMON_START ") and f" pid={daemon.proc.pid} " in first
    assert daemon.stop() == 0
    status = kernel_status()
    assert (status.pid, status.enabled) == (0, enabled_at_exit)
    last = daemon.lines()[-1]
    assert last.startswith("type=DAEMON_END ") and "op=terminate auid=" in last
    assert f" pid={os.getpid()} " in last  # the kernel's AUDIT_SIGNAL_INFO: we sent SIGTERM
    assert not daemon.pid_file.exists()
    assert parse_state(daemon.state_file.read_text())["state"] == "stopped"
    if shutil.which("ausearch"):
        found = subprocess.run(["ausearch", "--input", str(daemon.log), "-k", KEY, "-sc", "getpgid"],
                               capture_output=True, text=True, check=False)
        events = found.stdout.count("\n----\n") + found.stdout.startswith("----")
        assert events == 3  # ausearch reads the log as is


def test_the_daemon_raises_kauditd_and_puts_it_back(daemons) -> None:
    pid = find_kauditd()
    assert pid is not None, "the kernel has audit support (NETLINK_AUDIT answered) but no kauditd thread"
    found = read_scheduling(pid)
    daemon = daemons("kauditd_priority = realtime\n").start()
    assert read_scheduling(pid) == Scheduling(os.SCHED_FIFO, 1, found.nice)
    state = daemon.state()
    assert (state["kauditd_pid"], state["kauditd_scheduling"]) == (str(pid), "fifo 1")
    assert daemon.stop(signal.SIGTERM) == 0
    assert read_scheduling(pid) == found


def test_after_a_kill_9_the_next_daemon_puts_kauditd_back(daemons) -> None:
    pid = find_kauditd()
    found = read_scheduling(pid)
    first = daemons("kauditd_priority = realtime\n", name="first").start()
    first.proc.kill()
    first.proc.wait(30)
    assert read_scheduling(pid) == Scheduling(os.SCHED_FIFO, 1, found.nice)  # nobody put it back
    second = daemons("kauditd_priority = realtime\n", name="first").start()  # same run directory: the memo
    assert second.stop() == 0
    assert read_scheduling(pid) == found
    assert "a previous daemon left kauditd at fifo 1" in second.stderr.read_text()


def test_rotation_by_size_keeps_num_logs(daemons) -> None:
    daemon = daemons("max_log_file = 1\nmax_log_file_action = rotate\nnum_logs = 3\n"
                     "backlog_wait_time = 60000\n")
    daemon.start()
    audit_my_getpgid()
    getpgid_in_child(7000)  # SYSCALL + PROCTITLE: ~600 bytes each, ~4 MB, three rotations
    wait_for(lambda: int(daemon.state()["records_received"]) >= 14_000, what="every record read")
    assert daemon.stop() == 0
    assert sorted(p.name for p in daemon.log_dir.iterdir()) == ["audit.log", "audit.log.1", "audit.log.2"]
    for rotated in ("audit.log.1", "audit.log.2"):
        assert (daemon.log_dir / rotated).stat().st_size >= 1024 * 1024
        daemon.lines(daemon.log_dir / rotated)  # whole lines
    state = parse_state(daemon.state_file.read_text())
    assert int(state["rotations"]) >= 3 and state["kernel_lost_since_start"] == "0"


def test_kernel_loss_is_recorded(daemons) -> None:
    daemon = daemons("backlog_limit = 1\nbacklog_wait_time = 0\n").start()
    audit_my_getpgid()
    lost_before = kernel_status().lost
    for _ in range(5):
        getpgid_in_child(20_000)
        if kernel_status().lost > lost_before:
            break
    else:
        pytest.skip("the kernel dropped nothing even with backlog_limit 1: cannot force loss on this machine")
    wait_for(lambda: any("op=lost src=kernel" in line for line in daemon.lines()), what="a loss record")
    assert daemon.stop() == 0
    state = parse_state(daemon.state_file.read_text())
    reported = [line for line in daemon.lines() if "op=lost src=kernel" in line]
    assert all(line.startswith("type=DAEMON_ERR ") for line in reported)
    total = sum(int(line.split(" lost=")[1].split()[0]) for line in reported)
    assert total == int(state["kernel_lost_since_start"]) == int(state["kernel_lost_reported"]) > 0


def test_a_second_daemon_does_not_take_over(daemons) -> None:
    first = daemons(name="first").start()
    second = daemons(name="second").start(expect_registered=False)
    assert second.proc.wait(30) == 1
    assert "another audit daemon" in second.stderr.read_text()
    assert kernel_status().pid == first.proc.pid
    assert first.stop() == 0


def test_enriched_reload_rotate_and_state_report(daemons) -> None:
    daemon = daemons("num_logs = 2\nlog_format = ENRICHED\n").start()
    audit_my_getpgid()
    getpgid_in_child(1)
    wait_for(lambda: len(daemon.key_records()) == 1, what="a record")
    assert "\x1dARCH=x86_64 SYSCALL=getpgid AUID=" in daemon.key_records()[0]
    assert " format=enriched " in daemon.lines()[0]
    state = daemon.state()
    assert state["state"] == "running" and int(state["records_received"]) >= 1 and state["enobufs"] == "0"
    assert int(state["socket_rcvbuf"]) >= 256 * 1024 * 1024  # SO_RCVBUFFORCE took (the kernel doubles it)
    with daemon.config.open("a") as config:
        config.write("name_format = user\nname = reloaded\n")
    daemon.send(signal.SIGHUP)
    wait_for(lambda: any("DAEMON_CONFIG" in line for line in daemon.lines()), what="DAEMON_CONFIG")
    getpgid_in_child(1)
    wait_for(lambda: any(line.startswith("node=reloaded type=SYSCALL ") for line in daemon.lines()),
             what="a record with the new node name")
    daemon.send(signal.SIGUSR1)
    wait_for(lambda: (daemon.log_dir / "audit.log.1").exists(), what="the rotation")
    assert daemon.stop() == 0
    assert "DAEMON_ROTATE" in daemon.lines()[0] and "op=rotate-logs" in daemon.lines()[0]


def test_blocking_mode_under_load_never_stalls_the_daemon(daemons) -> None:
    """backlog_wait_time > 0 puts any *sender* to sleep while the backlog is over its limit; the
    daemon sends only from its main and monitor threads while the reader keeps draining, so its
    requests (status polls, signal info, unregistering) and the producers all get through."""
    daemon = daemons("backlog_limit = 64\nbacklog_wait_time = 2500\nstatus_interval = 1\n").start()
    load = [subprocess.Popen([sys.executable, "-c", "import os\nfor _ in range(30000): os.getpgid(0)"])
            for _ in range(3)]
    for process in load:
        add_rule(f"-a always,exit -F arch=b64 -S getpgid -F pid={process.pid} -F key={KEY}")
    for _ in range(3):
        assert daemon.state()["state"] == "running"
        time.sleep(0.5)
    daemon.send(signal.SIGUSR1)  # the reader drains while the main thread asks for signal info
    started = time.monotonic()
    assert daemon.stop() == 0
    stopped_in = time.monotonic() - started
    for process in load:
        process.kill()
        process.wait(60)
    assert stopped_in < 30, f"stopping took {stopped_in:.1f} s: a request slept behind the backlog"
    state = parse_state(daemon.state_file.read_text())
    assert int(state["kernel_polls"]) >= 2 and state["kernel_poll_errors"] == "0"
    assert state["kernel_lost_since_start"] == "0"  # blocking mode: the producers waited, nothing lost


def test_kill_9_leaves_a_log_ending_on_a_whole_line(daemons) -> None:
    daemon = daemons().start()
    audit_my_getpgid()
    load = subprocess.Popen([sys.executable, "-c", "import os\nfor _ in range(200000): os.getpgid(0)"])
    add_rule(f"-a always,exit -F arch=b64 -S getpgid -F pid={load.pid} -F key={KEY}")
    wait_for(lambda: daemon.log.stat().st_size > 200_000, what="the log to grow under load")
    daemon.proc.kill()
    daemon.proc.wait(30)
    load.kill()
    load.wait(30)
    lines = daemon.lines()  # asserts the final newline
    assert all(line.startswith(("type=", "node=")) for line in lines)


def test_disk_full_suspends_and_keeps_what_was_written(daemons, small_tmpfs) -> None:
    log_dir = small_tmpfs("256k")
    daemon = daemons("disk_full_action = suspend\nflush = none\nfreq = 0\nbacklog_wait_time = 60000\n",
                     log_dir=log_dir).start()  # the kernel waits rather than drops: suspend keeps draining
    audit_my_getpgid()
    getpgid_in_child(1500)  # ~900 KB of records for a 256 KB file system
    wait_for(lambda: daemon.state()["disk_full"] == "yes", what="the disk to fill")
    state = daemon.state()
    assert state["logging_suspended"] == "yes" and int(state["records_dropped_suspended"]) > 0
    assert daemon.stop() == 0
    lines = daemon.lines()
    assert lines[0].startswith("type=DAEMON_START ")
    assert all(line.startswith("type=") for line in lines)
    final = parse_state(daemon.state_file.read_text())
    written = sum(1 for line in lines if line.startswith(("type=SYSCALL", "type=PROCTITLE")))
    dropped = int(final["records_dropped"])
    assert written + dropped >= 3000  # every record read was either written or counted as dropped
    assert kernel_status().pid == 0


def test_disk_full_halt_hands_over_to_the_kernel(daemons, small_tmpfs) -> None:
    log_dir = small_tmpfs("128k")
    daemon = daemons("disk_full_action = halt\nflush = none\nfreq = 0\n", log_dir=log_dir).start()
    audit_my_getpgid()
    getpgid_in_child(800)  # ~480 KB of records for a 128 KB file system
    wait_for(lambda: daemon.state()["reader_halted"] == "yes", what="the halt-equivalent")
    with AuditClient() as client:
        client.set_backlog_limit(64)  # a short kernel queue, so the kernel's side shows at once
        lost_before = client.get_status().lost
    getpgid_in_child(5000)  # nobody drains now: the kernel's backlog fills and it counts lost
    assert kernel_status().lost > lost_before
    state = daemon.state()
    assert state["halted"].startswith("halt (no space left") and state["disk_full"] == "yes"
    assert daemon.stop() == 0  # drains (counting what it cannot write) and stops cleanly
    assert kernel_status().pid == 0
    assert int(parse_state(daemon.state_file.read_text())["records_dropped_halted"]) > 0
    daemon.lines()


# -- self-exclusion: the daemon and its children stay out of their own log ------------------------

SELF_GID = 54_321  # no such group here: rules on it match the daemon's process tree and nothing else
LOOP_KEY = "c2selfloop"
CHILD_SCRIPT = """#!{python}
import os, signal, time
def running():
    return os.path.exists({state!r}) and "state = running" in open({state!r}).read()
while not running():
    time.sleep(0.05)
os.unlink({filler!r})
os.kill(os.getppid(), signal.SIGUSR2)  # resume logging, as auditd expects of an exec script
time.sleep(0.3)
with open({out!r}, "a") as out:
    for i in range(20):
        out.write(f"{{i}}\\n")
        out.flush()
        time.sleep(0.05)
"""


def self_rules() -> list[bytes]:
    with AuditClient() as client:
        return [rule for rule in client.list_rules() if b"c2audit-self" in rule]


def self_exclusion_run(daemons, small_tmpfs, exclude_self: str,
                       before_stop: Callable[[], None] = lambda: None) -> tuple[DaemonProcess, int, list[str]]:
    """Run the daemon with rules that match every write of its process tree, and a child of its own.

    The child is a ``space_left_action = exec`` script (a filler file puts the log's file
    system under ``space_left`` at start): once the daemon has started (its state report says
    running: any self-exclusion rule is in place) it deletes the filler, resumes logging
    (SIGUSR2, as auditd expects of such scripts) and writes into the watched log directory.
    Returns the daemon (stopped), how many lines the log gained while nothing else ran, and
    the key's SYSCALL lines.
    """
    log_dir = small_tmpfs("8m")
    filler = log_dir / "filler"
    filler.write_bytes(b"\0" * 5 * 1024 * 1024)  # 3 MiB left: under space_left = 4
    script = log_dir.parent / f"child-{exclude_self}.py"
    daemon = daemons(f"exclude_self = {exclude_self}\nflush = incremental\nfreq = 1\nspace_left = 4\n"
                     f"space_left_action = exec {script}\n", log_dir=log_dir, name=f"self-{exclude_self}")
    script.write_text(CHILD_SCRIPT.format(python=sys.executable, state=str(daemon.state_file),
                                          filler=str(filler), out=str(log_dir / "child.out")))
    script.chmod(0o755)
    add_rule(f"-a always,exit -F arch=b64 -S write -F gid={SELF_GID} -F key={LOOP_KEY}")
    add_rule(f"-w {log_dir} -p wa -k {LOOP_KEY}")
    daemon.start(group=SELF_GID)
    wait_for(lambda: (log_dir / "child.out").exists() and len((log_dir / "child.out").read_text()) >= 40,
             what="the child's writes")
    time.sleep(0.5)  # the daemon keeps writing (state report every second, flushes): nothing else does
    settled = len(daemon.lines())
    time.sleep(1.5)
    grown = len(daemon.lines()) - settled
    before_stop()
    assert daemon.stop() == 0
    loop = [line for line in daemon.lines() if line.startswith("type=SYSCALL ") and f'key="{LOOP_KEY}"' in line]
    return daemon, grown, loop


def test_self_exclusion_keeps_the_daemon_and_its_children_out_of_the_log(daemons, small_tmpfs) -> None:
    dead = 2**22 + 5  # above pid_max: a daemon that cannot be alive
    add_rule(f"-A exit,never -S all -F pid={dead} -F key=c2audit-self")  # left by a killed daemon

    def delete_them() -> None:  # as the `-D` heading most rule files would (but sparing others' rules)
        with AuditClient() as client:
            rules = self_rules()
            assert len(rules) == 2
            for rule in rules:
                client.delete_rule(rule)
        wait_for(lambda: len(self_rules()) == 2, seconds=10, what="the daemon to put its rules back")

    daemon, grown, loop = self_exclusion_run(daemons, small_tmpfs, "yes", delete_them)
    pid = daemon.proc.pid
    assert "self-exclusion rules were deleted from the kernel: put back" in daemon.stderr.read_text()
    assert f"earlier audit daemon (pid {dead})" in daemon.stderr.read_text()
    removed = [line for line in daemon.lines() if "op=remove_rule" in line and 'key="c2audit-self"' in line]
    assert len(removed) == 4  # by us above, then by the daemon at stop (the start's came while suspended)
    assert not [line for line in loop if f" pid={pid} " in line or f" ppid={pid} " in line]
    assert grown == 0, "the log grew with no outside activity: the daemon is logging itself"
    assert self_rules() == []


def test_without_self_exclusion_the_children_are_logged(daemons, small_tmpfs) -> None:
    """The rules matter: without them the exec script's writes land in the daemon's own log.

    The daemon's own syscalls stay out even so: the kernel skips the exit and watch filters for
    the registered audit daemon's threads (auditsc.c: auditd_test_task compares the tgid).
    """
    daemon, _grown, loop = self_exclusion_run(daemons, small_tmpfs, "no")
    pid = daemon.proc.pid
    assert len([line for line in loop if f" ppid={pid} " in line]) >= 10
    assert not [line for line in loop if f" pid={pid} " in line]
