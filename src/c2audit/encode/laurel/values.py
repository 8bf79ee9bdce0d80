"""What laurel 0.5.1 makes of a value: the kind its key gives it, its printed form, the parsed record.

laurel types each value by its key (``parser.rs``): ``*uid``/``*gid`` and the
decimal fields of audit-documentation's field dictionary are signed 64-bit
numbers, its hexadecimal and octal fields unsigned numbers printed ``0x…`` and
``0o…``, every other key an *encoded* string (``"text"``, hex pairs, ``(null)``);
a value that is not what its key expects is kept as text.  ``SYSCALL`` and
``EXECVE`` arguments, AppArmor's ``subj`` and ``info`` and the ``proctitle`` of
a ``PROCTITLE`` have kinds of their own.  Strings are printed as laurel's
``to_quoted_string`` prints bytes (:func:`quote`).  The tables come from the
generated :mod:`c2audit.tables` dictionaries, read the way laurel's ``build.rs``
reads them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from c2audit.records import RecordError
from c2audit.tables import field_dictionary, message_dictionary, uapi

# --- tables ------------------------------------------------------------------------------------

# laurel 0.5.1's message names: audit-documentation's dictionary plus two it knows beyond the
# corpus copy (checked against the binary: type=UNKNOWN[1420] prints MAC_TASK_CONTEXTS).
_EXTRA_TYPE_NAMES = {1420: "MAC_TASK_CONTEXTS", 1421: "MAC_OBJ_CONTEXTS"}
TYPE_NAMES: dict[int, str] = {
    number: name.removeprefix("AUDIT_") for number, name in message_dictionary.ENTRIES
}
TYPE_NAMES.update(_EXTRA_TYPE_NAMES)
TYPE_IDS: dict[str, int] = {name: number for number, name in TYPE_NAMES.items()}

SYSCALL = uapi.AUDIT_SYSCALL
EXECVE = uapi.AUDIT_EXECVE
PROCTITLE = uapi.AUDIT_PROCTITLE
CWD = uapi.AUDIT_CWD
EOE = uapi.AUDIT_EOE
_USER_AUTH = uapi.AUDIT_USER_AUTH
_AVC = uapi.AUDIT_AVC
MAC_POLICY_LOAD = uapi.AUDIT_MAC_POLICY_LOAD

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

def decimal(digits: str, limit: int) -> int | None:
    """ASCII decimal digits as a number when it is at most ``limit`` (nom's checked parse), else ``None``.

    Never converts a long digit string: Python refuses over 4300 digits, and
    laurel only needs to know that such a number overflows.
    """
    significant = digits.lstrip("0")
    if len(significant) > 20:
        return None
    number = int(significant or "0")
    return number if number <= limit else None


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
TYPE_CLASSES = {SYSCALL: 1, EXECVE: 2, _USER_AUTH: 3, _AVC: 4, PROCTITLE: 5}


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
    if name.endswith(("uid", "gid")):
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
        number = decimal(digits.group(), U16_MAX) if digits else None
        if digits and number is not None:
            end = digits.end()
            if cls == 1:
                return (SYS_ARG, "", number, None, end + 1) if text.startswith("=", end) else None
            if text.startswith("_len", end):
                return (EXE_LEN, "", number, None, end + 5) if text.startswith("=", end + 4) else None
            fragment = _ARG_FRAGMENT.match(text, end)
            piece = decimal(fragment.group(1), U16_MAX) if fragment else None
            if fragment and piece is not None:
                after = fragment.end()
                return (EXE_ARG, "", number, piece, after + 1) if text.startswith("=", after) else None
            return (EXE_ARG, "", number, None, end + 1) if text.startswith("=", end) else None
    match = _KEY.match(text, pos)
    if match is None or not text.startswith("=", match.end()):
        return None
    name = match.group()
    return (_named_kind(cls, name), name, 0, None, match.end() + 1)


# --- token classes both paths use ---------------------------------------------------------------

HEX_RUN = re.compile(r"[0-9A-Fa-f]+")
OCT_RUN = re.compile(r"[0-7]+")
HEX_PAIRS = re.compile(r"(?:[0-9A-Fa-f]{2})+")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
AVC_PREFIX = re.compile(
    r"avc:[ \t]*(granted|denied)[ \t]*\{[ \t]*((?:[A-Za-z_][A-Za-z0-9_]*+[ \t]*+)++)\}[ \t]*for[ \t]*"
)

# laurel's 'k=v …' (parse_kv_sq): its values may be "…" or {…}, which may hold a quote
KV_IN_QUOTES = re.compile(
    r"""'((?:[A-Za-z][A-Za-z0-9_-]*+=(?>"[^"]*"|\{[^}]*\}|[!#-&(-~]*+)"""
    r"""(?: [A-Za-z][A-Za-z0-9_-]*+=(?>"[^"]*"|\{[^}]*\}|[!#-&(-~]*+))*+)?+)'"""
)


def as_fields(pairs: list[tuple[str, object]]) -> dict[str, object] | list[tuple[str, object]]:
    """A dict when every key is distinct (the usual case), else the pairs themselves."""
    fields = dict(pairs)
    return fields if len(fields) == len(pairs) else pairs
