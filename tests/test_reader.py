"""The reader edge: chunked lines, error reporting, the corpus end to end, flat memory, --follow."""
from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import pytest

from c2audit import reader
from c2audit.events import Event, EventsLost, Reassembler
from c2audit.reader import (
    CollectingErrorSink,
    StderrErrorSink,
    follow_events,
    follow_lines,
    iter_lines,
    read_events,
    read_records,
)

LINE = "type=SYSCALL msg=audit(1.000:{serial}): arch=c000003e syscall=59 comm=\"é\" key=(null)"

# Lines of the corpus that are not audit records, and why: only the comments of laurel's
# hand-annotated test logs.  Any other unparsable line is a regression.
EXPECTED_GARBAGE = {
    "laurel__fork-sleep-exec.txt": "comment lines ('#') annotating laurel's test log",
    "laurel__proc-trace-dpkg-l.txt": "comment lines ('#') annotating laurel's test log",
    "laurel__shell-proc-trace-reordered.txt": "comment lines ('#') annotating laurel's test log",
    "laurel__shell-proc-trace.txt": "comment lines ('#') annotating laurel's test log",
}


def lines_of(data: bytes) -> list[tuple[int, str]]:
    return list(iter_lines(io.BytesIO(data), "mem", CollectingErrorSink()))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
def test_lines_survive_any_chunking(monkeypatch, chunk):
    monkeypatch.setattr(reader, "CHUNK", chunk)
    text = "first é\nsecond\r\n\nthird ünïcode \xff\nlast without newline"
    data = text.encode().replace(b"\xc3\xbf", b"\xff")  # one byte that is not UTF-8
    assert lines_of(data) == [
        (1, "first é"), (2, "second\r"), (3, ""), (4, "third ünïcode \udcff"), (5, "last without newline")]


def test_undecodable_bytes_round_trip():
    (_number, text), = lines_of(b"type=X \xfe\xff\n")
    assert text.encode("utf-8", "surrogateescape") == b"type=X \xfe\xff"


@pytest.mark.parametrize("chunk", [4, 1 << 20])
def test_over_long_line_is_reported_and_skipped(monkeypatch, chunk):
    monkeypatch.setattr(reader, "CHUNK", chunk)
    monkeypatch.setattr(reader, "MAX_LINE", 16)
    errors = CollectingErrorSink()
    data = b"short\n" + b"x" * 100 + b"\nafter\n" + b"y" * 40
    lines = list(iter_lines(io.BytesIO(data), "big.log", errors))
    assert [text for _, text in lines if text] == ["short", "after"]
    assert [(e.filename, e.line) for e in errors.errors] == [("big.log", 2), ("big.log", 4)]
    assert all("longer than 16 bytes" in e.reason for e in errors.errors)


def test_unparsable_lines_go_to_the_sink_with_their_position(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text(LINE.format(serial=1) + "\n\ngarbage here\n" + LINE.format(serial=2) + "\n")
    errors = CollectingErrorSink()
    records = list(read_records([log], errors))
    assert [r.serial for r in records] == [1, 2]
    assert [(e.filename, e.line, e.text) for e in errors.errors] == [(str(log), 3, "garbage here")]


def test_stderr_sink_prints_file_line_and_stops_printing_past_its_limit():
    stream = io.StringIO()
    sink = StderrErrorSink(stream=stream, prefix="c2audit parse", limit=2)
    errors = CollectingErrorSink()
    list(read_records([io.BytesIO(b"a\nb\nc\nd\n")], errors))
    for error in errors.errors:
        sink(error)
    assert sink.count == 4
    lines = stream.getvalue().splitlines()
    assert lines[:2] == ["c2audit parse: <stream>:1: no type= field: 'a'",
                         "c2audit parse: <stream>:2: no type= field: 'b'"]
    assert len(lines) == 3 and "counting them without showing them" in lines[2]


def test_sources_paths_streams_and_stdin(tmp_path, monkeypatch):
    log = tmp_path / "a.log"
    log.write_text(LINE.format(serial=1) + "\n")
    stream = io.BytesIO((LINE.format(serial=2) + "\n").encode())
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO((LINE.format(serial=3) + "\n").encode())))
    records = list(read_records([str(log), stream, "-"], CollectingErrorSink()))
    assert [(r.serial, r.filename) for r in records] == [(1, str(log)), (2, "<stream>"), (3, "<stdin>")]
    assert not stream.closed  # a caller's stream is the caller's to close


def test_every_corpus_log_parses_with_only_the_expected_errors(corpus):
    for log in sorted((corpus / "logs").iterdir()):
        errors = CollectingErrorSink()
        records = list(read_records([log], errors))
        raw = log.read_bytes().decode("utf-8", "surrogateescape").split("\n")
        headers = [line for line in raw if line.startswith(("type=", "node="))]
        assert len(records) == len(headers), log.name
        for error in errors.errors:
            assert log.name in EXPECTED_GARBAGE and error.text.startswith("#"), str(error)
        if log.name in EXPECTED_GARBAGE:
            assert errors.errors, f"{log.name} has no garbage any more: update EXPECTED_GARBAGE"
        for record in records:
            _ = record.fields  # the lazy field split runs, and succeeds, for every record


def test_read_events_groups_the_corpus_as_auparse(corpus):
    log = corpus / "logs" / "laurel__record-execve.txt"
    events = list(read_events([log], on_error=CollectingErrorSink()))
    assert len(events) == 1
    types = [r.type_text for r in events[0].records]
    assert types == ["SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "PROCTITLE"]
    # the EOE that follows PROCTITLE arrives after its event completed: auparse drops it


def test_read_events_with_the_live_reassembler_reports_losses(corpus):
    log = corpus / "logs" / "go-libaudit__testdata-lost_messages.log"
    items = list(read_events([log], Reassembler(max_in_flight=5), CollectingErrorSink()))
    assert [item.count for item in items if isinstance(item, EventsLost)] == [9]
    assert len([item for item in items if isinstance(item, Event)]) == 5


class GeneratedLog(io.RawIOBase):
    """A log of ``events`` three-record events made on the fly (the input itself takes no memory)."""

    def __init__(self, events: int) -> None:
        self.events = events
        self.serial = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer) and self.serial < self.events:
            self.serial += 1
            stamp = f"{1_700_000_000 + self.serial // 100}.{self.serial % 1000:03d}:{self.serial}"
            self.pending += (
                f"type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 "
                f"items=1 ppid=1 pid={self.serial} auid=1000 uid=0 comm=\"cat\" exe=\"/usr/bin/cat\" "
                "key=(null)\n"
                f"type=PATH msg=audit({stamp}): item=0 name=\"/etc/passwd\" inode=1 dev=08:01 mode=0100644\n"
                f"type=EOE msg=audit({stamp}):\n").encode()
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def peak_memory(events: int) -> int:
    reader.CHUNK = 1 << 16  # so that both inputs below span many chunks
    tracemalloc.start()
    try:
        for item in read_events([io.BufferedReader(GeneratedLog(events))], on_error=CollectingErrorSink()):
            _ = item.records[-1].fields  # the lazy field split too, in the peak
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_whatever_the_input_size(monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", reader.CHUNK)  # restored after peak_memory changes it
    small, large = peak_memory(3_000), peak_memory(12_000)  # ~0.8 MB and ~3 MB of log
    assert large < small * 1.25, (small, large)


# --- follow ----------------------------------------------------------------------------------


class Follower:
    """Drive follow_lines step by step: each step reads until it is idle."""

    def __init__(self, path: Path) -> None:
        self.sleeps = 0
        self.stopped = False
        self.lines = follow_lines(path, poll_interval=0.0, sleep=self.sleep, stop=lambda: self.stopped)

    def sleep(self, _seconds: float) -> None:
        self.sleeps += 1

    def step(self) -> list[tuple[int, str]]:
        got = []
        for item in self.lines:
            if item is None:
                return got
            got.append(item)
        return got


def test_follow_reads_appended_lines_and_waits_for_their_newline(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("one\n")
    follower = Follower(log)
    assert follower.step() == [(1, "one")]
    with log.open("a") as stream:
        stream.write("two\nthr")
    assert follower.step() == [(2, "two")]
    with log.open("a") as stream:
        stream.write("ee\n")
    assert follower.step() == [(3, "three")]
    follower.stopped = True
    assert list(follower.lines) == []


def test_follow_crosses_rotation_and_finishes_the_old_file_first(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("old-1\n")
    follower = Follower(log)
    assert follower.step() == [(1, "old-1")]
    with log.open("a") as stream:
        stream.write("old-2\nold-tail")  # written just before rotation, its newline never comes
    os.rename(log, tmp_path / "audit.log.1")
    assert follower.step() == [(2, "old-2")]  # still reading the old file
    log.write_text("new-1\n")
    assert follower.step() == [(3, "old-tail"), (1, "new-1")]


def test_follow_restarts_a_truncated_file(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("a long first line\n")
    follower = Follower(log)
    assert follower.step() == [(1, "a long first line")]
    log.write_text("b\n")  # truncated in place, then written
    assert follower.step() == [(1, "b")]


def test_follow_waits_for_a_missing_file(tmp_path):
    log = tmp_path / "later.log"
    calls = []

    def sleep(_seconds: float) -> None:
        calls.append(1)
        if len(calls) == 3:
            log.write_text("here\n")

    lines = follow_lines(log, poll_interval=0.0, sleep=sleep)
    assert next(lines) == (1, "here")
    assert len(calls) == 3
    lines.close()


def test_follow_events_expire_on_the_clock_when_idle(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text(LINE.format(serial=1) + "\n")
    now = [1.0]
    events = follow_events(log, on_error=CollectingErrorSink(), clock=lambda: now[0],
                           poll_interval=0.0, sleep=lambda _s: now.__setitem__(0, now[0] + 1))
    event = next(events)
    assert isinstance(event, Event) and event.serial == 1
    assert now[0] >= 3.0  # delivered when the clock passed the event's second + 2
    events.close()
