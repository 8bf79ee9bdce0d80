"""laurel 0.5.1's reading of one record: its header rules and its typed ``key=value`` grammar.

laurel does not split records the way libauparse does (:mod:`c2audit.records`):
it runs a nom parser over the line and gives every value a JSON type from the
key — a *number* (``pid=5`` → ``5``), a hexadecimal or octal number kept as a
string (``arch=c000003e`` → ``"0xc000003e"``, ``mode=0100755`` → ``"0o100755"``),
a byte string (quotes removed, kernel hex encoding decoded: ``comm=6C73`` →
``"ls"``), ``null`` (``key=(null)``, ``?``, an empty value) or a list (AVC
permissions).  The key decides what is tried, in order:

* ``*uid``/``*gid`` and the decimal fields of audit-documentation's field
  dictionary: a signed 64-bit decimal, else a string;
* its hexadecimal and octal fields: an unsigned 64-bit number, else a string;
* every other key: an *encoded* value (``"safe text"``, pairs of hex digits,
  ``(null)``/``?``), else a string: an unquoted run, ``'k=v …'``, ``'…'``,
  ``"…"``, ``{ k=v … }``, ``{…}``, else ``null``;
* ``SYSCALL`` ``a0``…``aN`` are hexadecimal (collected into ``ARGV``),
  ``EXECVE`` ``aN``/``aN[M]`` encoded, ``aN_len`` decimal; ``subj`` of
  ``SYSCALL``/``USER_AUTH`` may carry AppArmor's `` (enforce)``.

A line this grammar rejects is dropped by laurel (it logs "cannot parse …"):
:func:`parse_record` raises :class:`LaurelParseError` for it.  Two paths give
the same result: a *fast* one for bodies made only of plain ``key=value``
tokens (the vast majority: two C-level regex passes, then one small loop), and
the *exact* one, a direct port of laurel's combinators (atomic regex groups
stand for nom's committed alternatives), for everything else and whenever the
fast path meets anything unusual.  ``tests/test_laurel_grammar.py`` holds both
to laurel's own outputs.

Strings leave here as laurel prints them (:func:`quote`), except the raw text
laurel still reworks per event (``EXECVE`` arguments, ``PROCTITLE``), kept in
:class:`ParsedRecord` beside the fields.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from c2audit.records import Record, RecordError
from c2audit.tables import field_dictionary, message_dictionary, uapi

# --- tables ------------------------------------------------------------------------------------

# laurel 0.5.1's message names: audit-documentation's dictionary plus two it knows beyond the
# corpus copy (checked against the binary: type=UNKNOWN[1420] prints MAC_TASK_CONTEXTS).
_EXTRA_TYPE_NAMES = {1420: "MAC_TASK_CONTEXTS", 1421: "MAC_OBJ_CONTEXTS"}
TYPE_NAMES: dict[int, str] = {number: name.removeprefix("AUDIT_") for number, name in message_dictionary.ENTRIES}
TYPE_NAMES.update(_EXTRA_TYPE_NAMES)
TYPE_IDS: dict[str, int] = {name: number for number, name in TYPE_NAMES.items()}

SYSCALL = uapi.AUDIT_SYSCALL
EXECVE = uapi.AUDIT_EXECVE
PROCTITLE = uapi.AUDIT_PROCTITLE
CWD = uapi.AUDIT_CWD
EOE = uapi.AUDIT_EOE
_USER_AUTH = uapi.AUDIT_USER_AUTH
_AVC = uapi.AUDIT_AVC
_MAC_POLICY_LOAD = uapi.AUDIT_MAC_POLICY_LOAD

# Value kinds, chosen by key.
DEC, HEX, OCT, ENC, SUBJ, INFO, SYS_ARG, EXE_ARG, EXE_LEN, PROCTITLE_TEXT = range(10)

# laurel's "common" keys (types.rs ``Common``) are typed by laurel itself, ahead of the dictionary.
_COMMON = {
    "arch": HEX, "syscall": DEC, "items": DEC, "pid": DEC, "ppid": DEC, "exit": DEC, "ses": DEC,
    "success": ENC, "tty": ENC, "comm": ENC, "exe": ENC, "subj": ENC, "key": ENC,
}
_FORMATS = {"numeric decimal": DEC, "numeric hexadecimal": HEX, "numeric octal": OCT, "encoded": ENC}
# laurel's build.rs keeps only the encoded and numeric rows (so "fp", listed twice, stays
# hexadecimal) and skips the two regex rows describing a0..a3 and execve arguments.
FIELD_KINDS: dict[str, int] = {}
for _name, _format in field_dictionary.ENTRIES[2:]:
    if _format in _FORMATS:
        FIELD_KINDS.setdefault(_name, _FORMATS[_format])

U16_MAX = (1 << 16) - 1
U32_MAX = (1 << 32) - 1
U64 = 1 << 64
I64_MAX = (1 << 63) - 1

# --- errors ------------------------------------------------------------------------------------


class LaurelParseError(RecordError):
    """A record laurel 0.5.1 would not accept (it logs the line and drops it)."""


# --- quoting -----------------------------------------------------------------------------------

_PLAIN = re.compile(r"[ -$&-*,-~]*")  # printable ASCII but % and +: laurel prints these as they are


def quote(text: str) -> str:
    """laurel's ``to_quoted_string``: bytes as UTF-8 text, anything else ``%xx``.

    ``text`` is UTF-8 decoded with ``surrogateescape``.  Printable ASCII stays
    except ``%`` and ``+``; valid multi-byte characters stay; control bytes,
    DEL, ``%``, ``+`` and every byte of an invalid sequence become ``%xx``.
    """
    if _PLAIN.fullmatch(text):
        return text
    out = []
    for char in text:
        code = ord(char)
        if code < 0x80:
            out.append(char if 0x20 <= code < 0x7F and char != "%" and char != "+" else f"%{code:02x}")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
            out.append(f"%{code - 0xDC00:02x}")
        else:
            out.append(char)
    return "".join(out)


def decode_hex(digits: str) -> str:
    """Hex digit pairs (either case) as surrogate-escaped text."""
    return bytes.fromhex(digits).decode("utf-8", "surrogateescape")


# --- the parsed record -------------------------------------------------------------------------

ABSENT = object()
"""``ParsedRecord.proctitle`` of a record without a ``proctitle`` key."""
NOT_TEXT = object()
"""``ParsedRecord.proctitle`` when the first ``proctitle`` is no string (laurel then leaves the record be)."""


@dataclass(slots=True)
class ParsedRecord:
    """One record as laurel holds it before the event-level rewrites.

    ``fields`` maps keys to JSON values in order (a list of pairs when a key
    repeats); ``sys_args`` are a ``SYSCALL``'s ``aN`` values; ``exe_args`` an
    ``EXECVE``'s ``(N, M or None, raw text or None)`` in order; ``proctitle``
    the raw text of a ``PROCTITLE``'s first ``proctitle`` when it is a string
    (:data:`NOT_TEXT` when it is not, :data:`ABSENT` when there is none).
    """

    type: int
    fields: dict[str, object] | list[tuple[str, object]]
    sys_args: Sequence[object] = ()
    exe_args: Sequence[tuple[int, int | None, str | None]] = ()
    proctitle: str | object = ABSENT



# --- header ------------------------------------------------------------------------------------

_UNKNOWN_TYPE = re.compile(r"UNKNOWN\[([0-9]+)\]")
_BAD_NODE = re.compile(r"[\t\r\n]")


def laurel_type(type_text: str) -> int | None:
    """The type number laurel reads from ``type=…`` (its own names, or ``UNKNOWN[n]``), else ``None``."""
    number = TYPE_IDS.get(type_text)
    if number is not None:
        return number
    match = _UNKNOWN_TYPE.fullmatch(type_text)
    if match and int(match.group(1)) <= U32_MAX:
        return int(match.group(1))
    return None


def type_name(number: int) -> str:
    """The JSON key laurel uses for a record type."""
    name = TYPE_NAMES.get(number)
    return name if name is not None else f"UNKNOWN[{number}]"


def header_problem(node: str | None, sec: int, milli: int, serial: int) -> str | None:
    """Why laurel rejects a header that :mod:`c2audit.records` accepted, if it does."""
    if node is not None and _BAD_NODE.search(node):
        return "cannot parse header: node name with a tab or carriage return"
    if sec >= U64 or milli >= U64 or serial > U32_MAX:
        return "cannot parse header: timestamp or serial out of range"
    return None


# --- key classification ------------------------------------------------------------------------

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_DIGITS = re.compile(r"[0-9]+")
_ARG_FRAGMENT = re.compile(r"\[([0-9]+)\]")


# Record types whose keys laurel parses its own way, by class (0: all others).
_CLASSES = {SYSCALL: 1, EXECVE: 2, _USER_AUTH: 3, _AVC: 4, PROCTITLE: 5}


def _named_kind(cls: int, name: str) -> int:
    """The value kind of an ordinary key (``parse_key`` in laurel)."""
    if name == "subj" and cls in (1, 3):
        return SUBJ
    if name == "info" and cls == 4:
        return INFO
    if name == "proctitle" and cls == 5:
        return PROCTITLE_TEXT
    common = _COMMON.get(name)
    if common is not None:
        return common
    if name.endswith("uid") or name.endswith("gid"):
        return DEC
    return FIELD_KINDS.get(name, ENC)


def parse_key(cls: int, text: str, pos: int) -> tuple[int, str, int, int | None, int] | None:
    """Read a key and its ``=`` at ``pos``: (kind, name, N, M, position after ``=``), or ``None``.

    ``SYSCALL`` keys ``a<u16>`` and ``EXECVE`` keys ``a<u16>``, ``a<u16>[<u16>]``,
    ``a<u16>_len`` are arguments; once laurel has matched such a prefix it does
    not back off, so ``a1x=`` fails where ``a99999x=`` is an ordinary key.
    """
    if cls in (1, 2) and text.startswith("a", pos):
        digits = _DIGITS.match(text, pos + 1)
        if digits and int(digits.group()) <= U16_MAX:
            number = int(digits.group())
            end = digits.end()
            if cls == 1:
                return (SYS_ARG, "", number, None, end + 1) if text.startswith("=", end) else None
            if text.startswith("_len", end):
                return (EXE_LEN, "", number, None, end + 5) if text.startswith("=", end + 4) else None
            fragment = _ARG_FRAGMENT.match(text, end)
            if fragment and int(fragment.group(1)) <= U16_MAX:
                after = fragment.end()
                if text.startswith("=", after):
                    return (EXE_ARG, "", number, int(fragment.group(1)), after + 1)
                return None
            return (EXE_ARG, "", number, None, end + 1) if text.startswith("=", end) else None
    match = _KEY.match(text, pos)
    if match is None or not text.startswith("=", match.end()):
        return None
    name = match.group()
    return (_named_kind(cls, name), name, 0, None, match.end() + 1)


# --- the exact grammar (laurel's combinators, one by one) ---------------------------------------

_SEP = " \x1d\n"  # laurel's separators: space, GS (before the ENRICHED part), newline
_SEPARATORS = re.compile(r"[ \x1d]+")
_DEC = re.compile(r"-?[0-9]+")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]+")
_OCT_RUN = re.compile(r"[0-7]+")
_HEX_PAIRS = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_NULL = re.compile(r"\(null\)|\?")
_DQ_SAFE = re.compile(r'"([!#-~]*)"')
_DQ = re.compile(r'"([^"]*)"')
_SQ = re.compile(r"'([^']*)'")
_BRACED = re.compile(r"\{([^}]*)\}")
_UNQUOTED_RUN = re.compile(r"[!#-&(-z|~]+")
_SUBJ = re.compile(r"=?[!#-~]*+(?: \([A-Za-z_][A-Za-z0-9_]*+\))?+")
_KV_IN_QUOTES = re.compile(
    r"""'((?:[A-Za-z][A-Za-z0-9_-]*+=(?>"[^"]*"|\{[^}]*\}|[!#-&(-~]*+)"""
    r"""(?: [A-Za-z][A-Za-z0-9_-]*+=(?>"[^"]*"|\{[^}]*\}|[!#-&(-~]*+))*+)?+)'"""
)
_KV_IN_BRACES = re.compile(
    r"""\{ ((?:[A-Za-z][A-Za-z0-9_-]*+=(?>'[^']*'|"[^"]*"|[!#-~]*+)"""
    r"""(?: [A-Za-z][A-Za-z0-9_-]*+=(?>'[^']*'|"[^"]*"|[!#-~]*+))*+)?+) \}"""
)
_AVC_PREFIX = re.compile(
    r"avc:[ \t]*(granted|denied)[ \t]*\{[ \t]*((?:[A-Za-z_][A-Za-z0-9_]*+[ \t]*+)++)\}[ \t]*for[ \t]*"
)
_NETLABEL_PREFIX = re.compile(r"netlabel:[ \t]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

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
    magnitude = int(digits.lstrip("-"))
    if magnitude > I64_MAX:  # laurel's nom i64 overflows on i64::MIN too
        return None
    return match.end(), ("n", int(digits))


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
    match = _HEX_PAIRS.match(text, pos)
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
    for pattern, form in ((_KV_IN_QUOTES, "s"), (_SQ, "s"), (_DQ, "s"), (_KV_IN_BRACES, "b"), (_BRACED, "b")):
        match = pattern.match(text, pos)
        if match:
            return match.end(), (form, match.group(1))
    if _at_separator(text, pos):
        return pos, ("e", None)
    return None


def _value(text: str, pos: int, kind: int) -> tuple[int, _Value] | None:
    if kind == SYS_ARG:  # hex digits; a number too large stays a string
        match = _HEX_RUN.match(text, pos)
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
        first = _unsigned(text, pos, _HEX_RUN, 16, "x")
    elif kind == OCT:
        first = _unsigned(text, pos, _OCT_RUN, 8, "o")
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
    cls = _CLASSES.get(record_type, 0)
    pos = 0
    special: tuple[str, _Value] | None = None
    match = _AVC_PREFIX.match(text)
    if match:
        special = (match.group(1), ("l", _IDENTIFIER.findall(match.group(2))))
        pos = match.end()
    else:
        match = _NETLABEL_PREFIX.match(text)
        if match:
            special = ("netlabel", ("e", None))
            pos = match.end()
    if record_type == _MAC_POLICY_LOAD and text.startswith("policy loaded ", pos):
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


def _key_value(cls: int, text: str, pos: int) -> tuple[tuple[int, str, int, int | None, int], _Value, int] | None:
    key = parse_key(cls, text, pos)
    if key is None:
        return None
    value = _value(text, key[4], key[0])
    if value is None:
        return None
    return key, value[1], value[0]


def as_fields(pairs: list[tuple[str, object]]) -> dict[str, object] | list[tuple[str, object]]:
    """A dict when every key is distinct (the usual case), else the pairs themselves."""
    fields = dict(pairs)
    return fields if len(fields) == len(pairs) else pairs


# --- the fast path -----------------------------------------------------------------------------

_TOKEN = r"""[A-Za-z][A-Za-z0-9_-]*(?:\[[0-9]+\])?=(?:"[!#-~]*"|'[ -&(-~]*'|[!#-&(-z|~]*)"""
_PLAIN_BODY = re.compile(rf"(?:{_TOKEN}(?:[ \x1d]+{_TOKEN})*)?")
_PLAIN_TOKEN = re.compile(_TOKEN)
_UNKNOWN_KEY = (-1, 0, None)
# per type class: key -> (kind, N, M), or None for a key laurel rejects
_KINDS: list[dict[str, tuple[int, int, int | None] | None]] = [{} for _ in range(6)]


def _fast_kind(cls: int, key: str) -> tuple[int, int, int | None] | None:
    parsed = parse_key(cls, key + "=", 0)
    kind = None if parsed is None or parsed[4] != len(key) + 1 else (parsed[0], parsed[2], parsed[3])
    _KINDS[cls][key] = kind
    return kind


def _tokens(body: str) -> list[str] | None:
    """The ``key=value`` tokens of a body made only of plain tokens, else ``None``.

    Plain: printable ASCII, spaces or GS between tokens, values ``"…"``
    without ``"``, ``'…'``, or an unquoted run without quotes or braces.  The
    usual body has no ``'``, ``{`` or ``}`` at all and is cut with
    ``str.split`` (its ``"`` are checked token by token, in
    :func:`parse_body_fast`); the others take a regex.
    """
    if not body:
        return []
    if "'" in body or "{" in body or "}" in body:  # GS may be text inside quotes: the regex knows
        if not body.isascii() or not _PLAIN_BODY.fullmatch(body):
            return None
        return _PLAIN_TOKEN.findall(body)
    if "\x1d" in body:
        body = body.replace("\x1d", " ")
    if not body.isascii() or not body.isprintable() or body[0] == " " or body[-1] == " ":
        return None
    return body.split(" ") if "  " not in body else body.split()


_CACHE_SIZE = 1 << 16
# per type class: token "key=value" -> (key, JSON value), for plain fields and SYSCALL arguments
# (key ""); values repeat a lot (uid=0, success=yes, arch=c000003e), so most tokens of a record
# are typed by one C-level pass of lookups
_TYPED: list[dict[str, tuple[str, object]]] = [{} for _ in range(6)]
_ARGUMENT = ""  # the key under which a SYSCALL argument is cached (no real key is empty)
_DROPPED = ("", None)  # the place of an EXECVE argument, collected aside, in the token list


def parse_body_fast(record_type: int, body: str) -> ParsedRecord | None:
    """The common case: ``key=value`` tokens whose values are printable ASCII.

    Returns ``None`` when the body is anything else, or holds anything the
    exact grammar must decide (a rejected key or value, a repeated key).
    Quoting then only ever has ``%`` and ``+`` to escape (hex-decoded values
    are quoted in full).  An ``avc: … { perms } for`` prefix is taken here too.
    """
    special = None
    if body[:4] == "avc:":
        match = _AVC_PREFIX.match(body)
        if match is None:
            return None
        special = (match.group(1), _IDENTIFIER.findall(match.group(2)))
        body = body[match.end():]
    tokens = _tokens(body)
    if tokens is None:
        return None
    cls = _CLASSES.get(record_type, 0)
    items: list[tuple[str, object] | None] = list(map(_TYPED[cls].get, tokens))
    record = ParsedRecord(record_type, {})
    if None in items and not _type_misses(record, cls, tokens, items):
        return None
    expected = len(items)
    if cls == 1:  # SYSCALL: its aN go to ARGV; they share the key "" in the dict, removed below
        args = [value for key, value in items if key is _ARGUMENT]  # type: ignore[misc]
        if args:
            record.sys_args = args
            expected -= len(args) - 1
    elif cls == 2 and _DROPPED in items:  # EXECVE: its aN went to exe_args, its aN_len nowhere
        items = [item for item in items if item is not _DROPPED]
        expected = len(items)
    if special is not None:
        items.append(special)
        expected += 1
    fields = dict(items)  # type: ignore[arg-type]
    if len(fields) != expected:
        return None  # a repeated key: laurel writes it twice, as the exact path does
    if record.sys_args:
        del fields[_ARGUMENT]
    record.fields = fields
    return record


def _type_misses(record: ParsedRecord, cls: int, tokens: list[str], items: list[tuple[str, object] | None]) -> bool:
    """Type the tokens the cache did not know, in place; ``False`` when laurel would refuse one."""
    typed = _TYPED[cls]
    kinds = _KINDS[cls]
    for index, item in enumerate(items):
        if item is not None:
            continue
        token = tokens[index]
        key, equals, value = token.partition("=")
        if not equals:
            return False
        if '"' in value and value[0] != "'" and (
                value[0] != '"' or value[-1] != '"' or len(value) < 2 or '"' in value[1:-1]):
            return False  # a quote inside a value: only the exact grammar knows what laurel makes of it
        kind_info = kinds.get(key, _UNKNOWN_KEY)
        if kind_info is _UNKNOWN_KEY:
            kind_info = _fast_kind(cls, key)
        if kind_info is None:
            return False
        kind = kind_info[0]
        if kind == PROCTITLE_TEXT:  # never cached: the first one is kept raw
            items[index] = (key, _fast_proctitle(record, value))
            continue
        if kind == EXE_ARG or kind == EXE_LEN:  # never cached: their place in ARGV matters
            if not _fast_exe_argument(record, kind_info, value):
                return False
            items[index] = _DROPPED
            continue
        if kind == SYS_ARG:
            if not _HEX_RUN.fullmatch(value):
                return False
            number = int(value, 16)
            item = (_ARGUMENT, f"0x{number:x}" if number < U64 else value)
        else:
            result = _fast_value(kind, value)
            if result is _UNUSUAL:
                return False
            item = (key, result)
        items[index] = item
        if len(typed) >= _CACHE_SIZE:
            typed.clear()
        typed[token] = item
    return True


_UNUSUAL = object()


def _fast_value(kind: int, value: str) -> object:
    """The JSON value of a plain field's printable-ASCII value (:data:`_UNUSUAL`: ask the exact grammar)."""
    if kind == DEC:
        if value.isdigit():
            return int(value) if len(value) < 19 or int(value) <= I64_MAX else value
        if value[:1] == "-" and value[1:].isdigit() and (len(value) < 20 or -int(value) <= I64_MAX):
            return int(value)
        return _text(value)
    if kind == ENC or kind == INFO or kind == SUBJ:
        if value == "(null)" or value == "?":
            return None
        if not value:
            return "" if kind == SUBJ else None
        if value[0] == '"':
            return _escaped(value[1:-1])
        if value[0] == "'":
            return _UNUSUAL if kind == SUBJ else _escaped(value[1:-1])  # AppArmor's subj reads quotes its own way
        if _HEX_PAIRS.fullmatch(value):
            return quote(decode_hex(value))
        return _escaped(value)
    if kind == HEX or kind == OCT:
        if (_HEX_RUN if kind == HEX else _OCT_RUN).fullmatch(value):
            number = int(value, 16 if kind == HEX else 8)
            if number < U64:
                return f"0x{number:x}" if kind == HEX else f"0o{number:o}"
            return value
        return _text(value)
    return _UNUSUAL


def _fast_exe_argument(record: ParsedRecord, kind_info: tuple[int, int, int | None], value: str) -> bool:
    """Collect an EXECVE ``aN``/``aN[M]`` (``aN_len`` is checked and dropped); ``False`` when laurel refuses it."""
    if kind_info[0] == EXE_ARG:
        raw = _fast_raw(value)
        if raw is None and value != "(null)" and value != "?":
            return False  # laurel accepts only encoded values here
        if not record.exe_args:
            record.exe_args = []
        record.exe_args.append((kind_info[1], kind_info[2], raw))  # type: ignore[union-attr]
        return True
    digits = value[1:] if value[:1] == "-" else value
    return digits.isdigit() and int(digits) <= I64_MAX


def _fast_proctitle(record: ParsedRecord, value: str) -> str | None:
    """A PROCTITLE's ``proctitle``: printed as encoded, its text kept raw for the ``ARGV`` split."""
    raw = _fast_raw(value)
    if raw is None and value and value != "(null)" and value != "?":
        raw = value[1:-1] if value[0] == "'" else value  # not encoded, text all the same
    if record.proctitle is ABSENT:
        record.proctitle = NOT_TEXT if raw is None else raw
    return None if raw is None else quote(raw)


def _escaped(text: str) -> str:
    """Quote fast-path text: printable ASCII, so only ``%`` and ``+`` may need it."""
    if "%" in text:
        text = text.replace("%", "%25")
    return text.replace("+", "%2b") if "+" in text else text


def _text(value: str) -> str | None:
    """A numeric key's value that is no number: the text, quotes removed, or ``null`` when empty."""
    if not value:
        return None
    if value[0] == '"' or value[0] == "'":
        return _escaped(value[1:-1])
    return _escaped(value)


def _fast_raw(value: str) -> str | None:
    """The text of an encoded value (``"…"`` or hex), ``None`` for anything else."""
    if value[:1] == '"':
        return value[1:-1]
    if value and _HEX_PAIRS.fullmatch(value):
        return decode_hex(value)
    return None


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
