"""laurel's record grammar and grouping, piece by piece: quoting, tables, fast path = exact path, no crash.

The fixtures in ``fixtures/laurel`` hold laurel's own outputs (``test_laurel.py``);
here the parts are checked on their own, and hypothesis drives both parsing
paths and the grouper with generated input.
"""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2audit.encode.laurel import LaurelEncoder, LaurelEvent, LaurelGrouper, fastpath, grammar, values
from c2audit.encode.laurel.coalesce import is_multipart
from c2audit.events import AuparseGrouper
from c2audit.reader import CollectingErrorSink, read_events, read_records
from c2audit.records import RecordError, parse_line

# --- quoting: laurel's to_quoted_string ------------------------------------------------------------


def from_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


@pytest.mark.parametrize(("data", "printed"), [
    (b" ", " "),
    (b"asdf", "asdf"),
    (b"+", "%2b"),
    (b"%", "%25"),
    (b"%+%", "%25%2b%25"),
    (b"\xc3\xa4", "ä"),
    (b"\xe2\x82\xac", "€"),
    (b"\xf0\x9f\x92\x96", "💖"),
    (b"abcd\xc3\xa4\xc3\xb6\xc3\xbcefgh", "abcdäöüefgh"),
    (b"\xc3\xc3\xa4", "%c3ä"),  # a lead byte without its continuation
    (b"\xf0\x9f\xf0\x9f\x92\x96", "%f0%9f💖"),
    (b"\xed\xa0\x80", "%ed%a0%80"),  # a UTF-16 surrogate is no UTF-8
    (b"\xc0\xaf", "%c0%af"),  # overlong
    (b"\x00\x1f\x7f", "%00%1f%7f"),  # control bytes and DEL
    (b'"\\', '"\\'),  # JSON escapes them, not laurel
])
def test_quote(data: bytes, printed: str) -> None:
    assert values.quote(from_bytes(data)) == printed


@given(st.binary(max_size=40))
def test_quote_leaves_only_text_json_can_hold(data: bytes) -> None:
    printed = values.quote(from_bytes(data))
    printed.encode("utf-8")  # no surrogates left
    assert all(char >= " " and char != "\x7f" for char in printed)


# --- tables ------------------------------------------------------------------------------------


def test_tables_are_laurels() -> None:
    assert values.TYPE_NAMES[1500] == "AA"  # audit-documentation's name, not msg_typetab's APPARMOR
    assert values.laurel_type("APPARMOR") is None
    assert values.type_name(1420) == "MAC_TASK_CONTEXTS"
    assert values.type_name(1999) == "UNKNOWN[1999]"
    assert values.FIELD_KINDS["fp"] == values.HEX  # its "alphanumeric" row is not laurel's
    assert values.FIELD_KINDS["mode"] == values.OCT
    assert "msg" not in values.FIELD_KINDS  # "alphanumeric": parsed as encoded
    assert is_multipart(1006) and is_multipart(1300) and is_multipart(2099)
    assert not any(is_multipart(n) for n in (1100, 1406, 1419, 2000, 2100))


# --- the two parsing paths agree ------------------------------------------------------------------

TYPES = [values.SYSCALL, values.EXECVE, values.PROCTITLE, 1100, 1400, 1107, 1306, 1403]
KEYS = ["arch", "syscall", "pid", "auid", "subj", "info", "proctitle", "msg", "mode", "inode", "comm",
        "key", "x", "a0", "a1", "a2[0]", "a2[1]", "a1_len", "a1x", "argc", "ARCH", "saddr"]
VALUES = ["0", "12", "-5", "007", "9223372036854775808", "c000003e", "DEAD", "abc", "41", "4142",
          "C3A4", "0100755", "(null)", "?", "", '"text"', '"a b"', '"a\'b"', "'sq'", "'a b'",
          "'k=\"v w\" z=1'", "{ a=b }", "{x}", "unconfined (enforce)", "%41", "a+b", "ä", "a\"b",
          "fffffffffffffffff", "x=y", "'k=\"v", "\"'v\"", "'k={v", "\"}\"", "'k=\"v w\"'", "'k=\"v'"]
SEPARATORS = [" ", "  ", "\x1d", " \x1d "]


@st.composite
def bodies(draw: st.DrawFn) -> str:
    count = draw(st.integers(0, 6))
    tokens = [f"{draw(st.sampled_from(KEYS))}={draw(st.sampled_from(VALUES))}" for _ in range(count)]
    body = ""
    for index, token in enumerate(tokens):
        body += (draw(st.sampled_from(SEPARATORS)) if index else "") + token
    prefix = draw(st.sampled_from(["", "", "avc:  denied  { read write } for ", "netlabel: "]))
    return prefix + body + draw(st.sampled_from(["", "", " ", "\x1dX=1"]))


def exact_or_error(record_type: int, body: str) -> values.ParsedRecord | None:
    try:
        return grammar.parse_body_exact(record_type, body)
    except ValueError:
        return None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TYPES), bodies())
def test_fast_path_agrees_with_the_exact_grammar(record_type: int, body: str) -> None:
    fast = fastpath.parse_body_fast(record_type, body)
    exact = exact_or_error(record_type, body)
    if fast is None:
        return  # the exact grammar decides alone
    assert exact is not None, "the fast path accepted what laurel rejects"
    assert isinstance(exact.fields, dict)
    assert list(fast.fields.items()) == list(exact.fields.items())  # type: ignore[union-attr]
    assert list(fast.sys_args) == list(exact.sys_args)
    assert list(fast.exe_args) == list(exact.exe_args)
    assert fast.proctitle == exact.proctitle


def test_fast_path_agrees_on_every_token_and_a_seeded_sample() -> None:
    """Every key with every value alone, then 20,000 seeded random bodies, through both paths."""
    import random

    generator = random.Random(4)
    samples = [(record_type, f"{key}={value}") for record_type in TYPES for key in KEYS for value in VALUES]
    for _ in range(20_000):
        count = generator.randint(1, 6)
        tokens = [f"{generator.choice(KEYS)}={generator.choice(VALUES)}" for _ in range(count)]
        separators = [""] + [generator.choice(SEPARATORS) for _ in tokens[1:]]
        body = "".join(map(str.__add__, separators, tokens))
        samples.append((generator.choice(TYPES), generator.choice(["", "avc:  granted  { x } for "]) + body))
    fast_taken = 0
    for record_type, body in samples:
        fast = fastpath.parse_body_fast(record_type, body)
        if fast is None:
            continue
        fast_taken += 1
        exact = exact_or_error(record_type, body)
        assert exact is not None and isinstance(exact.fields, dict), (record_type, body)
        assert list(fast.fields.items()) == list(exact.fields.items()), (record_type, body)  # type: ignore[union-attr]
        assert (list(fast.sys_args), list(fast.exe_args), fast.proctitle) == (
            list(exact.sys_args), list(exact.exe_args), exact.proctitle), (record_type, body)
    assert fast_taken > len(samples) // 5  # the sample does exercise the fast path


@given(st.sampled_from(TYPES), st.text(max_size=80))
def test_any_body_parses_or_is_refused(record_type: int, body: str) -> None:
    try:
        grammar.parse_body(record_type, body.replace("\n", " "))
    except ValueError:
        pass


@given(st.binary(max_size=200))
def test_any_line_is_a_record_or_a_typed_error(data: bytes) -> None:
    line = data.decode("utf-8", "surrogateescape").replace("\n", " ")
    try:
        record = parse_line(f"type=SYSCALL msg=audit(1.000:1): {line}")
        grammar.parse_record(record)
    except RecordError:
        pass


# --- grouping ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_records(corpus) -> list:  # corpus: the conftest fixture's Path
    return list(read_records(sorted((corpus / "logs").glob("laurel__*")), CollectingErrorSink()))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_grouper_keeps_every_accepted_record_once(corpus_records: list, data: st.DataObject) -> None:
    records = data.draw(st.lists(st.sampled_from(corpus_records), max_size=60))
    serials = data.draw(st.lists(st.integers(1, 5), min_size=len(records), max_size=len(records)))
    lines = []
    for record, serial in zip(records, serials):
        head, _, tail = record.raw.partition(f":{record.serial})")
        lines.append(f"{head}:{serial}){tail}")
    errors = CollectingErrorSink()
    grouper = LaurelGrouper(errors)
    events = []
    for number, line in enumerate(lines, 1):
        events += grouper.push(parse_line(line, "generated", number))
    events += grouper.flush()
    assert grouper.pending == 0
    kept = sorted(record.line for event in events for record in event.records)
    assert len(kept) == len(set(kept))
    assert sorted(kept + [error.line for error in errors.errors]) == list(range(1, len(lines) + 1))
    encoder = LaurelEncoder()
    assert all(encoder.encode(event).endswith(b"\n") for event in events)


def test_tick_sends_events_older_than_five_seconds() -> None:
    grouper = LaurelGrouper()
    assert grouper.push(parse_line("type=PATH msg=audit(100.000:1): item=0")) == []
    assert grouper.tick(104.9) == []
    [event] = grouper.tick(105.001)
    assert isinstance(event, LaurelEvent) and event.serial == 1 and grouper.pending == 0


def test_in_flight_bound_sends_the_earliest_event() -> None:
    grouper = LaurelGrouper(max_in_flight=2)
    ready = []
    for serial in (3, 1, 2):
        ready += grouper.push(parse_line(f"type=PATH msg=audit(100.000:{serial}): item=0"))
    assert [event.serial for event in ready] == [3]  # the first one held
    assert grouper.pending == 2


def test_events_grouped_elsewhere_are_written_as_laurel_would(corpus) -> None:
    log = corpus / "logs" / "laurel__record-execve.txt"
    expected = (corpus / "expectations" / "laurel-json" / "laurel__record-execve.json").read_bytes()
    encoder = LaurelEncoder()
    events = list(read_events([io.BytesIO(log.read_bytes())], AuparseGrouper(), CollectingErrorSink()))
    assert b"".join(encoder.encode(event) for event in events) == expected
