"""No input crashes the parser or the groupers: arbitrary bytes and mutated corpus lines.

Whatever comes in, the result is records and events, or typed
:class:`RecordError` s; and the fast field split always agrees with
auparse's token walk where it takes a line.
"""
from __future__ import annotations

import io
import os
from functools import lru_cache

from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2audit.events import AuparseGrouper, Event, EventsLost, Reassembler, group
from c2audit.reader import CollectingErrorSink, parse_lines, read_events
from c2audit.records import Record, RecordError, _split_tokens, parse_line, parse_netlink

# FUZZ_EXAMPLES=5000 for a longer hunt than CI's
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SPECIAL = " =(){}'\":,\x1d\x01\\\t\r\x00é\udcff0123456789ABCDEFabcdef"


@lru_cache(maxsize=1)
def corpus_lines() -> tuple[str, ...]:
    lines = []
    for log in sorted((CORPUS / "logs").iterdir()):
        text = log.read_bytes().decode("utf-8", "surrogateescape")
        lines += [line for line in text.split("\n") if line.startswith(("type=", "node="))]
    return tuple(lines)


@st.composite
def mutated_corpus_line(draw) -> str:
    lines = corpus_lines()
    line = lines[draw(st.integers(0, len(lines) - 1))]
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]))
        piece = draw(st.text(alphabet=SPECIAL, min_size=1, max_size=4))
        if action == "insert":
            line = line[:position] + piece + line[position:]
        elif action == "delete":
            line = line[:position] + line[position + len(piece):]
        elif action == "replace":
            line = line[:position] + piece + line[position + len(piece):]
        elif action == "truncate":
            line = line[:position]
        else:
            line = line[:position] + line[max(0, position - 40):position] + line[position:]
    return line


def check_record(record: Record) -> None:
    assert isinstance(record.type, int)
    assert record.raw.startswith(record.text)
    fields = record.fields
    assert all(isinstance(name, str) and (value is None or isinstance(value, str)) for name, value in fields)
    assert fields == _split_tokens(record.text, record.type, record.node is not None)
    assert fields[1 if record.node is not None else 0][0] == "type"


def parse_or_error(line: str) -> Record | None:
    try:
        record = parse_line(line, "fuzz.log", 1)
    except RecordError as error:
        assert error.text == line and error.filename == "fuzz.log" and error.line == 1
        return None
    check_record(record)
    return record


@FUZZ
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]) | st.sampled_from(SPECIAL), max_size=300))
def test_arbitrary_text_is_a_record_or_a_typed_error(line):
    parse_or_error(line)


@FUZZ
@given(st.text(alphabet=SPECIAL + "nodetypmsgauditSYCALLEO[]", max_size=200))
def test_header_shaped_text_is_a_record_or_a_typed_error(tail):
    parse_or_error("type=SYSCALL msg=audit(1.000:1):" + tail)
    parse_or_error("node=x type=AVC msg=audit(1.000:1): avc:" + tail)
    parse_or_error("type=USER_AVC msg=audit(1.000:1): pid=1 msg='" + tail)


@FUZZ
@given(mutated_corpus_line())
def test_mutated_corpus_lines_are_records_or_typed_errors(line):
    parse_or_error(line)


@FUZZ
@given(st.integers(-(1 << 40), 1 << 40), st.binary(max_size=300))
def test_arbitrary_kernel_messages(msg_type, payload):
    try:
        record = parse_netlink(msg_type, payload)
    except RecordError:
        return
    check_record(record)
    assert record.type == msg_type


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_through_reader_and_groupers(data):
    for grouper in (AuparseGrouper(), Reassembler(max_in_flight=4)):
        errors = CollectingErrorSink()
        for item in read_events([io.BytesIO(data)], grouper, errors):
            assert isinstance(item, (Event, EventsLost))
        assert all(isinstance(error, RecordError) for error in errors.errors)


@FUZZ
@given(st.lists(mutated_corpus_line(), max_size=40), st.randoms(use_true_random=False))
def test_every_record_comes_out_once(lines, rng):
    rng.shuffle(lines)
    sink = CollectingErrorSink()
    records = list(parse_lines(enumerate(lines, 1), "fuzz.log", sink))
    assert len(records) + sink.count == len([line for line in lines if line])
    for grouper in (AuparseGrouper(max_pending=8), Reassembler(max_in_flight=4)):
        delivered = [id(record) for item in group(records, grouper) if isinstance(item, Event)
                     for record in item.records]
        assert len(delivered) == len(set(delivered))  # no record twice
        kept = {id(record) for record in records if record.type != 1320}  # a stray EOE may be dropped
        assert kept <= set(delivered)
        assert grouper.pending == 0
