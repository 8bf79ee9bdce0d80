"""The audit log file: create, append whole lines, rotate, measure free space.

Follows auditd-event.c's file handling: the log is opened
``O_WRONLY|O_APPEND|O_NOFOLLOW|O_CLOEXEC`` (plus ``O_DSYNC`` for ``flush = data``
and ``O_SYNC`` for ``flush = sync``), mode 0600, or 0640 and group
``log_group`` when one is set; rotated logs are made read-only (0400/0440);
rotation renames ``log.(n-1)`` -> ``log.n`` ... ``log`` -> ``log.1`` keeping
``num_logs`` files in all, and ``keep_logs`` shifts without deleting.

Nothing already written is lost and the log always ends on a whole line: a
batch that fails part-way (ENOSPC, EIO) is cut back to its last complete line
and the caller learns how many lines did not make it; a log found ending inside
a line at open (a crash mid-write) gets a newline so the next record starts on
its own line.  Unlike auditd, an existing log directory's mode is left alone
(auditd chmods it, which is harmful when ``log_file`` sits in e.g. ``/tmp``); a
missing one is created 0700 (0750 with ``log_group``).
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass

from c2audit.daemon.config import FlushMode

TAIL_SCAN = 1 << 16  # how far back to look for the last newline of a damaged log


class PartialWrite(OSError):
    """A batch that did not fully reach the log: ``kept`` bytes (whole lines) did, ``lost_lines`` did not."""

    def __init__(self, err: int, strerror: str, kept: int, lost_lines: int):
        super().__init__(err, strerror)
        self.kept, self.lost_lines = kept, lost_lines


class LogFileError(OSError):
    """Opening, rotating or reopening the log failed; ``operation`` says which step."""

    def __init__(self, operation: str, exc: OSError):
        super().__init__(exc.errno, f"{operation}: {exc.strerror or exc}", exc.filename)
        self.operation = operation


@dataclass(frozen=True)
class Space:
    avail_bytes: int
    total_bytes: int
    block_size: int


class AuditLogFile:
    """One open audit log; the writer thread is its only user."""

    def __init__(self, path: str, group: int = 0, flush: FlushMode = FlushMode.NONE):
        self.path, self.group, self.flush = path, group, flush
        self.fd = -1
        self.size = 0
        self._last_shift = 1

    # -- open / close --------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.fd >= 0

    def _mode(self, writable: bool) -> int:
        mode = 0o600 if writable else 0o400
        return mode | (0o040 if self.group else 0)

    def open(self) -> int:
        """Open (creating it and its directory if needed); return the bytes of a damaged last line."""
        directory = os.path.dirname(self.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, mode=0o750 if self.group else 0o700, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_CREAT
            if self.flush is FlushMode.DATA:
                flags |= os.O_DSYNC
            elif self.flush is FlushMode.SYNC:
                flags |= os.O_SYNC
            fd = os.open(self.path, flags, self._mode(True))
        except OSError as exc:
            raise LogFileError("open", exc) from exc
        try:
            os.fchmod(fd, self._mode(True))
            if self.group:
                os.fchown(fd, -1, self.group)
            self.size = os.fstat(fd).st_size
            self.fd = fd
            return self._repair_tail()
        except OSError as exc:
            os.close(fd)
            self.fd = -1
            raise LogFileError("open", exc) from exc

    def _repair_tail(self) -> int:
        if not self.size:
            return 0
        with open(self.path, "rb") as reader:
            start = max(0, self.size - TAIL_SCAN)
            reader.seek(start)
            tail = reader.read(self.size - start)
        if tail.endswith(b"\n"):
            return 0
        partial = len(tail) - (tail.rfind(b"\n") + 1)
        self.append(b"\n")
        return partial

    def close(self, sync: bool = True) -> None:
        if self.fd < 0:
            return
        fd, self.fd = self.fd, -1
        try:
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    # -- writing -------------------------------------------------------------

    def append(self, data: bytes) -> None:
        """Write whole lines; on failure cut back to the last whole line and raise PartialWrite."""
        done, total, view = 0, len(data), memoryview(data)
        try:
            while done < total:
                written = os.write(self.fd, view[done:])
                if written <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                done += written
        except OSError as exc:
            kept = data.rfind(b"\n", 0, done) + 1
            if kept != done:
                try:
                    os.ftruncate(self.fd, self.size + kept)
                except OSError:
                    pass  # the next open repairs the tail
            self.size += kept
            raise PartialWrite(exc.errno or errno.EIO, exc.strerror or str(exc), kept,
                               data.count(b"\n", kept)) from exc
        self.size += done

    def sync(self) -> None:
        os.fsync(self.fd)

    def space(self) -> Space:
        stats = os.fstatvfs(self.fd)
        return Space(stats.f_bavail * stats.f_frsize, stats.f_blocks * stats.f_frsize, stats.f_frsize)

    # -- rotation ------------------------------------------------------------

    def _name(self, index: int) -> str:
        return f"{self.path}.{index}"

    def rotate(self, num_logs: int) -> None:
        """``log`` -> ``log.1`` ..., keeping ``num_logs`` files; reopen a fresh log.

        Raises LogFileError after doing what it could: a failed rename leaves
        the current log in place (writable again) and appending goes on.
        """
        failure: LogFileError | None = None
        if self.fd >= 0:
            try:
                os.fchmod(self.fd, self._mode(False))
            except OSError:
                pass  # not fatal: auditd only warns
            self.close()
        for index in range(num_logs - 1, 1, -1):
            try:
                os.rename(self._name(index - 1), self._name(index))
            except FileNotFoundError:
                pass
            except OSError as exc:
                failure = failure or LogFileError("rotate", exc)
        try:
            os.rename(self.path, self._name(1))
        except FileNotFoundError:
            pass
        except OSError as exc:
            failure = failure or LogFileError("rotate", exc)
            try:
                os.chmod(self.path, self._mode(True))
            except OSError:
                pass
        try:
            self.open()
        except LogFileError as exc:
            raise LogFileError("reopen", exc) from exc
        if failure:
            raise failure

    def shift(self) -> None:
        """``keep_logs``: rotate without deleting, numbering past the oldest log there is."""
        index = self._last_shift
        while os.path.exists(self._name(index)):
            index += 1
        if index <= self._last_shift and self._last_shift > 1:  # our last known log disappeared
            index = 1
            while os.path.exists(self._name(index)):
                index += 1
        self._last_shift = index
        self.rotate(index + 1)

    def remove_excess(self, num_logs: int) -> list[str]:
        """Delete ``log.num_logs`` and beyond (left by a larger num_logs before); return their names."""
        removed = []
        index = num_logs
        while True:
            name = self._name(index)
            try:
                os.unlink(name)
            except OSError:
                return removed
            removed.append(name)
            index += 1
