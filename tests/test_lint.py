"""The project's style gate runs with the suite: ruff over src, tests and bench must report nothing.

ruff is pinned (``ruff==0.17.6`` in the ``test`` extras), so the rules checked
change only when the pin does: a new ruff release, with new default rules,
cannot fail CI by itself.
"""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_ruff_reports_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests", "bench"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"ruff check failed:\n{result.stdout}{result.stderr}"
