"""audit-userspace's own Python test of its binding passes against c2audit.auparse.

``auparse_test.py`` is run unchanged, as audit-userspace's
``run_auparse_tests.sh`` runs it: ``srcdir`` names the directory of its logs,
the working directory is that directory (test 11 opens ``test4.log`` by a
relative name), the module it imports as ``auparse`` is c2audit's (a
one-line ``auparse.py`` first on ``PYTHONPATH``), and its output, with
``$srcdir/test`` shortened to ``test`` by the harness's ``sed``, must be
``auparse_test.ref.py`` byte for byte.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_auparse_test_py_prints_its_reference_output(corpus: Path, tmp_path: Path) -> None:
    srcdir = corpus / "expectations" / "audit-userspace-auparse"
    (tmp_path / "auparse.py").write_text("from c2audit.auparse import *  # noqa: F403\n")
    env = {**os.environ, "srcdir": str(srcdir), "LC_ALL": "C",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, str(srcdir / "auparse_test.py")], cwd=srcdir, env=env, check=False,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    output = result.stdout.replace(f"{srcdir}/test", "test")  # sed "s,$srcdir/test,test,"
    expected = (srcdir / "auparse_test.ref.py").read_text()
    assert output.splitlines() == expected.splitlines()
    assert output == expected
