"""Parity of c2audit.interpret with libauparse 3.0.9 (Debian's python3-audit).

``fixtures/interpret/dump_auparse.py`` walks logs with the C library and dumps
every field it reports: name, raw value, ``get_field_type()`` and
``interpret_field()``.  For each record we rebuild the :class:`RecordContext`
from those same fields (plus the ENRICHED text of the record's line) and
compare field by field.

* ``test_corpus_logs_match_live_libauparse`` runs the C library now, on every
  log of the corpus, with this machine's user database on both sides.
* ``synthetic.log`` exercises every printer and odd value the corpus lacks;
  ``synthetic.expected.json`` is the C library's output for it, frozen so the
  test runs anywhere (users: none; ``protocols``: the netbase file it was made
  with).  Regenerate, from ``tests/fixtures/interpret``:
  ``/usr/bin/python3 dump_auparse.py synthetic.log > synthetic.expected.json``.

Every remaining difference is listed in ``KNOWN_DIFFERENCES`` with its reason.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from reference_tools import REFERENCE_PYTHON, needs_auparse_binding

from c2audit.interpret import (
    INTERP_SEPARATOR,
    Lookups,
    RecordContext,
    StaticLookups,
    SystemLookups,
    field_type,
    interpret,
)
from c2audit.interpret.names import read_protocols

FIXTURES = Path(__file__).parent / "fixtures" / "interpret"
TYPE_URINGOP = 1336

# (log, line, field) -> why c2audit answers differently from libauparse 3.0.9.
KNOWN_DIFFERENCES: dict[tuple[str, int, str], str] = {
    ("hillu-linux-audit-parser-rs__line-testdata.log", 41, "uring_op"):
        "typetab 4.x interprets uring_op as an io_uring operation (openat); 3.0.9 prints the number",
    ("synthetic.log", 12, "a0"):
        "ptracetab 4.x knows PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG (0x4210); 3.0.9 says unknown-ptrace",
    ("synthetic.log", 192, "arch"):
        "machinetab 4.x knows riscv64 (c00000f3); 3.0.9 prints unknown-elf-type",
    ("synthetic.log", 192, "syscall"):
        "3.0.9 has no riscv64 machine, so it names syscall 221 with the host's (x86_64) table",
    ("synthetic.log", 276, "code"):
        "seccomptab 4.x names action 0 kill-thread; 3.0.9 calls it kill",
}


@dataclass(frozen=True)
class Mismatch:
    log: str
    line: int
    field: str
    raw: str
    expected: str
    expected_type: int
    got: str
    got_type: int


def dump_with_libauparse(logs: list[Path], cwd: Path) -> dict[str, list[dict]]:
    result = subprocess.run(
        [REFERENCE_PYTHON, str(FIXTURES / "dump_auparse.py"), *map(str, logs)],
        capture_output=True, check=True, cwd=cwd, timeout=600,
    )
    return json.loads(result.stdout)


def compare(dump: dict[str, list[dict]], base: Path, lookups: Lookups) -> tuple[int, list[Mismatch]]:
    """Interpret every field the C library reported; (fields compared, mismatches)."""
    compared, mismatches = 0, []
    for log, records in dump.items():
        lines = (base / log).read_text(encoding="utf-8", errors="surrogateescape").split("\n")
        for record in records:
            fields = [(f[0], f[1]) for f in record["fields"] if f[0] is not None and f[1] is not None]
            line = lines[record["line"] - 1] if record["line"] else ""
            _, sep, enriched = line.partition(INTERP_SEPARATOR)
            context = RecordContext.from_fields(record["type"], fields, enriched if sep else None)
            for name, raw, kind, expected in record["fields"]:
                if name is None or raw is None:
                    continue  # nothing the C library could interpret either
                compared += 1
                got_type = field_type(name, raw, record["type"])
                got = interpret(name, raw, context, lookups)
                if got != expected or got_type != kind:
                    mismatches.append(Mismatch(Path(log).name, record["line"], name, raw, expected, kind, got,
                                               int(got_type)))
    return compared, mismatches


def unexplained(mismatches: list[Mismatch]) -> list[Mismatch]:
    return [m for m in mismatches if (m.log, m.line, m.field) not in KNOWN_DIFFERENCES]


def synthetic_lookups() -> StaticLookups:
    return StaticLookups(protocols=read_protocols((FIXTURES / "protocols").read_text()))


def test_synthetic_log_matches_frozen_libauparse_output() -> None:
    dump = json.loads((FIXTURES / "synthetic.expected.json").read_text())
    compared, mismatches = compare(dump, FIXTURES, synthetic_lookups())
    assert compared > 6000
    assert unexplained(mismatches) == []
    known = {key for key in KNOWN_DIFFERENCES if key[0] == "synthetic.log"}
    assert {(m.log, m.line, m.field) for m in mismatches} == known, "a listed difference went away: update the list"


@pytest.mark.reference
def test_frozen_synthetic_output_is_still_what_libauparse_says() -> None:
    needs_auparse_binding()
    live = dump_with_libauparse([Path("synthetic.log")], FIXTURES)
    assert live == json.loads((FIXTURES / "synthetic.expected.json").read_text())


@pytest.mark.reference
def test_corpus_logs_match_live_libauparse(corpus: Path) -> None:
    needs_auparse_binding()
    logs = sorted((corpus / "logs").iterdir())
    dump = dump_with_libauparse(logs, corpus / "logs")
    # Both sides read this machine's user database and /etc/protocols.
    compared, mismatches = compare(dump, corpus / "logs", SystemLookups())
    assert compared > 200_000
    agreement = 1 - len(mismatches) / compared
    print(f"interpret parity: {compared - len(mismatches)}/{compared} fields = {agreement:.6%}")
    assert agreement >= 0.99
    assert unexplained(mismatches) == []
