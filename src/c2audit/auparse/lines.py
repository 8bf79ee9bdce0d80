"""Which lines libauparse takes for records: its ``extract_timestamp``, quirks included.

:func:`c2audit.records.parse_line` is strict: a record has
``[node=N ]type=T msg=audit(SEC.MILLI:SERIAL):``.  libauparse only looks at
the second (or, after a node, third) space-separated token: if it is at least
19 characters long and holds a ``(``, the numbers after it are the timestamp,
read with ``strtoul`` (so garbage reads as 0), and the line becomes a record
of whatever fields it has.  A comment line of a log can thus become an event
at time 0, and a short but well-formed header (``msg=audit(1.2:3):``) is
refused.  :func:`auparse_record` gives the records the C library would make.
"""
from __future__ import annotations

from c2audit.cnum import LONG_MAX, strtoul
from c2audit.records import ENRICHED_SEPARATOR, Record, RecordError, parse_line, split_fields, type_number


def extract_timestamp(line: str, eoe_timeout: int = 2) -> tuple[str | None, int, int, int] | None:
    """(host, sec, milli, serial) as libauparse reads them from a line, or None for a bad line."""
    head = line[:340] if line[:1] == "n" else line[:80]
    tokens = [token for token in head.split(" ") if token]
    host = None
    position = 1
    if tokens and tokens[0][0] == "n" and len(tokens[0][:8]) > 5:
        host = tokens[0][5:]
        position = 2
    if len(tokens) <= position:
        return None
    token = tokens[position]
    if len(token[:20]) <= 18:
        return None
    opening = 9 if token[9] == "(" else token.find("(")
    if opening < 0:
        return None
    stamp = token[opening + 1:].split(")", 1)[0]
    sec, erange = strtoul(stamp, 10)
    if erange or sec > LONG_MAX - eoe_timeout - 1:
        return None
    milli = 0
    dot = stamp.find(".")
    if dot >= 0:
        stamp = stamp[dot + 1:]
        milli, erange = strtoul(stamp, 10)
        if erange or milli > 999:
            return None
    serial = 0
    colon = stamp.find(":")
    if colon >= 0:
        serial, erange = strtoul(stamp[colon + 1:], 10)
        if erange:
            return None
    return host, sec, milli, serial


def auparse_record(line: str, filename: str | None, number: int) -> Record | None:
    """The record libauparse makes of ``line``, or None when it skips the line."""
    try:
        record = parse_line(line, filename, number)
    except RecordError:
        return _lenient_record(line, filename, number)
    if record.milli > 999:
        return None
    if record.sec < 1000 or record.serial < 10:
        # a header this short may be under the 19 characters libauparse requires
        return record if extract_timestamp(line) is not None else None
    return record


def _lenient_record(line: str, filename: str | None, number: int) -> Record | None:
    """A line the strict parser refuses but libauparse takes: fields split, type from its ``type`` field."""
    stamp = extract_timestamp(line)
    if stamp is None:
        return None
    host, sec, milli, serial = stamp
    text, separator, enriched = line.partition(ENRICHED_SEPARATOR)
    fields = split_fields(text, 0, False)
    offset = 1 if fields and fields[0][0] == "node" else 0
    type_text = ""
    if len(fields) > offset and fields[offset][0] == "type":
        type_text = fields[offset][1] or ""
    record_type = type_number(type_text) if type_text else 0
    return Record(record_type, type_text, host, sec, milli, serial, text,
                  enriched if separator else None, filename, number)
