"""Rule-file lines and auditctl command lines as typed commands.

A line is a sequence of auditctl options.  The control options (``-e -f -b -r
--backlog_wait_time -D -l -s -i -c ...``) become one typed command each; the
rule options (``-a -A -d -w -W -S -F -C -k -p``) together become one
``RuleCommand`` whose parts keep the order they were written in, because
auditctl's meaning depends on it (``arch`` must precede ``-S``, a key needs a
syscall or watch before it).  The compiler walks those parts.

This module is the one place that reads auditctl's option syntax: ``c2audit
ctl`` parses its own arguments with ``parse_argv`` and rule files with
``parse_rules_text``.  Every command and part carries its ``Origin`` (file,
line, column, token, line text) for errors and lint warnings.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from c2audit.cnum import scan
from c2audit.rules.errors import OptionError, Origin, RuleError, RuleWarning
from c2audit.rules.fields import Comparison, FieldPair, split_comparison, split_field_pair
from c2audit.rules.lexer import SourceLine, Token, lex_line, numbered_lines
from c2audit.rules.options import Option, iter_options
from c2audit.tables import actiontab, flagtab, name_by_number, number_by_name

FILTER_LIST = number_by_name(flagtab.ENTRIES, str.lower)
FILTER_NAME = name_by_number(flagtab.ENTRIES)
# "possible" is in the table but auditctl no longer takes it
ACTION: dict[str, int] = {name: int(number) for number, name in actiontab.ENTRIES if name != "possible"}
ACTION_NAME = name_by_number(actiontab.ENTRIES)
RULE_OPTIONS = frozenset("aAdwWSFCkp")
_OPERATION_OF = {"a": "append", "A": "prepend", "d": "delete"}
_Split = TypeVar("_Split", FieldPair, Comparison)
SIGNALS = {"TERM": "TERM", "STOP": "TERM", "HUP": "HUP", "RELOAD": "HUP", "USR1": "USR1",
           "ROTATE": "USR1", "USR2": "USR2", "RESUME": "USR2", "CONT": "CONT", "STATE": "CONT"}


class RuleOperation(Enum):
    """What a rule command asks of the kernel: AUDIT_ADD_RULE (append or prepend) or AUDIT_DEL_RULE."""

    APPEND = "append"
    PREPEND = "prepend"
    DELETE = "delete"


# --- rule parts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListPart:
    """``-a``/``-A``/``-d list,action`` (either order)."""

    operation: RuleOperation
    filter_list: int
    action: int
    origin: Origin


@dataclass(frozen=True)
class WatchPart:
    """``-w path`` (add) or ``-W path`` (delete): a watch on the exit list."""

    path: str
    remove: bool
    origin: Origin


@dataclass(frozen=True)
class SyscallPart:
    """``-S name,number,...`` or ``-S all`` (io_uring ops on the io_uring list)."""

    names: tuple[str, ...]
    origin: Origin


@dataclass(frozen=True)
class FieldPart:
    """``-F name op value`` (``-F key=`` is a KeyPart)."""

    pair: FieldPair
    origin: Origin


@dataclass(frozen=True)
class ComparePart:
    """``-C field op field``."""

    comparison: Comparison
    origin: Origin


@dataclass(frozen=True)
class PermPart:
    """``-p rwxa``."""

    letters: str
    origin: Origin


@dataclass(frozen=True)
class KeyPart:
    """``-k key`` or ``-F key=key``: keys of one rule are joined with ``\\x01``."""

    key: str
    origin: Origin
    written_as_field: bool = False  # -F key=: auditctl checks what it needs only at the end


RulePart = ListPart | WatchPart | SyscallPart | FieldPart | ComparePart | PermPart | KeyPart


@dataclass(frozen=True)
class RuleCommand:
    """The rule options of one line, in the order written."""

    parts: tuple[RulePart, ...]
    origin: Origin

    @property
    def operation(self) -> RuleOperation | None:
        """Append, prepend or delete, or None when the line names no list and no watch."""
        for part in self.parts:
            if isinstance(part, ListPart):
                return part.operation
            if isinstance(part, WatchPart):
                return RuleOperation.DELETE if part.remove else RuleOperation.APPEND
        return None


# --- control commands ------------------------------------------------------------------------

@dataclass(frozen=True)
class SetEnabled:
    """``-e 0|1|2`` (2 locks the configuration until reboot)."""

    value: int
    origin: Origin


@dataclass(frozen=True)
class SetFailure:
    """``-f 0|1|2`` (silent, printk, panic)."""

    value: int
    origin: Origin


@dataclass(frozen=True)
class SetRateLimit:
    """``-r N`` messages per second (0: no limit)."""

    value: int
    origin: Origin


@dataclass(frozen=True)
class SetBacklogLimit:
    """``-b N`` outstanding audit buffers."""

    value: int
    origin: Origin


@dataclass(frozen=True)
class SetBacklogWaitTime:
    """``--backlog_wait_time N`` (jiffies)."""

    value: int
    origin: Origin


@dataclass(frozen=True)
class SetLoginuidImmutable:
    """``--loginuid-immutable``: locks loginuid changes until reboot."""

    origin: Origin


@dataclass(frozen=True)
class ResetLost:
    """``--reset-lost``."""

    origin: Origin


@dataclass(frozen=True)
class ResetBacklogWaitTimeActual:
    """``--reset_backlog_wait_time_actual``."""

    origin: Origin


@dataclass(frozen=True)
class DeleteAllRules:
    """``-D`` or ``-D -k key`` (only the rules carrying that key)."""

    key: str | None
    origin: Origin


@dataclass(frozen=True)
class ListRules:
    """``-l``, ``-l -i`` or ``-l -k key``."""

    interpret: bool
    key: str | None
    origin: Origin


@dataclass(frozen=True)
class ReportStatus:
    """``-s`` or ``-s -i``."""

    interpret: bool
    origin: Origin


@dataclass(frozen=True)
class IgnoreErrors:
    """``-i``: go on past bad lines of a rule file, and succeed."""

    origin: Origin


@dataclass(frozen=True)
class ContinueOnErrors:
    """``-c``: go on past bad lines of a rule file, and fail at the end if any failed."""

    origin: Origin


@dataclass(frozen=True)
class ReadRulesFile:
    """``-R file`` (a command line only: rule files cannot nest)."""

    path: str
    origin: Origin


@dataclass(frozen=True)
class SendUserMessage:
    """``-m text``: an AUDIT_USER message."""

    text: str
    origin: Origin


@dataclass(frozen=True)
class SignalDaemon:
    """``--signal TERM|HUP|USR1|USR2|CONT`` (or stop, reload, rotate, resume, state)."""

    signal: str
    origin: Origin


@dataclass(frozen=True)
class TrimSubtrees:
    """``-t``: trim directory watches after a mount change."""

    origin: Origin


@dataclass(frozen=True)
class MakeEquivalent:
    """``-q mount,subtree``."""

    mount_point: str
    subtree: str
    origin: Origin


@dataclass(frozen=True)
class ShowVersion:
    """``-v``."""

    origin: Origin


@dataclass(frozen=True)
class ShowHelp:
    """``-h``."""

    origin: Origin


ControlCommand = (SetEnabled | SetFailure | SetRateLimit | SetBacklogLimit | SetBacklogWaitTime
                  | SetLoginuidImmutable | ResetLost | ResetBacklogWaitTimeActual | DeleteAllRules
                  | ListRules | ReportStatus | IgnoreErrors | ContinueOnErrors | ReadRulesFile
                  | SendUserMessage | SignalDaemon | TrimSubtrees | MakeEquivalent | ShowVersion | ShowHelp)
Command = RuleCommand | ControlCommand


@dataclass(frozen=True)
class ParsedLine:
    """The commands of one line in the order auditctl runs them, and its warnings."""

    line: SourceLine
    commands: tuple[Command, ...]
    warnings: tuple[RuleWarning, ...] = ()

    @property
    def rule(self) -> RuleCommand | None:
        return next((c for c in self.commands if isinstance(c, RuleCommand)), None)


@dataclass(frozen=True)
class ParsedFile:
    """Every good line of a rule file and every error, each error naming its line."""

    file: str | None
    lines: tuple[ParsedLine, ...]
    errors: tuple[RuleError, ...]


# --- parsing ---------------------------------------------------------------------------------

def parse_rules_text(text: str, file: str | None = None, *, shell_quotes: bool = True) -> ParsedFile:
    """Parse a whole rule file, going on past bad lines (the caller decides to refuse).

    ``shell_quotes=False`` reads quotes as auditctl does (as plain characters).
    """
    lines: list[ParsedLine] = []
    errors: list[RuleError] = []
    for number, raw in numbered_lines(text):
        try:
            source = lex_line(raw, file=file, number=number, shell_quotes=shell_quotes)
            if source is not None:
                lines.append(parse_line(source))
        except RuleError as error:
            errors.append(error)
    return ParsedFile(file, tuple(lines), tuple(errors))


def parse_argv(argv: Sequence[str]) -> ParsedLine:
    """Parse auditctl's own command line (``c2audit ctl`` arguments, no shell quoting left)."""
    column, tokens = 1, []
    for word in argv:
        tokens.append(Token(word, word, column))
        column += len(word) + 1
    line = SourceLine(None, 1, " ".join(argv), tuple(tokens))
    if len(argv) == 2 and argv[0] == "-R":
        return ParsedLine(line, (ReadRulesFile(argv[1], line.origin(tokens[1])),))
    return parse_line(line)


def parse_line(line: SourceLine) -> ParsedLine:
    """The commands of one line; RuleError (with its origin) if auditctl would refuse it."""
    return _LineParser(line).parse()


class _LineParser:
    """auditctl's ``setopt`` loop over one line's options, minus the rule semantics."""

    def __init__(self, line: SourceLine) -> None:
        self.line = line
        self.commands: list[Command] = []
        self.parts: list[RulePart] = []
        self.rule_origin: Origin | None = None
        self.warnings: list[RuleWarning] = []

    def parse(self) -> ParsedLine:
        operands: list[Token] = []
        for option in iter_options(self.line):
            if isinstance(option, Token):
                operands.append(option)
                continue
            if option.name in RULE_OPTIONS:
                if self._rule_option(option) is None:
                    return ParsedLine(self.line, (), tuple(self.warnings))
                continue
            command = self._control(option)
            self.commands.append(command)
            if isinstance(command, _ENDS_LINE):
                if not isinstance(command, _WHOLE_LINE):
                    self._nothing_after(option, command)
                break
        else:
            if operands:
                self._stray(operands[0])
        if self.parts:
            # auditctl runs the control options as it reads them and sends the rule last
            assert self.rule_origin is not None
            self.commands.append(RuleCommand(tuple(self.parts), self.rule_origin))
        return ParsedLine(self.line, tuple(self.commands), tuple(self.warnings))

    def _origin(self, option: Option, *, value: bool = True) -> Origin:
        token = option.value_token if value and option.value_token is not None else option.token
        return self.line.origin(token)

    def _stray(self, token: Token, message: str = "parameter passed without an option given") -> None:
        raise OptionError("stray-parameter", message, self.line.origin(token))

    def _nothing_after(self, option: Option, command: Command) -> None:
        last = option.value_token if option.value_token in self.line.tokens else option.token
        index = self.line.tokens.index(last)
        if index + 1 >= len(self.line.tokens):
            return
        stray = self.line.tokens[index + 1]
        if isinstance(command, _ACTS_THEN_IGNORES):  # refused whole: nothing is done (auditctl would act)
            self._stray(stray, f"nothing may follow {option.token.raw}: auditctl would run it and ignore "
                               f"'{stray.raw}' and the rest; nothing was done")
        self._stray(stray)

    # rule options -----------------------------------------------------------------------

    def _rule_option(self, option: Option) -> RulePart | None:
        """Add the part an option stands for; None when the line is to be skipped."""
        origin = self._origin(option)
        self.rule_origin = self.rule_origin or self._origin(option, value=False)
        value = option.value or ""
        part: RulePart
        match option.name:
            case "a" | "A" | "d":
                part_or_none = self._list_action(option, origin)
                if part_or_none is None:
                    return None
                part = part_or_none
            case "w" | "W":
                part = WatchPart(value, option.name == "W", origin)
            case "S":
                part = SyscallPart(tuple(name for name in value.split(",") if name), origin)
            case "F" if value.startswith("key="):
                part = KeyPart(value[4:], origin, written_as_field=True)
            case "F":
                part = FieldPart(_placed(split_field_pair, value, origin), origin)
            case "C":
                part = ComparePart(_placed(split_comparison, value, origin), origin)
            case "k":
                part = KeyPart(value, origin)
            case _:  # "p"
                part = PermPart(value, origin)
        self.parts.append(part)
        return part

    def _list_action(self, option: Option, origin: Origin) -> ListPart | None:
        operation = RuleOperation(_OPERATION_OF[option.name])
        verb = {"a": "Append rule", "A": "Add rule", "d": "Delete rule"}[option.name]
        words = (option.value or "").split(",")
        first, second = words if len(words) == 2 else ("", "")
        if first.lower() in FILTER_LIST and second == "possible":
            # auditctl drops the whole line with this message, and carries on
            message = f"{verb} - possible is deprecated"
            self.warnings.append(RuleWarning("possible-deprecated", message, origin))
            return None
        if first in ACTION and second.lower() in FILTER_LIST:
            action, filter_word = first, second
        elif first.lower() in FILTER_LIST and second in ACTION:
            action, filter_word = second, first
        else:
            why = ""
            if "entry" in (w.lower() for w in words):
                why = " (the entry list is obsolete: the kernel removed it; write the rule for the exit list)"
            raise OptionError("list-action", f"{verb} - bad keyword {option.value}{why}", origin)
        return ListPart(operation, FILTER_LIST[filter_word.lower()], ACTION[action], origin)

    # control options --------------------------------------------------------------------

    def _control(self, option: Option) -> ControlCommand:
        origin = self._origin(option)
        value = option.value or ""
        match option.name:
            case "e":
                return SetEnabled(_zero_one_two(value, "Enable", origin), origin)
            case "f":
                return SetFailure(_zero_one_two(value, "Failure", origin), origin)
            case "r":
                return SetRateLimit(_u32_setting(value, "Rate", "rate", origin), origin)
            case "b":
                return SetBacklogLimit(_u32_setting(value, "Backlog", "backlog", origin), origin)
            case "backlog_wait_time":
                return SetBacklogWaitTime(
                    _u32_setting(value, "Backlog_wait_time", "backlog_wait_time", origin), origin)
            case "s" | "l" | "D":
                return self._leading_command(option, origin)
            case "m":
                if len(self.line.tokens) > 2:
                    message = "The -m option must be only the only option and takes 1 parameter"
                    raise OptionError("message-alone", message, origin)
                if any(ord(c) < 32 for c in value):
                    raise OptionError("message-character", "Illegal character in audit event", origin)
                return SendUserMessage(value, origin)
            case "q":
                return self._make_equivalent(value, origin)
            case "signal":
                if value.upper() not in SIGNALS:
                    raise OptionError("signal-unknown", f"{value} is an unsupported signal", origin)
                return SignalDaemon(SIGNALS[value.upper()], origin)
            case "R":
                raise OptionError("nested-rules-file", "Error - nested rule files not supported", origin)
        simple = _SIMPLE_CONTROLS[option.name]
        return simple(origin)

    def _leading_command(self, option: Option, origin: Origin) -> ControlCommand:
        """``-s``, ``-l`` and ``-D`` stand alone, with ``-i`` or ``-k key`` at most."""
        words = [t.text for t in self.line.tokens]
        rest = words[1:] if option.token is self.line.tokens[0] and words[0] == f"-{option.name}" else None
        if option.name == "s":
            if rest is None or len(rest) > 1:
                raise OptionError("status-options", "Too many options for status command", origin)
            if rest and rest[0] != "-i":
                raise OptionError("status-options", "Only -i option is allowed", origin)
            return ReportStatus(bool(rest), origin)
        if option.name == "l":
            if rest is None or len(rest) > 2:
                raise OptionError("list-options", "Wrong number of options for list request", origin)
            if rest and rest[0] != ("-i" if len(rest) == 1 else "-k"):
                raise OptionError("list-options", "Only -k or -i options are allowed", origin)
            return ListRules(rest == ["-i"], rest[1] if len(rest) == 2 else None, origin)
        if rest is None or len(rest) not in (0, 2):
            raise OptionError("delete-all-options", "Wrong number of options for Delete all request", origin)
        if rest and rest[0] != "-k":
            raise OptionError("delete-all-options", "Only the -k option is allowed", origin)
        return DeleteAllRules(rest[1] if rest else None, origin)

    def _make_equivalent(self, value: str, origin: Origin) -> MakeEquivalent:
        if any(isinstance(p, (SyscallPart, WatchPart)) for p in self.parts):
            raise OptionError("equivalent-syscall", "Syscall auditing requested for make equivalent", origin)
        mount, comma, subtree = value.partition(",")
        if not comma or not subtree or "," in subtree:
            raise OptionError("equivalent-syntax", "Error parsing equivalent parts", origin)
        return MakeEquivalent(mount, subtree, origin)


def _placed(split: Callable[[str], _Split], text: str, origin: Origin) -> _Split:
    """Run a pair splitter, placing its FieldError at the option's value."""
    try:
        return split(text)
    except RuleError as error:
        raise error.at(origin) from None


def _zero_one_two(value: str, what: str, origin: Origin) -> int:
    if value not in ("0", "1", "2"):
        raise OptionError(f"{what.lower()}-value", f"{what} must be 0, 1, or 2 was {value}", origin)
    return int(value)


def _u32_setting(value: str, what: str, noun: str, origin: Origin) -> int:
    if not value[:1].isdigit():
        raise OptionError(f"{noun}-value", f"{what} must be a numeric value was {value}", origin)
    number = scan(value)
    result, _ = number.unsigned()
    if result > 0xFFFFFFFF:
        # auditctl would silently keep the low 32 bits of this
        raise OptionError(f"{noun}-value", f"Error converting {noun} ({value} does not fit 32 bits)", origin)
    if number.tail:
        raise OptionError(f"{noun}-value", f"{what} must be a numeric value was {value}", origin)
    return result


_SIMPLE_CONTROLS = {
    "i": IgnoreErrors, "c": ContinueOnErrors, "t": TrimSubtrees, "v": ShowVersion, "h": ShowHelp,
    "loginuid-immutable": SetLoginuidImmutable, "reset-lost": ResetLost,
    "reset_backlog_wait_time_actual": ResetBacklogWaitTimeActual,
}
# auditctl stops reading a line's options after these (anything further is refused)
_ENDS_LINE = (IgnoreErrors, ContinueOnErrors, ReportStatus, ListRules, DeleteAllRules, SendUserMessage,
              TrimSubtrees, MakeEquivalent, ShowVersion, ShowHelp, SetLoginuidImmutable, ResetLost,
              ResetBacklogWaitTimeActual, SignalDaemon)
_WHOLE_LINE = (ReportStatus, ListRules, DeleteAllRules)  # they check the rest of the line themselves
_ACTS_THEN_IGNORES = (ResetLost, SetLoginuidImmutable)  # auditctl acts on these, then stops reading

__all__ = [
    "ACTION", "ACTION_NAME", "FILTER_LIST", "FILTER_NAME", "Command", "ComparePart", "ContinueOnErrors",
    "ControlCommand", "DeleteAllRules", "FieldPart", "IgnoreErrors", "KeyPart", "ListPart",
    "ListRules", "MakeEquivalent", "ParsedFile", "ParsedLine", "PermPart", "ReadRulesFile", "ReportStatus",
    "ResetBacklogWaitTimeActual", "ResetLost", "RuleCommand", "RuleOperation", "RulePart", "SendUserMessage",
    "SetBacklogLimit", "SetBacklogWaitTime", "SetEnabled", "SetFailure", "SetLoginuidImmutable",
    "SetRateLimit", "ShowHelp", "ShowVersion", "SignalDaemon", "SyscallPart", "TrimSubtrees", "WatchPart",
    "parse_argv", "parse_line", "parse_rules_text",
]
