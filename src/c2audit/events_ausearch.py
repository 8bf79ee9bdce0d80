"""The events ``ausearch`` 3.0.9 prints: its grouping (``ausearch-lol.c``) and its filter (``ausearch-parse.c``).

``ausearch`` does not use libauparse to group a log; it has its own list of
events, with its own rules, and ``c2audit parse --format interpreted`` must
follow them to print the same events in the same order:

* **What a record is.**  ``ausearch`` reads lines with ``fgets`` into an
  8970-byte buffer, so a longer line is cut after 8969 bytes (the rest is read
  as a line of its own and, having no header, dropped); ``strdup`` stops the
  record at a NUL byte.  A header whose ``msg=audit(…)`` token is shorter than
  19 characters, whose millisecond is above 999 or whose second is too close to
  ``LONG_MAX`` is skipped (``extract_timestamp``).
* **When an event is complete.**  The test is made on the event's *first*
  record type (libauparse looks at the last one): an event that starts with a
  single-record type (below 1300, ``PROCTITLE``, ``KERNEL``, 2100 and up, the
  labelled-networking range) is complete as soon as it is created; any other
  waits until a record of a *new* event arrives ``eoe_timeout`` seconds later
  (``end_of_event_timeout`` in ``auditd.conf``, 2), or the end of the input.
  ``EOE`` ends nothing; one without an event is dropped.
* **Order.**  The earliest held event by (second, millisecond, serial), the
  lowest slot on ties, is delivered once complete; a complete event behind an
  incomplete earlier one waits.
* **Which are printed** (:func:`search_items`).  Even with no search option,
  ``extract_search_items`` checks a few things and drops the whole event when
  one fails: a SYSCALL record without ``arch=``, ``syscall=``, ``a0=``, ``a1=``
  each followed by a space (or with an out-of-range number), a kernel AVC
  without ``tclass=``, an AVC whose ``{`` has no ``}``, a SECCOMP record whose
  ``arch=`` is not followed by ``syscall=``, an integrity record with a bad
  ``pid=``.  It also gives each SYSCALL record's a0/a1 to the report.

Pure: records in, events out, no clock (``tick`` takes the caller's ``now``).
``max_pending`` bounds the events held (ausearch has no bound; past it the
earliest is delivered as it is) so that memory stays flat on any input.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from c2audit.cnum import strtoul
from c2audit.events import Event, HeldEvents, Output, is_last_record_auparse_3_0
from c2audit.records import Record, RecordError, parse_line
from c2audit.tables import uapi

_AVC_TYPES = frozenset((uapi.AUDIT_AVC, uapi.AUDIT_USER_AVC))
_INTEGRITY_TYPES = range(uapi.AUDIT_INTEGRITY_DATA, uapi.AUDIT_INTEGRITY_RULE + 1)
_SYSCALL_ITEMS = re.compile(r"arch=([^ ]*) [\s\S]*?syscall=([^ ]*) [\s\S]*?a0=([^ ]*) [\s\S]*?a1=([^ ]*) ")

LINE_LIMIT = 8969
"""Bytes of a line ``ausearch`` keeps: ``fgets`` into a MAX_AUDIT_MESSAGE_LENGTH (8970) buffer."""
LONG_MAX = (1 << 63) - 1
ULONG_MAX = (1 << 64) - 1
_MSG_TOKEN_MIN = 19  # extract_timestamp: strnlen(msg token, 20) > 18
_WINDOW = 80  # extract_timestamp looks at the first 80 characters (340 after a node=)
_WINDOW_NODE = 340


def ausearch_view(record: Record, eoe_timeout: int = 2) -> Record | None:
    """The record as ``ausearch`` reads it, or None when it skips the line.

    A line past :data:`LINE_LIMIT` bytes or holding a NUL is cut there and
    parsed again; a header ``extract_timestamp`` refuses gives None.
    """
    text, enriched = record.text, record.enriched
    if (
        "\x00" not in text
        and (enriched is None or ("\x00" not in enriched and len(text) + len(enriched) < LINE_LIMIT // 4))
        and (enriched is not None or len(text) <= LINE_LIMIT // 4)
        and record.body_start <= (_WINDOW if record.node is None else _WINDOW_NODE)
        and record.body_start - text.find("msg=audit(") >= _MSG_TOKEN_MIN
        and record.milli <= 999
        and record.sec <= LONG_MAX - eoe_timeout - 1
        and record.serial <= ULONG_MAX
    ):
        return record  # the usual line: short, no NUL, its whole header within what ausearch looks at
    raw = record.raw
    cut = raw.find("\x00")
    if cut >= 0:
        raw = raw[:cut]
    if len(raw) > LINE_LIMIT // 4:  # only then can it be over the limit in UTF-8 bytes
        data = raw.encode("utf-8", "surrogateescape")
        if len(data) > LINE_LIMIT:
            raw = data[:LINE_LIMIT].decode("utf-8", "surrogateescape")
            cut = 0
    if cut >= 0:
        try:
            record = parse_line(raw, record.filename, record.line)
        except RecordError:
            return None
    if record.milli > 999 or record.sec > LONG_MAX - eoe_timeout - 1 or record.serial > ULONG_MAX:
        return None
    window = raw[: _WINDOW_NODE if raw[:1] == "n" else _WINDOW]
    tokens = [token for token in window.split(" ") if token]
    message = 2 if tokens[0][:1] == "n" else 1
    if len(tokens) <= message or len(tokens[message]) < _MSG_TOKEN_MIN:
        return None
    return record


class AusearchGrouper(HeldEvents):
    """Group records as ``ausearch`` 3.0.9 does when it reads a file (see the module docstring).

    Implements :class:`c2audit.events.Grouper`.  ``single_record`` says which
    first-record types make a complete event on their own; ``eoe_timeout``
    is in seconds of record time; ``max_pending`` bounds the events held
    (:class:`c2audit.events.HeldEvents`).
    """

    def __init__(
        self,
        *,
        eoe_timeout: int = 2,
        single_record: Callable[[int], bool] = is_last_record_auparse_3_0,
        max_pending: int = 65536,
    ) -> None:
        super().__init__(eoe_timeout, max_pending)
        self._single = single_record

    def push(self, record: Record, now: float | None = None) -> list[Output]:
        seen = ausearch_view(record, self.eoe_timeout)
        if seen is None:
            return []
        sec = seen.sec
        key = (seen.node, sec, seen.milli, seen.serial)
        held = self._building.get(key)
        if held is not None:
            held.event.records.append(seen)
            return []  # an added record completes nothing (check_events runs for new events only)
        rtype = seen.type
        if rtype == uapi.AUDIT_EOE:
            return []  # its event was completed already
        self._hold(Event(seen.node, sec, seen.milli, seen.serial, [seen]), key, not self._single(rtype))
        ages = self._ages
        if ages and ages[0][0] <= sec - self.eoe_timeout:
            self._expire(sec)
        return self._bound()


# --- which events ausearch prints: extract_search_items() with no search criteria --------------


def search_items(records: list[Record]) -> list[tuple[str, tuple[int, int] | None]] | None:
    """Per record, the text ausearch prints and a SYSCALL record's (a0, a1); None: not printed.

    With ``-i`` and no search option, ``extract_search_items`` still checks a
    few things and drops the whole event when one fails; ``parse_avc`` also
    overwrites a ``}`` that no space precedes with a space.
    """
    seen: list[tuple[str, tuple[int, int] | None]] = []
    for record in records:
        text = record.text
        args = None
        rtype = record.type
        if rtype == uapi.AUDIT_SYSCALL:
            args = _syscall_args(text)
            if args is None:
                return None
        elif rtype in _AVC_TYPES:
            checked = _avc_text(text, rtype)
            if checked is None:
                return None
            text = checked
        elif rtype == uapi.AUDIT_SECCOMP:
            if not _seccomp_ok(text):
                return None
        elif rtype in _INTEGRITY_TYPES and not _number_ok(text, "pid=", 0, 10):
            return None
        seen.append((text, args))
    return seen


def _number_after(text: str, label: str, start: int, base: int) -> tuple[int, int] | None:
    """(value, end) of ``label`` found from ``start`` and ended by a space; None: ausearch fails."""
    at = text.find(label, start)
    if at < 0:
        return None
    begin = at + len(label)
    end = text.find(" ", begin)
    if end < 0:
        return None
    number, erange = strtoul(text[begin:end], base)
    return None if erange else (number, end)


def _number_ok(text: str, label: str, start: int, base: int) -> bool:
    """A field that may be absent, but when present must end with a space and be in range."""
    return text.find(label, start) < 0 or _number_after(text, label, start, base) is not None


def _syscall_args(text: str) -> tuple[int, int] | None:
    """``parse_syscall`` in the interpreted report: arch, syscall, a0, a1, in that order.

    ausearch takes the first of each label after the previous value, and each
    value must end with a space and be in range.  The pattern finds the same
    values: its lazy gaps take the first occurrences, and whenever ausearch
    fails (a label missing, a value running to the end) nothing later can match.
    """
    found = _SYSCALL_ITEMS.search(text)
    if found is None:
        return None
    arch, syscall, a0, a1 = found.groups()
    if (len(arch) > 16 and strtoul(arch, 16)[1]) or (len(syscall) > 19 and strtoul(syscall, 10)[1]):
        return None  # out of range (shorter values cannot be)
    first, erange = strtoul(a0, 16)
    second, erange_second = strtoul(a1, 16)
    return None if erange or erange_second else (first, second)


def _seccomp_ok(text: str) -> bool:
    """``parse_kernel_anom`` for SECCOMP: when ``arch=`` is there, ``syscall=`` must follow."""
    if text.find("arch=") < 0:
        return True  # a few kernels did not log it
    found = _number_after(text, "arch=", 0, 16)
    return found is not None and _number_after(text, "syscall=", found[1], 10) is not None


def _avc_text(text: str, rtype: int) -> str | None:
    """``parse_avc``: the permission braces must close; a kernel AVC needs ``tclass=``."""
    term = 0
    avc = text.find("avc: ")
    if avc >= 0:
        brace = text.find("{", avc + 5)
        if brace >= 0:
            start = brace + 1
            while text[start:start + 1] == " ":
                start += 1
            close = text.find("}", start)
            if close < 0:
                return None
            while text[close - 1] == " ":
                close -= 1
            if text[close] != " ":
                text = text[:close] + " " + text[close + 1:]  # parse_avc leaves a space there
            term = close
    if rtype == uapi.AUDIT_USER_AVC:
        return text
    return text if text.find("tclass=", term) >= 0 else None
