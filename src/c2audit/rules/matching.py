"""Which events a kernel rule can match, as far as its bytes tell: for shadowing lints.

The kernel walks each filter list in order and stops at the first rule that
matches (``audit_filter_syscall``, ``audit_filter``): a later rule matching
only events an earlier one already took can never fire, and a ``never`` placed
after an ``always`` it overlaps excludes nothing there.  To say so we need two
questions answered about two rules of one list:

* ``covers(a, b)``: does ``a`` match every event ``b`` matches?  (sufficient
  test: ``a``'s syscalls include ``b``'s and each condition of ``a`` follows
  from ``b``'s conditions on the same field)
* ``overlaps(a, b)``: could one event match both?  (necessary test: the
  syscalls intersect and the conditions of both together are satisfiable)

"The same list" is the kernel's: a rule with a ``path=`` (``-w`` on a file,
AUDIT_WATCH) does not sit in its filter list but in the list of that inode
(``audit_add_watch``), which ``audit_filter_inodes`` walks *after* the exit
list -- so it neither shadows nor is shadowed by rules without that path.
``-w`` on a directory (AUDIT_DIR, a tree) stays in the exit list.

Both err on the side of silence: anything not understood (bit-mask operators,
field comparisons, string fields other than by identity) is assumed to
possibly match, so ``covers`` answers False and ``overlaps`` True.  Values
compare as the kernel's ``audit_comparator`` does: unsigned 32-bit.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from c2audit.rules import fields as F
from c2audit.rules.ruledata import RuleData
from c2audit.tables import uapi

U32_MAX = 0xFFFFFFFF
# fields whose value is a length and whose bytes are in buf (auditctl-listing.c's test)
BUF_FIELDS = F.STRING_FIELDS | {uapi.AUDIT_WATCH, uapi.AUDIT_DIR, uapi.AUDIT_EXE, uapi.AUDIT_FILTERKEY}
NOT_CONDITIONS = frozenset({uapi.AUDIT_FILTERKEY})  # a key labels the event, it does not select it
SYSCALL_LISTS = frozenset({uapi.AUDIT_FILTER_EXIT, uapi.AUDIT_FILTER_URING_EXIT})
_RANGE_OPERATORS = frozenset({uapi.AUDIT_EQUAL, uapi.AUDIT_NOT_EQUAL, uapi.AUDIT_LESS_THAN,
                              uapi.AUDIT_GREATER_THAN, uapi.AUDIT_LESS_THAN_OR_EQUAL,
                              uapi.AUDIT_GREATER_THAN_OR_EQUAL})


@dataclass(frozen=True)
class Condition:
    """One field test of a rule: a number, or the bytes of a string field."""

    field: int
    operator: int
    value: int | bytes


@dataclass(frozen=True)
class Selector:
    """What a rule selects on: its list, its syscall mask (None off the syscall lists), its conditions."""

    filter_list: int
    mask: tuple[int, ...] | None
    conditions: tuple[Condition, ...]

    @classmethod
    def of(cls, rule: RuleData) -> Selector:
        filter_list = rule.flags & ~uapi.AUDIT_FILTER_PREPEND
        mask = rule.mask if filter_list in SYSCALL_LISTS else None
        return cls(filter_list, mask, tuple(_conditions(rule)))

    @property
    def kernel_list(self) -> tuple[int, bytes | None]:
        """The list the kernel keeps the rule in: its filter list, or the inode list of its path."""
        path = next((c.value for c in self.conditions if c.field == uapi.AUDIT_WATCH), None)
        return self.filter_list, path if isinstance(path, bytes) else None

    def tests(self, field: int) -> bool:
        return any(c.field == field for c in self.conditions)


def field_values(rule: RuleData) -> Iterator[Condition]:
    """Every field of a rule with its value; a string field's value is its bytes from buf."""
    offset = 0
    for item in rule.fields:
        field = item.field & ~uapi.AUDIT_OPERATORS
        value: int | bytes = item.value
        if field in BUF_FIELDS:
            value = rule.buf[offset : offset + item.value]
            offset += item.value
        yield Condition(field, item.operator & uapi.AUDIT_OPERATORS, value)


def _conditions(rule: RuleData) -> Iterable[Condition]:
    return (c for c in field_values(rule) if c.field not in NOT_CONDITIONS)


def keys(rule: RuleData) -> list[bytes]:
    """The rule's keys (``-k`` several times joins them with \\x01)."""
    return [key for c in field_values(rule) if c.field == uapi.AUDIT_FILTERKEY
            for key in bytes(c.value).split(b"\x01") if key]


def covers(a: Selector, b: Selector) -> bool:
    """True when ``a`` certainly matches every event ``b`` matches."""
    if a.kernel_list != b.kernel_list:
        return False
    if a.mask is not None and b.mask is not None and any(~x & y for x, y in zip(a.mask, b.mask)):
        return False
    by_field = _group(b.conditions)
    return all(_implied(condition, by_field.get(condition.field, [])) for condition in a.conditions)


def overlaps(a: Selector, b: Selector) -> bool:
    """False only when no event can match both rules."""
    if a.kernel_list != b.kernel_list:
        return False
    if a.mask is not None and b.mask is not None and not any(x & y for x, y in zip(a.mask, b.mask)):
        return False
    return satisfiable(a.conditions + b.conditions)


def satisfiable(conditions: Iterable[Condition]) -> bool:
    """False only when the conditions contradict each other (``uid=0 uid=1``, ``arch=b64 arch=b32``)."""
    return all(_field_satisfiable(field, tests) for field, tests in _group(conditions).items())


def _group(conditions: Iterable[Condition]) -> dict[int, list[Condition]]:
    grouped: dict[int, list[Condition]] = defaultdict(list)
    for condition in conditions:
        grouped[condition.field].append(condition)
    return grouped


def _field_satisfiable(field: int, tests: list[Condition]) -> bool:
    if field == uapi.AUDIT_PERM:
        bits = U32_MAX
        for test in tests:
            bits &= int(test.value)
        return bits != 0
    if field in BUF_FIELDS:
        equal = {t.value for t in tests if t.operator == uapi.AUDIT_EQUAL}
        unequal = {t.value for t in tests if t.operator == uapi.AUDIT_NOT_EQUAL}
        if equal & unequal:
            return False
        if field == uapi.AUDIT_DIR:  # dir= matches a subtree: nested directories can both match
            return all(_nested(a, b) for a in equal for b in equal)
        return len(equal) <= 1
    return _Range.of(tests).possible()


def _nested(a: int | bytes, b: int | bytes) -> bool:
    """Whether one directory is the other or inside it."""
    outer, inner = sorted((bytes(a).rstrip(b"/") + b"/", bytes(b).rstrip(b"/") + b"/"), key=len)
    return inner.startswith(outer)


def _implied(condition: Condition, known: list[Condition]) -> bool:
    """Whether every value satisfying ``known`` (tests on one field) satisfies ``condition``."""
    if condition in known:
        return True
    if condition.field == uapi.AUDIT_PERM:
        return any(int(k.value) & ~int(condition.value) == 0 for k in known)
    if condition.field in BUF_FIELDS or condition.operator not in _RANGE_OPERATORS:
        return False
    allowed = _Range.of(known)
    if not allowed.possible():
        return True
    value = int(condition.value)
    match condition.operator:
        case uapi.AUDIT_EQUAL:
            return allowed.low == allowed.high == value
        case uapi.AUDIT_NOT_EQUAL:
            return not allowed.low <= value <= allowed.high or value in allowed.excluded
        case uapi.AUDIT_LESS_THAN:
            return allowed.high < value
        case uapi.AUDIT_LESS_THAN_OR_EQUAL:
            return allowed.high <= value
        case uapi.AUDIT_GREATER_THAN:
            return allowed.low > value
        case _:
            return allowed.low >= value


@dataclass
class _Range:
    """The u32 values a set of numeric tests allows: an interval less some points.

    Bit-mask tests (``&``, ``&=``) are left out: they only narrow what is
    allowed, so the range stays an over-approximation, which keeps both
    ``possible`` (may be satisfiable) and ``_implied`` (range inside the
    condition) sound.
    """

    low: int = 0
    high: int = U32_MAX
    excluded: frozenset[int] = frozenset()

    @classmethod
    def of(cls, tests: Iterable[Condition]) -> _Range:
        allowed, excluded = cls(), set()
        for test in tests:
            value = int(test.value)
            match test.operator:
                case uapi.AUDIT_EQUAL:
                    allowed.low, allowed.high = max(allowed.low, value), min(allowed.high, value)
                case uapi.AUDIT_NOT_EQUAL:
                    excluded.add(value)
                case uapi.AUDIT_LESS_THAN:
                    allowed.high = min(allowed.high, value - 1)
                case uapi.AUDIT_LESS_THAN_OR_EQUAL:
                    allowed.high = min(allowed.high, value)
                case uapi.AUDIT_GREATER_THAN:
                    allowed.low = max(allowed.low, value + 1)
                case uapi.AUDIT_GREATER_THAN_OR_EQUAL:
                    allowed.low = max(allowed.low, value)
        allowed.excluded = frozenset(v for v in excluded if allowed.low <= v <= allowed.high)
        return allowed

    def possible(self) -> bool:
        return self.low <= self.high and self.high - self.low + 1 > len(self.excluded)
