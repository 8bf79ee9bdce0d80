"""The rule language's words, options and typed commands, with their positions."""
from __future__ import annotations

import pytest

from c2audit.rules import syntax as S
from c2audit.rules.errors import LexError, OptionError, RuleError
from c2audit.rules.lexer import lex_line, tokenize
from c2audit.rules.syntax import parse_argv, parse_line, parse_rules_text


def parse(text: str) -> S.ParsedLine:
    line = lex_line(text, file="t.rules", number=7)
    assert line is not None
    return parse_line(line)


def error_of(text: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse(text)
    return caught.value


# --- words --------------------------------------------------------------------------------------

def test_words_keep_their_columns_and_raw_text() -> None:
    tokens = tokenize('-w "/a b"  -k x\\ y')
    assert [(t.text, t.raw, t.column) for t in tokens] == [
        ("-w", "-w", 1), ("/a b", '"/a b"', 4), ("-k", "-k", 12), ("x y", "x\\ y", 15)]


def test_quotes_and_escapes_follow_auditctl_and_the_shell() -> None:
    assert [t.text for t in tokenize(r"""a\\b 'c d'e "f\"g" h\x""")] == ["a\\b", "c de", 'f"g', "h\\x"]


def test_tabs_separate_and_a_crlf_line_end_is_dropped() -> None:
    line = lex_line("-w /etc/passwd\t-p wa\r")
    assert line is not None and [t.text for t in line.tokens] == ["-w", "/etc/passwd", "-p", "wa"]


@pytest.mark.parametrize("text", ["", "   ", "# -w /etc", "   #comment it's fine", "\r"])
def test_blank_and_comment_lines_carry_nothing(text: str) -> None:
    assert lex_line(text) is None


def test_an_unterminated_quote_is_a_lex_error_at_its_column() -> None:
    with pytest.raises(LexError) as caught:
        lex_line("-w '/etc/pass", file="f", number=3)
    error = caught.value
    assert (error.code, error.origin.line, error.origin.column) == ("unterminated-quote", 3, 4)


# --- options ------------------------------------------------------------------------------------

def test_getopt_forms_attached_clustered_and_long() -> None:
    rule = parse("-a always,exit -Fauid=0 -Sopen").rule
    assert [type(p).__name__ for p in rule.parts] == ["ListPart", "FieldPart", "SyscallPart"]
    assert rule.parts[1].pair.value == "0" and rule.parts[2].names == ("open",)
    assert parse("--backlog_wait_time=60000").commands[0].value == 60000
    assert parse("--backlog 10").commands[0].value == 10  # a unique prefix of a long option
    assert isinstance(parse("--loginuid-immutable").commands[0], S.SetLoginuidImmutable)


@pytest.mark.parametrize(("text", "code", "column"), [
    ("-x", "unknown-option", 1),
    ("-a always,exit -S", "missing-argument", 16),
    ("--reset", "unknown-option", 1),  # ambiguous: reset-lost and reset_backlog_wait_time_actual
    ("--loginuid-immutable=1", "unexpected-argument", 1),
    ("-a always,exit -S open extra", "stray-parameter", 24),
    ("-i -b 5", "stray-parameter", 4),
])
def test_option_errors_name_the_word(text: str, code: str, column: int) -> None:
    error = error_of(text)
    assert isinstance(error, OptionError)
    where = (error.origin.file, error.origin.line, error.origin.column)
    assert (error.code, where) == (code, ("t.rules", 7, column))


# --- control commands ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("-D", S.DeleteAllRules(None, None)),
    ("-D -k mykey", S.DeleteAllRules("mykey", None)),
    ("-l", S.ListRules(False, None, None)),
    ("-l -i", S.ListRules(True, None, None)),
    ("-l -k k", S.ListRules(False, "k", None)),
    ("-s", S.ReportStatus(False, None)),
    ("-s -i", S.ReportStatus(True, None)),
    ("-e 2", S.SetEnabled(2, None)),
    ("-f 0", S.SetFailure(0, None)),
    ("-r 0x10", S.SetRateLimit(16, None)),
    ("-b 8192", S.SetBacklogLimit(8192, None)),
    ("-i", S.IgnoreErrors(None)),
    ("-c", S.ContinueOnErrors(None)),
    ("--reset-lost", S.ResetLost(None)),
    ("--signal rotate", S.SignalDaemon("USR1", None)),
    ("-q /mnt,/mnt/sub", S.MakeEquivalent("/mnt", "/mnt/sub", None)),
    ("-m hello", S.SendUserMessage("hello", None)),
    ("-t", S.TrimSubtrees(None)),
    ("-v", S.ShowVersion(None)),
])
def test_control_lines_become_typed_commands(text: str, expected: S.ControlCommand) -> None:
    (command,) = parse(text).commands
    assert type(command) is type(expected)
    assert {k: v for k, v in vars(command).items() if k != "origin"} == {
        k: v for k, v in vars(expected).items() if k != "origin"}
    assert command.origin.file == "t.rules" and command.origin.line == 7


def test_several_control_options_on_one_line_run_in_order_and_the_rule_last() -> None:
    commands = parse("-w /etc/passwd -b 320 -f 1").commands
    assert [type(c).__name__ for c in commands] == ["SetBacklogLimit", "SetFailure", "RuleCommand"]


@pytest.mark.parametrize(("text", "code", "message"), [
    ("-e 3", "enable-value", "Enable must be 0, 1, or 2 was 3"),
    ("-f x", "failure-value", "Failure must be 0, 1, or 2 was x"),
    ("-r fast", "rate-value", "Rate must be a numeric value was fast"),
    ("-b 4294967296", "backlog-value", "Error converting backlog (4294967296 does not fit 32 bits)"),
    ("-b 12abc", "backlog-value", "Backlog must be a numeric value was 12abc"),
    ("-D -x", "delete-all-options", "Wrong number of options for Delete all request"),
    ("-D x y", "delete-all-options", "Only the -k option is allowed"),
    ("-l -x", "list-options", "Only -k or -i options are allowed"),
    ("-s -l", "status-options", "Only -i option is allowed"),
    ("-R /etc/audit/audit.rules", "nested-rules-file", "Error - nested rule files not supported"),
    ("--signal KILL", "signal-unknown", "KILL is an unsupported signal"),
    ("-q /mnt", "equivalent-syntax", "Error parsing equivalent parts"),
    ("-m hello world", "message-alone", "The -m option must be only the only option and takes 1 parameter"),
])
def test_bad_control_values_are_refused_with_auditctls_words(text: str, code: str, message: str) -> None:
    error = error_of(text)
    assert (error.code, error.message) == (code, message)


def test_argv_reads_like_a_line_and_takes_r_file() -> None:
    assert isinstance(parse_argv(["-R", "/etc/audit/audit.rules"]).commands[0], S.ReadRulesFile)
    rule = parse_argv(["-w", "/etc/a b", "-p", "wa"]).rule
    assert rule.parts[0].path == "/etc/a b"
    assert rule.parts[1].origin.column == len("-w /etc/a b -p ") + 1


# --- rule parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "filter_list", "action"), [
    ("-a always,exit", 4, 2), ("-a exit,always", 4, 2), ("-a never,user", 0, 0), ("-a task,never", 1, 0),
    ("-a exclude,always", 5, 2), ("-a always,filesystem", 6, 2), ("-a io_uring,always", 7, 2),
    ("-a always,EXIT", 4, 2),  # list names are case-insensitive in libaudit, actions are not
])
def test_list_and_action_in_either_order(text: str, filter_list: int, action: int) -> None:
    part = parse(text).rule.parts[0]
    assert (part.operation, part.filter_list, part.action) == (S.RuleOperation.APPEND, filter_list, action)


def test_prepend_and_delete_operations() -> None:
    assert parse("-A exit,never").rule.operation is S.RuleOperation.PREPEND
    assert parse("-d never,exit").rule.operation is S.RuleOperation.DELETE
    assert parse("-W /etc/passwd").rule.operation is S.RuleOperation.DELETE


@pytest.mark.parametrize(("text", "message"), [
    ("-a entry,always", "Append rule - bad keyword entry,always (the entry list is obsolete"),
    ("-A always,entry", "Add rule - bad keyword always,entry (the entry list is obsolete"),
    ("-a always", "Append rule - bad keyword always"),
    ("-a always,exit,task", "Append rule - bad keyword always,exit,task"),
    ("-d Always,exit", "Delete rule - bad keyword Always,exit"),
    ("-a possible,exit", "Append rule - bad keyword possible,exit"),
])
def test_bad_list_action_keywords(text: str, message: str) -> None:
    error = error_of(text)
    assert error.code == "list-action" and error.message.startswith(message)
    assert error.origin.column == 4


def test_possible_is_deprecated_and_the_line_dropped() -> None:
    parsed = parse("-a exit,possible -S open")
    assert parsed.commands == () and parsed.warnings[0].code == "possible-deprecated"


def test_field_pairs_split_like_libaudit() -> None:
    rule = parse("-a always,exit -F auid>=1000 -F a0&=0x1 -F a1&2 -F exe=/x=y -F uid!=0").rule
    pairs = [p.pair for p in rule.parts[1:]]
    assert [(p.name, p.operator, p.value) for p in pairs] == [
        ("auid", 0x60000000, "1000"), ("a0", 0x48000000, "0x1"), ("a1", 0x08000000, "2"),
        ("exe", 0x40000000, "/x=y"), ("uid", 0x30000000, "0")]


def test_key_is_gathered_from_k_and_from_f_key() -> None:
    parts = parse("-a always,exit -S open -F key=a -k b").rule.parts
    keys = [(p.key, p.written_as_field) for p in parts if isinstance(p, S.KeyPart)]
    assert keys == [("a", True), ("b", False)]


@pytest.mark.parametrize(("text", "code", "message", "column"), [
    ("-a always,exit -F foo=1", "field-unknown", "-F unknown field: foo", 19),
    ("-a always,exit -F auid", "operator-missing", "-F missing operation for auid", 19),
    ("-a always,exit -F =1", "field-name-missing", "-F missing field name before operator for =1", 19),
    ("-a always,exit -F auid<=", "value-missing", "-F missing value after operation for auid", 19),
    ("-a always,exit -C uid", "operator-not-equality", "uid only takes = or != operators", 19),
    ("-a always,exit -C foo=uid", "field-unknown", "-C unknown field: foo", 19),
    ("-a always,exit -C uid=bar", "comparison-unknown",
     "-C unknown right hand value for comparison with: bar", 19),
])
def test_malformed_pairs_are_field_errors_at_the_value(
    text: str, code: str, message: str, column: int
) -> None:
    error = error_of(text)
    assert (error.code, error.message, error.origin.column) == (code, message, column)
    assert error.origin.token == text.split()[-1] and error.origin.text == text


def test_a_file_goes_on_past_bad_lines_and_numbers_them() -> None:
    parsed = parse_rules_text("-D\n\n# c\n-e 9\n-w '/x\n-b 1\n", "f.rules")
    assert [line.line.number for line in parsed.lines] == [1, 6]
    errors = [(e.origin.line, e.code) for e in parsed.errors]
    assert errors == [(4, "enable-value"), (5, "unterminated-quote")]
    assert str(parsed.errors[0]) == "f.rules:4:4: Enable must be 0, 1, or 2 was 9 (at '9')"


def test_auditctl_quoting_mode_reads_quotes_as_characters() -> None:
    assert [t.text for t in tokenize('-w "/a b" x\\ y \\"', shell_quotes=False)] == [
        "-w", '"/a', 'b"', "x y", '\\"']
    parsed = parse_rules_text("-w '/folder with space' -p wa", shell_quotes=False)
    assert parsed.errors[0].code == "stray-parameter"  # auditctl: the watch path is "'/folder"
