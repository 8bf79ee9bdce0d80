"""``c2audit daemon`` arguments and ``--check``: exit statuses as auditd's, errors naming file and line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from c2audit.cli.daemon import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "c2audit", "daemon", *args], capture_output=True, text=True,
                          check=False, timeout=60)


def test_check_prints_the_configuration_with_overrides(tmp_path: Path) -> None:
    config = tmp_path / "auditd.conf"
    config.write_text("flush = data\ntcp_listen_queue = 5\n")
    done = run("--config", str(config), "--log-file", "/tmp/x/audit.log", "--check")
    assert done.returncode == 0, done.stderr
    assert "flush = data\n" in done.stdout and "log_file = /tmp/x/audit.log\n" in done.stdout
    assert "# ignored: tcp_listen_queue (line 2)" in done.stdout


def test_a_bad_configuration_exits_6_naming_file_line_and_keyword(tmp_path: Path) -> None:
    config = tmp_path / "auditd.conf"
    config.write_text("# c2audit\nflush = sometimes\n")
    done = run("--config", str(config), "--check")
    assert done.returncode == 6
    assert f"{config}:2: flush: option 'sometimes' not valid here" in done.stderr


def test_relative_paths_are_refused() -> None:
    assert main(["--log-file", "audit.log", "--check"]) == 2


def test_unknown_arguments_exit_2() -> None:
    assert main(["--no-such-flag"]) == 2
