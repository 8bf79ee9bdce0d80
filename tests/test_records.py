"""Record parsing: headers, types, kernel messages, typed errors and auparse's field split.

The field-split expectations below were read off libauparse 3.0.9 (Debian's
python3-audit) with the same lines; ``test_records_auparse.py`` re-checks the
whole corpus against the live library.
"""
from __future__ import annotations

import pytest

from c2audit.records import (
    UNKNOWN_TYPE,
    Record,
    RecordError,
    decode_value,
    is_hex_encoded,
    parse_line,
    parse_netlink,
    rule_keys,
    split_fields,
    type_name,
    type_number,
)
from c2audit.tables import uapi

SYSCALL = (
    'type=SYSCALL msg=audit(1492037291.036:59): arch=c000003e syscall=59 success=yes exit=0 a0=1522170 '
    'a1=1506120 a2=14faeb0 a3=7ffcc4582df0 items=2 ppid=12041 pid=13393 auid=1000 uid=1000 gid=1001 '
    'euid=1000 suid=1000 fsuid=1000 egid=1001 sgid=1001 fsgid=1001 tty=pts1 ses=802 comm="grep" '
    'exe="/usr/bin/grep" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key="user_commands"'
)


def fields_of(line: str) -> list[tuple[str, str | None]]:
    return parse_line(line).fields


# --- header -----------------------------------------------------------------------------


def test_header_is_parsed_eagerly_and_fields_lazily():
    record = parse_line(SYSCALL, "audit.log", 7)
    assert (record.type, record.type_text, record.node) == (uapi.AUDIT_SYSCALL, "SYSCALL", None)
    assert (record.sec, record.milli, record.serial) == (1492037291, 36, 59)
    assert (record.filename, record.line) == ("audit.log", 7)
    assert record.event_key == (None, 1492037291, 36, 59)
    assert record._fields is None  # nothing split yet
    assert record.fields[:3] == [("type", "SYSCALL"), ("arch", "c000003e"), ("syscall", "59")]
    assert record.get("key") == '"user_commands"'
    assert record.data_fields[0] == ("arch", "c000003e")


def test_node_prefix_and_its_field():
    record = parse_line('node=work type=EOE msg=audit(1615114232.375:15558):')
    assert record.node == "work"
    assert record.type == uapi.AUDIT_EOE
    assert record.fields == [("node", "work"), ("type", "EOE")]
    assert record.data_fields == []


def test_unknown_types_survive():
    record = parse_line("type=UNKNOWN[1420] msg=audit(1661853391.646:4486226): subj_apparmor=unconfined")
    assert (record.type, record.type_text, record.type_name) == (1420, "UNKNOWN[1420]", "UNKNOWN[1420]")
    record = parse_line("type=UNKNOWN[9999] msg=audit(1.000:2): x=1")
    assert record.type == 9999 and record.type_name == "UNKNOWN[9999]"
    future = parse_line("type=SOME_FUTURE_TYPE msg=audit(1.000:2): x=1")
    assert future.type == UNKNOWN_TYPE and future.type_name == "SOME_FUTURE_TYPE"


@pytest.mark.parametrize("text, number", [
    ("SYSCALL", 1300), ("syscall", 1300), ("UNKNOWN[1300]", 1300), ("1300", 1300),
    ("UNKNOWN[abc]", UNKNOWN_TYPE), ("", UNKNOWN_TYPE), ("NO_SUCH", UNKNOWN_TYPE),
])
def test_type_number_reads_names_as_libaudit(text, number):
    assert type_number(text) == number


def test_type_name_of_numbers():
    assert type_name(1327) == "PROCTITLE"
    assert type_name(4242) == "UNKNOWN[4242]"


def test_enriched_part_is_kept_apart():
    line = ('type=CRED_DISP msg=audit(1736784460.831:7211444): pid=34165 uid=0 auid=1006 ses=12345 '
            "msg='op=PAM:setcred acct=\"root\" res=success'\x1dUID=\"root\" AUID=\"mborden\"")
    record = parse_line(line)
    assert record.enriched == 'UID="root" AUID="mborden"'
    assert "\x1d" not in record.text
    assert record.raw == line
    assert record.fields[-1] == ("res", "success")


def test_records_compare_by_content():
    assert parse_line(SYSCALL, "a", 1) == parse_line(SYSCALL, "a", 1)
    assert parse_line(SYSCALL, "a", 1) != parse_line(SYSCALL, "a", 2)


@pytest.mark.parametrize("line, reason", [
    ("", "blank line"),
    ("   ", "blank line"),
    ("# a comment", "no type= field"),
    ("type=SYSCALL arch=c000003e", "no msg=audit(...) timestamp"),
    ("type=SYSCALL msg=audit(100:7): a=1", "malformed audit header"),  # no milliseconds
    ("type=SYSCALL msg=audit(1.000:5) a=1", "malformed audit header"),  # no colon after ')'
    ("type=SYSCALL\tmsg=audit(1.000:5): a=1", "malformed audit header"),  # a tab is no separator
    ("type=SYSCALL msg=audit(1.000:" + "9" * 30 + "): a=1", "malformed audit header"),
    ("node= type=SYSCALL msg=audit(1.000:5): a=1", "malformed audit header"),
    ("type=SYSCALL msg=audit(1.000:5", "malformed audit header"),  # truncated
    ("type=SYSCALL msg=audit(1163776448.7521:12862): a=1", "millisecond above 999"),
])
def test_garbage_lines_raise_typed_errors(line, reason):
    with pytest.raises(RecordError) as caught:
        parse_line(line, "audit.log", 12)
    error = caught.value
    assert error.reason.startswith(reason)
    assert (error.text, error.filename, error.line) == (line, "audit.log", 12)
    assert str(error).startswith("audit.log:12: ")


def test_error_message_shortens_long_text():
    with pytest.raises(RecordError) as caught:
        parse_line("x" * 1000, "f", 1)
    assert len(str(caught.value)) < 300


# --- kernel messages ----------------------------------------------------------------------


def test_netlink_payload_becomes_the_line_auditd_writes():
    record = parse_netlink(1300, b"audit(1700000000.123:42): arch=c000003e syscall=59\x00")
    assert record.text == "type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59"
    assert (record.type, record.sec, record.milli, record.serial) == (1300, 1700000000, 123, 42)
    assert record.fields == [("type", "SYSCALL"), ("arch", "c000003e"), ("syscall", "59")]
    assert record.filename is None and record.line == 0


def test_netlink_payload_with_node_and_unknown_type():
    record = parse_netlink(1499, "audit(1.002:3): x=1\n", node="host1")
    assert record.text == "node=host1 type=UNKNOWN[1499] msg=audit(1.002:3): x=1"
    assert record.type == 1499 and record.node == "host1"


def test_netlink_payload_without_header_is_a_typed_error():
    with pytest.raises(RecordError, match="kernel message type 1305"):
        parse_netlink(1305, b"op=set audit_enabled=1")


# --- auparse's field split -----------------------------------------------------------------


def test_plain_kernel_record():
    fields = fields_of(SYSCALL)
    assert len(fields) == 27
    assert fields[-3:] == [("exe", '"/usr/bin/grep"'),
                           ("subj", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"),
                           ("key", '"user_commands"')]


def test_user_space_record_nested_msg_becomes_fields():
    line = ("type=USER_ACCT msg=audit(1642723741.072:375): pid=10125 uid=0 auid=4294967295 ses=4294967295 "
            "msg='op=PAM:accounting acct=\"root\" exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron "
            "res=success'")
    assert fields_of(line) == [
        ("type", "USER_ACCT"), ("pid", "10125"), ("uid", "0"), ("auid", "4294967295"), ("ses", "4294967295"),
        ("op", "PAM:accounting"), ("acct", '"root"'), ("exe", '"/usr/sbin/cron"'), ("hostname", "?"),
        ("addr", "?"), ("terminal", "cron"), ("res", "success"),
    ]


def test_selinux_avc_result_and_permissions():
    line = ("type=AVC msg=audit(1158584779.745:708): avc:  denied  { read write } for  pid=8132 "
            'comm="sh" capability=2 scontext=user_u:system_r:vpnc_t:s0 tclass=capability permissive=1')
    assert fields_of(line) == [
        ("type", "AVC"), ("seresult", "denied"), ("seperms", "read,write"), ("pid", "8132"),
        ("comm", '"sh"'), ("capability", "2"), ("scontext", "user_u:system_r:vpnc_t:s0"),
        ("tclass", "capability"), ("permissive", "1"),
    ]


def test_avc_positions_follow_auparse_counts():
    # With a node the positions shift by one; a brace glued to its permission opens the list
    # at the *next* token, as auparse does.
    assert fields_of("node=n1 type=AVC msg=audit(100.000:3): avc:  granted  {read} for pid=1") == [
        ("node", "n1"), ("type", "AVC"), ("seresult", "granted"), ("seperms", "for,pid=1")]
    assert fields_of("type=AVC msg=audit(100.000:4): foo bar { x } baz=1") == [
        ("type", "AVC"), ("seresult", "foo"), ("seperms", "x"), ("baz", "1")]
    # a result word with '=' in it is a field, and the brace then opens the permissions
    assert fields_of("type=AVC msg=audit(100.000:5): avc:  den=7ed  { rename } for  pid=1 a=b=c") == [
        ("type", "AVC"), ("den", "7ed"), ("seperms", "rename"), ("pid", "1"), ("a", "b=c")]


def test_user_avc_as_auparse_sees_it():
    line = ("type=USER_AVC msg=audit(1163772866.369:8084): user pid=6659 uid=81 auid=500 "
            "subj=staff_u:staff_r:staff_dbusd_t:s0 msg='avc:  denied  { send_msg } for msgtype=signal "
            "tclass=dbus : exe=\"/bin/dbus-daemon\" (sauid=81, hostname=?, addr=?, terminal=?)'")
    assert fields_of(line) == [
        ("type", "USER_AVC"), ("seresult", "user"), ("pid", "6659"), ("uid", "81"), ("auid", "500"),
        ("subj", "staff_u:staff_r:staff_dbusd_t:s0"), ("msgtype", "signal"), ("tclass", "dbus"),
        ("exe", '"/bin/dbus-daemon"'), ("sauid", "81"), ("hostname", "?"), ("addr", "?"), ("terminal", "?"),
    ]


def test_overlong_avc_permission_list_stops_the_split():
    perms = " ".join(f"perm{number:03d}" for number in range(60))
    fields = fields_of(f"type=AVC msg=audit(1.000:1): avc:  denied  {{ {perms} }} for pid=1")
    assert fields == [("type", "AVC"), ("seresult", "denied")]


def test_auparse_quirks_on_one_line():
    line = ('type=SYSCALL msg=audit(100.000:1): key="a" key=(null) key=6162016364 reason="memory violation" '
            "a=b=c =x y= (sauid=81, t=x), u=(none) v=(none), w=abc): z=q' msg=abc msg='zz m=1' "
            "k2=(null) last")
    assert fields_of(line) == [
        ("type", "SYSCALL"), ("key", '"a"'), ("key", "(null)"), ("key", '"ab"'), ("key", '"cd"'),
        ("reason", '"memory'), ("a", "b=c"), ("", "x"), ("sauid", "81"), ("t", "x"), ("u", "(none)"),
        ("v", "(none)"), ("w", "abc"), ("z", "q"), ("m", "1"), ("k2", "(null)"),
    ]


def test_header_glued_to_first_field_drops_it_and_spaces_collapse():
    assert fields_of('type=SYSCALL msg=audit(100.000:6):arch=c000003e  syscall=1   x="a b"') == [
        ("type", "SYSCALL"), ("syscall", "1"), ("x", '"a')]
    assert fields_of('type=CWD msg=audit(1492037291.036:59):  cwd="/home/andrew_kroh"') == [
        ("type", "CWD"), ("cwd", '"/home/andrew_kroh"')]


def test_a_plain_msg_value_is_a_field():
    assert fields_of("type=USER msg=audit(1.000:1): msg=xyz") == [("type", "USER"), ("msg", "xyz")]


def test_repeated_names_are_kept_in_order():
    line = ("type=SYSCALL msg=audit(1739218487.007:22145057): arch=c000003e syscall=101 auid=0 uid=0 uid=0 "
            "euid=0 suid=0 euid=0")
    record = parse_line(line)
    assert [name for name, _ in record.fields].count("uid") == 2
    assert record.get_all("euid") == ["0", "0"]


@pytest.mark.parametrize("value, fields", [
    ("y=", []),
    ("y=''", [("y", "'")]),
    ('y=""', [("y", '""')]),
    ("y=,", [("y", "")]),
    ("y=)", [("y", "")]),
    ("key=6", [("key", None)]),
    ("key=GG", [("key", None)]),
    ('key=""', [("key", '""')]),
    ("key=", []),
    ("key=(none)", [("key", "(none)")]),
    ("key=(null)x", [("key", "(null)x")]),
    ("key=6A6B", [("key", '"jk"')]),
    ("key=6a6b", [("key", '"jk"')]),
    ("key=ZZ61", [("key", None)]),
    ("key=61ZZ", [("key", '"a"')]),
    ('key="a', [("key", '"a')]),
    ("key=22", [("key", "22")]),
    ("key=2061", [("key", "2061")]),
    ("key=C3A9", [("key", "C3A9")]),
    ("key=0161", [("key", '"a"')]),
    ("key=01", []),
    ('key=abc"', [("key", "ABC0")]),
    ("key='x'", [("key", None)]),
    ("key=(abc", [("key", "(abc")]),
    ("key=x)", [("key", None)]),
    ("key=)", [("key", None)]),  # nothing left once ')' is stripped: no hex, no value
    ("key=:", [("key", None)]),
    ("key=610062", [("key", '"a"')]),
    ("y=eA(none)", [("y", "eA(none")]),  # only a value that is exactly (none) keeps its ')'
    ("y=(none)x)", [("y", "(none)x")]),
])
def test_values_as_auparse_3_0_9_gives_them(value, fields):
    assert fields_of(f"type=SYSCALL msg=audit(100.000:1): a=1 {value} b=2")[2:-1] == fields


def test_rule_keys_split_a_hex_key_list():
    assert rule_keys("6B6579310161756469742D77617463682D6B6579") == ['"key1"', '"audit-watch-key"']
    assert rule_keys('"single"') == ['"single"']


def test_split_fields_without_header_position_walks_the_tokens():
    record = parse_line(SYSCALL)
    assert split_fields(record.text, record.type, False) == record.fields
    assert split_fields(record.text, record.type, False, record.body_start) == record.fields


def test_record_built_without_header_offset_still_splits():
    # c2audit.auparse builds records of lines the strict parser refuses, without body_start
    record = Record(1300, "SYSCALL", None, 1, 0, 1, "type=SYSCALL msg=audit(1.000:1): a=1 b=2")
    assert record.fields == [("type", "SYSCALL"), ("a", "1"), ("b", "2")]


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, decoded", [
    ('"grep"', b"grep"),
    ("2F7573722F62696E2F707974686F6E", b"/usr/bin/python"),
    ("(null)", None),
    ("(none)", None),
    (None, None),
    ("c000003e", b"c000003e"),  # lower-case hex is a number, not an encoded string
    ("ABC", b"ABC"),  # odd length
    ('"', b'"'),
])
def test_decode_value(raw, decoded):
    assert decode_value(raw) == decoded


def test_is_hex_encoded():
    assert is_hex_encoded("6162")
    assert not is_hex_encoded("616")
    assert not is_hex_encoded("6a62")
    assert not is_hex_encoded("")
