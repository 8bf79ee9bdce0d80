"""Search expressions: ``ausearch_add_item``/``_expression``/``_regex``/``_timestamp_item``.

An expression is a small tree evaluated against one record at a time
(libauparse's ``expression.c``).  Evaluating a field condition moves that
record's field cursor (to the field found, or to the first field when none
is), which is how ``AUSEARCH_STOP_FIELD`` leaves the cursor on the matching
field.  :func:`parse` reads the ``ausearch-expression(5)`` language with the
C parser's precedence and error messages; a bad expression raises
:class:`ExpressionError`.

The tree asks the parser what it needs through :class:`Cursor` (implemented
by :class:`~c2audit.auparse.AuParser`), so this module holds no parser state.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from c2audit.cnum import c_uint, strtoul
from c2audit.interpret import FieldType
from c2audit.interpret.types import TYPE_BY_NAME as FIELD_TYPE_BY_NAME
from c2audit.records import type_number

NOT_FOUND = object()


class ExpressionError(ValueError):
    """An expression the C parser rejects; ``str()`` is its message."""


class Cursor(Protocol):
    """What an expression may ask about the record being searched."""

    def _search_field(self, name: str) -> object:
        """Raw value of the first field called ``name`` (cursor moved there), else :data:`NOT_FOUND`."""

    def _search_interpretation(self) -> str:
        """Interpretation of the field under the cursor."""

    def _search_record_type(self) -> int: ...

    def _search_timestamp(self) -> tuple[int, int, int]: ...

    def _search_record_text(self) -> str: ...


_ORDER: dict[str, Callable[[int], bool]] = {
    "==": lambda cmp: cmp == 0, "!==": lambda cmp: cmp != 0, "<": lambda cmp: cmp < 0,
    "<=": lambda cmp: cmp <= 0, ">": lambda cmp: cmp > 0, ">=": lambda cmp: cmp >= 0,
}


def _cmp(one: object, two: object) -> int:
    return (one > two) - (one < two)  # type: ignore[operator]


class Expr:
    def matches(self, cursor: Cursor) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Not(Expr):
    sub: Expr

    def matches(self, cursor: Cursor) -> bool:
        return not self.sub.matches(cursor)


@dataclass(frozen=True, slots=True)
class And(Expr):
    left: Expr
    right: Expr

    def matches(self, cursor: Cursor) -> bool:
        return self.left.matches(cursor) and self.right.matches(cursor)


@dataclass(frozen=True, slots=True)
class Or(Expr):
    left: Expr
    right: Expr

    def matches(self, cursor: Cursor) -> bool:
        return self.left.matches(cursor) or self.right.matches(cursor)


@dataclass(frozen=True, slots=True)
class FieldExists(Expr):
    field: str

    def matches(self, cursor: Cursor) -> bool:
        return cursor._search_field(self.field) is not NOT_FOUND


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """``field r= value`` / ``i= value`` (and the negations): string equality, raw or interpreted."""

    field: str
    value: str
    interpreted: bool = False
    negate: bool = False

    def matches(self, cursor: Cursor) -> bool:
        found = cursor._search_field(self.field)
        if found is NOT_FOUND:
            return False
        if self.interpreted:
            found = cursor._search_interpretation()
        elif found is None:
            return False
        return (found != self.value) if self.negate else (found == self.value)


@dataclass(frozen=True, slots=True)
class NumericCompare(Expr):
    """``uid == 0``: uid/gid fields compared as unsigned 32-bit numbers."""

    field: str
    op: str
    number: int

    def matches(self, cursor: Cursor) -> bool:
        found = cursor._search_field(self.field)
        if found is NOT_FOUND or found is None:
            return False
        return _ORDER[self.op](_cmp(c_uint(strtoul(found, 10)[0]), self.number))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TimestampCompare(Expr):
    """``\\timestamp`` (seconds, milliseconds) or ``\\timestamp_ex`` (and the serial)."""

    op: str
    sec: int
    milli: int
    serial: int | None = None

    def matches(self, cursor: Cursor) -> bool:
        sec, milli, serial = cursor._search_timestamp()
        if self.serial is None:
            return _ORDER[self.op](_cmp((sec, milli), (self.sec, self.milli)))
        return _ORDER[self.op](_cmp((sec, milli, serial), (self.sec, self.milli, self.serial)))


@dataclass(frozen=True, slots=True)
class RecordTypeCompare(Expr):
    op: str
    record_type: int

    def matches(self, cursor: Cursor) -> bool:
        return _ORDER[self.op](_cmp(cursor._search_record_type(), self.record_type))


@dataclass(frozen=True, slots=True)
class RegexMatch(Expr):
    """``\\regexp``: a POSIX extended regular expression searched in the record text."""

    pattern: re.Pattern[str]

    def matches(self, cursor: Cursor) -> bool:
        return self.pattern.search(cursor._search_record_text()) is not None


def combine(current: Expr | None, added: Expr, how: int) -> Expr:
    """``add_expr``: a new expression replaces (CLEAR, or when none), or joins with OR / AND."""
    if current is None or how == 0:
        return added
    return Or(current, added) if how == 1 else And(current, added)


# --- POSIX ERE --------------------------------------------------------------------------------

_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f",
    "cntrl": r"\x00-\x1f\x7f", "print": r" -~", "graph": r"!-~",
}
_POSIX_CLASS = re.compile(r"\[:([a-z]+):\]")


# glibc's regerror() texts for what Python's re.error reports
_REGERROR = (
    ("missing ), unterminated subpattern", "Unmatched ( or \\("),
    ("unbalanced parenthesis", "Unmatched ) or \\)"),
    ("unterminated character set", "Unmatched [, [^, [:, [., or [="),
    ("nothing to repeat", "Invalid preceding regular expression"),
    ("multiple repeat", "Invalid preceding regular expression"),
    ("bad escape (end of pattern)", "Trailing backslash"),
    ("bad character range", "Invalid range end"),
    ("invalid group reference", "Invalid back reference"),
    ("unknown group name", "Invalid back reference"),
)


def compile_ere(pattern: str) -> re.Pattern[str]:
    """A POSIX extended regular expression as a Python pattern (``[[:class:]]`` translated).

    Raises ``re.error`` where ``regcomp`` would fail (and for the few ERE
    forms Python reads differently).
    """
    translated = _POSIX_CLASS.sub(lambda m: _POSIX_CLASSES.get(m.group(1), m.group(0)), pattern)
    return re.compile(translated)


def regerror(error: re.error) -> str:
    """The message ``regerror`` gives for the failure Python reports as ``error``."""
    for python, glibc in _REGERROR:
        if error.msg.startswith(python):
            return glibc
    return "Invalid regular expression"


# --- the ausearch-expression(5) language -------------------------------------------------------

_UNQUOTED = re.compile(r"[A-Za-z0-9_-]+")
_TIMESTAMP_EX = re.compile(r"ts:\s*([+-]?[0-9]+)\.\s*([+-]?[0-9]+):\s*([+-]?[0-9]+)")
_TIMESTAMP = re.compile(r"ts:\s*([+-]?[0-9]+)\.\s*([+-]?[0-9]+)")
_TIMESTAMP_SPAN = re.compile(r"[ts:0-9.]*")
_TWO_CHAR = {"!==": "!==", "&&": "&&", "||": "||", "==": "==", "<=": "<=", ">=": ">=",
             "i=": "i=", "i!=": "i!=", "r=": "r=", "r!=": "r!="}
_EOF = "EOF"
_STRING = "string"
_REGEXP = "regexp"
_UNKNOWN = "unknown"


class _Lexer:
    """``lex()`` of expression.c: one token of lookahead over the source text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.token = _EOF
        self.value: str | None = None
        self.start = 0
        self.next()

    @property
    def shown(self) -> str:
        """The current token as written (``%.*s`` of the C messages)."""
        return self.text[self.start:self.pos]

    def next(self) -> None:
        text = self.text
        pos = self.pos
        while pos < len(text) and text[pos] in " \t\n":
            pos += 1
        self.start = pos
        self.value = None
        char = text[pos] if pos < len(text) else ""
        if not char:
            self.token, self.pos = _EOF, pos
        elif char in "\"/":
            self._delimited(pos, char)
        elif char in "()\\":
            self.token, self.pos = char, pos + 1
        elif char in "!&|=<>ir":
            self._operator(pos, char)
        else:
            self._unquoted(pos)

    def _operator(self, pos: int, char: str) -> None:
        text = self.text
        for length in (3, 2):
            candidate = text[pos:pos + length]
            if candidate in _TWO_CHAR:
                self.token, self.pos = _TWO_CHAR[candidate], pos + length
                return
        if char in "ir":
            self._unquoted(pos)
        elif char in "!<>":
            self.token, self.pos = char, pos + 1
        else:
            self.token, self.pos = _UNKNOWN, pos + 1

    def _unquoted(self, pos: int) -> None:
        match = _UNQUOTED.match(self.text, pos)
        if match is None:
            self.token, self.pos = _UNKNOWN, pos + 1
            return
        self.token, self.value, self.pos = _STRING, match.group(), match.end()

    def _delimited(self, pos: int, delimiter: str) -> None:
        text = self.text
        pos += 1
        out: list[str] = []
        while True:
            if pos >= len(text):
                raise ExpressionError("Terminating delimiter missing")
            char = text[pos]
            if char == delimiter:
                break
            if char == "\\":
                pos += 1
                escaped = text[pos] if pos < len(text) else "\0"
                if escaped != "\\" and escaped != delimiter:
                    raise ExpressionError(f"Unknown escape sequence ``\\{escaped}''")
                char = escaped
            out.append(char)
            pos += 1
        self.pos = pos + 1
        self.value = "".join(out)
        self.token = _REGEXP if delimiter == "/" else _STRING


_VALUE_OPS = frozenset(("==", "!==", "<", "<=", ">", ">="))
_STRING_OPS = {"r=": (False, False), "r!=": (False, True), "i=": (True, False), "i!=": (True, True)}


def parse(text: str) -> Expr:
    """Parse an ``ausearch-expression(5)`` expression, or raise :class:`ExpressionError`."""
    lexer = _Lexer(text)
    if lexer.token == _EOF:
        raise ExpressionError("Empty expression")
    result = _parse_or(lexer)
    if lexer.token != _EOF:
        raise ExpressionError(f"Unexpected trailing token `{lexer.shown}'")
    return result


def _parse_or(lexer: _Lexer) -> Expr:
    result = _parse_and(lexer)
    while lexer.token == "||":
        lexer.next()
        result = Or(result, _parse_and(lexer))
    return result


def _parse_and(lexer: _Lexer) -> Expr:
    result = _parse_primary(lexer)
    while lexer.token == "&&":
        lexer.next()
        result = And(result, _parse_primary(lexer))
    return result


def _parse_primary(lexer: _Lexer) -> Expr:
    token = lexer.token
    if token == "!":
        lexer.next()
        return Not(_parse_primary(lexer))
    if token == "(":
        lexer.next()
        inner = _parse_or(lexer)
        if lexer.token != ")":
            raise ExpressionError(f"Right paren expected, got `{lexer.shown}'")
        lexer.next()
        return inner
    if token in ("\\", _STRING):
        return _parse_comparison(lexer)
    raise ExpressionError(f"Unexpected token `{lexer.shown}'")


def _parse_comparison(lexer: _Lexer) -> Expr:
    virtual: str | None = None
    if lexer.token == "\\":
        lexer.next()
        if lexer.token != _STRING:
            raise ExpressionError("Field name expected after field escape")
        if lexer.value == "regexp":
            return _parse_regexp(lexer)
        if lexer.value not in ("timestamp", "record_type", "timestamp_ex"):
            raise ExpressionError(f"Unknown escaped field name `{lexer.shown}'")
        virtual = lexer.value
        field = ""
    else:
        field = lexer.value or ""
    numeric = virtual is not None or FIELD_TYPE_BY_NAME.get(field) in (FieldType.UID, FieldType.GID)
    lexer.next()
    op = lexer.token
    if op in _STRING_OPS:
        lexer.next()
        if lexer.token != _STRING:
            raise ExpressionError(f"Value expected, got `{lexer.shown}'")
        value = lexer.value or ""
        lexer.next()
        interpreted, negate = _STRING_OPS[op]
        if virtual is not None:
            return _NeverTrue(negate)
        return Compare(field, value, interpreted, negate)
    if op in _VALUE_OPS:
        lexer.next()
        if lexer.token != _STRING:
            raise ExpressionError(f"Value expected, got `{lexer.shown}'")
        if not numeric:
            raise ExpressionError(f"Field `{field}' does not support value comparison")
        result = _virtual_value(lexer, virtual, op) if virtual else _unsigned_value(lexer, field, op)
        lexer.next()
        return result
    raise ExpressionError(f"Operator expected, got `{lexer.shown}'")


@dataclass(frozen=True, slots=True)
class _NeverTrue(Expr):
    """A string comparison on a virtual field: it has no raw value, so the term is false."""

    negate: bool

    def matches(self, cursor: Cursor) -> bool:
        return False


def _unsigned_value(lexer: _Lexer, field: str, op: str) -> Expr:
    number, erange = strtoul(lexer.value or "", 10)
    if erange:
        raise ExpressionError(f"Error converting number `{lexer.shown}'")
    return NumericCompare(field, op, c_uint(number))


def _virtual_value(lexer: _Lexer, virtual: str, op: str) -> Expr:
    if virtual == "record_type":
        record_type = type_number(lexer.value or "")
        if record_type < 0:
            raise ExpressionError(f"Invalid record type `{lexer.shown}'")
        return RecordTypeCompare(op, record_type)
    source = lexer.text[lexer.start:]
    full = _TIMESTAMP_EX.match(source)
    short = full or _TIMESTAMP.match(source)
    if short is None:
        raise ExpressionError(f"Invalid timestamp value `{lexer.shown}'")
    # expression.c parses the timestamp itself, then lexes on from where its digits end
    lexer.pos = lexer.start + _TIMESTAMP_SPAN.match(source).end()  # type: ignore[union-attr]
    sec, milli = int(short.group(1)), c_uint(int(short.group(2)))
    serial = c_uint(int(full.group(3))) if full else 0
    return TimestampCompare(op, sec, milli, serial if virtual == "timestamp_ex" else None)


def _parse_regexp(lexer: _Lexer) -> Expr:
    lexer.next()
    if lexer.token not in (_STRING, _REGEXP):
        raise ExpressionError(f"Regexp expected, got `{lexer.shown}'")
    try:
        pattern = compile_ere(lexer.value or "")
    except re.error as exc:
        raise ExpressionError(f"Invalid regexp: {regerror(exc)}") from None
    lexer.next()
    return RegexMatch(pattern)
