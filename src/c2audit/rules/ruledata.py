"""A rule as (field, operator, value) triples, to and from ``struct audit_rule_data``.

The struct itself is declared once, with the other netlink structs, as
:class:`c2audit.netlink.AuditRuleData` (three parallel arrays, a count and a
``buf``); :class:`RuleData` is the rules' view of it: the used fields as
:class:`RuleField` triples and ``buf`` cut to ``buflen``, checked on decoding.

auditctl sends exactly ``sizeof(struct audit_rule_data) + buflen`` bytes.  What
the kernel lists back differs in two ways (see ``kernel_form``): it clears the
syscall-class bits at the top of the mask, having expanded them into the
syscalls they stand for, it forgets ``AUDIT_FILTER_PREPEND`` once the rule is
in place, and the netlink payload is zero-padded to 4 bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from c2audit import netlink
from c2audit.netlink import AuditRuleData
from c2audit.rules.errors import RuleDataError
from c2audit.tables import uapi

MASK_WORDS = uapi.AUDIT_BITMASK_SIZE
MAX_FIELDS = uapi.AUDIT_MAX_FIELDS
CLASS_BITS = uapi.AUDIT_SYSCALL_CLASSES  # the last CLASS_BITS bits of the mask name syscall classes
HEADER_SIZE = netlink.sizeof(AuditRuleData)  # 1040: sizeof(struct audit_rule_data) without buf


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

    @property
    def all_syscalls(self) -> bool:
        """Whether the mask selects every syscall (every word full but the last, which holds the class bits)."""
        return all(word == 0xFFFFFFFF for word in self.mask[: MASK_WORDS - 1])

    def encode(self) -> bytes:
        """The bytes auditctl would send for this rule (no padding)."""
        if len(self.fields) > MAX_FIELDS:
            raise RuleDataError("too-many-fields", f"Too many fields in rule: {len(self.fields)}")
        padding = (0,) * (MAX_FIELDS - len(self.fields))
        return netlink.encode(AuditRuleData(
            self.flags, self.action, len(self.fields), self.mask,
            tuple(f.field for f in self.fields) + padding,
            tuple(f.value for f in self.fields) + padding,
            tuple(f.operator for f in self.fields) + padding,
            len(self.buf), self.buf,
        ))

    @classmethod
    def decode(cls, data: bytes) -> RuleData:
        """Parse rule bytes (sent or kernel form); RuleDataError if truncated or inconsistent."""
        if len(data) < HEADER_SIZE:
            raise RuleDataError("truncated", f"audit_rule_data needs {HEADER_SIZE} bytes, got {len(data)}")
        raw = netlink.decode(AuditRuleData, data)
        count = raw.field_count
        if count > MAX_FIELDS:
            raise RuleDataError("too-many-fields", f"field_count {count} exceeds {MAX_FIELDS}")
        if raw.buflen > len(raw.buf):
            raise RuleDataError("truncated", f"buflen {raw.buflen} runs past the {len(data)} bytes given")
        rule_fields = tuple(RuleField(raw.fields[i], raw.fieldflags[i], raw.values[i]) for i in range(count))
        return cls(raw.flags, raw.action, rule_fields, raw.mask, raw.buf[:raw.buflen])


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
