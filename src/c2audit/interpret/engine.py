"""``interpret()``: one field's value as libauparse's ``auparse_interpret_field`` prints it.

The field's type (:func:`.types.field_type`) picks a printer; a value the record's
ENRICHED part already names is taken from there (unless it says ``unknown-…``,
which auparse retries in case its tables have grown); the result is escaped
per the escape mode.  An :class:`Interpreter` memoises results, so a log walk
formats each distinct (record type, field, value) once.
"""
from __future__ import annotations

from collections.abc import Callable

from c2audit.machines import SYSCALL_TABLES

from . import numeric as n
from .context import RecordContext
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
from .syscall_args import print_arch, print_arg, print_protocol, print_syscall, print_uring_op
from .types import FieldType, field_type

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


class Interpreter:
    """Interprets fields with one set of lookups and one escape mode, caching results.

    A field whose text depends only on its record type, name and value (all but
    syscall, arch and a0–a3) is formatted once; ``syscall``/``arch`` are cached
    per machine and number.  The caches are bounded and dropped by :meth:`flush`
    (auditd flushes its name caches when users or groups change).
    """

    def __init__(self, lookups: Lookups | None = None, escape: EscapeMode = EscapeMode.TTY) -> None:
        self.lookups: Lookups = lookups if lookups is not None else SystemLookups()
        self.escape = escape
        self._by_value: dict[tuple[int, str, str], str] = {}
        self._by_machine: dict[tuple[str, int, int, str], str] = {}

    @property
    def known(self) -> dict[tuple[int, str, str], str]:
        """The cached texts by (record type, name, value): a read-only view for hot loops.

        A hit is the answer whatever the record's other fields say, unless the
        record's ENRICHED part names the field (check that first).  The dict is
        cleared, never replaced, so a caller may hold on to it.
        """
        return self._by_value

    def flush(self) -> None:
        """Forget cached results and, where the lookups cache names, those too."""
        self._by_value.clear()
        self._by_machine.clear()
        flush = getattr(self.lookups, "flush", None)
        if flush is not None:
            flush()

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
        key = (context.record_type, name, value)
        cached = self._by_value.get(key)
        if cached is not None:
            return cached
        if kind is None:
            kind = field_type(name, value, context.record_type)
        if kind in _RECORD_DEPENDENT:
            return self._record_dependent(kind, name, value, context)
        text = apply_escape(_independent(kind, name, value, self.lookups), self.escape, kind == T.ESCAPED_KEY)
        if len(self._by_value) >= _CACHE_LIMIT:
            self._by_value.clear()
        self._by_value[key] = text
        return text

    def _record_dependent(self, kind: FieldType, name: str, value: str, context: RecordContext) -> str:
        index = _ARG_INDEX.get(kind)
        if index is not None:
            return apply_escape(print_arg(index, value, context, self.lookups), self.escape)
        if kind == T.SYSCALL and (name == "uring_op" or context.syscall in _MULTIPLEXERS.get(context.machine, ())):
            return apply_escape(_syscall(name, value, context, self.lookups), self.escape)
        key = (name, context.machine, context.syscall, value)
        cached = self._by_machine.get(key)
        if cached is None:
            shown = _syscall(name, value, context, self.lookups) if kind == T.SYSCALL \
                else print_arch(value, context.machine)
            cached = apply_escape(shown, self.escape)
            if len(self._by_machine) >= _CACHE_LIMIT:
                self._by_machine.clear()
            self._by_machine[key] = cached
        return cached


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
