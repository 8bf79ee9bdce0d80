"""The writer thread: formats record batches and writes them, one ``write`` per batch.

It owns the log file and the :class:`~c2audit.daemon.disk.DiskPolicy`; it is
the only thread that touches the disk (besides the ``incremental_async``
flusher, which only calls ``fsync``).  Flushing follows ``flush``/``freq``:
``incremental`` fsyncs here every ``freq`` records, ``incremental_async`` asks
the flusher thread to, ``data``/``sync`` open the log ``O_DSYNC``/``O_SYNC`` so
every batch is on disk before the next one is taken.

Loss is reported, never silent: whatever the writer cannot write (logging
suspended, a halt-equivalent, a failed write) is counted by reason, and as soon
as it can write again it writes a ``DAEMON_ERR op=lost src=daemon`` record with
the count; a rise of the kernel's ``lost`` counter (seen by the monitor) becomes
a ``DAEMON_ERR op=lost src=kernel`` record the same way.

``exec`` actions start their script with ``posix_spawn`` in a new session,
signals unblocked and ``/dev/null`` for stdio, and never wait for it: the reader
keeps draining the kernel whatever the script does, so the script's own audit
events (it is not the audit pid, so the kernel may hold it back in
``backlog_wait_time``) are drained like anyone's and cannot deadlock us.
"""
from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from c2audit.daemon import logformat
from c2audit.daemon.channel import Batch, Channel
from c2audit.daemon.config import DaemonConfig, FlushMode, SizeAction
from c2audit.daemon.disk import DiskPolicy, Kind, Step
from c2audit.daemon.logfile import AuditLogFile, LogFileError, PartialWrite
from c2audit.daemon.state import Counters
from c2audit.tables import uapi

IDLE_SECONDS = 1.0  # how often an idle writer reaps children and re-checks free space
SPACE_CHECK_BYTES = 256 * 1024  # free space is checked after this much is written (and when idle)
WRITE_BYTES = 256 * 1024  # queued batches are joined into writes of about this size


# ---------------------------------------------------------------- control items


@dataclass(frozen=True)
class DaemonRecord:
    """A record of the daemon's own (DAEMON_START ...), stamped when written."""

    msg_type: int
    text: str


@dataclass(frozen=True)
class Rotate:
    """SIGUSR1: rotate now (``keep_logs`` shifts instead), then log DAEMON_ROTATE."""

    sender: logformat.Sender | None


@dataclass(frozen=True)
class Resume:
    """SIGUSR2: try writing again, then log DAEMON_RESUME."""

    sender: logformat.Sender | None


@dataclass(frozen=True)
class Reconfigure:
    """SIGHUP with a valid file: apply it, then log DAEMON_CONFIG."""

    config: DaemonConfig
    formatter: logformat.LineFormatter
    sender: logformat.Sender | None


@dataclass(frozen=True)
class LossCheck:
    """The kernel's lost counter may have risen: write a loss record for the rise."""


Control = DaemonRecord | Rotate | Resume | Reconfigure | LossCheck


class Notifier:
    """Where administrator alerts go: stderr (the journal, for a foreground daemon) and syslog."""

    def __init__(self, use_syslog: bool = True):
        self._syslog = None
        if use_syslog:
            import syslog

            syslog.openlog("c2audit", syslog.LOG_PID, syslog.LOG_DAEMON)
            self._syslog = syslog

    def alert(self, message: str) -> None:
        print(f"c2audit: {message}", file=sys.stderr, flush=True)
        if self._syslog is not None:
            self._syslog.syslog(self._syslog.LOG_ALERT, message)


class AsyncFlusher(threading.Thread):
    """``flush = incremental_async``: fsync in the background when the writer asks."""

    def __init__(self, lock: threading.Lock, log: AuditLogFile):
        super().__init__(name="c2audit-flush", daemon=True)
        self._lock, self._log = lock, log
        self._wanted = threading.Event()
        self._stopping = False

    def request(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stopping = True
        self._wanted.set()
        self.join()

    def run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            with self._lock:
                if self._log.is_open:
                    try:
                        self._log.sync()
                    except OSError:
                        pass  # the next write reports the disk error


class Writer(threading.Thread):
    """Takes batches and control items from the channel until it is closed and empty."""

    def __init__(
        self,
        config: DaemonConfig,
        channel: Channel[Control],
        counters: Counters,
        formatter: logformat.LineFormatter,
        notifier: Notifier,
        on_halt: Callable[[str], None] = lambda reason: None,
        serial: logformat.DaemonSerial | None = None,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(name="c2audit-writer", daemon=True)
        self.config = config
        self.channel = channel
        self.counters = counters
        self.formatter = formatter
        self.notifier = notifier
        self.policy = DiskPolicy(config)
        self.log = AuditLogFile(config.log_file, config.log_group, config.flush)
        self._on_halt = on_halt
        self._serial = serial or logformat.DaemonSerial()
        self._clock = clock
        self._lock = threading.Lock()  # the log fd, against the async flusher
        self._flusher: AsyncFlusher | None = None
        self._since_flush = 0
        self._since_space_check = 0
        self._unreported = {"suspended": 0, "halted": 0, "write-error": 0}
        self._children: list[int] = []
        self.end_text = logformat.end_text(None)
        self.exception: BaseException | None = None

    # -- life cycle ----------------------------------------------------------

    def open_log(self) -> None:
        """Open the log before the thread starts (so the daemon fails early), trim excess logs."""
        if not self.config.write_logs:
            return
        repaired = self.log.open()
        self.counters.writer.log_size = self.log.size
        if repaired:
            self._write_daemon(uapi.AUDIT_DAEMON_ERR, logformat.repair_text(repaired))
        if self.config.num_logs > 1 and self.config.max_log_file_action is SizeAction.ROTATE:
            for name in self.log.remove_excess(self.config.num_logs):
                self.notifier.alert(f"Log {name} removed as it exceeds num_logs parameter")
        self._check_space()
        self._start_flusher()

    def _start_flusher(self) -> None:
        if self.config.flush is FlushMode.INCREMENTAL_ASYNC and self._flusher is None:
            self._flusher = AsyncFlusher(self._lock, self.log)
            self._flusher.start()

    def _stop_flusher(self) -> None:
        if self._flusher is not None:
            self._flusher.stop()
            self._flusher = None

    def run(self) -> None:
        try:
            while True:
                item = self.channel.get(IDLE_SECONDS)
                if item is None:
                    if self.channel.finished:
                        break
                    self._idle()
                elif isinstance(item, list):
                    self._write_batches(item)
                else:
                    self._control(item)
                self.counters.writer.writer_cpu_seconds = time.thread_time()
        except BaseException as exc:  # noqa: BLE001 - reported by the daemon, which then stops
            self.exception = exc
            self.notifier.alert(f"writer failed: {exc!r}")
        finally:
            self._finish()

    def _finish(self) -> None:
        self._report_losses()
        self._write_daemon(uapi.AUDIT_DAEMON_END, self.end_text)
        self._stop_flusher()
        with self._lock:
            try:
                self.log.close(sync=True)
            except OSError as exc:
                self.notifier.alert(f"closing the log: {exc}")
        self._reap(wait=False)

    # -- records -------------------------------------------------------------

    def _write_batches(self, batches: list[Batch]) -> None:
        """Everything queued, in writes of about WRITE_BYTES (the size and space checks run between)."""
        chunk: list[bytes] = []
        size = records = 0
        for batch in batches:
            data = self.formatter.lines(batch)
            chunk.append(data)
            size += len(data)
            records += len(batch)
            if size >= WRITE_BYTES:
                self._write_chunk(b"".join(chunk), records)
                chunk, size, records = [], 0, 0
        if chunk:
            self._write_chunk(b"".join(chunk), records)

    def _write_chunk(self, data: bytes, records: int) -> None:
        lines = data.count(b"\n")
        self.counters.writer.records_not_logged += records - lines
        if lines:
            self._report_losses()
            self._write(data, lines)

    def _write_daemon(self, msg_type: int, text: str) -> None:
        payload = logformat.daemon_payload(text, self._clock(), self._serial.next())
        self._write(self.formatter.line(msg_type, payload), 1)

    def _drop(self, lines: int, reason: str) -> None:
        writer = self.counters.writer
        if reason == "halted":
            writer.records_dropped_halted += lines
        elif reason == "suspended":
            writer.records_dropped_suspended += lines
        else:
            writer.records_dropped_write_error += lines
        self._unreported[reason] += lines

    def _write(self, data: bytes, lines: int) -> None:
        if not self.config.write_logs:
            self.counters.writer.records_not_logged += lines
            return
        if not self.policy.writing or not self.log.is_open:
            self._drop(lines, "halted" if self.policy.halted else "suspended")
            return
        writer = self.counters.writer
        try:
            self.log.append(data)
        except PartialWrite as exc:
            writer.lines_written += lines - exc.lost_lines
            writer.bytes_written += exc.kept
            writer.log_size = self.log.size
            self._drop(exc.lost_lines, "write-error")
            self._disk_failure("write", exc)
            return
        self.policy.on_write_ok()
        writer.lines_written += lines
        writer.bytes_written += len(data)
        writer.log_size = self.log.size
        self._flush_after(lines)
        self._carry_out(self.policy.check_size(self.log.size))
        self._since_space_check += len(data)
        if self._since_space_check >= SPACE_CHECK_BYTES:
            self._check_space()

    def _flush_after(self, lines: int) -> None:
        mode = self.config.flush
        if mode not in (FlushMode.INCREMENTAL, FlushMode.INCREMENTAL_ASYNC):
            return
        self._since_flush += lines
        if self._since_flush < self.config.freq:
            return
        self._since_flush = 0
        self.counters.writer.flushes += 1
        if mode is FlushMode.INCREMENTAL_ASYNC and self._flusher is not None:
            self._flusher.request()
            return
        try:
            with self._lock:
                self.log.sync()
        except OSError as exc:
            self._disk_failure("fsync", exc)

    def _report_losses(self) -> None:
        """Write loss records for what was dropped or lost since the last ones, if we can write.

        A loss record that does not fit is not itself counted as a drop: its
        count stays unreported and the next chance writes it.
        """
        if not (self.config.write_logs and self.policy.writing and self.log.is_open):
            return
        writer, kernel = self.counters.writer, self.counters.kernel
        totals = {"halted": writer.records_dropped_halted, "suspended": writer.records_dropped_suspended,
                  "write-error": writer.records_dropped_write_error}
        for reason, count in self._unreported.items():
            if count and self._write_loss(logformat.lost_text("daemon", reason, count, totals[reason])):
                self._unreported[reason] -= count
        rise = kernel.lost_since_start - writer.kernel_lost_reported
        if rise > 0 and self._write_loss(logformat.lost_text(
                "kernel", "lost-counter", rise, kernel.lost_since_start,
                kernel_lost=kernel.lost, backlog=kernel.backlog, backlog_limit=kernel.backlog_limit)):
            writer.kernel_lost_reported += rise

    def _write_loss(self, text: str) -> bool:
        payload = logformat.daemon_payload(text, self._clock(), self._serial.next())
        line = self.formatter.line(uapi.AUDIT_DAEMON_ERR, payload)
        try:
            self.log.append(line)
        except PartialWrite as exc:
            self._disk_failure("write", exc)
            return False
        writer = self.counters.writer
        writer.lines_written += 1
        writer.bytes_written += len(line)
        writer.log_size = self.log.size
        return True

    # -- disk trouble --------------------------------------------------------

    def _disk_failure(self, operation: str, exc: OSError) -> None:
        self.counters.writer.disk_errors += 1
        self.counters.writer.last_error = f"{operation}: {exc.strerror or exc}"
        if exc.errno == errno.ENOSPC:
            self._carry_out(self.policy.on_disk_full())
        else:
            self._carry_out(self.policy.on_disk_error(operation, exc.strerror or str(exc)))

    def _check_space(self) -> None:
        self._since_space_check = 0
        if not self.log.is_open:
            return
        try:
            space = self.log.space()
        except OSError:
            return  # auditd: an inconvenience, not actionable; the write itself will tell
        self._carry_out(self.policy.check_space(space.avail_bytes, space.total_bytes, space.block_size))

    def _carry_out(self, steps: list[Step]) -> None:
        for step in steps:
            self.notifier.alert(step.message)
            if step.kind in (Kind.ROTATE, Kind.SHIFT):
                self._rotate(shift=step.kind is Kind.SHIFT)
            elif step.kind is Kind.EXEC and step.exe:
                self._close_for_script()
                self._spawn(step.exe)
            elif step.kind is Kind.HALT:
                self._on_halt(self.policy.halted or "halt")

    def _rotate(self, shift: bool) -> None:
        if not shift and self.config.num_logs < 2:
            self.notifier.alert("Log rotation disabled (num_logs < 2), skipping")
            return
        self.counters.writer.rotations += 1
        try:
            with self._lock:
                if shift:
                    self.log.shift()
                else:
                    self.log.rotate(self.config.num_logs)
            self.policy.on_rotated()
        except LogFileError as exc:
            self._disk_failure(exc.operation, exc)
        self.counters.writer.log_size = self.log.size

    def _close_for_script(self) -> None:
        """auditd closes the log before an exec action, in case the script moves or compresses it."""
        with self._lock:
            try:
                self.log.close(sync=True)
            except OSError:
                pass

    def _spawn(self, exe: str) -> None:
        try:
            pid = os.posix_spawn(
                exe, [exe], {},
                file_actions=[(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)],
                setsid=True, setsigmask=(), setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
            )
        except OSError as exc:
            self.notifier.alert(f"Audit daemon failed to exec {exe} ({exc.strerror})")
            return
        self._children.append(pid)

    def _reap(self, wait: bool) -> None:
        for pid in list(self._children):
            try:
                done, _status = os.waitpid(pid, 0 if wait else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._children.remove(pid)

    def _idle(self) -> None:
        self._reap(wait=False)
        if self.policy.writing:
            self._report_losses()
            self._check_space()

    # -- control items -------------------------------------------------------

    def _control(self, item: Control) -> None:
        if isinstance(item, DaemonRecord):
            self._report_losses()
            self._write_daemon(item.msg_type, item.text)
        elif isinstance(item, Rotate):
            self._rotate(shift=self.config.max_log_file_action is SizeAction.KEEP_LOGS)
            self._write_daemon(uapi.AUDIT_DAEMON_ROTATE, logformat.rotate_text(item.sender))
        elif isinstance(item, Resume):
            self._resume()
            self._write_daemon(uapi.AUDIT_DAEMON_RESUME, logformat.resume_text(item.sender))
        elif isinstance(item, Reconfigure):
            self._reconfigure(item)
        elif isinstance(item, LossCheck):
            self._report_losses()

    def _reopen(self) -> None:
        with self._lock:
            if self.log.is_open:
                self.log.close(sync=True)
            self.log = AuditLogFile(self.config.log_file, self.config.log_group, self.config.flush)
            if self.config.write_logs:
                self.log.open()
        self.counters.writer.log_size = self.log.size

    def _resume(self) -> None:
        self.policy.resume()
        self.notifier.alert("Audit daemon is attempting to resume logging.")
        try:
            if not self.log.is_open:
                self._reopen()
        except LogFileError as exc:
            self._disk_failure("resume", exc)
            return
        self._check_space()
        self._report_losses()

    def _reconfigure(self, item: Reconfigure) -> None:
        old, new = self.config, item.config
        self.config, self.formatter = new, item.formatter
        self.policy.reconfigure(new)
        file_settings = ("log_file", "log_group", "flush", "write_logs")
        if any(getattr(old, name) != getattr(new, name) for name in file_settings):
            self._stop_flusher()
            try:
                self._reopen()
            except LogFileError as exc:
                self._disk_failure("reconfig", exc)
        self._start_flusher()
        self._carry_out(self.policy.check_size(self.log.size))
        self._check_space()
        self._write_daemon(uapi.AUDIT_DAEMON_CONFIG, logformat.reconfigure_text(item.sender, ok=True))
