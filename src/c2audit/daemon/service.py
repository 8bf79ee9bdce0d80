"""``c2audit daemon``: start, run and stop the audit daemon (the main thread's work).

Threads and who talks to the kernel::

    main     signals (sigtimedwait), start/stop, reload; requests on its own control socket
    reader   recv only, on the socket registered as the audit pid      -> Channel
    writer   format + write + disk actions (the only thread on the log) <- Channel
    monitor  AUDIT_GET every status_interval on a third socket          -> LossCheck

Start (auditd's order where it matters): read the kernel's status (the ``lost``
baseline), open the log, write the pid file, queue ``DAEMON_START``, register
the reader socket as the audit pid and start draining it, give kauditd the
CPU priority ``kauditd_priority`` asks for (see :mod:`.kauditd`), prepend the ``never``
rules that keep our own process and children out of the log
(``exclude_self``, see :mod:`.selfexclude`), then apply the kernel settings of
the configuration (failure mode, backlog limit and wait time, rate limit) and
``enabled`` -- registering first, so no record goes to the kernel log
in between, and draining before the other requests, which may sleep in the
kernel while its backlog is over the limit.
A failure to register or enable writes ``DAEMON_ABORT`` (auditd's ``op=set-pid``
/ ``op=set-enable``) and exits 1.

Stop (SIGTERM/SIGINT): ask the kernel who sent the signal, delete our
self-exclusion rules and set ``enabled`` as ``enabled_at_exit`` says (while
still registered, so the kernel's CONFIG_CHANGE records land in our log),
unregister, put back kauditd's scheduling, let the reader drain what is left, poll ``lost``
one last time, then the writer writes the loss records and ``DAEMON_END`` and
closes the log; the state report is written a last time (``state = stopped``,
with the CPU time used) and the pid file removed.  While any of our requests is
in flight the reader keeps draining, so the kernel cannot hold us asleep behind
a full backlog -- which is also why a halt-equivalent is lifted before stopping.

Signals: HUP reload, USR1 rotate, USR2 resume logging, CONT state report,
TERM/INT stop.  Like auditd, reloading does not move the pid or state file, and
``priority_boost`` is applied at start only.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from c2audit import __version__
from c2audit.daemon import logformat
from c2audit.daemon.channel import Channel
from c2audit.daemon.config import (
    ConfigError,
    DaemonConfig,
    ExitEnable,
    LogFormat,
    NameFormat,
    StartupEnable,
    default_config,
    load_config,
)
from c2audit.daemon.kauditd import KauditdPriority
from c2audit.daemon.logfile import LogFileError
from c2audit.daemon.monitor import Monitor, record_status
from c2audit.daemon.reader import Reader
from c2audit.daemon.selfexclude import SelfExclusion
from c2audit.daemon.state import Counters, render_state, state_values
from c2audit.daemon.writer import (
    Control,
    DaemonRecord,
    LossCheck,
    Notifier,
    Reconfigure,
    Resume,
    Rotate,
    Writer,
)
from c2audit.kernel import AuditClient, AuditSocket, KernelError, KernelTimeout
from c2audit.tables import uapi

DEFAULT_CONFIG_PATH = "/etc/c2audit/auditd.conf"
KAUDITD_MEMO = "kauditd-found"  # beside the pid file (daemon.kauditd)
HANDLED_SIGNALS = (
    signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT, signal.SIGTERM, signal.SIGINT,
)
# signals whose sender the kernel records for the audit daemon (kernel/audit.c: audit_signal_info)
KERNEL_RECORDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)
JOIN_SECONDS = 30.0
SETTLE_POLLS, SETTLE_SECONDS = 25, 0.02  # at stop, up to 0.5 s for kauditd to send our last records
EXIT_INIT_FAILED, EXIT_CONFIG = 1, 6


Connect = Callable[[int | None], AuditSocket]


def open_socket(rcvbuf: int | None) -> AuditSocket:
    """A real audit socket (tests pass a function connecting to their fake kernel)."""
    return AuditSocket(rcvbuf=rcvbuf)


class StartError(RuntimeError):
    """The daemon could not start; the message says why."""


@dataclass(frozen=True)
class Overrides:
    """Command-line settings that win over the configuration file, also after a reload."""

    log_file: str | None = None
    pid_file: str | None = None
    state_file: str | None = None

    def apply(self, config: DaemonConfig) -> DaemonConfig:
        changes = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        return dataclasses.replace(config, **changes) if changes else config


def read_config(path: str | None, overrides: Overrides) -> DaemonConfig:
    """The configuration to run with: ``path``, else DEFAULT_CONFIG_PATH if present, else the embedded one."""
    if path is None and os.path.exists(DEFAULT_CONFIG_PATH):
        path = DEFAULT_CONFIG_PATH
    config = load_config(path) if path is not None else default_config()
    return overrides.apply(config)


# ------------------------------------------------------------ process facts


def _read_proc(name: str) -> str | None:
    try:
        with open(f"/proc/{name}", encoding="utf-8", errors="replace") as handle:
            return handle.read().strip("\0\n ")
    except OSError:
        return None


def _loginuid(pid: int | str) -> int:
    text = _read_proc(f"{pid}/loginuid")
    return int(text) if text and text.isdigit() else 4294967295


def identity() -> logformat.Identity:
    """Who we run as, as auditd reports it in DAEMON_START (subj only when an LSM gives one)."""
    session = _read_proc("self/sessionid")
    return logformat.Identity(
        auid=_loginuid("self"), pid=os.getpid(), uid=os.getuid(),
        ses=int(session) if session and session.isdigit() else 4294967295,
        subj=_read_proc("self/attr/current") or None,
    )


def node_name(config: DaemonConfig) -> str | None:
    """The ``node=`` value for ``name_format`` (auditd's resolve_node); raises StartError."""
    form = config.name_format
    if form is NameFormat.NONE:
        return None
    if form is NameFormat.USER:
        return config.name
    host = socket.gethostname()
    if form is NameFormat.HOSTNAME:
        return host
    try:
        if form is NameFormat.FQD:
            infos = socket.getaddrinfo(host, None, flags=socket.AI_CANONNAME | socket.AI_ADDRCONFIG,
                                       type=socket.SOCK_STREAM)
            return infos[0][3] or host
        infos = socket.getaddrinfo(host, None, flags=socket.AI_ADDRCONFIG | socket.AI_PASSIVE,
                                   type=socket.SOCK_STREAM)
        return str(infos[0][4][0])
    except (OSError, IndexError) as exc:
        raise StartError(f"cannot resolve hostname {host} for name_format = {form} ({exc})") from None


def make_formatter(config: DaemonConfig) -> logformat.LineFormatter:
    enrich = None
    if config.log_format is LogFormat.ENRICHED:
        from c2audit.daemon.enriched import make_enricher

        enrich = make_enricher()
    return logformat.LineFormatter(node_name(config), enrich)


def _write_file(path: str, text: str, mode: int) -> None:
    """Write ``path`` whole (via a temporary and rename, so readers never see half of it)."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _boost_priority(boost: int, notifier: Notifier) -> None:
    if boost:
        try:
            os.nice(-boost)  # before any thread starts: threads inherit it
        except OSError as exc:
            notifier.alert(f"Cannot change priority ({exc.strerror})")


def _avoid_oom_killer() -> None:
    try:
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as handle:
            handle.write("-1000")
    except OSError:
        pass  # auditd only notes it


# ------------------------------------------------------------ the daemon


class Daemon:
    def __init__(self, config: DaemonConfig, config_path: str | None, overrides: Overrides,
                 notifier: Notifier | None = None, connect: Connect = open_socket,
                 kauditd: KauditdPriority | None = None):
        self.config = config
        self._connect = connect
        self.config_path = config_path
        self.overrides = overrides
        self.notifier = notifier or Notifier()
        self.pid_file, self.state_file = config.pid_file, config.state_file
        self.counters = Counters()
        self.channel: Channel[Control] = Channel(config.queue_depth)
        self.me = identity()
        self.started = time.time()
        self.state = "starting"
        self.kernel_locked = False
        self.control: AuditClient | None = None
        self.reader: Reader | None = None
        self.monitor: Monitor | None = None
        self.writer: Writer | None = None
        self.self_exclusion: SelfExclusion | None = None
        self.kauditd = kauditd or KauditdPriority(self.notifier.alert, Path(self.pid_file).parent / KAUDITD_MEMO)
        self._registered = False

    # -- start -----------------------------------------------------------------

    def start(self) -> None:
        """Everything up to draining; raises StartError (after cleaning up what it did)."""
        signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)  # threads inherit it: main takes them all
        self.control = AuditClient(self._connect(None))
        status = self.control.get_status()
        record_status(self.counters.kernel, status)
        self.kernel_locked = status.enabled == 2
        if status.pid and status.pid != os.getpid() and os.path.exists(f"/proc/{status.pid}"):
            raise StartError(f"another audit daemon (pid {status.pid}) is registered with the kernel")
        self.writer = Writer(self.config, self.channel, self.counters, make_formatter(self.config),
                             self.notifier, on_halt=self._halt)
        try:
            self.writer.open_log()
        except LogFileError as exc:
            raise StartError(f"cannot open the log {self.config.log_file}: {exc.strerror}") from None
        _write_file(self.pid_file, f"{os.getpid()}\n", 0o644)
        self.channel.put_control(DaemonRecord(uapi.AUDIT_DAEMON_START, logformat.start_text(
            __version__, str(self.config.log_format), os.uname().release, self.me)))
        self.writer.start()
        sock = self._connect(self.config.netlink_rcvbuf)
        self.reader = Reader(sock, self.channel, self.counters.reader, self.config.netlink_rcvbuf)
        try:
            AuditClient(sock).register()
            self._registered = True
            self.reader.start()  # draining before any other request: those may sleep on a full backlog
            self.kauditd.apply(self.config.kauditd_priority)
            self._exclude_self(self.config.exclude_self)
            self._apply_kernel_settings(self.config, startup=True)
        except (KernelError, KernelTimeout) as exc:
            op = "set-enable" if self._registered else "set-pid"
            self._abort(op, f"cannot {op.replace('-', ' ')} ({exc})")
            raise StartError(f"{op}: {exc}") from None
        self.monitor = Monitor(AuditClient(self._connect(None)), self.counters.kernel, self.channel,
                               self.config.status_interval)
        self.monitor.start()
        self.state = "running"
        self.write_state()

    def _apply_kernel_settings(
        self, config: DaemonConfig, startup: bool, old: DaemonConfig | None = None
    ) -> None:
        """Failure mode, backlog, rate limit, then enabled (at start); skipped when the kernel is locked."""
        assert self.control is not None
        if self.kernel_locked:
            self.notifier.alert("audit configuration is locked (enabled=2): kernel settings left as they are")
            return
        for name in ("failure_mode", "backlog_limit", "backlog_wait_time", "rate_limit"):
            value = getattr(config, name)
            if value is not None and (old is None or getattr(old, name) != value):
                self.control.set_status(**{"failure" if name == "failure_mode" else name: value})
        if startup and config.enable_at_start is not StartupEnable.NOCHANGE:
            self.control.set_enabled(1 if config.enable_at_start is StartupEnable.ENABLE else 0)

    def _exclude_self(self, wanted: bool) -> None:
        """(Re-)install or remove the never rules for our pid and children; failures are reported, not fatal."""
        assert self.control is not None
        if self.kernel_locked:
            if wanted:
                self.notifier.alert("audit rules are locked (enabled=2): the daemon's own processes are not excluded")
            return
        if self.self_exclusion is None:
            self.self_exclusion = SelfExclusion(self.control, os.getpid(), self.notifier.alert)
        try:
            if wanted:
                self.self_exclusion.install()
            else:
                self.self_exclusion.remove()
        except (KernelError, KernelTimeout) as exc:
            what = "exclude the daemon's own processes from" if wanted else "delete the self-exclusion rules from"
            self.notifier.alert(f"cannot {what} auditing ({exc})")

    def _restore_self_exclusion(self) -> None:
        """A self-exclusion rule was deleted (``auditctl -D`` heads most rule files): put ours back if missing."""
        assert self.reader is not None
        self.reader.self_rules_removed.clear()
        if self.self_exclusion is None or self.kernel_locked:
            return
        try:
            if self.self_exclusion.restore():
                self.notifier.alert("the self-exclusion rules were deleted from the kernel: put back")
        except (KernelError, KernelTimeout) as exc:
            self.notifier.alert(f"cannot put the self-exclusion rules back ({exc})")

    def _abort(self, op: str, reason: str) -> None:
        """DAEMON_ABORT, then let the writer finish (it writes nothing after it but DAEMON_END)."""
        self.notifier.alert(reason)
        self.channel.put_control(DaemonRecord(uapi.AUDIT_DAEMON_ABORT, logformat.abort_text(op, self.me)))
        self.shutdown(sender=None)

    def _halt(self, reason: str) -> None:
        """The writer's halt-equivalent (disk_full/disk_error/space actions single|halt)."""
        if self.reader is not None:
            self.reader.halt()
        self.notifier.alert(f"halt-equivalent: {reason}; draining stopped until SIGUSR2 (resume) or stop")

    # -- run -------------------------------------------------------------------

    def serve(self) -> int:
        """The main loop: act on signals until told to stop, or a thread fails.

        The state report is also refreshed every ``status_interval`` seconds, so
        ``c2audit ctl -s`` shows current loss counters without signalling us.
        """
        next_report = time.monotonic() + self.config.status_interval
        while True:
            info = signal.sigtimedwait(HANDLED_SIGNALS, 1.0)
            failure = self._thread_failure()
            if failure:
                self._abort("error-halt", failure)
                return EXIT_INIT_FAILED
            if self.reader is not None and self.reader.self_rules_removed.is_set():
                self._restore_self_exclusion()
            if time.monotonic() >= next_report:
                self.write_state()
                next_report = time.monotonic() + self.config.status_interval
            if info is None:
                continue
            sender = self._sender(info)
            signo = info.si_signo
            if signo in (signal.SIGTERM, signal.SIGINT):
                self.shutdown(sender)
                return 0
            if signo == signal.SIGHUP:
                self.reload(sender)
            elif signo == signal.SIGUSR1:
                self.channel.put_control(Rotate(sender))
            elif signo == signal.SIGUSR2:
                if self.reader is not None:
                    self.reader.resume()
                self.channel.put_control(Resume(sender))
            elif signo == signal.SIGCONT:
                self.write_state()

    def _thread_failure(self) -> str | None:
        for thread in (self.reader, self.writer):
            if thread is not None and (thread.exception is not None or not thread.is_alive()):
                return f"{thread.name} stopped: {thread.exception!r}"
        return None

    def _sender(self, info: signal.struct_siginfo) -> logformat.Sender | None:
        """Who sent the signal: the kernel's record when it keeps one, else the siginfo."""
        if info.si_signo in KERNEL_RECORDED and self.control is not None:
            try:
                sig = self.control.signal_info()
                return logformat.Sender(sig.uid, sig.pid, sig.context)
            except (KernelError, KernelTimeout):
                pass
        return logformat.Sender(_loginuid(info.si_pid), info.si_pid, "") if info.si_pid else None

    def reload(self, sender: logformat.Sender | None) -> None:
        try:
            new = read_config(self.config_path, self.overrides)
            formatter = make_formatter(new)
        except (ConfigError, StartError) as exc:
            self.notifier.alert(f"reconfigure failed: {exc}")
            self.channel.put_control(DaemonRecord(uapi.AUDIT_DAEMON_CONFIG,
                                                  logformat.reconfigure_text(sender, ok=False)))
            return
        new = dataclasses.replace(new, pid_file=self.pid_file, state_file=self.state_file)
        try:
            self._apply_kernel_settings(new, startup=False, old=self.config)
        except (KernelError, KernelTimeout) as exc:
            self.notifier.alert(f"reconfigure: kernel settings not applied ({exc})")
        self.kauditd.apply(new.kauditd_priority)
        if new.exclude_self or self.config.exclude_self:
            self._exclude_self(new.exclude_self)  # re-installed: an `auditctl -D` since start removed them too
        if self.reader is not None and new.netlink_rcvbuf != self.config.netlink_rcvbuf:
            self.reader.rcvbuf = new.netlink_rcvbuf
            if not self.reader.halted:
                self.reader.resume()  # re-applies the buffer size
        if self.monitor is not None:
            self.monitor.interval = new.status_interval
        self.config = new
        self.channel.put_control(Reconfigure(new, formatter, sender))

    # -- stop ------------------------------------------------------------------

    def shutdown(self, sender: logformat.Sender | None) -> None:
        self.state = "stopping"
        if self.writer is not None:
            self.writer.end_text = logformat.end_text(sender)
        if self.reader is not None and self.reader.halted:
            self.reader.resume()  # never send requests while not draining (see module doc)
        writer_gone = self.writer is None or not self.writer.is_alive()
        if writer_gone:
            self.channel.close()  # nobody takes batches: the reader must not wait for room
        self._leave_kernel()
        self.kauditd.restore()
        if self.reader is not None:
            self.reader.stop()
            if self.reader.is_alive():
                self.reader.join(JOIN_SECONDS)
        if self.monitor is not None:
            self.monitor.stop()
            self.monitor.poll()
            self.monitor.client.close()
        self.channel.put_control(LossCheck())
        self.channel.close()
        if self.writer is not None and self.writer.is_alive():
            self.writer.join(JOIN_SECONDS)
        if writer_gone:
            self.counters.writer.records_dropped_write_error += self.channel.discard()
        self.state = "stopped"
        self.write_state()
        self._close()

    def _leave_kernel(self) -> None:
        if self.control is None or not self._registered:
            return
        if self.self_exclusion is not None:
            self._exclude_self(False)  # while registered: the removal's CONFIG_CHANGE lands in our log
        try:
            if self.config.enabled_at_exit is not ExitEnable.KEEP and not self.kernel_locked:
                self.control.set_enabled(int(self.config.enabled_at_exit.value))
        except (KernelError, KernelTimeout) as exc:
            self.notifier.alert(f"cannot set enabled at exit ({exc})")
        self._let_kauditd_send()
        try:
            self.control.unregister()
            self._registered = False
        except (KernelError, KernelTimeout) as exc:
            self.notifier.alert(f"cannot unregister the audit pid ({exc})")

    def _let_kauditd_send(self) -> None:
        """Wait (briefly) until the kernel's queue is empty, so the records of our last requests reach us.

        The kernel queues CONFIG_CHANGE records and sends them from kauditd; one
        still queued when we unregister goes to the kernel log instead of ours.
        Bounded: other activity may keep the queue from ever emptying.
        """
        assert self.control is not None
        for _ in range(SETTLE_POLLS):
            try:
                if self.control.get_status().backlog == 0:
                    return
            except (KernelError, KernelTimeout):
                return
            time.sleep(SETTLE_SECONDS)

    def _close(self) -> None:
        for path in (self.pid_file,):
            try:
                os.unlink(path)
            except OSError:
                pass
        if self.reader is not None:
            self.reader.sock.close()
        if self.control is not None:
            self.control.close()

    # -- state report ------------------------------------------------------------

    def write_state(self) -> None:
        """The SIGCONT report (also written at start and stop), 0640 like auditd's."""
        try:
            _write_file(self.state_file, render_state(self.state_lines()), 0o640)
        except OSError as exc:
            self.notifier.alert(f"cannot write the state report {self.state_file}: {exc.strerror}")

    def state_lines(self) -> list[tuple[str, object]]:
        times = os.times()
        policy = self.writer.policy if self.writer is not None else None
        process: dict[str, object] = {
            "time": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "version": __version__,
            "pid": os.getpid(),
            "state": self.state,
            "config": self.config.source,
            "uptime_seconds": time.time() - self.started,
            "cpu_user_seconds": times.user,
            "cpu_system_seconds": times.system,
            "socket_rcvbuf": self._socket_rcvbuf(),
            "queue_batches": len(self.channel),
            "queue_depth": self.channel.depth,
            "reader_halted": bool(self.reader and self.reader.halted),
            "self_exclusion_rules": len(self.self_exclusion.installed) if self.self_exclusion else 0,
            "kauditd_pid": self.kauditd.pid or 0,
            "kauditd_scheduling": self.kauditd.describe(),
        }
        logging: dict[str, object] = {
            "log_file": self.config.log_file,
            "log_format": str(self.config.log_format),
            "writing_logs": bool(policy and policy.writing),
            "logging_suspended": bool(policy and policy.suspended),
            "halted": (policy.halted if policy and policy.halted else False),
            "space_left_action_performed": bool(policy and policy.space_warning),
            "admin_space_left_action_performed": bool(policy and policy.admin_space_warning),
            "disk_full": bool(policy and policy.disk_full),
            "disk_error_count": policy.disk_errors if policy else 0,
        }
        return state_values(self.counters, process, logging)

    def _socket_rcvbuf(self) -> int:
        if self.reader is None:
            return 0
        try:
            return self.reader.sock.receive_buffer()
        except OSError:  # closed at stop
            return 0


def run(config_path: str | None, overrides: Overrides) -> int:
    """Run the daemon in the foreground until stopped; the exit status (auditd's codes)."""
    try:
        config = read_config(config_path, overrides)
    except ConfigError as exc:
        print(f"c2audit daemon: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    daemon = Daemon(config, config_path, overrides)
    _boost_priority(config.priority_boost, daemon.notifier)  # before any thread: they inherit it
    _avoid_oom_killer()
    for name, line in config.ignored:
        daemon.notifier.alert(f"{config.source}:{line}: {name} has no effect in c2audit (ignored)")
    try:
        daemon.start()
    except (StartError, OSError) as exc:
        daemon.notifier.alert(f"cannot start: {exc}")
        if daemon.writer is not None and daemon.writer.is_alive():
            daemon.shutdown(sender=None)
        else:
            daemon._close()
        return EXIT_INIT_FAILED
    try:
        status = daemon.serve()
    finally:
        daemon.kauditd.restore()  # done already by a clean stop; this covers a crash of the main loop
    times = os.times()
    print(f"c2audit daemon: stopped; cpu user {times.user:.2f} s system {times.system:.2f} s; "
          f"records received {daemon.counters.reader.records_received}, lines written "
          f"{daemon.counters.writer.lines_written}, dropped {daemon.counters.writer.records_dropped}, "
          f"kernel lost since start {daemon.counters.kernel.lost_since_start}", file=sys.stderr)
    return status
