"""``struct audit_rule_data``: declared once, encoded and decoded here.

The layout (linux/audit.h), native byte order like every netlink audit message::

    __u32 flags;                        AUDIT_FILTER_* list, | AUDIT_FILTER_PREPEND for -A
    __u32 action;                       AUDIT_NEVER, AUDIT_POSSIBLE or AUDIT_ALWAYS
    __u32 field_count;                  how many of fields/values/fieldflags are used
    __u32 mask[AUDIT_BITMASK_SIZE];     syscall (or io_uring op) bitmap; top 16 bits: classes
    __u32 fields[AUDIT_MAX_FIELDS];     AUDIT_* field numbers
    __u32 values[AUDIT_MAX_FIELDS];     the values, or the byte length of a string field
    __u32 fieldflags[AUDIT_MAX_FIELDS]; AUDIT_* operators
    __u32 buflen;                       total length of the strings
    char  buf[];                        the string fields' bytes, in field order, no NULs

auditctl sends exactly ``sizeof(struct audit_rule_data) + buflen`` bytes.  What
the kernel lists back differs in two ways (see ``kernel_form``): it clears the
syscall-class bits at the top of the mask, having expanded them into the
syscalls they stand for, it forgets ``AUDIT_FILTER_PREPEND`` once the rule is
in place, and the netlink payload is zero-padded to 4 bytes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from c2audit.rules.errors import RuleDataError
from c2audit.tables import uapi

MASK_WORDS = uapi.AUDIT_BITMASK_SIZE
MAX_FIELDS = uapi.AUDIT_MAX_FIELDS
CLASS_BITS = uapi.AUDIT_SYSCALL_CLASSES  # the last CLASS_BITS bits of the mask name syscall classes

# (name, struct format, count) in declaration order
LAYOUT: tuple[tuple[str, str, int], ...] = (
    ("flags", "I", 1),
    ("action", "I", 1),
    ("field_count", "I", 1),
    ("mask", f"{MASK_WORDS}I", MASK_WORDS),
    ("fields", f"{MAX_FIELDS}I", MAX_FIELDS),
    ("values", f"{MAX_FIELDS}I", MAX_FIELDS),
    ("fieldflags", f"{MAX_FIELDS}I", MAX_FIELDS),
    ("buflen", "I", 1),
)
HEADER = struct.Struct("=" + "".join(fmt for _, fmt, _ in LAYOUT))
HEADER_SIZE = HEADER.size  # 1040: sizeof(struct audit_rule_data) without buf


@dataclass(frozen=True)
class RuleField:
    """One (field, operator, value) of a rule."""

    field: int
    operator: int
    value: int


@dataclass(frozen=True)
class RuleData:
    """A decoded ``audit_rule_data``; ``buf`` holds the string fields' bytes in order."""

    flags: int
    action: int
    fields: tuple[RuleField, ...] = ()
    mask: tuple[int, ...] = field(default=(0,) * MASK_WORDS)
    buf: bytes = b""

    def encode(self) -> bytes:
        """The bytes auditctl would send for this rule (no padding)."""
        if len(self.fields) > MAX_FIELDS:
            raise RuleDataError("too-many-fields", f"Too many fields in rule: {len(self.fields)}")
        padding = (0,) * (MAX_FIELDS - len(self.fields))
        header = HEADER.pack(
            self.flags, self.action, len(self.fields), *self.mask,
            *(f.field for f in self.fields), *padding,
            *(f.value for f in self.fields), *padding,
            *(f.operator for f in self.fields), *padding,
            len(self.buf),
        )
        return header + self.buf

    @classmethod
    def decode(cls, data: bytes) -> RuleData:
        """Parse rule bytes (sent or kernel form); RuleDataError if truncated or inconsistent."""
        if len(data) < HEADER_SIZE:
            raise RuleDataError("truncated", f"audit_rule_data needs {HEADER_SIZE} bytes, got {len(data)}")
        words = HEADER.unpack_from(data)
        flags, action, count = words[0], words[1], words[2]
        mask = tuple(words[3 : 3 + MASK_WORDS])
        base = 3 + MASK_WORDS
        fields_, values, operators = (
            words[base + i * MAX_FIELDS : base + (i + 1) * MAX_FIELDS] for i in range(3)
        )
        buflen = words[-1]
        if count > MAX_FIELDS:
            raise RuleDataError("too-many-fields", f"field_count {count} exceeds {MAX_FIELDS}")
        if HEADER_SIZE + buflen > len(data):
            raise RuleDataError("truncated", f"buflen {buflen} runs past the {len(data)} bytes given")
        rule_fields = tuple(RuleField(fields_[i], operators[i], values[i]) for i in range(count))
        return cls(flags, action, rule_fields, mask, bytes(data[HEADER_SIZE : HEADER_SIZE + buflen]))


def kernel_form(data: bytes) -> bytes:
    """What the kernel lists for rule bytes auditctl sent.

    The kernel clears the class bits (the top ``AUDIT_SYSCALL_CLASSES`` bits of
    the mask) after OR-ing in the syscalls of each class set; that expansion
    uses the kernel's own class tables, so this is exact whenever the rule's
    mask is "all" (the expansion adds nothing) or sets no class bit, which is
    every rule auditctl writes from syscall names.  The prepend flag (``-A``)
    is cleared, and the payload padded to a 4-byte boundary like every netlink
    message.
    """
    rule = RuleData.decode(data)
    mask = list(rule.mask)
    mask[-1] &= (1 << (32 - CLASS_BITS)) - 1
    flags = rule.flags & ~uapi.AUDIT_FILTER_PREPEND
    body = RuleData(flags, rule.action, rule.fields, tuple(mask), rule.buf).encode()
    return body + b"\0" * (-len(body) % 4)
