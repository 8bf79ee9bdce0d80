"""ausearch's grouping (:mod:`c2audit.events_ausearch`) and the interpreted encoder on hostile input.

The end-to-end equality with ausearch is in ``test_interpreted.py``; these
tests pin the rules that make ausearch's grouping differ from libauparse's,
one at a time, and check that no input makes the encoder fail.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from c2audit.encode.interpreted import InterpretedEncoder
from c2audit.events import AuparseGrouper, Event, group
from c2audit.events_ausearch import LINE_LIMIT, AusearchGrouper, ausearch_view, search_items
from c2audit.interpret import StaticLookups
from c2audit.records import Record, RecordError, parse_line

T = 1700000000
SYSCALL = "arch=c000003e syscall=1 success=yes exit=1 a0=1 a1=2 a2=3 a3=4 items=0 pid=1 uid=0"
SYNTHETIC = Path(__file__).parent / "fixtures" / "interpreted" / "synthetic.log"


def record(kind: str, sec: int, serial: int, body: str = "x=1", milli: int = 0) -> Record:
    return parse_line(f"type={kind} msg=audit({sec}.{milli:03d}:{serial}): {body}")


def serials(outputs: list) -> list[tuple[int, int]]:
    return [(event.serial, len(event.records)) for event in outputs if isinstance(event, Event)]


def test_an_event_starting_with_a_single_record_type_is_complete_at_once() -> None:
    grouper = AusearchGrouper()
    assert serials(grouper.push(record("LOGIN", T, 5))) == [(5, 1)]
    # The SYSCALL of the same serial no longer finds a building event: a new one.
    assert grouper.push(record("SYSCALL", T, 5, SYSCALL)) == []
    assert serials(grouper.flush()) == [(5, 1)]


def test_eoe_ends_nothing_unlike_libauparse() -> None:
    records = [record("SYSCALL", T, 1, SYSCALL), record("EOE", T, 1, ""), record("SYSCALL", T, 2, SYSCALL)]
    ausearch, auparse = AusearchGrouper(), AuparseGrouper()
    assert [ausearch.push(item) for item in records] == [[], [], []]
    assert serials([event for item in records for event in auparse.push(item)]) == [(1, 2)]
    assert serials(ausearch.flush()) == [(1, 2), (2, 1)]


def test_time_completes_events_only_when_a_new_event_arrives() -> None:
    grouper = AusearchGrouper()
    grouper.push(record("SYSCALL", T, 1, SYSCALL))
    assert grouper.push(record("SYSCALL", T + 1, 2, SYSCALL)) == []
    assert grouper.tick(T + 1) == []
    assert serials(grouper.push(record("SYSCALL", T + 2, 3, SYSCALL))) == [(1, 1)]
    # A late record of event 1 starts an event of its own.
    assert grouper.push(record("PATH", T, 1, "item=0")) == []
    assert serials(grouper.push(record("SYSCALL", T + 4, 4, SYSCALL))) == [(1, 1), (2, 1), (3, 1)]


def test_a_complete_event_waits_behind_an_earlier_incomplete_one() -> None:
    grouper = AusearchGrouper()
    assert grouper.push(record("SYSCALL", T, 1, SYSCALL)) == []
    assert grouper.push(record("USER_LOGIN", T, 2)) == []  # complete, but 1 is earlier
    assert grouper.push(record("USER_LOGIN", T, 0)) != []  # earlier than 1: out at once
    assert serials(grouper.flush()) == [(1, 1), (2, 1)]


def test_lone_eoe_is_dropped() -> None:
    grouper = AusearchGrouper()
    assert grouper.push(record("EOE", T, 9, "")) == []
    assert grouper.flush() == []


def test_events_held_are_bounded() -> None:
    grouper = AusearchGrouper(max_pending=3)
    delivered = []
    for serial in range(10):
        delivered += grouper.push(record("SYSCALL", T, serial, SYSCALL))
        assert grouper.pending <= 3
    delivered += grouper.flush()
    assert serials(delivered) == [(serial, 1) for serial in range(10)]


def test_ausearch_reads_a_long_line_as_its_first_8969_bytes() -> None:
    body = "argc=1 a0=" + "é" * 6000  # two bytes each: the cut falls by bytes, not characters
    seen = ausearch_view(record("EXECVE", T, 1, body))
    assert seen is not None
    assert len(seen.text.encode("utf-8", "surrogateescape")) == LINE_LIMIT


def test_ausearch_stops_a_record_at_a_nul_byte() -> None:
    seen = ausearch_view(record("USER", T, 1, "msg='a=1\x00b=2'"))
    assert seen is not None and seen.text.endswith("msg='a=1")


def test_ausearch_skips_headers_extract_timestamp_refuses() -> None:
    try:
        late = record("SYSCALL", T, 1, SYSCALL, milli=1000)
    except RecordError:
        pass  # the record parser refuses it already
    else:
        assert ausearch_view(late) is None
    assert ausearch_view(parse_line("type=USER msg=audit(1.1:1): a=1")) is None  # token under 19 characters
    assert ausearch_view(record("SYSCALL", (1 << 63) - 3, 1, SYSCALL)) is None  # too close to LONG_MAX


def test_events_ausearch_refuses_are_counted_not_printed() -> None:
    encoder = InterpretedEncoder(lookups=StaticLookups(), time_format=str)
    event = Event(None, T, 0, 1, [record("SYSCALL", T, 1, "arch=c000003e syscall=1 a0=1 items=0")])
    assert search_items(event.records) is None
    assert encoder.encode(event) == b"" and encoder.skipped == 1


def test_command_prints_local_time_of_the_tz_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "c2audit", "parse", "--format", "interpreted", str(SYNTHETIC)],
        env={**os.environ, "TZ": "JST-9", "LC_ALL": "C"}, capture_output=True, check=True, timeout=120,
    )
    assert b"type=SYSCALL msg=audit(11/15/23 07:13:20.001:1) : arch=x86_64 syscall=execve" in result.stdout


_TOKENS = st.sampled_from(
    ["a0=", "a1=", "arch=", "syscall=", "key=", "msg='", "'", '"', ",", "=", " ", "  ", "(", ")", "{", "}",
     "avc: ", "tclass=", "subj=u:r:t:s0:c1,c2", "acct=", ":", "\x01", "\x1d", "\x00", "uid=", "data=",
     "c000003e", "40000003", "59", "102", "ffffffffffffffffffff", "6B31016B32", "x", "é", "\udcff"])
_TYPES = st.sampled_from(["SYSCALL", "SECCOMP", "AVC", "USER_AVC", "INTEGRITY_DATA", "TTY", "EXECVE",
                          "CONFIG_CHANGE", "DAEMON_END", "USER_LOGIN", "UNKNOWN[77]", "1300", "EOE", "PATH"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TYPES, st.integers(0, 4), st.integers(0, 3), st.lists(_TOKENS, max_size=30)),
                max_size=12))
def test_any_record_soup_prints_without_failing(soup: list[tuple[str, int, int, list[str]]]) -> None:
    records = []
    for kind, sec, serial, tokens in soup:
        try:
            records.append(parse_line(f"type={kind} msg=audit({T + sec}.000:{serial}): {''.join(tokens)}"))
        except RecordError:
            continue
    encoder = InterpretedEncoder(lookups=StaticLookups(), time_format=str)
    for item in group(records, AusearchGrouper()):
        text = encoder.encode(item)
        assert text == b"" or text.startswith(b"----\n")


_WORDS = st.lists(_TOKENS, min_size=1, max_size=4).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TYPES, st.lists(_WORDS, max_size=25), st.lists(st.sampled_from([" ", "  "]), min_size=25, max_size=25))
def test_cached_fast_path_prints_what_ausearchs_loop_prints(kind: str, words: list[str], gaps: list[str]) -> None:
    body = "".join(word + gap for word, gap in zip(words, gaps))
    try:
        event = Event(None, T, 0, 1, [parse_line(f"type={kind} msg=audit({T}.000:1): {body}")])
    except RecordError:
        return
    exact = InterpretedEncoder(lookups=StaticLookups(), time_format=str)
    exact.fast = False
    cached = InterpretedEncoder(lookups=StaticLookups(), time_format=str)
    expected = exact.render(event)
    assert cached.render(event) == expected  # pieces worked out
    assert cached.render(event) == expected  # pieces read from the cache


_ARCHES = st.sampled_from(["c000003e", "40000003", "c00000b7", "deadbeef", "ffffffffffffffffff", "C000003E"])
_NUMBERS = st.sampled_from(["0", "1", "2", "5", "54", "55", "59", "72", "102", "117", "157", "221", "257", "0x3b", "-1",
                           "99999999999"])
_ARGUMENTS = st.sampled_from(["0", "1", "3", "4", "802", "241", "7ffd", "ffffffffffffff9c", "\x01", "zz", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ARCHES, _NUMBERS, st.lists(_ARGUMENTS, min_size=4, max_size=4)), min_size=1, max_size=8))
def test_syscall_records_print_alike_from_the_cache(calls: list[tuple[str, str, list[str]]]) -> None:
    """SYSCALL records in the kernel's layout reuse arch, syscall and argument texts across records."""
    exact = InterpretedEncoder(lookups=StaticLookups(), time_format=str)
    exact.fast = False
    cached = InterpretedEncoder(lookups=StaticLookups(), time_format=str)
    for serial, (arch, number, arguments) in enumerate(calls * 2):
        body = (f"arch={arch} syscall={number} success=yes exit=0 "
                + " ".join(f"a{index}={value}" for index, value in enumerate(arguments)) + " items=0 pid=1")
        event = Event(None, T, 0, serial, [parse_line(f"type=SYSCALL msg=audit({T}.000:{serial}): {body}")])
        assert cached.render(event) == exact.render(event)
