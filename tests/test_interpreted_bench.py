"""The log ``bench/parse.py`` builds: valid events, unique and increasing serials, nothing lost.

The benchmark's figures are only as good as its input; this checks the input
(no timing is asserted anywhere).
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from c2audit.events import Event
from c2audit.reader import CollectingErrorSink, read_events

BENCH = Path(__file__).resolve().parent.parent / "bench" / "parse.py"


@pytest.fixture(scope="module")
def bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_parse", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_parse"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("unique", [False, True])
def test_built_log_holds_valid_events_with_increasing_serials(bench, corpus: Path, tmp_path: Path,
                                                              unique: bool) -> None:
    log = tmp_path / "bench.log"
    count = bench.build_log(log, 300_000, unique)  # type: ignore[attr-defined]
    errors = CollectingErrorSink()
    events = [item for item in read_events([log], on_error=errors) if isinstance(item, Event)]
    assert errors.count == 0
    serials = [event.serial for event in events]
    assert sorted(serials) == serials == list(range(1, count + 1))  # each built event comes back whole
    times = [(event.sec, event.milli) for event in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    owners: dict[str, set[int]] = {}
    for event in events:
        for record in event.records:
            for pid in re.findall(r" pid=([0-9]+)", record.text):
                owners.setdefault(pid, set()).add(event.serial)
    shared = [pid for pid, serials in owners.items() if len(serials) > 1]
    if unique:
        assert not shared  # every event its own process
    else:
        assert shared  # the corpus, cycled


def test_python_floor_writes_one_object_per_line_with_every_word(corpus: Path) -> None:
    """The floor row does the work it claims (every line, every word), or its speed would mean nothing."""
    log = corpus / "logs" / "elastic-beats__filebeat-auditd-test.log"
    floor = BENCH.parent / "python_floor.py"
    output = subprocess.run([sys.executable, str(floor), str(log)], capture_output=True, check=True).stdout
    lines = log.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    objects = [json.loads(line) for line in output.decode("utf-8", "surrogateescape").splitlines()]
    assert len(objects) == len(lines)
    for line, words in zip(lines, objects, strict=True):
        assert words == dict(word.partition("=")[::2] for word in line.split(" "))
