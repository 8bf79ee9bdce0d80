"""The ENRICHED suffix auditd appends to a record (``log_format = ENRICHED``).

auditd (``auditd-event.c: format_enrich``) runs auparse over the raw record in
RAW escape mode and, for every field of type UID or GID, appends
``NAME="value"`` (hex-encoded like the kernel does when the value holds a
quote, a space, a control or a non-ASCII byte), and for SYSCALL, ARCH and
SOCKADDR fields ``NAME=value`` as is.  Names are upper-cased.  The first one
is preceded by ``\\x1d``, the others by a space; nothing is added to a record
without such fields, and a field that would not fit in auditd's buffer
(``MAX_AUDIT_MESSAGE_LENGTH`` + host name) is left out.
"""
from __future__ import annotations

from collections.abc import Sequence

from .context import RecordContext
from .encoded import EscapeMode
from .engine import interpret
from .names import Lookups
from .types import FieldType, field_type

INTERP_SEPARATOR = "\x1d"
MAX_AUDIT_MESSAGE_LENGTH = 8970
_POSIX_HOST_NAME_MAX = 255
FORMAT_BUF_LEN = MAX_AUDIT_MESSAGE_LENGTH + _POSIX_HOST_NAME_MAX
MIN_SPACE_LEFT = 24
_NAME_SIZE = 64
_ENCODED = frozenset((FieldType.UID, FieldType.GID))
_PLAIN = frozenset((FieldType.SYSCALL, FieldType.ARCH, FieldType.SOCKADDR))


def encode_nv(name: str, value: str) -> str:
    """``audit_encode_nv_string``: ``NAME="value"`` or ``NAME=HEX`` for unsafe values."""
    data = value.encode("utf-8", "surrogateescape")
    if any(byte == 0x22 or byte < 0x21 or byte >= 0x7F for byte in data):
        return f"{name}={data.hex().upper()}"
    return f'{name}="{value}"'


def enrichment(
    raw: str,
    fields: Sequence[tuple[str, str]],
    context: RecordContext,
    lookups: Lookups | None = None,
) -> str:
    """What auditd appends to record text ``raw`` (whose fields auparse lists as ``fields``)."""
    left = FORMAT_BUF_LEN - len(raw.encode("utf-8", "surrogateescape"))
    if left <= MIN_SPACE_LEFT:
        return ""
    parts: list[str] = []
    seen = 0
    for name, value in fields:
        if left <= MIN_SPACE_LEFT:
            break
        kind = field_type(name, value, context.record_type)
        if kind not in _ENCODED and kind not in _PLAIN:
            continue
        seen += 1
        if seen == 1:
            left -= 1  # the separator
        upper = name[: _NAME_SIZE - 1].upper()
        shown = interpret(name, value, context, lookups, EscapeMode.RAW, kind=kind)
        item = encode_nv(upper, shown) if kind in _ENCODED else f"{upper}={shown}"
        if 1 + len(item) + 1 >= left:
            continue
        text = (" " if seen > 1 else "") + item
        parts.append(text)
        left -= len(text)
    return INTERP_SEPARATOR + "".join(parts) if seen else ""
