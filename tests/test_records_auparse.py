"""Every corpus log, record by record and field by field, as the real libauparse sees it.

The reference is Debian's python3-audit (libauparse 3.0.9) run by
``fixtures/records/auparse_dump.py`` under the system interpreter; c2audit's
records (:func:`c2audit.records.parse_line` + :attr:`Record.fields`) grouped by
:class:`c2audit.events.AuparseGrouper` must give the same events, records,
field names and raw values.

Known difference, by design: auparse accepts a line whose second token holds a
``(`` as a record at second 0 — one comment line of a laurel fixture becomes
an "event" there; c2audit reports such lines as parse errors instead.
"""
from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from reference_tools import REFERENCE_PYTHON, needs_auparse_binding

from c2audit.events import AuparseGrouper, group
from c2audit.records import RecordError, parse_line
from c2audit.tables import uapi

DUMP = Path(__file__).parent / "fixtures" / "records" / "auparse_dump.py"

# (log, line): lines auparse turns into events that c2audit refuses, with the reason
AUPARSE_ONLY = {
    ("laurel__fork-sleep-exec.txt", 10):
        "comment line '#   execve(\"/bin/true\", …)' read as an event at second 0",
}


def auparse_events(paths: list[Path]) -> dict[str, list[list]]:
    """What libauparse makes of each log: per event ``[sec, milli, serial, node, records]``."""
    result = subprocess.run([REFERENCE_PYTHON, str(DUMP), *map(str, paths)],
                            capture_output=True, text=True, check=True)
    events: dict[str, list[list]] = {}
    current: list[list] = []
    for line in result.stdout.splitlines():
        if line.startswith("= "):
            current = events.setdefault(line[2:], [])
        else:
            current.append(json.loads(line))
    return events


def c2audit_events(path: Path) -> list[list]:
    """The same shape from c2audit's parser and auparse grouping policy."""
    records = []
    with path.open(encoding="utf-8", errors="surrogateescape", newline="\n") as stream:
        for number, line in enumerate(stream.read().split("\n"), 1):
            try:
                records.append(parse_line(line, str(path), number))
            except RecordError:
                pass
    return [
        [event.sec, event.milli, event.serial, event.node,
         [[record.line, record.type, [list(field) for field in record.fields]] for record in event.records]]
        for event in group(records, AuparseGrouper())
    ]


@pytest.fixture(scope="module")
def reference(corpus):
    needs_auparse_binding()
    logs = sorted((corpus / "logs").iterdir())
    return logs, auparse_events(logs)


@pytest.mark.reference
def test_every_corpus_log_matches_libauparse(reference):
    logs, expected = reference
    compared = 0
    for log in logs:
        theirs = [event for event in expected[str(log)]
                  if not all((log.name, record[0]) in AUPARSE_ONLY for record in event[4])]
        ours = c2audit_events(log)
        assert [[r[0] for r in e[4]] for e in ours] == [[r[0] for r in e[4]] for e in theirs], log.name
        assert ours == theirs, log.name
        compared += sum(len(event[4]) for event in ours)
    assert compared > 13000  # every record of the corpus was compared


@pytest.mark.reference
def test_known_differences_are_still_differences(reference):
    logs, expected = reference
    by_name = {log.name: expected[str(log)] for log in logs}
    for (name, line), why in AUPARSE_ONLY.items():
        lines_seen = [record[0] for event in by_name[name] for record in event[4]]
        assert line in lines_seen, f"auparse no longer reads {name}:{line} ({why}): drop the exception"


def mutate(line: str, rng: random.Random) -> str:
    """A corpus line with a few characters auparse treats specially inserted, deleted or replaced."""
    for _ in range(rng.randint(1, 5)):
        position = rng.randint(len(line) // 3, len(line))
        piece = "".join(rng.choice(MUTATION_ALPHABET) for _ in range(rng.randint(1, 3)))
        action = rng.choice(("insert", "delete", "replace"))
        if action == "insert":
            line = line[:position] + piece + line[position:]
        elif action == "delete":
            line = line[:position] + line[position + len(piece):]
        else:
            line = line[:position] + piece + line[position + len(piece):]
    return line


MUTATION_ALPHABET = " =(){}'\":,\x01\\\t0123456789ABCDEFabcdef"


@pytest.mark.reference
def test_mutated_corpus_lines_split_as_libauparse(reference, tmp_path):
    """Where c2audit takes a mutated line as a record, its fields are auparse's.

    (c2audit refuses some headers auparse reads leniently — garbage read as
    numbers — and auparse drops a lone ``EOE``: those lines are not compared.)
    """
    logs, _ = reference
    lines = [line for log in logs
             for line in log.read_bytes().decode("utf-8", "surrogateescape").split("\n")
             if line.startswith(("type=", "node="))]
    rng = random.Random(4)
    cases = {}
    for number in range(1500):
        path = tmp_path / f"{number}.log"
        line = mutate(rng.choice(lines), rng)
        path.write_bytes(line.encode("utf-8", "surrogateescape") + b"\n")
        cases[path] = line
    expected = auparse_events(list(cases))
    compared = 0
    for path, line in cases.items():
        try:
            record = parse_line(line, str(path), 1)
        except RecordError:
            continue
        if record.type == uapi.AUDIT_EOE:
            continue
        theirs = [r for event in expected[str(path)] for r in event[4]]
        assert [[1, record.type, [list(field) for field in record.fields]]] == theirs, line
        compared += 1
    assert compared > 1000
