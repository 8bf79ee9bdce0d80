"""AuparseGrouper against libauparse 3.0.9 on hundreds of random interleavings.

Each generated log mixes nodes, seconds, milliseconds, serials and record
types (single-record ones, EOE, PROCTITLE, LOGIN, unknown types) so that
events interleave, time out, complete early or late; the C library's events
(which lines, in which order) must be c2audit's.  The logs come from a seeded
generator so a failure is reproducible; one run of the reference interpreter
reads them all.
"""
from __future__ import annotations

import random

import pytest
from reference_tools import needs_auparse_binding
from test_records_auparse import auparse_events

from c2audit.events import AuparseGrouper, group
from c2audit.records import parse_line

TYPES = ["SYSCALL", "PATH", "CWD", "EOE", "PROCTITLE", "USER_ACCT", "LOGIN", "AVC", "UNKNOWN[1420]",
         "KERNEL", "ANOM_PROMISCUOUS", "EXECVE", "USER", "UNKNOWN[1000]", "NOT_A_TYPE"]


def random_log(rng: random.Random) -> list[str]:
    lines = []
    second = 1000
    for index in range(rng.randint(1, 30)):
        node = rng.choice([None, None, None, "a", "b"])
        if rng.random() < 0.3:
            second += 1
        stamp = f"{second + rng.randint(0, 4)}.{rng.choice([0, 0, 1, 500]):03d}:{rng.randint(1, 8)}"
        prefix = f"node={node} " if node else ""
        lines.append(f"{prefix}type={rng.choice(TYPES)} msg=audit({stamp}): x={index}")
    return lines


@pytest.mark.reference
def test_random_interleavings_group_as_libauparse(tmp_path):
    needs_auparse_binding()
    rng = random.Random(20240501)
    logs = {}
    for number in range(400):
        path = tmp_path / f"{number}.log"
        lines = random_log(rng)
        path.write_text("\n".join(lines) + "\n")
        logs[path] = lines
    expected = auparse_events(list(logs))
    for path, lines in logs.items():
        records = [parse_line(line, str(path), n) for n, line in enumerate(lines, 1)]
        ours = [[record.line for record in event.records] for event in group(records, AuparseGrouper())]
        theirs = [[record[0] for record in event[4]] for event in expected[str(path)]]
        assert ours == theirs, "\n".join(lines)
