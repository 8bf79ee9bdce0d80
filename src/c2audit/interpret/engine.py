"""``interpret()``: one field's value as libauparse's ``auparse_interpret_field`` prints it.

The field's type (:func:`.types.field_type`) picks a printer; a value the record's
ENRICHED part already names is taken from there (unless it says ``unknown-…``,
which auparse retries in case its tables have grown); the result is escaped
per the escape mode.  Printers that depend on nothing but the value are
memoised, so a log walk formats each distinct value once.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from . import numeric as n
from .context import RecordContext
from .encoded import EscapeMode, apply_escape, print_escaped, print_escaped_file, print_proctitle, print_tty_data
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
    T.MODE: lambda value: n.print_mode(value, 8),
    T.MODE_SHORT: lambda value: n.print_mode_short(value, 8),
    T.SOCKADDR: print_sockaddr,
    T.FLAGS: n.print_flags,
    T.PROMISC: n.print_promiscuous,
    T.CAPABILITY: lambda value: n.print_capabilities(value, 10),
    T.SUCCESS: n.print_success,
    T.SIGNAL: lambda value: n.print_signals(value, 10),
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
_DEFAULT_LOOKUPS = SystemLookups()


@lru_cache(maxsize=1 << 16)
def _pure(kind: FieldType, value: str, escape: EscapeMode) -> str:
    return apply_escape(_PURE[kind](value), escape, kind == T.ESCAPED_KEY)


def default_lookups() -> SystemLookups:
    """The process-wide lookups on the local databases (shared cache)."""
    return _DEFAULT_LOOKUPS


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
    already has it.
    """
    if kind is None:
        kind = field_type(name, value, context.record_type)
    if context.enriched:
        recorded = context.enriched.get(name)
        if recorded is not None and not recorded.startswith("unknown-"):
            # auparse returns these as recorded, without escaping
            return print_escaped(recorded) if kind == T.UID or kind == T.GID else recorded
    if kind in _PURE:
        if kind == T.ESCAPED_FILE and context.cwd is not None:
            return apply_escape(print_escaped_file(value, context.cwd), escape)
        return _pure(kind, value, escape)
    return apply_escape(_contextual(kind, name, value, context, lookups or _DEFAULT_LOOKUPS), escape)


def _contextual(kind: FieldType, name: str, value: str, context: RecordContext, lookups: Lookups) -> str:
    if kind == T.UID:
        return print_uid(value, lookups)
    if kind == T.GID:
        return print_gid(value, lookups)
    if kind == T.SYSCALL:
        return print_uring_op(value) if name == "uring_op" else print_syscall(value, context, lookups)
    if kind == T.ARCH:
        return print_arch(value, context.machine)
    index = _ARG_INDEX.get(kind)
    if index is not None:
        return print_arg(index, value, context, lookups)
    if kind == T.PROTOCOL:
        return print_protocol(value, lookups)
    # ADDR, MAC_LABEL, UNCLASSIFIED, and the 4.x types 3.0.9 has no printer for
    # (TRUST, FAN_TYPE, FAN_INFO, ERRNO) print the value as it is.
    return value
