"""laurel 0.5.1's reading of one record: header rules and its ``key=value`` combinators, one by one.

A line laurel's grammar rejects is dropped by laurel (it logs "cannot parse
…"): :func:`parse_record` raises :class:`~.values.LaurelParseError` for it.
Most bodies are plain ``key=value`` tokens and go through :mod:`.fastpath`;
everything else, and anything the fast path is unsure of, goes through
:func:`parse_body_exact`, a direct port of laurel's nom parser (atomic regex
groups stand for nom's committed alternatives): a value's extent and type
follow its key's kind (:mod:`.values`) in laurel's order of attempts —
decimal, hexadecimal or octal number, else encoded (``"safe text"``, hex
pairs, ``(null)``/``?``), else unquoted text, ``'k=v …'``, ``'…'``, ``"…"``,
``{ k=v … }``, ``{…}``, else ``null``.  An ``avc: … { perms } for`` or
``netlabel:`` prefix becomes a last field; ``policy loaded`` is skipped.
``tests/test_laurel_grammar.py`` holds the two paths to each other and
``tests/test_laurel.py`` both to laurel's own outputs.
"""
from __future__ import annotations

import re

from c2audit.encode.laurel.fastpath import parse_body_fast
from c2audit.encode.laurel.values import (
    ABSENT,
    AVC_PREFIX,
    DEC,
    EXE_ARG,
    EXE_LEN,
    HEX,
    HEX_PAIRS,
    HEX_RUN,
    I64_MAX,
    IDENTIFIER,
    INFO,
    KV_IN_QUOTES,
    MAC_POLICY_LOAD,
    NOT_TEXT,
    OCT,
    OCT_RUN,
    PROCTITLE_TEXT,
    SUBJ,
    SYS_ARG,
    TYPE_CLASSES,
    TYPE_IDS,
    U32_MAX,
    U64,
    LaurelParseError,
    ParsedRecord,
    as_fields,
    decimal,
    decode_hex,
    header_problem,
    laurel_type,
    parse_key,
    quote,
)
from c2audit.records import Record

# --- the exact grammar (laurel's combinators, one by one) ---------------------------------------

_SEP = " \x1d\n"  # laurel's separators: space, GS (before the ENRICHED part), newline
_SEPARATORS = re.compile(r"[ \x1d]+")
_DEC = re.compile(r"-?[0-9]+")
_NULL = re.compile(r"\(null\)|\?")
_DQ_SAFE = re.compile(r'"([!#-~]*)"')
_DQ = re.compile(r'"([^"]*)"')
_SQ = re.compile(r"'([^']*)'")
_BRACED = re.compile(r"\{([^}]*)\}")
_UNQUOTED_RUN = re.compile(r"[!#-&(-z|~]+")
_SUBJ = re.compile(r"=?[!#-~]*+(?: \([A-Za-z_][A-Za-z0-9_]*+\))?+")
_KV_IN_BRACES = re.compile(
    r"""\{ ((?:[A-Za-z][A-Za-z0-9_-]*+=(?>'[^']*'|"[^"]*"|[!#-~]*+)"""
    r"""(?: [A-Za-z][A-Za-z0-9_-]*+=(?>'[^']*'|"[^"]*"|[!#-~]*+))*+)?+) \}"""
)
_NETLABEL_PREFIX = re.compile(r"netlabel:[ \t]*")

# A parsed value before it is printed: (form, payload).
#   "n" int | "x" int (hex) | "o" int (octal) | "e" null | "s" raw text | "b" raw text in braces
#   | "h" hex digits to decode | "l" list of raw texts
_Value = tuple[str, object]


def _at_separator(text: str, pos: int) -> bool:
    return pos < len(text) and text[pos] in _SEP


def _dec(text: str, pos: int) -> tuple[int, _Value] | None:
    match = _DEC.match(text, pos)
    if match is None or not _at_separator(text, match.end()):
        return None
    digits = match.group()
    magnitude = decimal(digits.lstrip("-"), I64_MAX)  # laurel's nom i64 overflows on i64::MIN too
    if magnitude is None:
        return None
    return match.end(), ("n", -magnitude if digits[0] == "-" else magnitude)


def _unsigned(text: str, pos: int, run: re.Pattern[str], base: int, form: str) -> tuple[int, _Value] | None:
    match = run.match(text, pos)
    if match is None or not _at_separator(text, match.end()):
        return None
    number = int(match.group(), base)
    return (match.end(), (form, number)) if number < U64 else None


def _encoded(text: str, pos: int) -> tuple[int, _Value] | None:
    match = _DQ_SAFE.match(text, pos)
    if match:
        return match.end(), ("s", match.group(1))
    match = HEX_PAIRS.match(text, pos)
    if match and _at_separator(text, match.end()):
        return match.end(), ("h", match.group())
    match = _NULL.match(text, pos)
    if match and _at_separator(text, match.end()):
        return match.end(), ("e", None)
    return None


def _unspecified(text: str, pos: int, kind: int) -> tuple[int, _Value] | None:
    """laurel's ``parse_unspec_value``: whatever else a value may look like."""
    if kind == SUBJ:  # AppArmor's "subj==/usr/sbin/ntpd (enforce)"
        match = _SUBJ.match(text, pos)
        return match.end(), ("s", match.group())  # type: ignore[union-attr]  # always matches
    if kind == INFO:
        match = _DQ.match(text, pos)
        if match:
            return match.end(), ("s", match.group(1))
    match = _UNQUOTED_RUN.match(text, pos)
    if match and _at_separator(text, match.end()):
        return match.end(), ("s", match.group())
    for pattern, form in ((KV_IN_QUOTES, "s"), (_SQ, "s"), (_DQ, "s"), (_KV_IN_BRACES, "b"), (_BRACED, "b")):
        match = pattern.match(text, pos)
        if match:
            return match.end(), (form, match.group(1))
    if _at_separator(text, pos):
        return pos, ("e", None)
    return None


def _value(text: str, pos: int, kind: int) -> tuple[int, _Value] | None:
    if kind == SYS_ARG:  # hex digits; a number too large stays a string
        match = HEX_RUN.match(text, pos)
        if match is None or not _at_separator(text, match.end()):
            return None
        number = int(match.group(), 16)
        return match.end(), (("x", number) if number < U64 else ("s", match.group()))
    if kind == EXE_ARG:
        return _encoded(text, pos)
    if kind == EXE_LEN:
        return _dec(text, pos)
    if kind == DEC:
        first = _dec(text, pos)
    elif kind == HEX:
        first = _unsigned(text, pos, HEX_RUN, 16, "x")
    elif kind == OCT:
        first = _unsigned(text, pos, OCT_RUN, 8, "o")
    else:
        first = _encoded(text, pos)
    return first if first is not None else _unspecified(text, pos, kind)


def _printed(value: _Value) -> object:
    """The JSON value laurel writes for a parsed value."""
    form, payload = value
    if form == "n":
        return payload
    if form == "s":
        return quote(payload)  # type: ignore[arg-type]
    if form == "e":
        return None
    if form == "x":
        return f"0x{payload:x}"
    if form == "o":
        return f"0o{payload:o}"
    if form == "h":
        return quote(decode_hex(payload))  # type: ignore[arg-type]
    if form == "b":
        return quote(f"{{{payload}}}")
    return [quote(item) for item in payload]  # type: ignore[union-attr]


def _raw(value: _Value) -> str | None:
    """The text behind a string value (``None`` for anything that is not a string)."""
    form, payload = value
    if form in ("s", "b"):
        return payload  # type: ignore[return-value]
    if form == "h":
        return decode_hex(payload)  # type: ignore[arg-type]
    return None


def parse_body_exact(record_type: int, body: str) -> ParsedRecord:
    """laurel's ``parse_body`` on a record body (the text after ``msg=audit(…):``, spaces skipped).

    Raises :class:`ValueError` with laurel's reason when the body does not parse.
    """
    text = body + "\n"
    cls = TYPE_CLASSES.get(record_type, 0)
    pos = 0
    special: tuple[str, _Value] | None = None
    match = AVC_PREFIX.match(text)
    if match:
        special = (match.group(1), ("l", IDENTIFIER.findall(match.group(2))))
        pos = match.end()
    else:
        match = _NETLABEL_PREFIX.match(text)
        if match:
            special = ("netlabel", ("e", None))
            pos = match.end()
    if record_type == MAC_POLICY_LOAD and text.startswith("policy loaded ", pos):
        pos += len("policy loaded ")
    items: list[tuple[tuple[int, str, int, int | None, int], _Value]] = []
    parsed = _key_value(cls, text, pos)
    while parsed is not None:
        key, value, pos = parsed
        items.append((key, value))
        separator = _SEPARATORS.match(text, pos)
        if separator is None:
            break
        parsed = _key_value(cls, text, separator.end())
    if pos != len(text) - 1:
        raise ValueError(f"cannot parse body at offset {pos}")
    record = ParsedRecord(record_type, [])
    pairs: list[tuple[str, object]] = []
    sys_args: list[object] = []
    exe_args: list[tuple[int, int | None, str | None]] = []
    for (kind, name, number, fragment, _), value in items:
        if kind == SYS_ARG:
            sys_args.append(_printed(value))
        elif kind == EXE_ARG:
            exe_args.append((number, fragment, _raw(value)))
        elif kind != EXE_LEN:
            if kind == PROCTITLE_TEXT and record.proctitle is ABSENT:
                raw = _raw(value)
                record.proctitle = NOT_TEXT if raw is None else raw
            pairs.append((name, _printed(value)))
    if special is not None:
        pairs.append((special[0], _printed(special[1])))
    record.fields = as_fields(pairs)
    record.sys_args = sys_args
    record.exe_args = exe_args
    return record


_Key = tuple[int, str, int, "int | None", int]  # parse_key's (kind, name, N, M, end)


def _key_value(cls: int, text: str, pos: int) -> tuple[_Key, _Value, int] | None:
    key = parse_key(cls, text, pos)
    if key is None:
        return None
    value = _value(text, key[4], key[0])
    if value is None:
        return None
    return key, value[1], value[0]


def parse_body(record_type: int, body: str) -> ParsedRecord:
    """A record body as laurel reads it; :class:`ValueError` when laurel would reject it."""
    record = parse_body_fast(record_type, body)
    return record if record is not None else parse_body_exact(record_type, body)


# --- a whole record ----------------------------------------------------------------------------


def parse_record(record: Record) -> tuple[int, int, ParsedRecord]:
    """(type, timestamp in ms, body) of a record laurel accepts; :class:`LaurelParseError` otherwise.

    The header was parsed by :func:`c2audit.records.parse_line`; laurel is
    stricter about it (its own type names, ``u32`` serials).  The timestamp is
    laurel's ``1000 * sec + msec``, so ``1.5000`` is ``6.000``.
    """
    number = TYPE_IDS.get(record.type_text)
    if number is None:
        number = laurel_type(record.type_text)
        if number is None:
            raise LaurelParseError(f"cannot parse header: unknown type {record.type_text!r}", record.raw,
                                   record.filename, record.line)
    if record.node is not None or record.serial > U32_MAX or record.sec >= U64 or record.milli >= U64:
        problem = header_problem(record.node, record.sec, record.milli, record.serial)
        if problem is not None:
            raise LaurelParseError(problem, record.raw, record.filename, record.line)
    body = record.text[record.body_start:]
    if body[:1] == " " or body[:1] == "\t":  # laurel's space0 after "):"
        body = body.lstrip(" \t")
    if record.enriched is not None:
        body = f"{body}\x1d{record.enriched}"
    try:
        parsed = parse_body(number, body)
    except ValueError as error:
        raise LaurelParseError(str(error), record.raw, record.filename, record.line) from None
    return number, (1000 * record.sec + record.milli) % U64, parsed
