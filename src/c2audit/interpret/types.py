"""Which interpretation a field gets: auparse's ``auparse_interp_adjust_type``.

The type of a field is looked up by name in ``typetab`` (exact, case-sensitive
match; unknown names are ``UNCLASSIFIED``), except for a handful of names whose
meaning depends on the record type or on the value's shape, which auparse
corrects first.  The numbers are ``auparse_type_t`` from ``auparse-defs.h``, so
:func:`field_type` is what ``AuParser.get_field_type()`` returns.
"""
from __future__ import annotations

import re
from enum import IntEnum

from c2audit.tables import number_by_name, uapi
from c2audit.tables.auparse import auparse_types, typetab

FieldType = IntEnum(  # type: ignore[misc]  # members come from the generated table
    "FieldType", [(name.removeprefix("AUPARSE_TYPE_"), int(value)) for value, name in auparse_types.ENTRIES]
)
FieldType.__doc__ = "auparse_type_t: the AUPARSE_TYPE_* numbers (auparse-defs.h, append-only ABI)."

TYPE_BY_NAME = {name: FieldType(number) for name, number in number_by_name(typetab.ENTRIES).items()}

_U = FieldType.UNCLASSIFIED
_E = FieldType.ESCAPED
_GROUP_RECORDS = frozenset((uapi.AUDIT_ADD_GROUP, uapi.AUDIT_GRP_MGMT, uapi.AUDIT_DEL_GROUP))
# (record type, name) pairs whose type is fixed regardless of the value.
_BY_RECORD: dict[tuple[int, str], FieldType] = {
    (uapi.AUDIT_AVC, "saddr"): _U,
    (uapi.AUDIT_USER_TTY, "msg"): _E,
    (uapi.AUDIT_NETFILTER_PKT, "saddr"): FieldType.ADDR,
    (uapi.AUDIT_PATH, "flags"): FieldType.FLAGS,
    (uapi.AUDIT_MQ_OPEN, "mode"): FieldType.MODE_SHORT,
    (uapi.AUDIT_CRYPTO_KEY_USER, "fp"): _U,
    (uapi.AUDIT_KERN_MODULE, "name"): _E,
    **{(record, "id"): FieldType.GID for record in _GROUP_RECORDS},
}


_HEX_STRING = re.compile(r"[0-9a-fA-F]*")
_INT_STRING = re.compile(r"[0-9]*")


def is_hex_string(text: str) -> bool:
    """auparse's ``is_hex_string``: every character a hex digit (true for '')."""
    return _HEX_STRING.fullmatch(text) is not None


def is_int_string(text: str) -> bool:
    """auparse's ``is_int_string``: every character a decimal digit (true for '')."""
    return _INT_STRING.fullmatch(text) is not None


def type_depends_on_value(name: str, record_type: int) -> bool:
    """Whether :func:`field_type` looks at the value for this name and record type (else cache by name)."""
    return name == "acct" or record_type == uapi.AUDIT_TRUSTED_APP


def field_type(name: str, value: str, record_type: int) -> FieldType:
    """The AUPARSE_TYPE_* auparse gives field ``name=value`` of a record of ``record_type``."""
    if record_type == uapi.AUDIT_EXECVE and name[:1] == "a" and name != "argc" and "_len" not in name:
        return _E
    if name == "acct":
        return _E if value[:1] == '"' or is_hex_string(value) else _U
    fixed = _BY_RECORD.get((record_type, name))
    if fixed is not None:
        # auparse tests the acct rule before these; TRUSTED_APP comes after them.
        return fixed
    if record_type == uapi.AUDIT_TRUSTED_APP:
        if value[:1] == '"':
            return _E
        if is_int_string(value):
            return _U
        return _E if is_hex_string(value) else _U
    return TYPE_BY_NAME.get(name, _U)
