"""``c2audit daemon``: run the audit daemon in the foreground (auditd's job).

Exit status as auditd's: 0 clean stop, 1 could not start, 2 bad arguments,
4 not privileged, 6 bad configuration.  ``--check`` only reads the
configuration and prints it as the daemon would use it.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from c2audit.daemon.config import ConfigError
from c2audit.daemon.service import DEFAULT_CONFIG_PATH, EXIT_CONFIG, Overrides, read_config, run

EXIT_PRIVILEGE = 4


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="c2audit daemon",
        description="Drain the kernel audit stream to a log without loss (auditd's job). "
                    "Runs in the foreground; SIGHUP reloads, SIGUSR1 rotates, SIGUSR2 resumes logging, "
                    "SIGCONT writes the state report, SIGTERM/SIGINT stop.",
    )
    p.add_argument("-c", "--config", metavar="FILE",
                   help=f"auditd.conf-syntax file (default: {DEFAULT_CONFIG_PATH} if present, "
                        "else the embedded one)")
    p.add_argument("--log-file", metavar="PATH", help="write the log here (overrides log_file)")
    p.add_argument("--pid-file", metavar="PATH", help="overrides pid_file")
    p.add_argument("--state-file", metavar="PATH", help="overrides state_file")
    p.add_argument("-f", "--foreground", action="store_true", help="accepted for auditd's sake (always so)")
    p.add_argument("--check", action="store_true", help="check the configuration, print it and exit")
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    for path in (args.log_file, args.pid_file, args.state_file):
        if path is not None and not os.path.isabs(path):
            print(f"c2audit daemon: {path!r} is not an absolute path", file=sys.stderr)
            return 2
    overrides = Overrides(args.log_file, args.pid_file, args.state_file)
    if args.check:
        try:
            config = read_config(args.config, overrides)
        except ConfigError as exc:
            print(f"c2audit daemon: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        for item in dataclasses.fields(config):
            if item.name not in ("lines", "ignored"):
                print(f"{item.name} = {getattr(config, item.name)}")
        for name, line in config.ignored:
            print(f"# ignored: {name} (line {line})")
        return 0
    if os.geteuid() != 0:
        print("c2audit daemon: you must be root (CAP_AUDIT_CONTROL) to run the audit daemon", file=sys.stderr)
        return EXIT_PRIVILEGE
    return run(args.config, overrides)
