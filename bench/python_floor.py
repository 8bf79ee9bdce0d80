"""The least a Python program can do per event of a log: the speed no Python encoder can pass.

    .venv/bin/python bench/python_floor.py LOG

Reads the log line by line, cuts each line at its spaces and each word at its
first ``=`` into a dict, and writes that dict as one JSON line (orjson) to
standard output.  No grouping into events, no
header, no quoting rules, no interpretation: strictly less than any JSON
format of the audit log must do.  ``bench/parse.py`` runs it beside laurel so
that a target stated as a multiple of laurel's speed can be checked against
what CPython can reach at all on the same machine.
"""
from __future__ import annotations

import sys

import orjson


def dump_lines(path: str) -> int:
    """Write one JSON object per line of ``path``; the number of lines."""
    write = sys.stdout.buffer.write
    dumps = orjson.dumps
    lines = 0
    with open(path, encoding="utf-8", errors="surrogateescape") as log:
        for line in log:
            write(dumps(dict(word.partition("=")[::2] for word in line.rstrip("\n").split(" "))))
            write(b"\n")
            lines += 1
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} LOG")
    dump_lines(sys.argv[1])
