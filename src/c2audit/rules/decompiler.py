"""``audit_rule_data`` back to text, exactly as ``auditctl -l`` prints it.

This follows auditctl 3.0's ``print_rule`` (auditctl-listing.c) field by field,
quirks included, so ``c2audit ctl -l`` and ``auditctl -l`` print the same
bytes: a rule whose fields are only path/dir, perm and key and whose mask is
"all" prints as a watch (``-w``, ``-p``, ``-k``) whatever its action; ids print
as signed decimals (``auid!=-1`` for unset); a0-a3 print in upper-case hex;
``exe`` and ``perm`` print ``=`` whatever their operator; unknown values print
as numbers, unknown fields as ``f<n>``.

auditctl resolves syscall numbers with the arch of the rule's ``arch`` field,
or the host's when it has none -- but its arch is a global that the previous
rule's ``arch`` leaves set, so in a listing a rule without an arch is printed
with the arch of the last rule that had one.  ``decompile_listing`` reproduces
that (the text must match auditctl's); ``decompile`` prints one rule alone.

Only plain ``-l`` is covered, not the interpreted ``-l -i``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from c2audit import machines
from c2audit.cnum import c_int
from c2audit.records import NAME_BY_TYPE
from c2audit.rules import fields as F
from c2audit.rules import syscalls
from c2audit.rules.ruledata import MASK_WORDS, RuleData, RuleField
from c2audit.rules.syntax import ACTION_NAME, FILTER_NAME
from c2audit.tables import uapi

NULL = "(null)"  # what glibc's printf writes for the NULL auditctl passes when a table lacks a name
_WATCH_FIELDS = frozenset({uapi.AUDIT_PERM, uapi.AUDIT_FILTERKEY, uapi.AUDIT_DIR, uapi.AUDIT_WATCH})
_NO_SYSCALL_LISTS = frozenset({uapi.AUDIT_FILTER_USER, uapi.AUDIT_FILTER_TASK, uapi.AUDIT_FILTER_EXCLUDE,
                               uapi.AUDIT_FILTER_FS})
_BUF_FIELDS = (frozenset(range(uapi.AUDIT_SUBJ_USER, uapi.AUDIT_OBJ_LEV_HIGH + 1)) - {uapi.AUDIT_PPID}
               | {uapi.AUDIT_WATCH, uapi.AUDIT_DIR, uapi.AUDIT_EXE, uapi.AUDIT_FILTERKEY})


def _as_rule(data: bytes | RuleData) -> RuleData:
    return data if isinstance(data, RuleData) else RuleData.decode(data)


def decompile(data: bytes | RuleData, *, machine: str = "x86_64") -> str:
    """One rule as ``auditctl -l`` prints it; ``machine`` names syscalls of rules without an arch."""
    return _Printer(_as_rule(data), syscalls.machine_of(machine), 0).line()


def decompile_listing(rules: Iterable[bytes | RuleData], *, machine: str = "x86_64") -> list[str]:
    """A kernel listing as ``auditctl -l`` prints it, with its arch carried from rule to rule."""
    host = syscalls.machine_of(machine)
    lines, elf = [], 0
    for data in rules:
        printer = _Printer(_as_rule(data), host, elf)
        lines.append(printer.line())
        elf = printer.elf
    return lines


@dataclass
class _Printer:
    rule: RuleData
    host: int
    elf: int  # auditctl's _audit_elf as the previous rule left it

    def line(self) -> str:
        rule = self.rule
        watch = self._is_watch()
        out: list[str] = []
        if not watch:
            filter_list = rule.flags & ~uapi.AUDIT_FILTER_PREPEND
            out.append(f"-a {ACTION_NAME.get(rule.action, NULL)},{FILTER_NAME.get(filter_list, NULL)}")
            out += [self._arch(f) for f in rule.fields if f.field & ~uapi.AUDIT_OPERATORS == uapi.AUDIT_ARCH]
            out.append(self._syscalls())
        offset = 0
        for item in rule.fields:
            field = item.field & ~uapi.AUDIT_OPERATORS
            text = ""
            if field in _BUF_FIELDS:
                raw = rule.buf[offset : offset + item.value]
                offset += item.value
                text = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            if field != uapi.AUDIT_ARCH:
                out.append(self._field(item, field, text, watch))
        return "".join(out)

    def _is_watch(self) -> bool:
        rule = self.rule
        kinds = {f.field & ~uapi.AUDIT_OPERATORS for f in rule.fields}
        if not kinds <= _WATCH_FIELDS or uapi.AUDIT_PERM not in kinds:
            return False
        if rule.flags & uapi.AUDIT_FILTER_MASK in _NO_SYSCALL_LISTS:
            return True
        return rule.all_syscalls

    def _arch(self, item: RuleField) -> str:
        self.elf = item.value
        symbol = _operator(item)
        if item.value not in machines.MACHINE_OF_ELF:
            return f" -F arch{symbol}0x{item.value:X}"
        return f" -F arch{symbol}{'b64' if item.value & machines.ARCH_64BIT else 'b32'}"

    def _syscalls(self) -> str:
        rule = self.rule
        filter_list = rule.flags & uapi.AUDIT_FILTER_MASK
        if filter_list in _NO_SYSCALL_LISTS:
            return ""
        if rule.all_syscalls:
            return " -S all"
        elf = self.elf or machines.ELF_OF_MACHINE[self.host]
        names = []
        for number in range(MASK_WORDS * 32):
            if rule.mask[number // 32] >> (number % 32) & 1:
                if filter_list == uapi.AUDIT_FILTER_URING_EXIT:
                    name = machines.URING_OPS.name.get(number)
                else:
                    name = syscalls.syscall_name(number, elf)
                names.append(name or str(number))
        return f" -S {','.join(names)}" if names else ""

    def _field(self, item: RuleField, field: int, text: str, watch: bool) -> str:
        name = F.FIELD_NAME.get(field)
        symbol = _operator(item)
        if name is None:
            return f" f{item.field}{symbol}{c_int(item.value)}"
        value = item.value
        match field:
            case uapi.AUDIT_MSGTYPE:
                return f" -F {name}{symbol}{NAME_BY_TYPE.get(value, c_int(value))}"
            case uapi.AUDIT_WATCH | uapi.AUDIT_DIR if watch:
                return f"-w {text}"
            case uapi.AUDIT_WATCH:
                return f" -F path={text}"
            case uapi.AUDIT_DIR:
                return f" -F dir={text}"
            case uapi.AUDIT_EXE:
                return f" -F exe={text}"
            case uapi.AUDIT_FILTERKEY:
                keys = [k for k in text.split("\x01") if k]
                return "".join(f" -k {k}" if watch else f" -F key={k}" for k in keys)
            case uapi.AUDIT_PERM:
                letters = "".join(letter for letter, bit in F.PERM_LETTERS.items() if value & bit)
                return f" -p {letters}" if watch else f" -F perm={letters}"
            case uapi.AUDIT_INODE:
                return f" -F {name}{symbol}{value}"
            case uapi.AUDIT_FIELD_COMPARE:
                pair = F.COMPARISON_TEXT.get(value)
                return f" -C {pair[0]}{symbol}{pair[1]}" if pair else ""
            case uapi.AUDIT_EXIT:
                errno_name = F.ERRNO_NAME.get(abs(c_int(value)))
                if c_int(value) < 0 and errno_name:
                    return f" -F {name}{symbol}-{errno_name}"
                return f" -F {name}{symbol}{c_int(value)}"
            case uapi.AUDIT_FSTYPE:
                return f" -F {name}{symbol}{F.FSTYPE_NAME.get(value, c_int(value))}"
        if field in _BUF_FIELDS:
            return f" -F {name}{symbol}{text}"
        if field in F.ARG_FIELDS:
            return f" -F {name}{symbol}0x{value:X}"
        return f" -F {name}{symbol}{c_int(value)}"


def _operator(item: RuleField) -> str:
    return F.OPERATOR_SYMBOL.get(item.operator & uapi.AUDIT_OPERATORS, NULL)
