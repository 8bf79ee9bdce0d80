"""Debian's libauparse binding, the reference the parity tests run beside c2audit.

python3-audit installs the C library's ``auparse`` module for the system
interpreter only, so the tests run it as ``/usr/bin/python3`` in a subprocess.
Whether it is there is asked once per test session; a test that needs it
calls :func:`needs_auparse_binding` and is skipped, saying why, where it is not.
"""
from __future__ import annotations

import functools
import subprocess

import pytest

REFERENCE_PYTHON = "/usr/bin/python3"


@functools.cache
def auparse_binding_missing() -> str | None:
    """None when the system interpreter has the auparse binding, else why not."""
    try:
        result = subprocess.run([REFERENCE_PYTHON, "-c", "import auparse"], capture_output=True, timeout=30,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{REFERENCE_PYTHON} not runnable: {exc}"
    if result.returncode:
        return f"{REFERENCE_PYTHON} lacks python3-audit (apt-get install python3-audit)"
    return None


def needs_auparse_binding() -> None:
    """Skip the calling test (or fixture) when the binding is missing."""
    reason = auparse_binding_missing()
    if reason:
        pytest.skip(reason)
