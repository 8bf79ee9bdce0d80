"""Field interpretation exactly as libauparse 3.0.9 does it (``auparse_interpret_field``).

Pure functions of (field name, raw value, :class:`RecordContext`) plus one
injectable edge, :class:`Lookups`, for what depends on the machine (user and
group names, ``/etc/protocols``, the host architecture)::

    ctx = RecordContext.from_fields(record_type, fields, enriched_text)
    field_type("uid", "0", record_type)          # -> FieldType.UID (get_field_type)
    interpret("syscall", "59", ctx)              # -> "execve"
    Interpreter(lookups, EscapeMode.TTY).interpret(name, value, ctx)   # per-parser caches
    enrichment(raw_line, fields, ctx)            # -> '\\x1dARCH=x86_64 SYSCALL=execve UID="root" …'

Modules: :mod:`.types` (name → type), :mod:`.context` (record facts),
:mod:`.engine` (dispatch), :mod:`.numeric` (table printers), :mod:`.syscall_args`
(arch, syscall, a0–a3), :mod:`.sockaddr`, :mod:`.encoded` (hex strings,
proctitle, TTY data, escaping), :mod:`.names` (lookups), :mod:`.enrich`
(auditd's ENRICHED suffix).
"""
from .context import RecordContext, parse_enriched
from .encoded import EscapeMode
from .engine import Interpreter, default_lookups, interpret
from .enrich import INTERP_SEPARATOR, enrichment
from .names import Lookups, StaticLookups, SystemLookups
from .types import FieldType, field_type

__all__ = [
    "INTERP_SEPARATOR",
    "EscapeMode",
    "FieldType",
    "Interpreter",
    "Lookups",
    "RecordContext",
    "StaticLookups",
    "SystemLookups",
    "default_lookups",
    "enrichment",
    "field_type",
    "interpret",
    "parse_enriched",
]
