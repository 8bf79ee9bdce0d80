"""Event grouping: go-libaudit's reassembler cases, loss as a value, and libauparse's file rules."""
from __future__ import annotations

import pytest

from c2audit.events import (
    SERIAL_MODULUS,
    AuparseGrouper,
    Event,
    EventsLost,
    Reassembler,
    group,
    is_last_record,
    is_last_record_auparse_3_0,
)
from c2audit.records import Record, parse_line
from c2audit.tables import uapi

MAX_SERIAL = SERIAL_MODULUS - 1


def record(serial: int, kind: str = "SYSCALL", sec: int = 1000, milli: int = 0,
           node: str | None = None) -> Record:
    prefix = f"node={node} " if node else ""
    return parse_line(f"{prefix}type={kind} msg=audit({sec}.{milli:03d}:{serial}): x=1")


def shape(items) -> list:
    """(serial, record count) per event, ('lost', n) per loss."""
    return [("lost", item.count) if isinstance(item, EventsLost) else (item.serial, len(item.records))
            for item in items]


def corpus_records(corpus, name: str) -> list[Record]:
    path = corpus / "logs" / f"go-libaudit__testdata-{name}.log"
    return [parse_line(line, path.name, n) for n, line in enumerate(path.read_text().splitlines(), 1)]


# --- go-libaudit's reassembler_test.go, on its own logs --------------------------------------


GOLDENS = {
    # name: (events as (serial, records), events lost) — reassembler_test.go's TestReassembler
    "normal": ([(58, 2), (59, 5), (60, 5), (61, 4), (62, 1)], 0),
    "lost_messages": ([(49, 2), (59, 5), (60, 5), (61, 4), (62, 1)], 9),
    "rollover": ([(4294967294, 1), (4294967295, 1), (0, 1), (1, 1), (2, 1)], 0),
}


@pytest.mark.parametrize("name", sorted(GOLDENS))
@pytest.mark.parametrize("clock", ["event time", "explicit now"])
def test_go_libaudit_reassembler_cases(corpus, name, clock):
    events, lost = GOLDENS[name]
    reassembler = Reassembler(max_in_flight=5, timeout=2.0)  # as the Go test builds it
    output = []
    for item in corpus_records(corpus, name):
        output += reassembler.push(item, now=0.0 if clock == "explicit now" else None)
    output += reassembler.flush()
    delivered = [item for item in output if isinstance(item, Event)]
    assert [(event.serial, len(event.records)) for event in delivered] == events
    assert all(rec.serial == event.serial for event in delivered for rec in event.records)
    assert sum(item.count for item in output if isinstance(item, EventsLost)) == lost


def test_lost_messages_loss_says_where(corpus):
    output = list(group(corpus_records(corpus, "lost_messages"), Reassembler(max_in_flight=5)))
    assert output[1] == EventsLost(9, None, after_serial=49, next_serial=59)


def test_serial_order_across_rollover():
    # TestSequenceNumSliceSort
    pushed = [MAX_SERIAL - 5, MAX_SERIAL - 4, 0, 1, 2, MAX_SERIAL - 3, MAX_SERIAL - 2, MAX_SERIAL, 3, 4]
    reassembler = Reassembler(max_in_flight=100)
    for serial in pushed:
        assert reassembler.push(record(serial)) == []
    delivered = [item.serial for item in reassembler.flush() if isinstance(item, Event)]
    assert delivered == [MAX_SERIAL - 5, MAX_SERIAL - 4, MAX_SERIAL - 3, MAX_SERIAL - 2, MAX_SERIAL,
                         0, 1, 2, 3, 4]


def test_unordered_sequences_lose_nothing():
    # TestUnorderedSequencesNoLostEvents: a late event is delivered, not counted as lost
    reassembler = Reassembler(max_in_flight=5)
    output = []
    for serial in (2, 1, 3):
        output += reassembler.push(record(serial, "PROCTITLE"))
    output += reassembler.flush()
    assert shape(output) == [(2, 1), (1, 1), (3, 1)]
    # and a gap that fills in before it is confirmed is no loss either
    reassembler = Reassembler(max_in_flight=5)
    assert shape(reassembler.push(record(1, "PROCTITLE"))) == [(1, 1)]
    assert reassembler.push(record(3, "PROCTITLE")) == []  # 2 may still come
    assert shape(reassembler.push(record(2, "PROCTITLE"))) == [(2, 1), (3, 1)]


def test_gap_confirmed_at_flush():
    # TestLostEventsOnClear
    reassembler = Reassembler(max_in_flight=5)
    reassembler.push(record(1, "PROCTITLE"))
    assert reassembler.push(record(3, "PROCTITLE")) == []
    assert shape(reassembler.flush()) == [("lost", 1), (3, 1)]


def test_gap_across_rollover_counts_the_missing_serials():
    # TestLostEventsOnClearRollover
    reassembler = Reassembler(max_in_flight=5)
    reassembler.push(record(4294967293, "PROCTITLE"))
    reassembler.push(record(3, "PROCTITLE"))
    lost = [item for item in reassembler.flush() if isinstance(item, EventsLost)]
    assert lost == [EventsLost(5, None, 4294967293, 3)]


def test_gap_confirmed_when_the_waiting_event_expires():
    reassembler = Reassembler(max_in_flight=50, timeout=2.0)
    assert shape(reassembler.push(record(10, "PROCTITLE"), now=100.0)) == [(10, 1)]
    assert reassembler.push(record(12, "PROCTITLE"), now=100.5) == []
    assert reassembler.tick(102.0) == []
    assert shape(reassembler.tick(102.5)) == [("lost", 1), (12, 1)]


def test_bound_on_events_in_flight_delivers_the_oldest():
    reassembler = Reassembler(max_in_flight=3, timeout=60.0)
    output = []
    for serial in range(1, 6):
        output += reassembler.push(record(serial), now=0.0)
    assert shape(output) == [(1, 1), (2, 1)]
    assert reassembler.pending == 3


def test_eoe_completes_and_is_kept_interleaved_records_regroup():
    lines = [record(7), record(8), record(7, "PATH"), record(8, "CWD"), record(8, "EOE"), record(7, "EOE")]
    reassembler = Reassembler()
    output = []
    for item in lines:
        output += reassembler.push(item, now=0.0)
    # 8 is complete first but waits for 7 (serial order)
    assert [(event.serial, [r.type_text for r in event.records]) for event in output] == [
        (7, ["SYSCALL", "PATH", "EOE"]), (8, ["SYSCALL", "CWD", "EOE"])]


def test_orphan_eoe_is_dropped():
    reassembler = Reassembler()
    assert shape(reassembler.push(record(5, "USER_LOGIN"))) == [(5, 1)]
    assert reassembler.push(record(5, "EOE")) == []
    assert reassembler.pending == 0


def test_login_waits_for_its_syscall_in_the_live_stream():
    reassembler = Reassembler()
    assert reassembler.push(record(9, "LOGIN")) == []
    assert reassembler.push(record(9, "SYSCALL")) == []
    assert shape(reassembler.push(record(9, "EOE"))) == [(9, 3)]


def test_serials_restarting_after_a_reboot_are_a_new_sequence_not_a_loss():
    reassembler = Reassembler(max_in_flight=10, timeout=2.0)
    output = []
    for item in (record(5000, "PROCTITLE", sec=1000), record(5001, "PROCTITLE", sec=1000),
                 record(1, "PROCTITLE", sec=1300), record(2, "PROCTITLE", sec=1300)):
        output += reassembler.push(item)
    output += reassembler.flush()
    assert shape(output) == [(5000, 1), (5001, 1), (1, 1), (2, 1)]


def test_nodes_have_their_own_serials():
    reassembler = Reassembler()
    output = []
    for item in (record(10, "PROCTITLE", node="a"), record(500, "PROCTITLE", node="b"),
                 record(11, "PROCTITLE", node="a"), record(501, "PROCTITLE", node="b")):
        output += reassembler.push(item)
    assert [(event.node, event.serial) for event in output] == [("a", 10), ("b", 500), ("a", 11), ("b", 501)]
    assert not any(isinstance(item, EventsLost) for item in output)


def test_loss_reports_can_be_turned_off():
    reassembler = Reassembler(report_loss=False)
    reassembler.push(record(1, "PROCTITLE"))
    reassembler.push(record(5, "PROCTITLE"))
    assert shape(reassembler.flush()) == [(5, 1)]


def test_reassembler_rejects_a_zero_bound():
    with pytest.raises(ValueError):
        Reassembler(max_in_flight=0)


# --- single-record types ----------------------------------------------------------------------


@pytest.mark.parametrize("kind, live, auparse_3_0", [
    (uapi.AUDIT_EOE, True, True),
    (uapi.AUDIT_PROCTITLE, True, True),
    (uapi.AUDIT_SYSCALL, False, False),
    (uapi.AUDIT_PATH, False, False),
    (uapi.AUDIT_LOGIN, False, True),  # the kernel follows LOGIN with its SYSCALL; auparse 3.0.9 splits them
    (uapi.AUDIT_USER, True, True),
    (uapi.AUDIT_USER_LOGIN, True, True),
    (uapi.AUDIT_KERNEL, True, True),
    (uapi.AUDIT_MAC_UNLBL_ALLOW, True, True),
    (uapi.AUDIT_ANOM_PROMISCUOUS, False, False),  # followed by its SYSCALL
    (uapi.AUDIT_ANOM_LOGIN_FAILURES, True, True),
    (1000, False, True),
    (-1, False, True),
])
def test_single_record_types(kind, live, auparse_3_0):
    assert is_last_record(kind) is live
    assert is_last_record_auparse_3_0(kind) is auparse_3_0


# --- libauparse's file grouping ----------------------------------------------------------------


def auparse_shape(records) -> list[list[int]]:
    return [[r.line for r in event.records] for event in group(records, AuparseGrouper())]


def numbered(*lines: str) -> list[Record]:
    return [parse_line(line, "t.log", number) for number, line in enumerate(lines, 1)]


def test_auparse_grouping_waits_for_the_earliest_event():
    # observed with libauparse 3.0.9: complete events wait behind an earlier building one
    records = numbered(
        "type=SYSCALL msg=audit(100.000:10): a=1",
        "type=SYSCALL msg=audit(100.000:11): a=1",
        "type=EOE msg=audit(100.000:11):",
        "type=USER msg=audit(100.000:12): a=1",
        "type=USER msg=audit(100.000:9): a=1",
        "type=PATH msg=audit(100.000:10): a=1",
    )
    assert auparse_shape(records) == [[5], [1, 6], [2, 3], [4]]


def test_auparse_grouping_times_out_on_record_seconds():
    records = numbered(
        "type=LOGIN msg=audit(100.000:1): pid=1 uid=0",
        "type=SYSCALL msg=audit(100.000:1): arch=c000003e syscall=1",
        "type=SYSCALL msg=audit(100.000:3): arch=c000003e syscall=1",
        "type=PATH msg=audit(101.000:4): item=0",
        "type=PATH msg=audit(102.000:5): item=0",
        'type=CWD msg=audit(100.000:3): cwd="/"',
        "type=EOE msg=audit(100.000:3):",
        "type=PATH msg=audit(100.000:3): item=0",
    )
    assert auparse_shape(records) == [[1], [2], [3], [6, 7], [8], [4], [5]]


def test_auparse_grouping_drops_a_lone_eoe_and_separates_nodes():
    records = numbered(
        "type=PROCTITLE msg=audit(100.000:6): x=1",
        "type=EOE msg=audit(100.000:6):",
        "type=USER_AVC msg=audit(100.000:12): x=1",
        "node=a type=SYSCALL msg=audit(100.000:12): x=1",
        "type=SYSCALL msg=audit(100.000:12): x=1",
    )
    assert auparse_shape(records) == [[1], [3], [4], [5]]


def test_auparse_tick_ages_events_on_the_callers_clock():
    grouper = AuparseGrouper()
    assert grouper.push(record(1, sec=100)) == []
    assert grouper.tick(101) == []
    assert shape(grouper.tick(102)) == [(1, 1)]


def test_auparse_grouper_bound_keeps_memory_flat_when_time_stands_still():
    grouper = AuparseGrouper(max_pending=10)
    output = []
    for serial in range(1, 1001):
        output += grouper.push(record(serial))
    assert grouper.pending <= 11
    output += grouper.flush()
    assert [event.serial for event in output] == list(range(1, 1001))


def test_auparse_grouper_rejects_a_zero_bound():
    with pytest.raises(ValueError):
        AuparseGrouper(max_pending=0)


def test_event_properties():
    event = next(group([record(3, sec=5, milli=250, node="n")], AuparseGrouper()))
    assert event.key == ("n", 5, 250, 3)
    assert event.timestamp == 5.25
    assert repr(event) == "<Event node=n 5.250:3 [SYSCALL]>"


def test_keep_eoe_keeps_the_eoe_auparse_drops():
    lines = ("type=SYSCALL msg=audit(100.000:1): x=1", "type=PROCTITLE msg=audit(100.000:1): x=1",
             "type=EOE msg=audit(100.000:1):", "type=USER msg=audit(100.000:2): x=1",
             "type=EOE msg=audit(100.000:1):")  # a second EOE for an event already delivered
    assert auparse_shape(numbered(*lines)) == [[1, 2], [4]]
    keeping = AuparseGrouper(keep_eoe=True)
    kept = [[r.line for r in event.records] for event in group(numbered(*lines), keeping)]
    assert kept == [[1, 2, 3], [4], [5]]
