"""What to do when the log grows, the disk fills or a write fails: policy, no I/O.

:class:`DiskPolicy` follows auditd-event.c (``check_log_file_size``,
``check_space_left``, ``do_space_left_action``, ``do_disk_full_action``,
``do_disk_error_action``): the writer reports sizes, free space and errors; the
policy answers with :class:`Step` values and the writer carries them out.  It
keeps auditd's latches (an action fires once until space comes back, logging is
resumed, or the configuration is reloaded; ``syslog`` for disk errors warns at
most five times in a row).

``single`` and ``halt`` never touch the run level here: c2audit shares machines
with other work and its tests run on a shared VM.  Their equivalent is
:attr:`Kind.HALT`: the daemon stops writing *and stops draining the kernel*, so
no record is taken from the kernel that cannot be written, and the kernel's own
policy takes over -- its backlog fills, ``backlog_wait_time`` holds audited
processes back, then the kernel counts ``lost`` and applies its failure mode
(``-f 1`` printk, ``-f 2`` panic: the real halt, if the administrator chose it).
``suspend`` keeps auditd's meaning: the daemon stays alive and drains the
kernel, and every record it cannot write is counted and reported as lost.
``email`` behaves as ``syslog`` (c2audit sends no mail).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from c2audit.daemon.config import MIB, ActionSpec, DaemonConfig, FailureAction, SizeAction

MAX_DISK_ERROR_WARNINGS = 5  # auditd: "no more than 5 consecutive warnings"
MIN_FREE_BLOCKS = 5  # auditd never consumes the last 5 blocks


class Kind(enum.Enum):
    SYSLOG = "syslog"  # an alert for the administrator (syslog and stderr)
    ROTATE = "rotate"  # rotate now, keeping num_logs
    SHIFT = "shift"  # keep_logs: rotate without deleting anything
    SUSPEND = "suspend"  # stop writing; keep draining; count what is not written
    EXEC = "exec"  # run the configured script (logging is suspended until SIGUSR2)
    HALT = "halt"  # single/halt equivalent: stop writing and draining (see module doc)


@dataclass(frozen=True)
class Step:
    kind: Kind
    message: str
    exe: str | None = None


class DiskPolicy:
    """auditd's disk and size decisions, with the latches that keep them from repeating."""

    def __init__(self, config: DaemonConfig):
        self.config = config
        self.suspended = False  # no writing until resumed (suspend, exec)
        self.halted: str | None = None  # "single"/"halt" and why, once a halt-equivalent fired
        self.space_warning = False  # space_left action performed
        self.admin_space_warning = False  # admin_space_left action performed
        self.disk_full = False  # disk_full action performed (auditd's !fs_space_left)
        self.disk_errors = 0  # consecutive disk errors
        self.size_warned = False  # max_log_file syslog/rotation-disabled already said

    @property
    def writing(self) -> bool:
        return self.config.write_logs and not self.suspended and self.halted is None

    def reconfigure(self, config: DaemonConfig) -> None:
        """A reloaded configuration re-arms every latch, as auditd's reconfigure does."""
        self.config = config
        self.resume()

    def resume(self) -> None:
        """SIGUSR2 (and a successful reconfigure): try writing again, re-arm the actions."""
        self.suspended = False
        self.halted = None
        self.space_warning = self.admin_space_warning = self.disk_full = False
        self.disk_errors = 0
        self.size_warned = False

    # -- checks --------------------------------------------------------------

    def check_size(self, log_size: int) -> list[Step]:
        """After a write: has the log reached ``max_log_file``?"""
        limit = self.config.max_log_file
        if not limit or log_size < limit * MIB:
            return []
        action = self.config.max_log_file_action
        if action is SizeAction.ROTATE:
            if self.config.num_logs > 1:
                return [Step(Kind.ROTATE, "Audit daemon rotating log files")]
            return self._warn_once("Audit log reached max_log_file but num_logs < 2: rotation disabled")
        if action is SizeAction.KEEP_LOGS:
            return [Step(Kind.SHIFT, "Audit daemon rotating log files with keep option")]
        if action is SizeAction.SUSPEND:
            return self._suspend("Audit daemon is suspending logging due to logfile size.")
        if action is SizeAction.SYSLOG:
            return self._warn_once("Audit daemon log file is larger than max size")
        return []

    def check_space(self, avail_bytes: int, total_bytes: int, block_size: int) -> list[Step]:
        """After some writes: free space on the log's file system against the thresholds."""
        if avail_bytes < MIN_FREE_BLOCKS * block_size:
            return self.on_disk_full() if not self.disk_full else []
        steps: list[Step] = []
        for admin in (False, True):
            threshold = self.config.admin_space_left if admin else self.config.space_left
            action = self.config.admin_space_left_action if admin else self.config.space_left_action
            warned = self.admin_space_warning if admin else self.space_warning
            if threshold.value and avail_bytes < threshold.bytes_for(total_bytes):
                if not warned:
                    self._set_space_warning(admin, True)
                    steps += self._space_action(action, admin)
            elif warned and action.action in (FailureAction.SYSLOG, FailureAction.ROTATE):
                self._set_space_warning(admin, False)  # auto re-arm once space is back
        return steps

    def on_disk_full(self) -> list[Step]:
        """A write failed with ENOSPC (or free space fell under the last blocks)."""
        if self.disk_full:
            return []
        self.disk_full = True
        steps = [Step(Kind.SYSLOG, "Audit daemon has no space left on logging partition")]
        if self.config.disk_full_action.action in (FailureAction.IGNORE, FailureAction.SYSLOG):
            return steps  # auditd: ignore and syslog both only say so
        return steps + self._failure_action(
            self.config.disk_full_action,
            "Audit daemon is suspending logging due to no space left on logging partition.",
            "no space left on logging partition",
        )

    def on_disk_error(self, operation: str, error: str) -> list[Step]:
        """A write, flush, rotation or reopen failed for another reason than ENOSPC."""
        self.disk_errors += 1
        spec = self.config.disk_error_action
        if spec.action in (FailureAction.SYSLOG, FailureAction.EMAIL):
            if self.disk_errors > MAX_DISK_ERROR_WARNINGS:
                return []
            return [Step(Kind.SYSLOG,
                         f"{operation}: Audit daemon detected an error writing an event to disk ({error})")]
        return self._failure_action(
            spec,
            "Audit daemon is suspending logging due to previously mentioned write error",
            f"{operation} error ({error})",
        )

    def on_write_ok(self) -> None:
        self.disk_errors = 0

    def on_rotated(self) -> None:
        self.size_warned = False

    # -- helpers -------------------------------------------------------------

    def _set_space_warning(self, admin: bool, value: bool) -> None:
        if admin:
            self.admin_space_warning = value
        else:
            self.space_warning = value

    def _warn_once(self, message: str) -> list[Step]:
        if self.size_warned:
            return []
        self.size_warned = True
        return [Step(Kind.SYSLOG, message)]

    def _suspend(self, message: str) -> list[Step]:
        self.suspended = True
        return [Step(Kind.SUSPEND, message)]

    def _space_action(self, spec: ActionSpec, admin: bool) -> list[Step]:
        low = "very low" if admin else "low"
        if spec.action in (FailureAction.SYSLOG, FailureAction.EMAIL):
            return [Step(Kind.SYSLOG, f"Audit daemon is {low} on disk space for logging")]
        return self._failure_action(
            spec,
            "Audit daemon is suspending logging due to low disk space.",
            f"{'admin_space_left' if admin else 'space_left'} reached",
        )

    def _failure_action(self, spec: ActionSpec, suspend_message: str, why: str) -> list[Step]:
        action = spec.action
        if action is FailureAction.ROTATE:
            if self.config.num_logs > 1:
                return [Step(Kind.ROTATE, "Audit daemon rotating log files")]
            return [Step(Kind.SYSLOG, f"{why}: rotate requested but num_logs < 2")]
        if action is FailureAction.EXEC:
            self.suspended = True  # the script resumes logging (SIGUSR2) when done
            return [Step(Kind.EXEC, f"{why}: running {spec.exe}", spec.exe)]
        if action is FailureAction.SUSPEND:
            return self._suspend(suspend_message)
        if action in (FailureAction.SINGLE, FailureAction.HALT):
            self.halted = f"{action} ({why})"
            return [Step(Kind.HALT, f"{why}: {action} requested; c2audit stops writing and draining, "
                                    "the kernel's backlog and failure mode take over")]
        if action in (FailureAction.SYSLOG, FailureAction.EMAIL):
            return [Step(Kind.SYSLOG, why)]
        return []
