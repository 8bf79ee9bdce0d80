"""The ``auparse`` module's constants, numbered as ``auparse-defs.h`` and ``auparse.h`` number them.

These are the C library's ABI (append-only enums), so scripts that compare
with the numbers or pass them on keep working.  ``AUPARSE_TYPE_*`` come from
the generated ``auparse_type_t`` table; the rest are the small enums of
``auparse.h`` that no corpus table carries.
"""
from __future__ import annotations

from c2audit.interpret import FieldType

# ausource_t
AUSOURCE_LOGS = 0
AUSOURCE_FILE = 1
AUSOURCE_FILE_ARRAY = 2
AUSOURCE_BUFFER = 3
AUSOURCE_BUFFER_ARRAY = 4
AUSOURCE_DESCRIPTOR = 5
AUSOURCE_FILE_POINTER = 6
AUSOURCE_FEED = 7

# ausearch_op_t
AUSEARCH_UNSET = 0
AUSEARCH_EXISTS = 1
AUSEARCH_EQUAL = 2
AUSEARCH_NOT_EQUAL = 3
AUSEARCH_TIME_LT = 4
AUSEARCH_TIME_LE = 5
AUSEARCH_TIME_GE = 6
AUSEARCH_TIME_GT = 7
AUSEARCH_TIME_EQ = 8
AUSEARCH_INTERPRETED = 0x40000000

# austop_t
AUSEARCH_STOP_EVENT = 0
AUSEARCH_STOP_RECORD = 1
AUSEARCH_STOP_FIELD = 2

# ausearch_rule_t
AUSEARCH_RULE_CLEAR = 0
AUSEARCH_RULE_OR = 1
AUSEARCH_RULE_AND = 2
AUSEARCH_RULE_REGEX = 3

# normalize_option_t
NORM_OPT_ALL = 0
NORM_OPT_NO_ATTRS = 1

# auparse_cb_event_t
AUPARSE_CB_EVENT_READY = 0

# auparse_esc_t
AUPARSE_ESC_RAW = 0
AUPARSE_ESC_TTY = 1
AUPARSE_ESC_SHELL = 2
AUPARSE_ESC_SHELL_QUOTE = 3

FIELD_TYPES: dict[str, int] = {f"AUPARSE_TYPE_{kind.name}": int(kind) for kind in FieldType}
"""Every ``AUPARSE_TYPE_*`` (the binding exports 3.0.9's subset; a superset does no harm)."""

BINDING_TYPO_ALIASES: dict[str, int] = {"AUPARSE_TYPE_MACPROTO,": int(FieldType.MACPROTO)}
"""The binding registers ``"AUPARSE_TYPE_MACPROTO,"`` (comma included); ``getattr`` users find it."""

__all__ = [name for name in dict(globals()) if name.isupper() and name.startswith(("AU", "NORM_"))]
