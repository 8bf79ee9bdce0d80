"""The fast path of laurel's grammar: bodies made only of plain ``key=value`` tokens.

Most records are nothing else (``arch=c000003e syscall=59 … comm="ls"``), so
they are cut with ``str.split`` and typed from a per-type cache of whole
tokens (``uid=0``, ``success=yes`` and ``arch=c000003e`` recur in nearly every
record), in one C-level pass of lookups; only the tokens the cache has not
seen are typed one by one.  Values here are printable ASCII, so quoting only
ever escapes ``%`` and ``+``.  Whatever is unusual — a value the exact grammar
would read differently, a rejected key or value, a repeated key — makes
:func:`parse_body_fast` return ``None``, and :mod:`.grammar`'s exact path decides.
"""
from __future__ import annotations

import re

from c2audit.encode.laurel.values import (
    ABSENT,
    AVC_PREFIX,
    DEC,
    ENC,
    EXE_ARG,
    EXE_LEN,
    HEX,
    HEX_PAIRS,
    HEX_RUN,
    I64_MAX,
    IDENTIFIER,
    INFO,
    KV_IN_QUOTES,
    NOT_TEXT,
    OCT,
    OCT_RUN,
    PROCTITLE_TEXT,
    SUBJ,
    SYS_ARG,
    TYPE_CLASSES,
    U64,
    ParsedRecord,
    decimal,
    decode_hex,
    parse_key,
    quote,
)

_TOKEN = r"""[A-Za-z][A-Za-z0-9_-]*(?:\[[0-9]+\])?=(?:"[!#-~]*"|'[ -&(-~]*'|[!#-&(-z|~]*)"""
_PLAIN_BODY = re.compile(rf"(?:{_TOKEN}(?:[ \x1d]+{_TOKEN})*)?")
_PLAIN_TOKEN = re.compile(_TOKEN)
_UNKNOWN_KEY = (-1, 0, None)
_CACHE_SIZE = 1 << 14  # entries per cache; both are filled from the input, so both are bounded
# per type class: key -> (kind, N, M), or None for a key laurel rejects
_KINDS: list[dict[str, tuple[int, int, int | None] | None]] = [{} for _ in range(6)]


def _fast_kind(cls: int, key: str) -> tuple[int, int, int | None] | None:
    parsed = parse_key(cls, key + "=", 0)
    kind = None if parsed is None or parsed[4] != len(key) + 1 else (parsed[0], parsed[2], parsed[3])
    kinds = _KINDS[cls]
    if len(kinds) >= _CACHE_SIZE:  # keys come from the input: bounded like the token cache
        kinds.clear()
    kinds[key] = kind
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
        tokens = []
        for match in _PLAIN_TOKEN.finditer(body):
            token = match.group()
            value = match.start() + token.index("=") + 1
            if body.startswith("'", value):
                # laurel reads 'k=v …' first, and its "…" may run past the closing quote
                extent = KV_IN_QUOTES.match(body, value)
                if extent is not None and extent.end() != match.end():
                    return None
            tokens.append(token)
        return tokens
    if "\x1d" in body:
        body = body.replace("\x1d", " ")
    if not body.isascii() or not body.isprintable() or body[0] == " " or body[-1] == " ":
        return None
    return body.split(" ") if "  " not in body else body.split()


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
        match = AVC_PREFIX.match(body)
        if match is None:
            return None
        special = (match.group(1), IDENTIFIER.findall(match.group(2)))
        body = body[match.end():]
    tokens = _tokens(body)
    if tokens is None:
        return None
    cls = TYPE_CLASSES.get(record_type, 0)
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


def _type_misses(
    record: ParsedRecord, cls: int, tokens: list[str], items: list[tuple[str, object] | None]
) -> bool:
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
            if not HEX_RUN.fullmatch(value):
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
        negative = value[:1] == "-"
        digits = value[1:] if negative else value
        if digits.isdigit():
            number = int(digits) if len(digits) < 19 else decimal(digits, I64_MAX)
            if number is not None:
                return -number if negative else number
        return _text(value)
    if kind == ENC or kind == INFO or kind == SUBJ:
        if value == "(null)" or value == "?":
            return None
        if not value:
            return "" if kind == SUBJ else None
        if value[0] == '"':
            return _escaped(value[1:-1])
        if value[0] == "'":
            # AppArmor's subj reads quotes its own way
            return _UNUSUAL if kind == SUBJ else _escaped(value[1:-1])
        if HEX_PAIRS.fullmatch(value):
            return quote(decode_hex(value))
        return _escaped(value)
    if kind == HEX or kind == OCT:
        if (HEX_RUN if kind == HEX else OCT_RUN).fullmatch(value):
            number = int(value, 16 if kind == HEX else 8)
            if number < U64:
                return f"0x{number:x}" if kind == HEX else f"0o{number:o}"
            return value
        return _text(value)
    return _UNUSUAL


def _fast_exe_argument(record: ParsedRecord, kind_info: tuple[int, int, int | None], value: str) -> bool:
    """Collect an EXECVE ``aN``/``aN[M]`` (``aN_len``: checked, dropped); ``False`` when laurel refuses it."""
    if kind_info[0] == EXE_ARG:
        raw = _fast_raw(value)
        if raw is None and value != "(null)" and value != "?":
            return False  # laurel accepts only encoded values here
        if not record.exe_args:
            record.exe_args = []
        record.exe_args.append((kind_info[1], kind_info[2], raw))  # type: ignore[union-attr]
        return True
    digits = value[1:] if value[:1] == "-" else value
    return digits.isdigit() and decimal(digits, I64_MAX) is not None


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
    if value and HEX_PAIRS.fullmatch(value):
        return decode_hex(value)
    return None
