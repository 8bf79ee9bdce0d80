"""Rule fields: ``-F name op value`` and ``-C left op right``, as auditctl encodes them.

Each ``-F`` becomes one (field, operator, value) triple of ``audit_rule_data``;
string fields (paths, SELinux labels, exe, key) put their length in ``values``
and their bytes in ``buf``.  The operator is found the way libaudit's
``audit_rule_fieldpair_data`` finds it: the first of ``!= >= <= &= = > < &`` that
occurs anywhere in the text, tried in that order.  Values follow that function
field by field (uid/gid names, ``unset``, errno names, message type names,
file and filesystem types, permission letters, C numbers) and so do its errors,
whose wording we keep.  ``arch`` is resolved by the compiler, which owns the
order-dependent state it needs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from c2audit.cnum import c_uint, scan, strtol
from c2audit.records import TYPE_BY_NAME
from c2audit.rules.errors import FieldError
from c2audit.tables import (
    errtab,
    fieldtab,
    fstypetab,
    ftypetab,
    name_by_number,
    number_by_name,
    optab,
    uapi,
)
from c2audit.tables.auparse import famtab

FIELD_NUMBER = number_by_name(fieldtab.ENTRIES, str.lower)
FIELD_NAME = name_by_number(fieldtab.ENTRIES)

OPERATOR = number_by_name(optab.ENTRIES)
OPERATOR_SYMBOL = name_by_number(optab.ENTRIES)
# libaudit searches for the operators in this order, anywhere in the pair
_FIELD_OPERATOR_SEARCH = ("!=", ">=", "<=", "&=", "=", ">", "<", "&")
_COMPARE_OPERATOR_SEARCH = ("!=", "=")

ERRNO_NUMBER = number_by_name(errtab.ENTRIES)
ERRNO_NAME = name_by_number(errtab.ENTRIES)
FILETYPE_NUMBER = number_by_name(ftypetab.ENTRIES)
FSTYPE_NUMBER = number_by_name(fstypetab.ENTRIES)
FSTYPE_NAME = name_by_number(fstypetab.ENTRIES)
AF_MAX = max(int(number) for number, _ in famtab.ENTRIES) + 1

PATH_MAX = 4096
KEY_MAX = uapi.AUDIT_MAX_KEY_LEN
UNSET = 0xFFFFFFFF  # (uid_t)-1, what "unset" means for auid and sessionid
PERM_LETTERS = {"r": uapi.AUDIT_PERM_READ, "w": uapi.AUDIT_PERM_WRITE,
                "x": uapi.AUDIT_PERM_EXEC, "a": uapi.AUDIT_PERM_ATTR}

UID_FIELDS = frozenset({uapi.AUDIT_UID, uapi.AUDIT_EUID, uapi.AUDIT_SUID, uapi.AUDIT_FSUID,
                        uapi.AUDIT_LOGINUID, uapi.AUDIT_OBJ_UID})
GID_FIELDS = frozenset({uapi.AUDIT_GID, uapi.AUDIT_EGID, uapi.AUDIT_SGID, uapi.AUDIT_FSGID,
                        uapi.AUDIT_OBJ_GID})
# strings valid on the exit lists only, then strings valid anywhere
OBJECT_STRING_FIELDS = frozenset({uapi.AUDIT_OBJ_USER, uapi.AUDIT_OBJ_ROLE, uapi.AUDIT_OBJ_TYPE,
                                  uapi.AUDIT_OBJ_LEV_LOW, uapi.AUDIT_OBJ_LEV_HIGH,
                                  uapi.AUDIT_WATCH, uapi.AUDIT_DIR})
SUBJECT_STRING_FIELDS = frozenset({uapi.AUDIT_SUBJ_USER, uapi.AUDIT_SUBJ_ROLE, uapi.AUDIT_SUBJ_TYPE,
                                   uapi.AUDIT_SUBJ_SEN, uapi.AUDIT_SUBJ_CLR, uapi.AUDIT_FILTERKEY,
                                   uapi.AUDIT_EXE})
STRING_FIELDS = OBJECT_STRING_FIELDS | SUBJECT_STRING_FIELDS
ARG_FIELDS = frozenset(range(uapi.AUDIT_ARG0, uapi.AUDIT_ARG3 + 1))
EXIT_ONLY_NUMBERS = frozenset(range(uapi.AUDIT_DEVMAJOR, uapi.AUDIT_INODE + 1)) | {uapi.AUDIT_SUCCESS}
EXIT_LISTS = frozenset({uapi.AUDIT_FILTER_EXIT, uapi.AUDIT_FILTER_URING_EXIT})
# with the kernel's "exclude extend" feature, the only fields the exclude list takes
EXCLUDE_FIELDS = frozenset({uapi.AUDIT_PID, uapi.AUDIT_UID, uapi.AUDIT_GID, uapi.AUDIT_LOGINUID,
                            uapi.AUDIT_MSGTYPE, uapi.AUDIT_SUBJ_USER, uapi.AUDIT_SUBJ_ROLE,
                            uapi.AUDIT_SUBJ_TYPE, uapi.AUDIT_SUBJ_SEN, uapi.AUDIT_SUBJ_CLR,
                            uapi.AUDIT_EXE})
EQUALITY = frozenset({uapi.AUDIT_EQUAL, uapi.AUDIT_NOT_EQUAL})

# -C: AUDIT_COMPARE_<A>_TO_<B> compares fields A and B, in either order
_COMPARE_OPERAND = {"UID": uapi.AUDIT_UID, "EUID": uapi.AUDIT_EUID, "SUID": uapi.AUDIT_SUID,
                    "FSUID": uapi.AUDIT_FSUID, "AUID": uapi.AUDIT_LOGINUID, "OBJ_UID": uapi.AUDIT_OBJ_UID,
                    "GID": uapi.AUDIT_GID, "EGID": uapi.AUDIT_EGID, "SGID": uapi.AUDIT_SGID,
                    "FSGID": uapi.AUDIT_FSGID, "OBJ_GID": uapi.AUDIT_OBJ_GID}
COMPARISON: dict[tuple[int, int], int] = {}
COMPARISON_TEXT: dict[int, tuple[str, str]] = {}  # how auditctl -l writes each one
for _constant, _value in vars(uapi).items():
    if _constant.startswith("AUDIT_COMPARE_") and "_TO_" in _constant:
        _left, _right = _constant.removeprefix("AUDIT_COMPARE_").split("_TO_")
        COMPARISON[_COMPARE_OPERAND[_left], _COMPARE_OPERAND[_right]] = _value
        COMPARISON[_COMPARE_OPERAND[_right], _COMPARE_OPERAND[_left]] = _value
        COMPARISON_TEXT[_value] = (_left.lower(), _right.lower())


@dataclass(frozen=True)
class FieldPair:
    """A ``-F`` as written: name, operator and value, with the field number resolved."""

    name: str
    field: int
    operator: int
    value: str


@dataclass(frozen=True)
class Comparison:
    """A ``-C``: two fields and = or !=, resolved to an AUDIT_COMPARE_* value when encoded."""

    left: str
    operator: int
    right: str


def _split_at_operator(text: str, symbols: tuple[str, ...]) -> tuple[str, str, str] | None:
    """(left, symbol, right) at the first of ``symbols`` (tried in order) found in ``text``."""
    for symbol in symbols:
        at = text.find(symbol)
        if at >= 0:
            return text[:at], symbol, text[at + len(symbol):]
    return None


def _split_sides(text: str, search: tuple[str, ...], flag: str, no_operator: FieldError) -> tuple[str, str, str]:
    """``left op right`` with both sides present, as libaudit checks ``-F`` and ``-C`` alike."""
    split = _split_at_operator(text, search)
    if split is None:
        raise no_operator
    left, _, right = split
    if not left:
        raise FieldError("field-name-missing", f"{flag} missing field name before operator for {text}")
    if not right:
        raise FieldError("value-missing", f"{flag} missing value after operation for {left}")
    return split


def split_field_pair(text: str) -> FieldPair:
    """Split ``name op value`` as libaudit does; FieldError for a malformed pair or unknown field."""
    name, symbol, value = _split_sides(text, _FIELD_OPERATOR_SEARCH, "-F",
                                       FieldError("operator-missing", f"-F missing operation for {text}"))
    field = FIELD_NUMBER.get(name.lower())
    if field is None:
        raise FieldError("field-unknown", f"-F unknown field: {name}")
    return FieldPair(name, field, OPERATOR[symbol], value)


def split_comparison(text: str) -> Comparison:
    """Split a ``-C left op right``; FieldError as libaudit's interfield comparison reports."""
    left, symbol, right = _split_sides(text, _COMPARE_OPERATOR_SEARCH, "-C",
                                       FieldError("operator-not-equality", f"{text} only takes = or != operators"))
    if left.lower() not in FIELD_NUMBER:
        raise FieldError("field-unknown", f"-C unknown field: {left}")
    if right.lower() not in FIELD_NUMBER:
        raise FieldError("comparison-unknown", f"-C unknown right hand value for comparison with: {right}")
    return Comparison(left, OPERATOR[symbol], right)


def comparison_value(comparison: Comparison, filter_list: int) -> int:
    """The AUDIT_COMPARE_* a comparison means; FieldError off the exit lists or for mixed kinds."""
    if filter_list not in EXIT_LISTS:
        raise FieldError("exit-only", f"{comparison.left} can only be used with exit filter list")
    key = (FIELD_NUMBER[comparison.left.lower()], FIELD_NUMBER[comparison.right.lower()])
    if key not in COMPARISON:
        raise FieldError("comparison-incompatible",
                         f"-C incompatible comparison {comparison.left} with {comparison.right}")
    return COMPARISON[key]


@dataclass(frozen=True)
class Encoded:
    """A field's 32-bit value and, for string fields, the bytes it adds to ``buf``."""

    value: int
    data: bytes = b""
    ignored_tail: str = ""  # what C's strtol would silently skip (a lint warning)


@dataclass(frozen=True)
class FieldContext:
    """What encoding a value needs beyond the pair: the rule's list and the host's name service."""

    filter_list: int
    lookup_user: Callable[[str], int | None]
    lookup_group: Callable[[str], int | None]
    features: int = uapi.AUDIT_FEATURE_BITMAP_ALL


def check_list(pair: FieldPair, context: FieldContext) -> None:
    """Refuse a field the rule's list cannot take (exclude and filesystem lists, feature bits)."""
    if context.filter_list == uapi.AUDIT_FILTER_EXCLUDE:
        if not context.features & uapi.AUDIT_FEATURE_BITMAP_EXCLUDE_EXTEND:
            if pair.field != uapi.AUDIT_MSGTYPE:
                raise FieldError("field-unsupported", f"Field option not supported by kernel: {pair.name}")
        elif pair.field not in EXCLUDE_FIELDS:
            message = "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter"
            raise FieldError("exclude-field", message)
    fs_supported = context.features & uapi.AUDIT_FEATURE_BITMAP_FILTER_FS
    if context.filter_list == uapi.AUDIT_FILTER_FS and not fs_supported:
        raise FieldError("filter-unsupported", f"{pair.name} filter is not supported by the kernel")


def encode_field(pair: FieldPair, context: FieldContext) -> Encoded:
    """The value (and buf bytes) of a ``-F`` other than arch and key, or a FieldError."""
    check_list(pair, context)
    field = pair.field
    if field in UID_FIELDS:
        return _uid(pair, context)
    if field in GID_FIELDS:
        return _gid(pair, context)
    encoder = _ENCODERS.get(field)
    if encoder is not None:
        return encoder(pair, context)
    if field in STRING_FIELDS:
        return _string(pair, context)
    if field in ARG_FIELDS:
        return _signed_or_unsigned(pair, "field-value-number")
    if field in EXIT_ONLY_NUMBERS:
        _require_exit_list(pair, context)
    return _plain_number(pair, context)


def _require_exit_list(pair: FieldPair, context: FieldContext) -> None:
    if context.filter_list not in EXIT_LISTS:
        raise FieldError("exit-only", f"{pair.name} can only be used with exit filter list")


def _number(text: str, *, unsigned: bool) -> Encoded:
    number = scan(text)
    value, _ = number.unsigned() if unsigned else number.signed()
    return Encoded(c_uint(value), ignored_tail=number.tail)


def _signed_or_unsigned(pair: FieldPair, code: str) -> Encoded:
    """Digits read unsigned, ``-N`` read signed (libaudit's pattern for ids and args)."""
    value = pair.value
    if value[:1].isdigit():
        return _number(value, unsigned=True)
    if len(value) >= 2 and value[0] == "-" and value[1].isdigit():
        return _number(value, unsigned=False)
    raise FieldError(code, f"-F value should be number for {pair.name}")


def _uid(pair: FieldPair, context: FieldContext) -> Encoded:
    value = pair.value
    if value[:1].isdigit() or (value[:1] == "-" and value[1:2].isdigit()):
        return _signed_or_unsigned(pair, "field-value-number")
    if value == "unset":
        return Encoded(UNSET)
    uid = context.lookup_user(value)
    if uid is None:
        raise FieldError("user-unknown", f"Unknown user: {value}")
    return Encoded(c_uint(uid))


def _gid(pair: FieldPair, context: FieldContext) -> Encoded:
    value = pair.value
    if value[:1].isdigit():
        return _number(value, unsigned=False)
    gid = context.lookup_group(value)
    if gid is None:
        raise FieldError("group-unknown", f"Unknown group: {value}")
    return Encoded(c_uint(gid))


def _exit(pair: FieldPair, context: FieldContext) -> Encoded:
    _require_exit_list(pair, context)
    value = pair.value
    if value[:1].isdigit() or (len(value) >= 2 and value[0] == "-" and value[1].isdigit()):
        return _number(value, unsigned=False)
    name = value.removeprefix("-")
    number = ERRNO_NUMBER.get(name.upper())
    if not number:
        raise FieldError("errno-unknown", f"-F unknown errno - {value}")
    return Encoded(c_uint(-number if value.startswith("-") else number))


def _msgtype(pair: FieldPair, context: FieldContext) -> Encoded:
    if context.filter_list not in (uapi.AUDIT_FILTER_EXCLUDE, uapi.AUDIT_FILTER_USER):
        raise FieldError("msgtype-list", "msgtype field can only be used with exclude or user filter list")
    value = pair.value
    if value[:1].isdigit():
        return _number(value, unsigned=False)
    number = message_type_number(value)
    if number is None or number <= 0:
        raise FieldError("msgtype-unknown", f"-F unknown message type - {value}")
    return Encoded(c_uint(number))


def message_type_number(name: str) -> int | None:
    """libaudit's ``audit_name_to_msg_type``: a name, ``UNKNOWN[n]`` or digits."""
    number = TYPE_BY_NAME.get(name.upper())
    if number is not None:
        return number
    if name.startswith("UNKNOWN[") and "]" in name[8:]:
        return strtol(name[8:name.index("]", 8)][:7], 10)[0]
    if name[:1].isdigit():
        return strtol(name, 10)[0]
    return None


def _string(pair: FieldPair, context: FieldContext) -> Encoded:
    field = pair.field
    if field in OBJECT_STRING_FIELDS:
        _require_exit_list(pair, context)
    if field == uapi.AUDIT_EXE:
        if not context.features & uapi.AUDIT_FEATURE_BITMAP_EXECUTABLE_PATH:
            raise FieldError("field-unsupported", f"Field option not supported by kernel: {pair.name}")
        if pair.operator not in EQUALITY:
            raise FieldError("operator-not-equality", f"{pair.name} only takes = or != operators")
    return encode_string(pair.name, pair.value, KEY_MAX if field == uapi.AUDIT_FILTERKEY else PATH_MAX)


def encode_string(name: str, value: str, limit: int) -> Encoded:
    """A string field: its byte length as the value, its bytes for ``buf``."""
    data = value.encode("utf-8", "surrogateescape")
    if len(data) > limit:
        raise FieldError("string-too-long", f"String value too long for {name} ({len(data)} > {limit} bytes)")
    return Encoded(len(data), data)


def encode_perm(name: str, letters: str, operator: int = uapi.AUDIT_EQUAL) -> int:
    """``perm=rwxa`` as AUDIT_PERM_* bits."""
    if operator != uapi.AUDIT_EQUAL:
        raise FieldError("operator-not-equal", f"{name} only takes = operator")
    if len(letters) > 4:
        raise FieldError("string-too-long", f"String value too long for {name} ({letters})")
    bits = 0
    for letter in letters:
        if letter.lower() not in PERM_LETTERS:
            raise FieldError("perm-letter", f"Permission can only contain  'rwxa' (not {letter!r})")
        bits |= PERM_LETTERS[letter.lower()]
    return bits


def _perm(pair: FieldPair, context: FieldContext) -> Encoded:
    _require_exit_list(pair, context)
    return Encoded(encode_perm(pair.name, pair.value, pair.operator))


def _filetype(pair: FieldPair, context: FieldContext) -> Encoded:
    _require_exit_list(pair, context)
    number = FILETYPE_NUMBER.get(pair.value.lower())
    if number is None:
        raise FieldError("filetype-unknown", f"-F unknown file type - {pair.value}")
    return Encoded(number)


def _fstype(pair: FieldPair, context: FieldContext) -> Encoded:
    if context.filter_list != uapi.AUDIT_FILTER_FS:
        raise FieldError("field-not-for-list", f"{pair.name} field is not valid for the filter")
    if pair.operator not in EQUALITY:
        raise FieldError("operator-not-equality", f"{pair.name} only takes = or != operators")
    if pair.value[:1].isdigit():
        encoded = _number(pair.value, unsigned=True)
    else:
        encoded = Encoded(FSTYPE_NUMBER.get(pair.value.lower(), UNSET))
    if encoded.value == UNSET:
        raise FieldError("fstype-unknown", f"file system type is unknown for field: {pair.value}")
    return encoded


def _sessionid(pair: FieldPair, context: FieldContext) -> Encoded:
    if not context.features & uapi.AUDIT_FEATURE_BITMAP_SESSIONID_FILTER:
        raise FieldError("field-unsupported", f"Field option not supported by kernel: {pair.name}")
    if context.filter_list not in (uapi.AUDIT_FILTER_EXCLUDE, uapi.AUDIT_FILTER_USER,
                                   uapi.AUDIT_FILTER_EXIT):
        raise FieldError("field-not-for-list", f"{pair.name} must be used with exclude, user, or exit filter")
    if pair.value == "unset":
        return Encoded(UNSET)
    # auditctl leaves 0 for any other word; refusing it is safer than matching session 0
    return _signed_or_unsigned(pair, "field-value-number")


def _saddr_fam(pair: FieldPair, context: FieldContext) -> Encoded:
    # auditctl reads any word as 0 (strtoul); a family must be a number here
    if not pair.value[:1].isdigit():
        raise FieldError("field-value-number", f"-F value should be number for {pair.name}")
    encoded = _number(pair.value, unsigned=True)
    if encoded.value >= AF_MAX:
        raise FieldError("value-too-large", f"value is too large for field: {pair.name}")
    return encoded


def _plain_number(pair: FieldPair, context: FieldContext) -> Encoded:
    """Every other field: a non-negative C number (inode unsigned, = or != only)."""
    if pair.field == uapi.AUDIT_INODE and pair.operator not in EQUALITY:
        raise FieldError("operator-not-equality", f"{pair.name} only takes = or != operators")
    if pair.field == uapi.AUDIT_PPID:
        _require_exit_list(pair, context)
    if not pair.value[:1].isdigit():
        raise FieldError("field-value-number", f"-F value should be number for {pair.name}")
    return _number(pair.value, unsigned=pair.field == uapi.AUDIT_INODE)


_ENCODERS: dict[int, Callable[[FieldPair, FieldContext], Encoded]] = {
    uapi.AUDIT_EXIT: _exit,
    uapi.AUDIT_MSGTYPE: _msgtype,
    uapi.AUDIT_PERM: _perm,
    uapi.AUDIT_FILETYPE: _filetype,
    uapi.AUDIT_FSTYPE: _fstype,
    uapi.AUDIT_SESSIONID: _sessionid,
    uapi.AUDIT_SADDR_FAM: _saddr_fam,
}
