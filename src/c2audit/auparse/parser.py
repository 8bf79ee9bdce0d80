"""``AuParser``: libauparse's cursor API over c2audit's records, events and interpreter.

The parser reads lines from a :mod:`~c2audit.auparse.sources` source, parses
them with :func:`c2audit.records.parse_line`, groups them with
:class:`c2audit.events.AuparseGrouper` and interprets fields with
:class:`c2audit.interpret.Interpreter`; what is left here is the C library's
cursor state machine, reproduced call for call (``auparse.c``):

* one *current event*; a record cursor that may point past the last record
  (after ``next_record()`` returns False nothing is current until
  ``first_record()``); a field cursor kept per record;
* the *loaded interpretation list*: the ENRICHED part of the record the cursor
  last moved to through a call that loads it, which ``interpret_field()``
  prefers to computing (a few calls move the cursor without reloading it, as
  in C);
* return values and exceptions as the binding maps the C results: False for
  0, ``OSError`` for -1 with errno, ``RuntimeError``/``LookupError`` where the
  binding says so.

Events are grouped with audit-userspace 4.x's single-record rule
(:func:`c2audit.events.is_last_record`): a ``LOGIN`` record waits for the
``SYSCALL`` of its event, as the binding's own reference output requires
(3.0.9 cut them apart).
"""
from __future__ import annotations

import errno
from collections import deque
from collections.abc import Callable
from typing import Any

from c2audit.cnum import c_int, strtol
from c2audit.events import AuparseGrouper, Event, is_last_record
from c2audit.interpret import (
    EscapeMode,
    FieldType,
    Interpreter,
    RecordContext,
    default_lookups,
    parse_enriched,
)
from c2audit.interpret.encoded import apply_escape
from c2audit.interpret.engine import RECORD_DEPENDENT, VERBATIM, plain_context
from c2audit.records import NAME_BY_TYPE, Record
from c2audit.tables import uapi

from . import constants as C
from . import search
from .feeding import Feeding
from .lines import auparse_record
from .opening import open_source, os_error, require_types
from .searching import Searching
from .sources import EOF, NO_DATA, LineSource, read_auditd_setting
from .timestamp import AuEvent

DEFAULT_EOE_TIMEOUT = 2
_NO_INTERPRETATIONS: dict[str, str] = {}


class NoParser(Exception):
    """Raised when an AuParser object is not bound to a parser (never initialised)."""


NoParser.__module__ = "auparse"

_INTERPRETERS: dict[int, Interpreter] = {}


def _interpreter(escape: int) -> Interpreter:
    """One shared :class:`Interpreter` per escape mode (the C library shares its name caches too)."""
    interpreter = _INTERPRETERS.get(escape)
    if interpreter is None:
        shared = next(iter(_INTERPRETERS.values()), None)
        lookups = shared.lookups if shared is not None else default_lookups()
        interpreter = Interpreter(lookups, escape)  # type: ignore[arg-type]  # any int, as in C
        _INTERPRETERS[escape] = interpreter
    return interpreter


def set_lookups(lookups: Any) -> None:
    """Answer uid/gid/protocol names from ``lookups`` (c2audit extension: reproducible tests)."""
    _INTERPRETERS.clear()
    _INTERPRETERS[int(EscapeMode.TTY)] = Interpreter(lookups, EscapeMode.TTY)


def _eoe_timeout() -> int:
    """``end_of_event_timeout`` of auditd.conf, which every ``auparse_init`` reloads."""
    value = read_auditd_setting("end_of_event_timeout")
    try:
        return int(value) if value else DEFAULT_EOE_TIMEOUT
    except ValueError:
        return DEFAULT_EOE_TIMEOUT


class AuParser(Searching, Feeding):
    """AuParser(source_type, source): construct a parser bound to input data.

    ``source_type`` is one of the ``AUSOURCE_*`` constants; ``source`` is, per
    type: None (LOGS, FEED), a path (FILE), a sequence of paths (FILE_ARRAY),
    a string of log text (BUFFER), a sequence of strings (BUFFER_ARRAY), a
    descriptor or object with ``fileno()`` (DESCRIPTOR), a text file object
    (FILE_POINTER).
    """

    # Slots, not a __dict__: every cursor call reads several of these, and CPython 3.11 reads a slot
    # faster than an instance dict that has outgrown its shared keys (30 names); the C binding's
    # object takes no other attribute either.
    __slots__ = (
        "_callback", "_callback_data", "_context", "_escape", "_event", "_expr", "_expr_started",
        "_fi", "_fields", "_find_name", "_grouper", "_icache", "_icaches", "_il", "_index", "_interp",
        "_kind", "_last", "_loaded", "_normalized", "_plain", "_readable", "_ready", "_record",
        "_records", "_rtype", "_saved", "_sec_ok", "_source", "_starved", "_stop", "_texts", "_tty",
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> AuParser:  # noqa: PYI034 -- may return _Unbound instead
        """A parser object: :class:`_Unbound` when made without arguments, until ``__init__`` binds it.

        ``AuParser(...)`` makes a plain ``AuParser`` at once: an object whose
        class is changed afterwards keeps slower attribute reads.
        """
        unbound = cls is AuParser and not args and not kwargs
        return super().__new__(_Unbound if unbound else cls)

    def __init__(self, source_type: int = -1, source: Any = None) -> None:
        if type(self) is _Unbound:
            self.__class__ = AuParser
        require_types((source_type, int))
        self._kind = source_type
        self._source: LineSource = open_source(source_type, source)
        self._grouper = AuparseGrouper(eoe_timeout=_eoe_timeout(), last_record=is_last_record)
        self._ready: deque[Event] = deque()
        self._starved = False  # the last read found no complete line
        self._callback: Callable[..., Any] | None = None
        self._callback_data: Any = None
        self._escape = int(EscapeMode.TTY)
        self._tty = True
        self._interp = _interpreter(self._escape)
        self._expr: search.Expr | None = None
        self._expr_started = False
        self._stop = C.AUSEARCH_STOP_EVENT
        self._find_name: str | None = None
        self._normalized: Any = None
        self._clear_event()

    def __del__(self) -> None:
        try:
            source = AuParser._source.__get__(self)  # the slot itself: no __getattr__ on an unbound parser
        except AttributeError:
            return
        source.close()

    # --- cursor state -------------------------------------------------------------------

    def _clear_event(self) -> None:
        self._event: Event | None = None
        self._records: list[Record] = []
        self._sec_ok = False
        self._index = -1  # current record; -1 when the cursor is past the end (C's NULL)
        self._record: Record | None = None
        self._fields: list[tuple[str, str | None]] | None = None
        self._fi = 0
        self._last = -1  # index of the current record's last field (-1: no field)
        self._rtype = 0
        self._readable = False  # a field is under the cursor and the event has a time
        self._saved: dict[int, int] | None = None  # field cursors of the event's other records
        self._icaches: dict[int, list[str | None]] | None = None  # interpretations per record
        self._icache: list[str | None] | None = None
        self._loaded: Record | None = None  # record whose interpretation list is loaded
        self._il: dict[str, str] | None = _NO_INTERPRETATIONS  # None: loaded, not parsed yet
        self._plain = self._tty  # TTY escaping and no interpretation list: the record's texts come in one pass
        self._texts: list[str] | None = None  # those texts, once worked out (only while _plain)
        self._context: RecordContext | None = None
        self._normalized = None

    def _set_event(self, event: Event) -> None:
        """Make ``event`` current, cursors on its first field (``aup_list_first`` + load).

        Sets every piece of cursor state at once (this runs for every event).
        """
        records = self._records = event.records
        record = records[0]
        fields = record.fields
        sec_ok = self._sec_ok = event.sec != 0
        self._event = event
        self._saved = self._icaches = self._icache = self._context = self._normalized = self._texts = None
        self._index = self._fi = 0
        self._record = self._loaded = record
        self._rtype = record.type
        self._fields = fields
        self._last = len(fields) - 1
        self._readable = sec_ok and bool(fields)
        self._il = _NO_INTERPRETATIONS if not record.enriched else None
        self._plain = self._tty and not record.enriched

    def _goto(self, index: int) -> None:
        """Move the record cursor (-1: past the end), keeping each record's field cursor."""
        if self._index >= 0 and self._fi:
            if self._saved is None:
                self._saved = {}
            self._saved[self._index] = self._fi
        self._index = index
        self._context = self._texts = None
        if index < 0:
            self._record = self._fields = self._icache = None
            self._fi = 0
            self._last = -1
            self._readable = False
            return
        self._icache = self._icaches.get(index) if self._icaches else None
        record = self._records[index]
        self._record = record
        self._rtype = record.type
        fields = self._fields = record.fields
        self._fi = self._saved.pop(index, 0) if self._saved else 0
        self._last = len(fields) - 1
        self._readable = self._sec_ok and bool(fields)

    def _load(self) -> None:
        """``load_interpretation_list`` of the current record (parsed on first use)."""
        record = self._loaded = self._record
        self._il = _NO_INTERPRETATIONS if record is None or not record.enriched else None
        self._plain = self._tty and self._il is _NO_INTERPRETATIONS
        self._context = self._texts = None

    def _free(self) -> None:
        """``free_interpretation_list``."""
        self._loaded = None
        self._il = _NO_INTERPRETATIONS
        self._plain = self._tty
        self._context = self._texts = None

    def _interpretations(self) -> dict[str, str]:
        il = self._il
        if il is None:
            loaded = self._loaded
            il = self._il = parse_enriched(loaded.enriched) if loaded is not None and loaded.enriched else {}
        return il

    def _il_count(self) -> bool:
        """``interpretation_list_cnt() != 0``: a list with entries is loaded."""
        return bool(self._interpretations())

    def _record_context(self, cwd: str | None = None) -> RecordContext:
        context = self._context
        if context is None or cwd is not None:
            record = self._record
            assert record is not None and self._fields is not None
            context = RecordContext.from_fields(record.type, self._fields, None, cwd)  # type: ignore[arg-type]
            il = self._interpretations()
            if il:
                context = RecordContext(context.record_type, context.machine, context.syscall, context.a0,
                                        context.a1, cwd, il)
            if cwd is None:
                self._context = context
        return context

    # --- reading events -----------------------------------------------------------------

    def _next_event(self) -> int:
        """``auparse_next_event``: 1 with a new current event, 0 when none is ready now."""
        ready = self._ready
        if self._starved:
            # Input ran dry last time: what completed since is ready now (au_get_ready_event).
            self._starved = False
            ready.extend(self._grouper.tick(0))  # type: ignore[arg-type]  # time 0: nothing expires
        if ready:
            self._set_event(ready.popleft())
            return 1
        self._clear_event()  # the event the caller had is gone (C frees it first thing)
        source = self._source
        read = source.read
        push = self._grouper.push
        while True:
            line = read()
            if line.__class__ is str:
                record = auparse_record(line, source.filename, source.line_number)  # type: ignore[arg-type]
                if record is None:
                    continue
                out = push(record)
                if out:
                    ready.extend(out)  # type: ignore[arg-type]  # the auparse grouper reports no losses
                    self._set_event(ready.popleft())
                    return 1
            elif line == NO_DATA:
                self._starved = True
                return 0
            else:
                assert line == EOF
                ready.extend(self._grouper.flush())  # type: ignore[arg-type]
                if not ready:
                    return 0
                self._set_event(ready.popleft())
                return 1

    def parse_next_event(self) -> bool:
        """Advance to the next event; False when there are no more events to parse."""
        return self._next_event() > 0

    def _first_record(self) -> int:
        if not self._records:
            rc = self._next_event()
            if rc <= 0:
                return rc
        if self._index == 0 and (self._loaded is self._record or self._il_count()):
            # on the first record with its list loaded (or a list loaded): C only rewinds the fields
            self._fi = 0
            return 1
        self._goto(0)
        self._fi = 0
        self._load()
        return 1

    def first_record(self) -> bool:
        """Reposition the record cursor to the first record of the current event."""
        return self._first_record() > 0

    def next_record(self) -> bool:
        """Advance the record cursor; False when there are no more records in the event."""
        records = self._records
        index = self._index + 1
        if 0 < index < len(records):
            # the common step, _free + _goto + _load in one
            if self._fi:
                if self._saved is None:
                    self._saved = {}
                self._saved[index - 1] = self._fi
            record = self._record = self._loaded = records[index]
            fields = self._fields = record.fields
            saved = self._saved
            self._index = index
            self._fi = saved.pop(index, 0) if saved else 0
            self._rtype = record.type
            self._last = len(fields) - 1
            self._readable = self._sec_ok and bool(fields)
            self._icache = self._icaches.get(index) if self._icaches else None
            self._il = _NO_INTERPRETATIONS if not record.enriched else None
            self._plain = self._tty and not record.enriched
            self._context = self._texts = None
            return True
        self._free()
        if not records and self._first_record() <= 0:
            return False
        if self._index < 0:
            return False
        index = self._index + 1
        if index < len(self._records):
            self._goto(index)
            self._load()
            return True
        self._goto(-1)
        return False

    def goto_record_num(self, num: int) -> bool:
        """Move the record cursor to record ``num`` (0-based) of the current event."""
        require_types((num, int))
        num &= 0xFFFFFFFF
        if self._index >= 0 and self._index == num and self._il_count():
            self._fi = 0
            return True
        self._free()
        if num >= len(self._records):
            return False
        self._goto(num)
        self._fi = 0
        self._load()
        return True

    def first_field(self) -> bool:
        """Reposition the field cursor to the first field of the current record."""
        if self._fields is None:
            return False
        self._fi = 0
        return True

    def next_field(self) -> bool:
        """Advance the field cursor; False when there are no more fields in the record."""
        if self._fi < self._last:
            self._fi += 1
            return True
        return False

    # --- event and record accessors -----------------------------------------------------

    def get_timestamp(self) -> AuEvent | None:
        """The current event's timestamp as an AuEvent, None without one."""
        event = self._event
        if event is None or not event.sec:
            return None
        return AuEvent._make(event.sec, event.milli, event.serial, event.node)

    def get_num_records(self) -> int:
        """Number of records in the current event."""
        if not self._records:
            raise RuntimeError("No records")
        return len(self._records)

    def get_type(self) -> int:
        """Type number of the current record."""
        record = self._record
        if record is None or not record.type:
            raise LookupError("Not found")
        return record.type

    def get_type_name(self) -> str:
        """Type name of the current record."""
        record = self._record
        name = NAME_BY_TYPE.get(record.type) if record is not None else None
        if name is None:
            raise LookupError("Not found")
        return name

    def get_line_number(self) -> int:
        """Input line (from 1) of the current record."""
        record = self._record
        if record is None or not record.line:
            raise RuntimeError("No line number")
        return record.line

    def get_filename(self) -> str | None:
        """File of the current record for file sources, else None."""
        if self._kind not in (C.AUSOURCE_FILE, C.AUSOURCE_FILE_ARRAY) or self._record is None:
            return None
        return self._record.filename

    def get_num_fields(self) -> int:
        """Number of fields in the current record."""
        fields = self._fields
        if not fields:
            raise os_error(0)
        return len(fields)

    def get_record_text(self) -> str:
        """The current record as read, without its ENRICHED part."""
        record = self._record
        if record is None:
            raise os_error(0)
        return record.text

    # --- field accessors ----------------------------------------------------------------

    def get_field_name(self) -> str:
        """Name of the current field."""
        if self._readable:
            return self._fields[self._fi][0]  # type: ignore[index]
        raise RuntimeError("'field name' is NULL")

    def get_field_str(self) -> str:
        """Raw value of the current field."""
        if self._readable:
            value = self._fields[self._fi][1]  # type: ignore[index]
            if value is not None:
                return value
        raise RuntimeError("'field str' is NULL")

    def get_field_type(self) -> int:
        """AUPARSE_TYPE_* of the current field (UNCLASSIFIED when there is none)."""
        if not self._readable:
            return 0
        name, value = self._fields[self._fi]  # type: ignore[index]
        return int(self._interp.kind(self._rtype, name, value if value is not None else ""))

    def get_field_int(self) -> int:
        """Value of the current field as a C int (``strtol``)."""
        value = self._fields[self._fi][1] if self._readable else None  # type: ignore[index]
        if value is None:
            raise os_error(errno.ENODATA)
        number, erange = strtol(value, 10)
        if erange:
            raise os_error(errno.ERANGE)
        return c_int(number)

    def interpret_field(self) -> str:
        """Interpretation of the current field, escaped per the escape mode."""
        kept = self._icache
        if kept is not None:
            fi = self._fi
            text = kept[fi]
            if text is not None:  # libauparse keeps a field's first interpretation
                return text
            texts = self._texts
            if texts is not None:
                text = kept[fi] = texts[fi]
                return text
        if not self._readable:
            raise RuntimeError("'interpretation' is NULL")
        return self._node_interpretation()

    def _new_icache(self) -> list[str | None]:
        """The current record's cache of interpretations (``nvnode.interp_val``)."""
        cache = self._icache = [None] * len(self._fields)  # type: ignore[arg-type]
        if self._icaches is None:
            self._icaches = {}
        self._icaches[self._index] = cache
        return cache

    def _interpret(self, name: str, value: str | None, cwd: str | None = None) -> str:
        """Interpret one field with the context it needs (ENRICHED names, another escaping, a CWD)."""
        if value is None:  # print_escaped(NULL): a key auparse could not decode
            return apply_escape(" ", self._escape, True)  # type: ignore[arg-type]
        kind = self._interp.kind(self._rtype, name, value)
        il = self._interpretations()
        if il or kind in RECORD_DEPENDENT or cwd is not None:
            if cwd is not None:
                context = self._record_context(cwd)
            else:
                context = self._context if self._context is not None else self._record_context()
        else:
            if kind in VERBATIM:
                return apply_escape(value, self._escape)  # type: ignore[arg-type]
            context = plain_context(self._rtype)
        return self._interp.interpret(name, value, context, kind)

    def _node_interpretation(self, cwd: str | None = None) -> str:
        """``nvlist_interp_cur_val``: the kept interpretation, else a new one (kept).

        With TTY escaping and no interpretation list loaded, the record's
        texts are worked out at once (:meth:`Interpreter.record_texts`) and the
        other fields' :meth:`interpret_field` calls just take theirs.
        """
        kept = self._icache if self._icache is not None else self._new_icache()
        fi = self._fi
        text = kept[fi]
        if text is None:
            if self._plain and cwd is None:
                texts = self._texts
                if texts is None:
                    texts = self._texts = self._interp.record_texts(self._rtype, self._fields)  # type: ignore[arg-type]
                text = texts[fi]
            else:
                name, value = self._fields[fi]  # type: ignore[index]
                text = self._interpret(name, value, cwd)
            kept[fi] = text
        return text

    def interpret_realpath(self) -> str:
        """Interpretation of an ESCAPED_FILE field made absolute against the event's CWD."""
        if self.get_field_type() != FieldType.ESCAPED_FILE:
            raise RuntimeError("'interpretation' is NULL")
        return self._node_interpretation(_event_cwd(self._records))

    def _sock_part(self, part: str) -> str:
        if self.get_field_type() != FieldType.SOCKADDR:
            raise RuntimeError("'interpretation' is NULL")
        text = self._node_interpretation()
        start = text.find(part)
        end = text.find(" ", start + len(part)) if start >= 0 else -1
        if end < 0:
            raise RuntimeError("'interpretation' is NULL")
        return text[start + len(part):end]

    def interpret_sock_family(self) -> str:
        """The ``fam=`` part of a sockaddr field's interpretation."""
        return self._sock_part("fam=")

    def interpret_sock_port(self) -> str:
        """The ``lport=`` part of a sockaddr field's interpretation."""
        return self._sock_part("lport=")

    def interpret_sock_address(self) -> str:
        """The ``laddr=`` part of a sockaddr field's interpretation."""
        return self._sock_part("laddr=")

    def find_field(self, name: str) -> str | None:
        """Scan from the cursor to the end of the event for field ``name``; its value or None."""
        require_types((name, str), function="find_field")
        if self._event is None:
            return None
        self._find_name = name
        if not self._sec_ok or self._fields is None:
            return None
        fields = self._fields
        if fields and fields[self._fi][0] == name:
            return fields[self._fi][1]
        return self.find_field_next()

    def find_field_next(self) -> str | None:
        """The value of the next field with the name given to find_field(), or None."""
        if self._event is None:
            return None
        name = self._find_name
        if name is None:
            raise os_error(errno.EINVAL)
        if not self._sec_ok or self._fields is None:
            return None
        if not self.next_field():
            return None
        while True:
            fields = self._fields
            assert fields is not None
            for index in range(self._fi, len(fields)):
                if fields[index][0] == name:
                    self._fi = index
                    return fields[index][1]
            following = self._index + 1
            if following >= len(self._records):
                self._goto(-1)
                return None
            self._goto(following)
            self._fi = 0
            self._free()
            self._load()

    # --- settings -----------------------------------------------------------------------

    def set_escape_mode(self, mode: int) -> None:
        """Escaping applied to interpreted values: AUPARSE_ESC_RAW, _TTY, _SHELL, _SHELL_QUOTE."""
        require_types((mode, int))
        self._escape = mode
        self._tty = mode == EscapeMode.TTY
        self._plain = self._tty and self._il is _NO_INTERPRETATIONS
        self._texts = None
        self._interp = _interpreter(mode)
        self._context = None

    def set_eoe_timeout(self, seconds: int) -> None:
        """Seconds after which an event without its end record is complete (0 is ignored)."""
        require_types((seconds, int))
        if seconds:
            self._grouper.eoe_timeout = seconds

    def reset(self) -> None:
        """Rewind to the beginning of the input (files are reopened, buffers reread)."""
        self._grouper = AuparseGrouper(eoe_timeout=self._grouper.eoe_timeout, last_record=is_last_record)
        self._ready.clear()
        self._clear_event()
        if not self._source.rewind():
            raise os_error(0)  # auparse_reset fails without setting errno

    # normalisation: see c2audit.auparse.normalize (bound in __init__)


class _Unbound(AuParser):
    """An :class:`AuParser` that ``__init__`` has not bound to input (``AuParser.__new__(AuParser)``).

    Its methods find no parser state and raise :class:`NoParser`, as the
    binding's do.  Only this class has ``__getattr__``: on a class of its own,
    the hook would slow every attribute read of every bound parser (CPython
    3.11 does not specialise attribute access on such classes).
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        # Reached only for attributes __init__ never set: the object has no parser.
        if name.startswith("_"):
            raise NoParser("object has no parser associated with it")
        raise AttributeError(f"'auparse.AuParser' object has no attribute '{name}'")


def _event_cwd(records: list[Record]) -> str | None:
    """The event's CWD: the ``cwd`` of its last CWD record that has one (raw)."""
    cwd = None
    for record in records:
        if record.type == uapi.AUDIT_CWD:
            value = record.get("cwd")
            if value is not None:
                cwd = value
    return cwd
