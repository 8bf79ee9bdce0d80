"""``c2audit rules``: work on rule files without touching the kernel.

Subcommands (argparse subparsers, one function each, so ``check`` and
``assemble`` slot in beside ``compile``):

- ``compile [--json] [-c] [--machine M] FILE...``: every kernel rule of the
  files, in file order, as the ``audit_rule_data`` bytes auditctl would send.
  ``--json`` prints one array of ``{"file", "line", "rule", "data", "operation"}``.
  A file with a bad line is refused whole (none of its rules are printed) and
  the exit status is 1, unless ``-c`` keeps its good rules (the status is still 1).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson

from c2audit.cli import rulefiles
from c2audit.rules.compiler import CompiledFile, compile_rules_text
from c2audit.rules.errors import RuleError, RuleWarning
from c2audit.rules.host import host_environment
from c2audit.rules.syscalls import machine_of


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c2audit rules",
                                     description="compile, check and assemble audit rules")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compile_ = commands.add_parser("compile", help="compile rule files to audit_rule_data bytes")
    compile_.add_argument("files", nargs="+", metavar="FILE", help="rule files in auditctl syntax")
    compile_.add_argument("--json", action="store_true",
                          help="print a JSON array, one object per kernel rule")
    compile_.add_argument("-c", dest="continue_", action="store_true",
                          help="keep the good rules of a file that has bad lines")
    compile_.add_argument("--machine", help="the machine to compile for (default: this one, as uname -m)")
    compile_.set_defaults(run=compile_command)
    rulefiles.add_subcommands(commands)  # check, assemble
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


def read_rules_file(path: str) -> str:
    """A rule file's text; bytes that are not UTF-8 survive (they go to the kernel as written)."""
    return Path(path).read_bytes().decode("utf-8", "surrogateescape")


def report(problem: RuleError | RuleWarning, kind: str) -> None:
    """One error or warning on stderr as ``file:line:column: kind: message (at 'token')``."""
    origin = problem.origin
    where = f"{origin.location()}: " if origin else ""
    token = f" (at {origin.token!r})" if origin and origin.token else ""
    print(f"{where}{kind}: {problem.message}{token}", file=sys.stderr)


def compile_command(args: argparse.Namespace) -> int:
    environment = host_environment()
    if args.machine:
        try:
            machine_of(args.machine)
        except RuleError as error:
            report(error, "error")
            return 2
        environment = replace(environment, machine=args.machine)
    status, kept = 0, []
    for path in args.files:
        try:
            compiled = compile_rules_text(read_rules_file(path), path, environment)
        except OSError as error:
            print(f"{path}: error: {error.strerror or error}", file=sys.stderr)
            status = 1
            continue
        for warning in compiled.warnings:
            report(warning, "warning")
        for error in compiled.errors:
            report(error, "error")
        if compiled.errors:
            status = 1
            outcome = "kept the good rules (-c)" if args.continue_ else "refused the whole file"
            print(f"{path}: {len(compiled.errors)} bad line(s): {outcome}", file=sys.stderr)
            if not args.continue_:
                continue
        kept.append(compiled)
    _print_rules(kept, as_json=args.json)
    return status


def _print_rules(files: list[CompiledFile], *, as_json: bool) -> None:
    rows = [
        {"file": rule.origin.file, "line": rule.origin.line, "rule": rule.origin.text,
         "data": rule.data.hex(), "operation": rule.operation.value}
        for compiled in files for rule in compiled.rules
    ]
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return
    for row in rows:
        print(f"{row['file']}:{row['line']}: {row['data']}")
