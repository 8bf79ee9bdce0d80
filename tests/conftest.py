"""Shared test fixtures: the corpus location and the kernel-test guard.

Kernel tests (``@pytest.mark.kernel``) share one real audit subsystem with every
other test run on this machine, so they hold an exclusive ``flock`` for their
whole duration and are skipped (with the reason) where the kernel is not
reachable.  They must restore the state they found; see ``kernel_state``.
"""
from __future__ import annotations

import errno
import fcntl
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
KERNEL_LOCK = Path("/run/lock/c2audit-kernel-tests.lock")
NETLINK_AUDIT = 9


def kernel_audit_reachable() -> str | None:
    """None when a NETLINK_AUDIT socket can be opened as root, else why not."""
    if os.geteuid() != 0:
        return "kernel tests need root (CAP_AUDIT_CONTROL)"
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT).close()
    except OSError as exc:
        return f"NETLINK_AUDIT not reachable: {exc}"
    return None


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (tests read ../shared/corpus beside the repo)")
    return CORPUS


@pytest.fixture
def kernel_lock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Serialize every test that touches the real kernel audit subsystem."""
    reason = kernel_audit_reachable()
    if reason:
        pytest.skip(reason)
    KERNEL_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with KERNEL_LOCK.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# audit_status fields a test may change and kernel_state puts back.
RESTORED_FIELDS = ("backlog_limit", "rate_limit", "backlog_wait_time", "failure", "enabled")


def pytest_configure(config: pytest.Config) -> None:
    # Every real audit socket opened by the tests (and their subprocesses) refuses
    # enabled=2, failure=2 and feature locks: those are tested on tests/fakekernel.py.
    os.environ["C2AUDIT_FORBID_IRREVERSIBLE"] = "1"


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
    return False


def _unregister(client, registered: int) -> None:  # client: c2audit.kernel.AuditClient
    """Unregister a daemon a test left: the kernel lets only that process, or anyone once it is gone."""
    if registered != os.getpid() and _descends_from(registered, os.getpid()):
        os.kill(registered, signal.SIGTERM)
    for _ in range(50):
        try:
            client.unregister()
            return
        except OSError as refused:  # EACCES while the registered process still lives
            if refused.errno != errno.EACCES:
                raise
            time.sleep(0.1)
    raise AssertionError(f"audit pid {registered} is still registered and not ours to stop")


def _drop_stale_self_exclusion(client, registered: int) -> None:  # client: c2audit.kernel.AuditClient
    """Delete the never rules of a c2audit daemon killed before it could (not the registered one's).

    A daemon started by the test deletes them itself at start, so they must not
    count as state to put back.
    """
    from c2audit.daemon.selfexclude import excluded_pid

    for rule in client.list_rules():
        pid = excluded_pid(rule)
        if pid is not None and pid != registered:
            client.delete_rule(rule)


@pytest.fixture
def kernel_state(kernel_lock: None) -> Iterator[object]:
    """Snapshot the kernel audit state (status fields, rules, pid) and put it back after the test.

    Deletes every rule the test added, unregisters a daemon it registered,
    restores enabled/failure/rate_limit/backlog_limit/backlog_wait_time and
    kauditd's scheduling (a daemon killed with -9 cannot put it back).  Never
    writes enabled=2 or failure=2; skips when the kernel is already immutable.
    The self-exclusion rules a killed c2audit daemon left are deleted before the
    snapshot.  Yields the AuditStatus found.
    """
    from c2audit.daemon.kauditd import find_kauditd, read_scheduling, write_scheduling
    from c2audit.kernel import AuditClient

    kauditd = find_kauditd()
    scheduling_before = read_scheduling(kauditd) if kauditd else None
    with AuditClient() as client:
        before = client.get_status()
        if before.enabled != 2:
            _drop_stale_self_exclusion(client, before.pid)
        rules_before = set(client.list_rules())
    if before.enabled == 2:
        pytest.skip("the kernel audit state is immutable (enabled=2): nothing a test changes could be undone")
    yield before
    if kauditd and read_scheduling(kauditd) != scheduling_before:  # a daemon killed before it could
        write_scheduling(kauditd, scheduling_before)
    with AuditClient() as client:
        for rule in client.list_rules():
            if rule not in rules_before:
                client.delete_rule(rule)
        now = client.get_status()
        if now.pid not in (before.pid, 0):
            _unregister(client, now.pid)
        changes = {name: getattr(before, name) for name in RESTORED_FIELDS if getattr(now, name) != getattr(before, name)}
        assert changes.get("enabled") != 2 and changes.get("failure") != 2, "kernel_state never writes 2"
        if changes:
            client.set_status(**changes)
        after = client.get_status()
        left = {name: getattr(after, name) for name in RESTORED_FIELDS if getattr(after, name) != getattr(before, name)}
        if after.pid not in (before.pid, 0):  # 0 is right when the daemon found has died meanwhile
            left["pid"] = after.pid
        assert not left and set(client.list_rules()) == rules_before, f"kernel state not restored: {left}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", None)
        if item.get_closest_marker("kernel") and names is not None:
            for fixture in ("kernel_state", "kernel_lock"):  # lock first: kernel_state runs inside it
                if fixture not in names:
                    names.insert(0, fixture)
