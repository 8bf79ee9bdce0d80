"""Audit records: one log line or one kernel message becomes a :class:`Record`.

A record is ``[node=N ]type=T msg=audit(SEC.MILLI:SERIAL): k=v k=v …`` with an
optional ENRICHED part after ``\\x1d`` (auditd's ``log_format = ENRICHED``).
Parsing is split in two on purpose:

* the **header** (node, type, timestamp, serial) is matched eagerly by one
  regular expression, because grouping needs it for every record;
* the **fields** are split on first access (:attr:`Record.fields`), because
  many consumers (``--format raw``, searches that stop at the header, events
  thrown away by a filter) never look at them.

The field split is libauparse's own (``auparse/ellist.c:parse_up_record`` as
shipped in audit 3.0.9, checked against the real library by
``tests/test_records_auparse.py``), so the ``c2audit.auparse`` drop-in, the
interpreter and every encoder see exactly the fields auparse shows:

* the line is cut on single spaces; a token without ``=`` is dropped (a quoted
  value containing a space is therefore cut, as auparse cuts it);
* ``node`` and ``type`` are the first fields, ``msg=audit(…):`` is not a field;
* ``msg='`` opening a user-space record's nested text is peeled off, so the
  nested ``k=v`` pairs become fields of the record;
* a name loses a leading ``(``; a value loses one trailing ``:``, then ``,``,
  then ``'``, then ``)`` (unless it is ``(none)``/``(null)``);
* an empty value (``k=``) is dropped;
* ``key`` is split into one ``key`` field per ``\\x01``-separated rule key when
  hex-encoded, each re-quoted (or re-hexed when it holds unprintable bytes); a
  hex key that does not decode gives the value ``None``;
* SELinux ``AVC``/``USER_AVC`` text ``avc:  denied  { read write } for …``
  yields ``seresult=denied`` and ``seperms=read,write`` where auparse finds them.

Values stay exactly as written (quotes and hex included): :func:`decode_value`
decodes one on demand.  Every malformed line raises :class:`RecordError`
carrying the raw text and its position; nothing here does I/O.
"""
from __future__ import annotations

import re
from itertools import compress, count, repeat
from operator import is_

from c2audit.tables import msg_typetab, name_by_number, number_by_name, uapi

UNKNOWN_TYPE = -1
"""Record type of a ``type=`` name no table knows (libaudit returns -1 too)."""

# The message type names, for every module that reads or writes them (the daemon's log lines,
# the rules' msgtype field): built once, here.
TYPE_BY_NAME: dict[str, int] = number_by_name(msg_typetab.ENTRIES)
NAME_BY_TYPE: dict[int, str] = name_by_number(msg_typetab.ENTRIES)

ENRICHED_SEPARATOR = "\x1d"  # AUDIT_INTERP_SEPARATOR
KEY_SEPARATOR = b"\x01"  # AUDIT_KEY_SEPARATOR: several rule keys in one key= value

# Single spaces separate tokens (auparse uses strtok(" ")); numbers are bounded
# so that a hostile line cannot make int() chew on thousands of digits.
_HEADER = re.compile(
    r"(?:node=([^ ]+) +)?type=([^ ]+) +msg=audit\(([0-9]{1,20})\.([0-9]{1,20}):([0-9]{1,20})\):"
)
_UNKNOWN_TYPE = re.compile(r"UNKNOWN\[([0-9]{1,10})\]")
_HEX_PREFIX = re.compile(r"[0-9A-Fa-f]*")
_HEX_VALUE = re.compile(r"(?:[0-9A-F]{2})+")
# Where a key= value may be hex (anything but '"' or '('): _rewrite_keys decides (subkey=, ...).
_HEX_KEY = re.compile(r'key=(?![("])').search
_TRAILING = frozenset(":,')")
# The field of each token seen lately: a log repeats most of its tokens (uid=0, success=yes), so
# most fields come out of one C-level pass of lookups, already made.
_PAIRS: dict[str, tuple[str, str | None]] = {}
_PAIRS_KEPT = 1 << 14  # tokens come from the input: bounded, forgotten all at once when full
_PAIR_TOKEN_MAX = 128  # longer tokens (hex arguments, proctitles) are seldom seen twice: not kept
_DROPPED = ()  # the "pair" of a token auparse drops: the only false one, so filter(None, …) drops it
_LITERAL_KEY = ('"', "(")  # a key= value kept as written; any other (even "") is hex, decoded or None
# the kernel's "avc:  denied  { read write } for  " (two spaces around the result, as printed);
# a result with '=' in it would be a field of its own: the walk takes it
_KERNEL_AVC = re.compile(r"avc:  ([^ =]+)  \{ ((?:[^ }][^ ]*)(?: [^ }][^ ]*)*) \} for  ")
_AVC_TYPES = frozenset((uapi.AUDIT_AVC, uapi.AUDIT_USER_AVC))
_AVC_PERMS_LIMIT = 256  # auparse's tmpctx[256]: longer permission lists abort the split


class RecordError(ValueError):
    """A line or kernel message that is not an audit record.

    Carries the reason, the raw text and where it came from, so an edge can
    count it, report ``file:line`` and carry on.
    """

    def __init__(self, reason: str, text: str, filename: str | None = None, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text
        self.filename = filename
        self.line = line

    def __str__(self) -> str:
        where = f"{self.filename or '-'}:{self.line}: " if self.line else ""
        shown = self.text if len(self.text) <= 200 else self.text[:200] + "…"
        return f"{where}{self.reason}: {shown!r}"


class Record:
    """One audit record: header parsed, fields split on first use.

    ``text`` is the record as auparse keeps it (the line without its newline and
    without the ENRICHED part); ``enriched`` is the text after ``\\x1d`` or
    ``None``.  ``type_text`` is the type as written (``SYSCALL``,
    ``UNKNOWN[1420]``); ``type`` its number (:data:`UNKNOWN_TYPE` when no table
    knows the name).  ``filename``/``line`` say where the record came from
    (``None``/0 for a kernel message); ``body_start`` is the offset in ``text``
    just past the ``msg=audit(…):`` header.
    """

    __slots__ = (
        "_fields",
        "body_start",
        "enriched",
        "filename",
        "line",
        "milli",
        "node",
        "sec",
        "serial",
        "text",
        "type",
        "type_text",
    )

    def __init__(
        self,
        type: int,
        type_text: str,
        node: str | None,
        sec: int,
        milli: int,
        serial: int,
        text: str,
        enriched: str | None = None,
        filename: str | None = None,
        line: int = 0,
        body_start: int = 0,
    ) -> None:
        self.type = type
        self.type_text = type_text
        self.node = node
        self.sec = sec
        self.milli = milli
        self.serial = serial
        self.text = text
        self.enriched = enriched
        self.filename = filename
        self.line = line
        self.body_start = body_start
        self._fields: list[tuple[str, str | None]] | None = None

    @property
    def fields(self) -> list[tuple[str, str | None]]:
        """(name, raw value) pairs in auparse's order, repeated names kept.

        ``node`` (when present) and ``type`` come first, as auparse lists them.
        A value is ``None`` only for a ``key`` auparse cannot decode.
        """
        fields = self._fields
        if fields is None:
            if self.body_start:  # the header is known: node and type need no splitting
                head: list[tuple[str, str | None]] = [("type", _clean(self.type_text))]
                if self.node is not None:
                    head.insert(0, ("node", _clean(self.node)))
                fields = _split_body(head, self.text[self.body_start:], self.type)
            if fields is None:
                fields = _split_tokens(self.text, self.type, self.node is not None)
            self._fields = fields
        return fields

    @property
    def data_fields(self) -> list[tuple[str, str | None]]:
        """:attr:`fields` without the leading ``node``/``type`` pair(s)."""
        return self.fields[2 if self.node is not None else 1:]

    @property
    def type_name(self) -> str:
        """Canonical name of the type: the table's name, else ``UNKNOWN[n]``, else as written."""
        if self.type == UNKNOWN_TYPE:
            return self.type_text
        return type_name(self.type)

    @property
    def event_key(self) -> tuple[str | None, int, int, int]:
        """What identifies the record's event: (node, sec, milli, serial)."""
        return (self.node, self.sec, self.milli, self.serial)

    @property
    def raw(self) -> str:
        """The record exactly as read: text plus the ENRICHED part, if any."""
        if self.enriched is None:
            return self.text
        return f"{self.text}{ENRICHED_SEPARATOR}{self.enriched}"

    def get(self, name: str, default: str | None = None) -> str | None:
        """Raw value of the first field called ``name``."""
        for field_name, value in self.fields:
            if field_name == name:
                return value
        return default

    def get_all(self, name: str) -> list[str | None]:
        """Raw values of every field called ``name``, in order."""
        return [value for field_name, value in self.fields if field_name == name]

    def __repr__(self) -> str:
        where = f" {self.filename or '-'}:{self.line}" if self.line else ""
        node = f"node={self.node} " if self.node is not None else ""
        return f"<Record {node}{self.type_text} {self.sec}.{self.milli:03d}:{self.serial}{where}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.text, self.enriched, self.type, self.filename, self.line) == (
            other.text, other.enriched, other.type, other.filename, other.line)

    __hash__ = None  # type: ignore[assignment]  # mutable cache inside: not hashable


def type_name(number: int) -> str:
    """The name of a record type number, ``UNKNOWN[n]`` when no table knows it."""
    name = NAME_BY_TYPE.get(number)
    return name if name is not None else f"UNKNOWN[{number}]"


def type_number(text: str) -> int:
    """The number of a ``type=`` value as libaudit reads it (names case-insensitively)."""
    number = TYPE_BY_NAME.get(text)
    if number is not None:
        return number
    match = _UNKNOWN_TYPE.fullmatch(text)
    if match:
        return int(match.group(1))
    if text.isascii() and text.isdigit() and len(text) <= 10:
        return int(text)
    return TYPE_BY_NAME.get(text.upper(), UNKNOWN_TYPE)


def parse_line(line: str, filename: str | None = None, line_number: int = 0) -> Record:
    """Parse one log line (without its newline) into a :class:`Record`.

    Raises :class:`RecordError` when the line has no ``type=… msg=audit(…):``
    header.  The fields are not split here (see :attr:`Record.fields`).
    """
    match = _HEADER.match(line)
    if match is None:
        raise RecordError(_why_not_a_record(line), line, filename, line_number)
    node, type_text, sec, milli, serial = match.groups()
    if len(milli) > 3 and int(milli) > 999:
        raise RecordError("millisecond above 999 in the audit header", line, filename, line_number)
    number = TYPE_BY_NAME.get(type_text)
    if number is None:
        number = type_number(type_text)
    end = match.end()
    cut = line.find(ENRICHED_SEPARATOR, end)
    if cut < 0:
        return Record(number, type_text, node, int(sec), int(milli), int(serial),
                      line, None, filename, line_number, end)
    return Record(number, type_text, node, int(sec), int(milli), int(serial),
                  line[:cut], line[cut + 1:], filename, line_number, end)


def parse_netlink(msg_type: int, payload: bytes | str, node: str | None = None) -> Record:
    """Parse a kernel message (its netlink type and ``audit(…): …`` payload).

    The record's text is the line auditd would write for it
    (``[node=N ]type=NAME msg=audit(…): …``), so a daemon can log ``text`` as is.
    """
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "surrogateescape")
    payload = payload.rstrip("\x00\n")
    prefix = f"node={node} " if node is not None else ""
    text = f"{prefix}type={type_name(msg_type)} msg={payload}"
    try:
        record = parse_line(text)
    except RecordError as error:
        raise RecordError(f"kernel message type {msg_type}: {error.reason}", payload) from None
    record.type = msg_type
    return record


def _why_not_a_record(line: str) -> str:
    if not line.strip():
        return "blank line"
    if "type=" not in line:
        return "no type= field"
    if "msg=audit(" not in line:
        return "no msg=audit(...) timestamp"
    return "malformed audit header (expected '[node=N ]type=T msg=audit(SEC.MILLI:SERIAL):')"


def split_fields(
    text: str, record_type: int, has_node: bool, body_start: int = 0
) -> list[tuple[str, str | None]]:
    """Split a record's text into (name, raw value) pairs exactly as libauparse does.

    ``text`` excludes the ENRICHED part; ``has_node`` says whether the record
    starts with ``node=`` (AVC fields without names are found by position);
    ``body_start``, when known, is where the ``msg=audit(…):`` header ends and
    lets plain records take the fast path.
    """
    if body_start:
        fields = _split_body(_header_fields(text[:body_start]), text[body_start:], record_type)
        if fields is not None:
            return fields
    return _split_tokens(text, record_type, has_node)


def _split_body(
    fields: list[tuple[str, str | None]], body: str, record_type: int
) -> list[tuple[str, str | None]] | None:
    """The header's ``fields`` plus the body's, in a handful of whole-string operations.

    Returns ``None`` when the body needs auparse's token walk instead.

    Every call costs on this hot path, so the body is cut at its spaces and
    each token's field is looked up among the tokens seen lately
    (:data:`_PAIRS`, one C-level pass); only new tokens are cut at their
    first ``=`` (:func:`_pair_tokens`), and those auparse drops (no ``=``, or
    nothing after it) are dropped together.  A nested ``msg='`` is removed
    beforehand; what depends on a token's position (the AVC result and
    permissions) is settled first or left to the walk.
    """
    if body[:1] != " ":
        return fields if not body else None  # "):name=…" glues a field to the header: walk
    body = body.lstrip(" ")
    if not body:
        return fields
    if record_type in _AVC_TYPES:
        body = _avc_head(body, fields)
        if body is None:
            return None
    if "msg=" in body:
        body = _peel_nested(body)
        if body is None:
            return None
    tokens = body.split(" ")
    pairs = list(map(_PAIRS.get, tokens))
    if None in pairs:
        _pair_tokens(tokens, pairs)
    if _DROPPED in pairs:  # words without '=', empty words and "name=": auparse drops them
        fields += filter(None, pairs)
    else:
        fields += pairs
    if "key=" in body and _HEX_KEY(body) is not None:
        return _rewrite_keys(fields)
    return fields


def _pair_tokens(tokens: list[str], pairs: list[tuple[str, str | None] | None]) -> None:
    """Fill in the fields of the tokens :data:`_PAIRS` does not know yet, and remember them."""
    for index in compress(count(), map(is_, pairs, repeat(None))):
        token = tokens[index]
        name, _, value = token.partition("=")
        if not value:
            pair = _DROPPED  # "name=", or a word without '=': no field
        else:
            pair = (name[1:] if name[:1] == "(" else name, _clean(value))  # "(name=" is "name="
        pairs[index] = pair
        if len(token) <= _PAIR_TOKEN_MAX:
            if len(_PAIRS) >= _PAIRS_KEPT:
                _PAIRS.clear()
            _PAIRS[token] = pair


def _avc_head(body: str, fields: list[tuple[str, str | None]]) -> str | None:
    """Settle the words auparse names by position at the start of an AVC body; the rest is plain.

    The kernel's ``avc:  denied  { perms } for`` gives ``seresult`` and
    ``seperms``; a leading word (``user`` in old USER_AVC records) is the
    ``seresult``.  Anything else a word could still mean goes to the walk.
    """
    if body.startswith("avc:"):
        return _kernel_avc_prefix(body, fields)
    # Past two fields no position matters; a nested msg=' among them might add none.
    first, _, rest = body.partition(" ")
    if "=" not in first:
        if first.startswith("avc"):
            return None
        fields.append(("seresult", first))
        return rest if _names_a_field(rest.partition(" ")[0]) else None
    return body if _names_a_field(first) and _names_a_field(rest.partition(" ")[0]) else None


def _names_a_field(token: str) -> bool:
    return "=" in token and not token.startswith("msg=")


def _header_fields(head: str) -> list[tuple[str, str | None]]:
    """``node`` and ``type`` as auparse lists them (``msg=audit(…):`` is not a field)."""
    fields: list[tuple[str, str | None]] = []
    for token in head.split(" "):
        name, _, value = token.partition("=")
        if value and name != "msg":
            fields.append((name, _clean(value)))
    return fields


def _clean(value: str) -> str:
    return _strip_trailing(value) if value[-1] in _TRAILING else value


def _kernel_avc_prefix(body: str, fields: list[tuple[str, str | None]]) -> str | None:
    """Take ``avc:  denied  { perms } for `` off a kernel AVC body into ``seresult``/``seperms``."""
    match = _KERNEL_AVC.match(body)
    if match is None:
        return None
    result, perms = match.groups()
    if len(perms) + 1 >= _AVC_PERMS_LIMIT or "  " in perms:
        return None
    fields.append(("seresult", result))
    fields.append(("seperms", perms.replace(" ", ",")))
    return body[match.end():]


def _peel_nested(body: str) -> str | None:
    """Remove the one ``msg='`` opening a user-space record's nested fields."""
    if body.startswith("msg='"):
        body = body[5:]
    else:
        peeled = body.replace(" msg='", " ", 1)
        if len(peeled) == len(body):
            return None
        body = peeled
    return None if "msg=" in body else body


def _rewrite_keys(fields: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """auparse's virtual ``key`` fields in place of hex-encoded key lists."""
    if not any(name == "key" and value[:1] not in _LITERAL_KEY for name, value in fields):  # type: ignore[index]
        return fields
    result: list[tuple[str, str | None]] = []
    for name, value in fields:
        if name == "key":
            result += [("key", key) for key in rule_keys(value)]  # type: ignore[arg-type]
        else:
            result.append((name, value))
    return result


def _split_tokens(text: str, record_type: int, has_node: bool) -> list[tuple[str, str | None]]:
    """auparse's token walk (``parse_up_record``), every special case included."""
    fields: list[tuple[str, str | None]] = []
    append = fields.append
    avc = record_type in _AVC_TYPES
    offset = 1 if has_node else 0
    tokens = text.split(" ")
    count = len(tokens)
    index = 0
    while index < count:
        token = tokens[index]
        index += 1
        if not token:
            continue
        equals = token.find("=")
        if equals < 0:
            if avc:
                index = _avc_token(token, tokens, index, fields, offset)
                if index < 0:
                    break
            continue
        if token[0] == "m" and token.startswith("msg="):
            opening = token[4:5]
            if opening == "a":  # msg=audit(...): is the header, not a field
                continue
            if opening == "'":  # user-space record: its nested text holds the fields
                token = token[5:]
                equals = token.find("=")
                if equals < 0:
                    continue
        value = token[equals + 1:]
        if not value:
            continue
        name = token[:equals]
        if name[:1] == "(":
            name = name[1:]
        if value[-1] in _TRAILING:
            value = _strip_trailing(value)
        if name == "key":
            fields += [("key", key) for key in rule_keys(value)]
        else:
            append((name, value))
    return fields


def _strip_trailing(value: str) -> str:
    """auparse's trailing punctuation removal: one each of ``:`` ``,`` ``'`` ``)``, in that order."""
    for mark in ":,'":
        if value[-1:] == mark:
            value = value[:-1]
    if value[-1:] == ")" and value != "(none)" and value != "(null)":
        value = value[:-1]
    return value


def _avc_token(
    token: str, tokens: list[str], index: int, fields: list[tuple[str, str | None]], offset: int
) -> int:
    """Handle a token without ``=`` in an AVC record; return where to continue (-1: stop).

    auparse names such tokens by how many fields precede them: right after
    ``type`` comes ``seresult`` (unless it is ``avc:``); one later, a ``{``
    opens ``seperms``, the tokens up to ``}`` joined by commas.
    """
    filled = len(fields)
    if filled == 1 + offset:
        if not token.startswith("avc"):
            fields.append(("seresult", token))
        return index
    if filled == 2 + offset and token[0] == "{":
        perms: list[str] = []
        total = 0
        count = len(tokens)
        while index < count:
            perm = tokens[index]
            index += 1
            if not perm:
                continue
            if perm[0] == "}":
                break
            if len(perm) + 1 >= _AVC_PERMS_LIMIT - total:
                return -1  # auparse gives up on the rest of the record
            total += len(perm) + (1 if perms else 0)
            perms.append(perm)
        fields.append(("seperms", ",".join(perms)))
    return index


def rule_keys(value: str) -> list[str | None]:
    """auparse's virtual ``key`` fields for one ``key=`` value.

    A quoted or parenthesised value stays as it is; a hex-encoded one is
    decoded, split at ``\x01`` into the rule keys it joins, and each is
    re-quoted (re-hexed when unprintable); one that does not decode is ``None``.
    """
    if value[:1] in _LITERAL_KEY:
        return [value]
    decoded = _auparse_unhex(value)
    if decoded is None:
        return [None]
    return [_auparse_escape(key) for key in decoded.split(KEY_SEPARATOR) if key]


def _auparse_unhex(value: str) -> bytes | None:
    """``au_unescape`` on a hex value: the leading hex digits decoded, up to a NUL byte.

    Fewer than two hex digits give ``None``; an odd last digit is paired with 0.
    """
    digits = _HEX_PREFIX.match(value)
    hexits = digits.group() if digits else ""
    if len(hexits) < 2:
        return None
    if len(hexits) % 2:
        hexits += "0"
    decoded = bytes.fromhex(hexits)
    nul = decoded.find(b"\x00")
    return decoded if nul < 0 else decoded[:nul]


def _auparse_escape(key: bytes) -> str:
    """auparse's ``escape``: quote a printable key, hex-encode any other."""
    if any(byte == 0x22 or byte < 0x21 or byte > 0x7F for byte in key):
        return key.hex().upper()
    return f'"{key.decode("ascii")}"'


def is_hex_encoded(raw: str) -> bool:
    """True when ``raw`` is the kernel's hex encoding of an untrusted string."""
    return _HEX_VALUE.fullmatch(raw) is not None


def decode_value(raw: str | None) -> bytes | None:
    """The bytes an untrusted-string value stands for.

    ``"text"`` gives ``text``; even-length upper-case hex gives the decoded bytes;
    ``(null)``/``(none)`` give ``None``; anything else is returned as written.
    """
    if raw is None or raw == "(null)" or raw == "(none)":
        return None
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return raw[1:-1].encode("utf-8", "surrogateescape")
    if _HEX_VALUE.fullmatch(raw):
        return bytes.fromhex(raw)
    return raw.encode("utf-8", "surrogateescape")
