"""``c2audit rules check`` and ``c2audit rules assemble``: the edges of lint and assemble.

Registered as subcommands of ``c2audit rules`` (``cli/rules.py`` calls
``add_subcommands``).  Both read files and the host; the work is done by the
pure ``c2audit.rules.lint`` and ``c2audit.rules.assemble``.

Exit status of ``check``: 0 when no file has an error (warnings allowed; with
``--strict`` warnings count too), 1 when one does, 2 when a file cannot be
read.  ``assemble`` exits 1 when the directory or a rule file in it cannot be
read, and writes nothing then.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

from c2audit.rules.assemble import AssembleError, assemble_directory
from c2audit.rules.host import host_environment
from c2audit.rules.lint import ERROR, lint_text

STDIN = "-"


def add_subcommands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = commands.add_parser("check", help="lint rule files: errors with file:line:column, and warnings")
    check.add_argument("files", nargs="+", metavar="FILE", help=f"rule files ({STDIN} reads standard input)")
    check.add_argument("--machine", help="the machine the rules are for (default: this one, as uname -m)")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    check.set_defaults(run=check_command)
    assemble = commands.add_parser("assemble", help="build one rule file from a rules.d directory (augenrules)")
    assemble.add_argument("directory", metavar="DIR", help="the rules.d directory (*.rules in version order)")
    assemble.add_argument("-o", "--output", metavar="FILE", help="write FILE (mode 0640) instead of stdout")
    assemble.set_defaults(run=assemble_command)


def check_command(args: argparse.Namespace) -> int:
    environment = host_environment()
    if args.machine:
        environment = dataclasses.replace(environment, machine=args.machine)
    status = 0
    for name in args.files:
        try:
            text = _read(name)
        except OSError as error:
            print(f"{name}: error: {error.strerror or error}", file=sys.stderr)
            status = 2
            continue
        findings = lint_text(text, "<stdin>" if name == STDIN else name, environment, os.path.lexists)
        for finding in findings:
            print(finding)
        errors = sum(f.severity == ERROR for f in findings)
        if errors or (args.strict and findings):
            status = max(status, 1)
    return status


def _read(name: str) -> str:
    data = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    return data.decode("utf-8", "surrogateescape")


def assemble_command(args: argparse.Namespace) -> int:
    try:
        assembly = assemble_directory(args.directory)
    except AssembleError as error:
        print(f"c2audit rules assemble: {error.strerror}", file=sys.stderr)
        return 1
    for note in assembly.notes:
        print(note, file=sys.stderr)
    data = assembly.text.encode("utf-8", "surrogateescape")
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        _write_atomically(Path(args.output), data)
    except OSError as error:
        print(f"c2audit rules assemble: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` whole, mode 0640 as augenrules leaves audit.rules; never a half-written file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), 0o640)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
