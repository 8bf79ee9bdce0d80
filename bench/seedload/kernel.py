"""The harness's side of the kernel: settings, the rule, and putting back what it found.

Every method of :class:`Kernel` sends a netlink request.  In blocking mode
(``backlog_wait_time`` > 0) the kernel puts any sender to sleep with the
blocked producers while the backlog is over its limit, so the harness sends
nothing between starting a workload and seeing the daemon's socket drained --
except :meth:`Kernel.release_sleepers`, which is safe then: the kernel applies
the new wait time before it penalizes the sender, so the sender does not sleep.

The benchmark changes machine-wide state, so it holds the lock every kernel
test holds (``tests/conftest.py``) for each measured case, and starts a case
only on a kernel with no foreign rules and no live audit daemon.
"""
from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from c2audit.daemon.selfexclude import excluded_pid
from c2audit.kernel import AuditClient
from c2audit.netlink import AuditStatus
from c2audit.rules import compile_rules_text, decompile
from c2audit.rules.host import host_environment

KERNEL_LOCK = Path("/run/lock/c2audit-kernel-tests.lock")  # the lock tests/conftest.py holds for kernel tests
RESTORED = ("backlog_limit", "backlog_wait_time", "rate_limit", "failure", "enabled")
BUSY_RETRY = 5.0  # seconds between looks at a kernel someone else is using


class KernelBusy(RuntimeError):
    """The kernel is not in a state a case can start from (and waiting did not help)."""


def compile_rule(text: str) -> bytes:
    """One auditctl rule line as the ``audit_rule_data`` auditctl would send."""
    compiled = compile_rules_text(text + "\n", "<seed_load>", host_environment())
    if compiled.errors or len(compiled.rules) != 1:
        raise ValueError(f"cannot compile {text!r}: {compiled.errors}")
    return compiled.rules[0].data


def has_key(rule: bytes, key: str) -> bool:
    return f"-F key={key}" in decompile(rule)


def process_alive(pid: int) -> bool:
    return pid > 0 and os.path.exists(f"/proc/{pid}")


class Kernel:
    def __init__(self) -> None:
        self.client = AuditClient()

    def status(self) -> AuditStatus:
        return self.client.get_status()

    def set(self, **fields: int) -> None:
        assert fields.get("enabled") != 2 and fields.get("failure") != 2, "never lock the kernel or make it panic"
        self.client.set_status(**fields)

    def rules(self) -> list[bytes]:
        return self.client.list_rules()

    def add_rule(self, rule: bytes) -> None:
        self.client.add_rule(rule)

    def delete_rule(self, rule: bytes) -> None:
        self.client.delete_rule(rule)

    def release_sleepers(self) -> None:
        """``backlog_wait_time`` 0: nothing new sleeps on the backlog (those asleep wake as it drains)."""
        self.set(backlog_wait_time=0)

    def unregister_gone(self) -> None:
        """Clear a registered audit pid whose process is gone (auditd 3.0.9 can leave it set)."""
        pid = self.status().pid
        if pid and not process_alive(pid):
            try:
                self.client.unregister()
            except OSError as refused:
                if refused.errno != errno.EACCES:
                    raise

    def restore(self, found: AuditStatus) -> dict[str, int]:
        """Put the settings back as ``found`` had them; the fields changed."""
        now = self.status()
        changes = {name: getattr(found, name) for name in RESTORED if getattr(now, name) != getattr(found, name)}
        if changes:
            self.set(**changes)
        return changes

    def delete_stale_self_exclusions(self, pid: int | None = None) -> int:
        """Delete c2audit's self-exclusion rules of ``pid`` (None: of any pid no longer alive); how many.

        A c2audit daemon deletes its own at stop; one that was killed leaves them
        (the next daemon to register deletes them too).
        """
        stale = [rule for rule in self.rules()
                 if (owner := excluded_pid(rule)) is not None and (owner == pid if pid else not process_alive(owner))]
        for rule in stale:
            self.delete_rule(rule)
        return len(stale)

    def delete_keyed_rules(self, key: str) -> int:
        """Delete every rule carrying ``key`` (ours, maybe left by an interrupted run); how many."""
        ours = [rule for rule in self.rules() if has_key(rule, key)]
        for rule in ours:
            self.delete_rule(rule)
        return len(ours)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def busy_reasons(kernel: Kernel, key: str) -> list[str]:
    """Why a case cannot start now (empty: it can).

    Rules with ``key`` are ours and are deleted, and so are self-exclusion
    rules a killed c2audit daemon left.
    """
    kernel.delete_keyed_rules(key)
    kernel.delete_stale_self_exclusions()
    status = kernel.status()
    reasons = []
    if status.enabled == 2:
        raise KernelBusy("the kernel audit configuration is immutable (enabled=2): nothing can be measured")
    if status.pid and process_alive(status.pid):
        reasons.append(f"audit pid {status.pid} is registered")
    elif status.pid:
        kernel.unregister_gone()
    foreign = kernel.rules()
    if foreign:
        reasons.append(f"{len(foreign)} audit rule(s) loaded")
    return reasons


@contextmanager
def exclusive_kernel(key: str, wait: float) -> Iterator[None]:
    """Hold the kernel-test lock on a kernel free of other rules and daemons, waiting up to ``wait`` s."""
    KERNEL_LOCK.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with KERNEL_LOCK.open("w") as handle:
        while True:
            fcntl.flock(handle, fcntl.LOCK_EX)
            with Kernel() as kernel:
                reasons = busy_reasons(kernel, key)
            if not reasons:
                break
            fcntl.flock(handle, fcntl.LOCK_UN)
            if time.monotonic() > deadline:
                raise KernelBusy(f"kernel still in use after {wait:.0f} s: {'; '.join(reasons)}")
            time.sleep(BUSY_RETRY)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
