"""The ``c2audit`` command: a dispatcher to one module per subcommand.

Each subcommand lives in ``c2audit.cli.<module>`` and exposes
``main(argv: list[str]) -> int``; it owns its own argument parsing, because
``ctl`` must accept auditctl's exact flag syntax.  Modules are imported only
when their subcommand runs, so one command's dependencies never slow another.
"""
from __future__ import annotations

import importlib
import sys

from c2audit import __version__

# subcommand -> (module under c2audit.cli, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "ctl": ("ctl", "control the kernel audit system (auditctl's flags and output)"),
    "daemon": ("daemon", "drain the kernel audit stream to a log without loss (auditd)"),
    "rules": ("rules", "compile, check and assemble audit rule files"),
    "parse": ("parse", "read audit logs as grouped, interpreted events"),
}


def usage() -> str:
    lines = [f"c2audit {__version__}", "usage: c2audit COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {summary}" for name, (_, summary) in sorted(SUBCOMMANDS.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"c2audit {__version__}")
        return 0
    entry = SUBCOMMANDS.get(args[0])
    if entry is None:
        print(f"c2audit: unknown command {args[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"c2audit.cli.{entry[0]}")
    return module.main(args[1:])
