"""c2audit.auparse on its own: the binding's surface, what it adds or fixes, and no crash on any input.

Behaviour shared with the C binding is compared in ``test_auparse_parity.py``;
these tests cover what cannot be compared there (the binding crashes, closes
descriptors, or has no equivalent) and feed arbitrary input to the parser.
"""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2audit import auparse
from c2audit.auparse.sources import configured_logs
from c2audit.interpret import StaticLookups

FIXTURES = Path(__file__).parent / "fixtures" / "auparse"

# dir(auparse.AuParser) of Debian's python3-audit 3.0.9, without dunders
BINDING_METHODS = [
    "add_callback", "aup_normalize", "aup_normalize_get_action", "aup_normalize_get_event_kind",
    "aup_normalize_get_results", "aup_normalize_how", "aup_normalize_key",
    "aup_normalize_object_first_attribute", "aup_normalize_object_kind",
    "aup_normalize_object_next_attribute", "aup_normalize_object_primary",
    "aup_normalize_object_secondary", "aup_normalize_session", "aup_normalize_subject_first_attribute",
    "aup_normalize_subject_kind", "aup_normalize_subject_next_attribute", "aup_normalize_subject_primary",
    "aup_normalize_subject_secondary", "feed", "feed_age_events", "feed_has_data", "find_field",
    "find_field_next", "first_field", "first_record", "flush_feed", "get_field_int", "get_field_name",
    "get_field_str", "get_field_type", "get_filename", "get_line_number", "get_num_fields",
    "get_num_records", "get_record_text", "get_timestamp", "get_type", "get_type_name", "goto_record_num",
    "interpret_field", "interpret_realpath", "interpret_sock_address", "interpret_sock_family",
    "interpret_sock_port", "next_field", "next_record", "parse_next_event", "reset",
    "search_add_expression", "search_add_interpreted_item", "search_add_item", "search_add_regex",
    "search_add_timestamp_item", "search_add_timestamp_item_ex", "search_clear", "search_next_event",
    "search_set_stop", "set_eoe_timeout", "set_escape_mode",
]

LINE = ('type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 '
        'a2=3 a3=0 items=0 ppid=1 pid=2 auid=1000 uid=0 gid=0 comm="ls" exe="/bin/ls" key=(null)\n')


def test_every_method_of_the_binding_is_there() -> None:
    assert set(BINDING_METHODS) <= set(dir(auparse.AuParser))
    assert {"AuParser", "AuEvent", "NoParser"} <= set(dir(auparse))


def test_an_unbound_parser_raises_noparser() -> None:
    unbound = auparse.AuParser.__new__(auparse.AuParser)
    with pytest.raises(auparse.NoParser, match="no parser associated"):
        unbound.parse_next_event()
    with pytest.raises(auparse.NoParser):
        unbound.get_field_name()


def test_parsers_go_away_quietly_bound_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """``__del__`` reads its slot directly: an unbound parser's ``__getattr__`` must not raise in it."""
    unraisable: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda hook_args: unraisable.append(hook_args.exc_value))
    auparse.AuParser.__new__(auparse.AuParser)
    with pytest.raises(ValueError, match="Invalid source type"):
        auparse.AuParser()
    auparse.AuParser(auparse.AUSOURCE_BUFFER, LINE)
    gc.collect()
    assert unraisable == []


def test_a_parser_takes_no_attribute_of_its_own() -> None:
    # as the binding's C object: a typo in a script fails instead of going unnoticed
    parser = auparse.AuParser(auparse.AUSOURCE_BUFFER, LINE)
    with pytest.raises(AttributeError):
        parser.interpret_feild = True  # type: ignore[attr-defined]


def test_timestamp_item_ex_takes_its_five_arguments() -> None:
    # (the 3.0.9 binding parses six numbers into five variables: it refuses five and crashes on six)
    parser = auparse.AuParser(auparse.AUSOURCE_BUFFER, LINE)
    parser.search_add_timestamp_item_ex("=", 1700000000, 100, 10, auparse.AUSEARCH_RULE_CLEAR)
    assert parser.search_next_event()
    parser = auparse.AuParser(auparse.AUSOURCE_BUFFER, LINE)
    parser.search_add_timestamp_item_ex(">", 1700000000, 100, 10, auparse.AUSEARCH_RULE_CLEAR)
    assert not parser.search_next_event()


def test_descriptors_and_file_objects_stay_open(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(LINE)
    fd = os.open(log, os.O_RDONLY)
    parser = auparse.AuParser(auparse.AUSOURCE_DESCRIPTOR, fd)
    assert parser.parse_next_event()
    del parser
    os.lseek(fd, 0, os.SEEK_SET)
    assert os.read(fd, 4) == b"type"
    os.close(fd)
    with log.open() as handle:
        parser = auparse.AuParser(auparse.AUSOURCE_FILE_POINTER, handle)
        assert parser.parse_next_event()
        del parser
        handle.seek(0)
        assert handle.read(4) == "type"


def test_set_lookups_makes_names_reproducible() -> None:
    auparse.set_lookups(StaticLookups(users={1000: "alice"}))
    try:
        parser = auparse.AuParser(auparse.AUSOURCE_BUFFER, LINE)
        assert parser.parse_next_event()
        assert parser.find_field("auid") == "1000"
        assert parser.interpret_field() == "alice"
    finally:
        auparse.set_lookups(auparse.parser.default_lookups())


def test_a_feed_may_split_utf8_characters(tmp_path: Path) -> None:
    text = LINE.replace('"ls"', '"lš"').encode()
    seen: list[str] = []
    parser = auparse.AuParser(auparse.AUSOURCE_FEED)
    parser.add_callback(lambda au, kind, data: data.append(au.find_field("comm")), seen)
    for start in range(0, len(text), 3):
        parser.feed(text[start:start + 3])
    parser.flush_feed()
    assert seen == ['"lš"']


def test_configured_logs_are_read_oldest_first(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    for name in ("audit.log", "audit.log.1", "audit.log.2"):
        (tmp_path / name).write_text("")
    conf = tmp_path / "auditd.conf"
    conf.write_text(f"# comment\nlog_file = {log}\nend_of_event_timeout = 2\n")
    assert configured_logs(str(conf)) == [f"{log}.2", f"{log}.1", str(log)]
    conf.write_text(f"log_file = {tmp_path / 'missing.log'}\n")
    with pytest.raises(FileNotFoundError):
        configured_logs(str(conf))


def test_a_file_walk_reads_long_lines_and_a_last_line_without_newline(tmp_path: Path) -> None:
    long_value = "x" * (3 << 20)  # longer than a read chunk
    log = tmp_path / "audit.log"
    log.write_text(LINE + LINE.replace(":10)", ":11)").replace("key=(null)", f"key=(null) big={long_value}")
                   + LINE.replace(":10)", ":12)").rstrip("\n"))
    parser = auparse.AuParser(auparse.AUSOURCE_FILE, str(log))
    serials, lines = [], []
    while parser.parse_next_event():
        serials.append(parser.get_timestamp().serial)  # type: ignore[union-attr]
        lines.append(parser.get_line_number())
    assert serials == [10, 11, 12]
    assert lines == [1, 2, 3]
    parser.reset()
    assert parser.parse_next_event() and parser.find_field("big") is None
    assert parser.parse_next_event() and parser.find_field("big") == long_value


def walk_everything(parser: auparse.AuParser) -> int:
    """Call every accessor on every field; count the fields."""
    fields = 0
    while parser.parse_next_event():
        parser.get_timestamp()
        parser.aup_normalize(auparse.NORM_OPT_ALL)
        if not parser.first_record():
            continue
        while True:
            for accessor in (parser.get_type, parser.get_type_name, parser.get_line_number,
                             parser.get_num_fields, parser.get_record_text):
                try:
                    accessor()
                except (LookupError, RuntimeError, OSError):
                    pass
            if parser.first_field():
                while True:
                    fields += 1
                    parser.get_field_type()
                    for accessor in (parser.get_field_name, parser.get_field_str, parser.interpret_field,
                                     parser.get_field_int, parser.interpret_realpath,
                                     parser.interpret_sock_family):
                        try:
                            accessor()
                        except (RuntimeError, OSError):
                            pass
                    if not parser.next_field():
                        break
            if not parser.next_record():
                break
    return fields


CORPUS_LINES = (FIXTURES / "edge.log").read_text().splitlines()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    walk_everything(auparse.AuParser(auparse.AUSOURCE_BUFFER, text + "\n"))
    feed = auparse.AuParser(auparse.AUSOURCE_FEED)
    feed.add_callback(lambda au, kind, data: walk_everything(au), None)
    feed.feed(data)
    feed.flush_feed()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CORPUS_LINES), st.integers(0, 400), st.text(max_size=6)),
                min_size=1, max_size=12))
def test_mutated_corpus_lines_never_crash_the_parser(edits: list[tuple[str, int, str]]) -> None:
    lines = [line[:cut] + insert + line[cut + len(insert):] for line, cut, insert in edits]
    parser = auparse.AuParser(auparse.AUSOURCE_BUFFER, "\n".join(lines) + "\n")
    walk_everything(parser)
    parser = auparse.AuParser(auparse.AUSOURCE_BUFFER, "\n".join(lines) + "\n")
    parser.search_add_expression("\\regexp /a=/ || uid i= root", auparse.AUSEARCH_RULE_CLEAR)
    while parser.search_next_event():
        pass
