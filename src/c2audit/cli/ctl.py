"""``c2audit ctl``: auditctl's command line, its output and its exit statuses.

The arguments are parsed by ``c2audit.rules.syntax.parse_argv`` (auditctl's
getopt rules, shared with rule files) and run by ``c2audit.ctl.Session``;
``-R FILE`` (also ``-c -R FILE``/``-i -R FILE``, which auditctl refuses) loads a
rule file with ``c2audit.ctlrules``, whole or not at all.
Exit statuses follow auditctl: 0 done, 1 no arguments or a rule file that
failed, 4 not allowed to control the audit system, 255 a refused option or a
failed request.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from c2audit.ctl import EXIT_FAILURE, USAGE, Session
from c2audit.ctlrules import (  # also plugs in -a -d -D -l -w
    IMMUTABLE,
    load_rules_file,
    refusal,
    rules_file_request,
)
from c2audit.rules import RuleCommand
from c2audit.rules.errors import RuleError
from c2audit.rules.syntax import parse_argv

CAP_AUDIT_CONTROL = 30
EXIT_NOT_ROOT = 4


def can_control() -> bool:
    """Root, or CAP_AUDIT_CONTROL in the effective set (libaudit's audit_can_control)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_AUDIT_CONTROL & 1)
    except (OSError, ValueError, IndexError):
        pass
    return os.geteuid() == 0


def run(argv: list[str], session: Session) -> int:
    """Parse and run a command line with ``session`` (tests pass one on a fake kernel)."""
    request = rules_file_request(argv)  # -R FILE, and c2audit's -c/-i -R FILE
    if request is not None:
        return load_rules_file(session, *request)
    try:
        parsed = parse_argv(argv)
    except RuleError as error:
        session.err.write(f"{refusal(error)}\n")
        return EXIT_FAILURE
    for warning in parsed.warnings:
        session.err.write(f"{warning.message}\n")
    if any(isinstance(command, RuleCommand) for command in parsed.commands) and immutable(session):
        session.err.write(f"{IMMUTABLE}\n")  # auditctl's is_ready() words it so (and exits 0: we do not)
        return EXIT_FAILURE
    return session.run(parsed)


def immutable(session: Session) -> bool:
    """Whether the kernel is locked (enabled=2): auditctl checks before any rule change."""
    try:
        return session.client.get_status().enabled == 2
    except OSError:
        return False  # the request itself will then fail with the kernel's reason


def main(argv: list[str]) -> int:
    if not argv:
        sys.stdout.write(USAGE)
        return 1
    if argv not in (["-h"], ["--help"]) and not can_control():
        print("You must be root to run this program.", file=sys.stderr)
        return EXIT_NOT_ROOT
    session = Session(sys.stdout, sys.stderr)
    try:
        return run(argv, session)
    finally:
        session.close()
