"""``interpret()``: one field's value as libauparse's ``auparse_interpret_field`` prints it.

The field's type (:func:`.types.field_type`) picks a printer; a value the record's
ENRICHED part already names is taken from there (unless it says ``unknown-…``,
which auparse retries in case its tables have grown); the result is escaped
per the escape mode.  An :class:`Interpreter` memoises results, so a log walk
formats each distinct (record type, field, value) once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress, count, repeat
from operator import is_

from c2audit.machines import SYSCALL_TABLES

from . import numeric as n
from .context import RecordContext, machine_and_syscall
from .encoded import (
    EscapeMode,
    apply_escape,
    print_escaped,
    print_escaped_file,
    print_proctitle,
    print_tty_data,
)
from .names import Lookups, SystemLookups, print_gid, print_uid
from .sockaddr import print_sockaddr
from .syscall_args import (
    READS_ARGUMENTS,
    arg_printer,
    print_arch,
    print_protocol,
    print_syscall,
    print_uring_op,
)
from .types import FieldType, field_type, type_depends_on_value

T = FieldType
_PURE: dict[FieldType, Callable[[str], str]] = {
    T.EXIT: n.print_exit,
    T.ESCAPED: print_escaped,
    T.ESCAPED_FILE: print_escaped,
    T.ESCAPED_KEY: print_escaped,
    T.PERM: n.print_perm,
    T.MODE: n.print_mode_octal,
    T.MODE_SHORT: n.print_mode_short_octal,
    T.SOCKADDR: print_sockaddr,
    T.FLAGS: n.print_flags,
    T.PROMISC: n.print_promiscuous,
    T.CAPABILITY: n.print_capabilities,
    T.SUCCESS: n.print_success,
    T.SIGNAL: n.print_signals,
    T.LIST: n.print_list,
    T.TTY_DATA: print_tty_data,
    T.SESSION: n.print_session,
    T.CAP_BITMAP: n.print_cap_bitmap,
    T.NFPROTO: n.print_nfproto,
    T.ICMPTYPE: n.print_icmptype,
    T.PERSONALITY: n.print_personality,
    T.SECCOMP: n.print_seccomp_code,
    T.OFLAG: n.print_open_flags,
    T.MMAP: n.print_mmap,
    T.PROCTITLE: print_proctitle,
    T.HOOK: n.print_hook,
    T.NETACTION: n.print_netaction,
    T.MACPROTO: n.print_macproto,
    T.IOCTL_REQ: n.print_ioctl_req,
    T.FANOTIFY: n.print_fanotify,
    T.NLMCGRP: n.print_nlmcgrp,
    T.RESOLVE: n.print_openat2_resolve,
}
_ARG_INDEX = {T.A0: 0, T.A1: 1, T.A2: 2, T.A3: 3}
# Types whose text depends on more than (record type, name, value) and the lookups.
_RECORD_DEPENDENT = frozenset((T.SYSCALL, T.ARCH, T.A0, T.A1, T.A2, T.A3))
RECORD_DEPENDENT = _RECORD_DEPENDENT
"""Types whose text depends on the record's machine, syscall, a0 or a1 (the :class:`RecordContext`)."""
VERBATIM = frozenset(FieldType) - set(_PURE) - _RECORD_DEPENDENT - {T.UID, T.GID, T.PROTOCOL}
"""Types whose interpretation is the raw value itself, escaped (``_independent``'s fall-through)."""
_CACHE_LIMIT = 1 << 17
_KEPT_ARGUMENT = 8  # longer a0-a3 values (pointers, mostly seen once) are interpreted each time
_VALUES_KEPT = 1024  # texts kept per (record type, name): a field with more values will not repeat them
_UNSEEN: dict[str, str] = {}  # never written to: the table of a name not filed yet, or not fileable
_NO_NAMES: dict[str, dict[str, str] | None] = {}
_PLAIN_CONTEXTS: dict[int, RecordContext] = {}
_PLAIN_CONTEXTS_KEPT = 1024  # record types come from the input (type=4000000000 is one): bounded


def plain_context(record_type: int) -> RecordContext:
    """A context with nothing but the record type, for fields that need nothing more."""
    context = _PLAIN_CONTEXTS.get(record_type)
    if context is None:
        if len(_PLAIN_CONTEXTS) >= _PLAIN_CONTEXTS_KEPT:
            _PLAIN_CONTEXTS.clear()
        context = _PLAIN_CONTEXTS[record_type] = RecordContext(record_type)
    return context


class Interpreter:
    """Interprets fields with one set of lookups and one escape mode, caching results.

    A field whose text depends only on its record type, name and value (all but
    syscall, arch and a0–a3) is formatted once, up to 1024 values per record
    type and name (a field with more, a pid say, will not repeat them); ``arch``,
    ``syscall`` and short arguments are kept per machine, syscall and value.
    The caches are bounded and dropped by :meth:`flush` (auditd flushes its
    name caches when users or groups change).
    """

    def __init__(self, lookups: Lookups | None = None, escape: EscapeMode = EscapeMode.TTY) -> None:
        self.lookups: Lookups = lookups if lookups is not None else SystemLookups()
        self.escape = escape
        self._texts: dict[tuple[int, str], dict[str, str]] = {}  # (record type, name) -> value -> text
        # record type -> name -> its texts by value, or None for a name whose value prints as it is
        self._names: dict[int, dict[str, dict[str, str] | None]] = {}
        self._kinds: dict[tuple[int, str], FieldType] = {}  # by (record type, name) where the value does not matter
        self._kept = 0  # texts, names and kinds held by the three dicts above
        self._by_machine: dict[tuple[str, int, int, str], str] = {}

    def flush(self) -> None:
        """Forget cached results and, where the lookups cache names, those too."""
        self._forget_texts()
        self._by_machine.clear()
        flush = getattr(self.lookups, "flush", None)
        if flush is not None:
            flush()

    def _forget_texts(self) -> None:
        self._texts.clear()
        self._names.clear()
        self._kinds.clear()
        self._kept = 0

    def interpret(self, name: str, value: str, context: RecordContext, kind: FieldType | None = None) -> str:
        """The interpretation of field ``name=value`` of the record described by ``context``."""
        if context.enriched:
            recorded = context.enriched.get(name)
            if recorded is not None and not recorded.startswith("unknown-"):
                # auparse returns these as recorded, without escaping
                kind = kind if kind is not None else field_type(name, value, context.record_type)
                return print_escaped(recorded) if kind == T.UID or kind == T.GID else recorded
        if context.cwd is not None:  # interpret_realpath: names resolve against the CWD
            kind = kind if kind is not None else field_type(name, value, context.record_type)
            if kind == T.ESCAPED_FILE:
                return apply_escape(print_escaped_file(value, context.cwd), self.escape)
        table = self._texts.get((context.record_type, name))
        if table is not None:
            cached = table.get(value)
            if cached is not None:
                return cached
        if kind is None:
            kind = field_type(name, value, context.record_type)
        if kind in _RECORD_DEPENDENT:
            return self._record_dependent(kind, name, value, context)
        text = apply_escape(_independent(kind, name, value, self.lookups), self.escape, kind == T.ESCAPED_KEY)
        self._keep(context.record_type, name, value, text)
        return text

    def record_texts(self, record_type: int, fields: Sequence[tuple[str, str | None]]) -> list[str]:
        """Every field's :meth:`interpret` text, for a record without ENRICHED part, in one pass.

        A field auparse cannot decode (value ``None``) gets what auparse prints
        for it, an escaped blank.  Most fields are answered by the names seen
        before in records of the same type: a name whose value prints as it is,
        or a value already interpreted; only the others take :meth:`_fill`.
        """
        names = self._names.get(record_type, _NO_NAMES)
        unseen = _UNSEEN
        texts = [
            (value if value.isprintable() else None) if (table := names.get(name, unseen)) is None  # type: ignore[union-attr]
            else table.get(value)  # type: ignore[arg-type]
            for name, value in fields
        ]
        if None in texts:
            self._fill(record_type, fields, texts)
        return texts  # type: ignore[return-value]

    def _fill(self, record_type: int, fields: Sequence[tuple[str, str | None]], texts: list[str | None]) -> None:
        """Interpret the fields :meth:`record_texts` found no text for, and remember what can be."""
        context = located = None
        for index in compress(count(), map(is_, texts, repeat(None))):
            name, value = fields[index]
            if value is None:  # print_escaped(NULL): a key auparse could not decode
                texts[index] = apply_escape(" ", self.escape, True)
                continue
            kind = self.kind(record_type, name, value)
            if kind in _RECORD_DEPENDENT:
                if located is None:  # enough to find a kept text; the whole context only for a new one
                    located = machine_and_syscall(fields)  # type: ignore[arg-type]
                text = self._by_machine.get((name, *located, value))
                if text is None:
                    if context is None:
                        context = RecordContext.from_fields(record_type, fields)  # type: ignore[arg-type]
                    text = self._record_dependent(kind, name, value, context)
                texts[index] = text
            elif kind in VERBATIM and not type_depends_on_value(name, record_type):
                texts[index] = apply_escape(value, self.escape)  # not printable: nothing to keep
            else:
                texts[index] = self.interpret(name, value, plain_context(record_type), kind)

    def kind(self, record_type: int, name: str, value: str) -> FieldType:
        """:func:`field_type`, remembered per record type and name where the value does not matter.

        The name is also filed for :meth:`record_texts`: as one whose values
        print as they are (TTY escaping), one whose text depends on its record
        (``arch``, ``syscall``, ``a0``-``a3``), or one whose texts are kept.
        """
        kind = self._kinds.get((record_type, name))
        if kind is not None:
            return kind
        kind = field_type(name, value, record_type)
        entry: dict[str, str] | None
        if type_depends_on_value(name, record_type):
            entry = self._table(record_type, name)  # its texts can be kept, not its kind
        else:
            self._kinds[(record_type, name)] = kind
            verbatim = kind in VERBATIM and self.escape == EscapeMode.TTY
            entry = None if verbatim else _UNSEEN if kind in _RECORD_DEPENDENT else self._table(record_type, name)
        names = self._names.get(record_type)
        if names is None:
            names = self._names[record_type] = {}
        if name not in names:
            names[name] = entry
            self._count()
        return kind

    def _table(self, record_type: int, name: str) -> dict[str, str]:
        table = self._texts.get((record_type, name))
        if table is None:
            table = self._texts[(record_type, name)] = {}
        return table

    def _keep(self, record_type: int, name: str, value: str, text: str) -> None:
        """Remember a text, unless its field has shown too many values to repeat (bounded memory)."""
        table = self._table(record_type, name)
        if len(table) < _VALUES_KEPT:
            table[value] = text
            self._count()

    def _count(self) -> None:
        self._kept += 1
        if self._kept > _CACHE_LIMIT:
            self._forget_texts()

    def _record_dependent(self, kind: FieldType, name: str, value: str, context: RecordContext) -> str:
        """``arch``, ``syscall`` and ``a0``–``a3``, kept by (name, machine, syscall, value) where that decides."""
        key = (name, context.machine, context.syscall, value)
        cached = self._by_machine.get(key)
        if cached is not None:
            return cached
        shown, keep = self._dependent_text(kind, name, value, context)
        text = apply_escape(shown, self.escape)
        if keep:
            if len(self._by_machine) >= _CACHE_LIMIT:
                self._by_machine.clear()
            self._by_machine[key] = text
        return text

    def _dependent_text(self, kind: FieldType, name: str, value: str, context: RecordContext) -> tuple[str, bool]:
        """The text, and whether every record with the same machine, syscall and value gets it.

        Not so for an argument whose printer also reads ``a0``/``a1``, nor for
        socketcall/ipc, named after their ``a0``; long arguments (pointers,
        mostly seen once) are not kept either, so that memory stays flat.
        """
        index = _ARG_INDEX.get(kind)
        if index is not None:
            printer = arg_printer(index, context.machine, context.syscall)
            keep = printer not in READS_ARGUMENTS and len(value) <= _KEPT_ARGUMENT
            return printer(value, context, self.lookups), keep
        if kind == T.SYSCALL:
            keep = name == "uring_op" or context.syscall not in _MULTIPLEXERS.get(context.machine, ())
            return _syscall(name, value, context, self.lookups), keep
        return print_arch(value, context.machine), True


# socketcall/ipc name their sub-call from a0, so their text varies per record.
_MULTIPLEXERS: dict[int, frozenset[int]] = {
    machine: frozenset(number for number, sys in table.name.items() if sys in ("socketcall", "ipc"))
    for machine, table in SYSCALL_TABLES.items()
}


def _syscall(name: str, value: str, context: RecordContext, lookups: Lookups) -> str:
    return print_uring_op(value) if name == "uring_op" else print_syscall(value, context, lookups)


def _independent(kind: FieldType, name: str, value: str, lookups: Lookups) -> str:
    printer = _PURE.get(kind)
    if printer is not None:
        return printer(value)
    if kind == T.UID:
        return print_uid(value, lookups)
    if kind == T.GID:
        return print_gid(value, lookups)
    if kind == T.PROTOCOL:
        return print_protocol(value, lookups)
    # ADDR, MAC_LABEL, UNCLASSIFIED, and the 4.x types 3.0.9 has no printer for
    # (TRUST, FAN_TYPE, FAN_INFO, ERRNO) print the value as it is.
    return value


_DEFAULT = Interpreter()
_INTERPRETERS: dict[tuple[int, EscapeMode], Interpreter] = {}


def default_lookups() -> Lookups:
    """The process-wide lookups on the local databases (shared cache)."""
    return _DEFAULT.lookups


def interpret(
    name: str,
    value: str,
    context: RecordContext,
    lookups: Lookups | None = None,
    escape: EscapeMode = EscapeMode.TTY,
    *,
    kind: FieldType | None = None,
) -> str:
    """The interpretation of field ``name=value`` of the record described by ``context``.

    ``lookups`` answers uid/gid/protocol/host-machine questions (the local
    databases by default); ``escape`` is auparse's escape mode (TTY, as the
    Python binding's default); ``kind`` skips the type lookup when the caller
    already has it.  Long-lived callers keep an :class:`Interpreter` instead.
    """
    if lookups is None and escape == EscapeMode.TTY:
        interpreter = _DEFAULT
    else:
        lookups = lookups if lookups is not None else _DEFAULT.lookups
        interpreter = _INTERPRETERS.get((id(lookups), escape))
        if interpreter is None or interpreter.lookups is not lookups:
            if len(_INTERPRETERS) > 64:
                _INTERPRETERS.clear()
            interpreter = _INTERPRETERS[(id(lookups), escape)] = Interpreter(lookups, escape)
    return interpreter.interpret(name, value, context, kind)
