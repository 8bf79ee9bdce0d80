"""Shared test fixtures: the corpus location and the kernel-test guard.

Kernel tests (``@pytest.mark.kernel``) share one real audit subsystem with every
other test run on this machine, so they hold an exclusive ``flock`` for their
whole duration and are skipped (with the reason) where the kernel is not
reachable.  They must restore the state they found; see ``kernel_state``.
"""
from __future__ import annotations

import fcntl
import os
import socket
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("kernel") and "kernel_lock" not in getattr(item, "fixturenames", ()):
            item.fixturenames.insert(0, "kernel_lock")
