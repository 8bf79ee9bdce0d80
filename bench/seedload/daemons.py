"""The two daemons under test, each in a temporary directory with its own config and log.

Both get the same auditd.conf semantics: RAW lines, ``flush =
incremental_async`` with ``freq = 50`` and ``priority_boost = 4`` (Debian's
defaults), no size rotation during a run, Debian's space actions.

Debian's auditd runs as ``auditd -n -c DIR``: ``-n`` keeps it in our process
tree (no fork) while it logs exactly as the service does.  (``-f`` is not
that: in the foreground auditd writes the log to stdout and never fsyncs, so
``flush = incremental_async`` would cost it nothing.)  It gets an empty
``plugin_dir``, so no plugin (laurel, af_unix) starts.  Both daemons start in
a session of their own, so a Ctrl-C at the terminal reaches only the harness,
which stops them in the right order.

CPU time: :meth:`DaemonProcess.cpu_seconds` sums ``/proc/PID/task/*/schedstat``
(nanoseconds on the CPU, every thread) for the window around a workload;
:meth:`DaemonProcess.stop` also returns the whole life's user+system time
from ``wait4``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from c2audit.daemon.config import DEBIAN_SPACE_ACTIONS

AUDITD = "/usr/sbin/auditd"
AUDITD_PID_FILE = Path("/var/run/auditd.pid")  # auditd 3.0.9 writes it whatever its config says
NETLINK_AUDIT = 9
STOP_WAIT = 30.0

COMMON_CONF = f"""\
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 50
priority_boost = 4
name_format = NONE
max_log_file = 4096
max_log_file_action = IGNORE
num_logs = 5
{DEBIAN_SPACE_ACTIONS}"""


def c2audit_config(root: Path) -> str:
    return (f"log_file = {root}/audit.log\n{COMMON_CONF}"
            f"enable_at_start = enable\nenabled_at_exit = keep\n"
            f"pid_file = {root}/c2audit.pid\nstate_file = {root}/c2audit.state\n")


def auditd_config(root: Path) -> str:
    return (f"log_file = {root}/audit.log\nlocal_events = yes\nwrite_logs = yes\nlog_group = root\n{COMMON_CONF}"
            f"plugin_dir = {root}/plugins.d\nq_depth = 2000\noverflow_action = SYSLOG\nmax_restarts = 10\n"
            f"distribute_network = no\nend_of_event_timeout = 2\n")


@dataclass
class DaemonProcess:
    name: str
    proc: subprocess.Popen[bytes]
    root: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def log(self) -> Path:
        return self.root / "audit.log"

    def alive(self) -> bool:
        """Still running (checked without reaping it: ``stop`` reaps it with ``wait4`` for its rusage)."""
        if self.proc.returncode is not None:
            return False
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def stderr_text(self) -> str:
        path = self.root / "stderr"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def cpu_seconds(self) -> float:
        """Time on the CPU so far, all threads (schedstat: nanoseconds, not 10 ms ticks)."""
        total = 0
        for task in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{task}/schedstat", encoding="ascii") as handle:
                    total += int(handle.read().split()[0])
            except (OSError, IndexError, ValueError):
                pass  # a thread that ended between listdir and open
        return total / 1e9

    def socket_queued_bytes(self) -> int:
        """Bytes waiting in this process's audit netlink sockets (``Rmem`` of /proc/net/netlink)."""
        inodes = set()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        queued = 0
        with open("/proc/net/netlink", encoding="ascii") as handle:
            next(handle)
            for line in handle:
                cols = line.split()
                if int(cols[1]) == NETLINK_AUDIT and cols[9] in inodes:
                    queued += int(cols[4])
        return queued

    def wait_drained(self, settle: float = 1.5, limit: float = 180.0) -> bool:
        """Wait until the socket is empty and the log has not grown for ``settle`` s; False at ``limit``."""
        deadline = time.monotonic() + limit
        last_size, since = -1, time.monotonic()
        while time.monotonic() < deadline and self.alive():
            size = self.log.stat().st_size if self.log.exists() else 0
            now = time.monotonic()
            if size != last_size or self.socket_queued_bytes():
                last_size, since = size, now
            elif now - since >= settle:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> float | None:
        """SIGTERM, wait, SIGKILL if need be; the whole life's CPU seconds (None if already reaped)."""
        if self.proc.returncode is not None:
            return None
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        try:
            _, status, usage = os.wait4(self.pid, 0)
        finally:
            self._forget_pid_file()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_utime + usage.ru_stime

    def _forget_pid_file(self) -> None:
        if self.name == "auditd":  # a killed auditd leaves /var/run/auditd.pid behind
            try:
                if AUDITD_PID_FILE.read_text().strip() == str(self.pid):
                    AUDITD_PID_FILE.unlink()
            except OSError:
                pass


def start_daemon(name: str, root: Path, extra_conf: str = "") -> DaemonProcess:
    """Write the config (``extra_conf`` appended: later lines win) and start ``c2audit`` or ``auditd`` on it.

    Registration is the caller's to wait for.
    """
    root.mkdir(parents=True, exist_ok=True)
    if name == "c2audit":
        (root / "c2audit.conf").write_text(c2audit_config(root) + extra_conf)
        command = [sys.executable, "-m", "c2audit", "daemon", "--config", str(root / "c2audit.conf")]
    elif name == "auditd":
        (root / "plugins.d").mkdir(exist_ok=True)
        (root / "auditd.conf").write_text(auditd_config(root) + extra_conf)
        os.chmod(root / "auditd.conf", 0o640)
        command = [AUDITD, "-n", "-c", str(root)]
    else:
        raise ValueError(f"unknown daemon {name!r}")
    with (root / "stderr").open("wb") as err:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True)
    return DaemonProcess(name, proc, root)
