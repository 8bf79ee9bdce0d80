"""Machines, arches and syscall numbers, as auditctl resolves them.

A rule's ``arch`` is an ``AUDIT_ARCH_*`` value (the ELF machine and its 64-bit
and little-endian bits).  auditctl knows a fixed set of machines (libaudit's
``elftab``); ``b64``/``b32`` mean "this machine, 64 or 32 bit", so ``b32`` on
x86_64 is i386, on ppc64 ppc, on s390x s390, on aarch64 arm (and, an extension
of ours, on riscv64 riscv32).  Syscall names resolve through the table of the
rule's machine; a name that table lacks is an error naming the arch.  The
``io_uring`` list takes io_uring operations instead of syscalls.

Name lookups are case-insensitive like libaudit's generated tables; when a
number has several names the first in header order is the one printed.
"""
from __future__ import annotations

from types import ModuleType

from c2audit.cnum import scan, strtol, strtoul
from c2audit.rules.errors import FieldError
from c2audit.tables import (
    aarch64_table,
    arm_table,
    i386_table,
    machinetab,
    ppc_table,
    riscv32_table,
    riscv64_table,
    s390_table,
    s390x_table,
    uapi,
    uringop_table,
    x86_64_table,
)

BITMASK_WORDS = uapi.AUDIT_BITMASK_SIZE
MAX_SYSCALL = BITMASK_WORDS * 32  # numbers at or past this do not fit the mask
ARCH_64BIT = uapi.__AUDIT_ARCH_64BIT

MACHINE_BY_NAME: dict[str, int] = {}
for _number, _name in machinetab.ENTRIES:
    MACHINE_BY_NAME.setdefault(_name.lower(), int(_number))
MACHINE_NAME: dict[int, str] = {}
for _number, _name in machinetab.ENTRIES:
    MACHINE_NAME.setdefault(int(_number), _name)

# libaudit's elftab: the machines auditctl can write rules for, in its order.
ELF_OF_MACHINE: dict[int, int] = {
    uapi.MACH_X86: uapi.AUDIT_ARCH_I386,
    uapi.MACH_86_64: uapi.AUDIT_ARCH_X86_64,
    uapi.MACH_PPC64: uapi.AUDIT_ARCH_PPC64,
    uapi.MACH_PPC64LE: uapi.AUDIT_ARCH_PPC64LE,
    uapi.MACH_PPC: uapi.AUDIT_ARCH_PPC,
    uapi.MACH_S390X: uapi.AUDIT_ARCH_S390X,
    uapi.MACH_S390: uapi.AUDIT_ARCH_S390,
    uapi.MACH_ARM: uapi.AUDIT_ARCH_ARM,
    uapi.MACH_AARCH64: uapi.AUDIT_ARCH_AARCH64,
    uapi.MACH_RISCV32: uapi.AUDIT_ARCH_RISCV32,
    uapi.MACH_RISCV64: uapi.AUDIT_ARCH_RISCV64,
}
MACHINE_OF_ELF: dict[int, int] = {elf: machine for machine, elf in reversed(ELF_OF_MACHINE.items())}

# the 32-bit machine that b32 means on a 64-bit one
THIRTY_TWO_BIT_OF: dict[int, int] = {
    uapi.MACH_86_64: uapi.MACH_X86,
    uapi.MACH_PPC64: uapi.MACH_PPC,
    uapi.MACH_S390X: uapi.MACH_S390,
    uapi.MACH_AARCH64: uapi.MACH_ARM,
    uapi.MACH_RISCV64: uapi.MACH_RISCV32,
}
SIXTY_FOUR_BIT = frozenset({uapi.MACH_86_64, uapi.MACH_PPC64, uapi.MACH_PPC64LE, uapi.MACH_S390X,
                            uapi.MACH_AARCH64, uapi.MACH_RISCV64})
THIRTY_TWO_BIT = frozenset({uapi.MACH_X86, uapi.MACH_PPC, uapi.MACH_S390, uapi.MACH_ARM, uapi.MACH_RISCV32})

_TABLE_OF_MACHINE: dict[int, ModuleType] = {
    uapi.MACH_X86: i386_table,
    uapi.MACH_86_64: x86_64_table,
    uapi.MACH_PPC64: ppc_table,
    uapi.MACH_PPC64LE: ppc_table,
    uapi.MACH_PPC: ppc_table,
    uapi.MACH_S390X: s390x_table,
    uapi.MACH_S390: s390_table,
    uapi.MACH_ARM: arm_table,
    uapi.MACH_AARCH64: aarch64_table,
    uapi.MACH_RISCV32: riscv32_table,
    uapi.MACH_RISCV64: riscv64_table,
}


class NameTable:
    """A header's (number, name) pairs as case-insensitive name -> number and number -> first name."""

    def __init__(self, entries: tuple[tuple[int | str, str], ...]) -> None:
        self.number: dict[str, int] = {}
        self.name: dict[int, str] = {}
        for number, name in entries:
            self.number.setdefault(name.lower(), int(number))
            self.name.setdefault(int(number), name)


_TABLES: dict[str, NameTable] = {
    module.__name__: NameTable(module.ENTRIES) for module in set(_TABLE_OF_MACHINE.values())
}
URING_OPS = NameTable(uringop_table.ENTRIES)


def _syscall_table(elf: int) -> NameTable | None:
    module = _TABLE_OF_MACHINE.get(MACHINE_OF_ELF.get(elf, -1))
    return _TABLES[module.__name__] if module else None


def machine_of(uname_machine: str) -> int:
    """The MACH_* of ``os.uname().machine``; FieldError if libaudit does not know it."""
    machine = MACHINE_BY_NAME.get(uname_machine.lower())
    if machine is None or machine not in ELF_OF_MACHINE:
        raise FieldError("machine-unknown", f"Error detecting machine type ({uname_machine})")
    return machine


def arch_name(elf: int) -> str:
    """The machine name of an AUDIT_ARCH_* value (for messages), or its hex."""
    machine = MACHINE_OF_ELF.get(elf)
    return MACHINE_NAME[machine] if machine is not None else f"0x{elf:X}"


def resolve_arch(value: str, host_machine: int) -> int:
    """The AUDIT_ARCH_* an ``arch=`` value names: ``b64``, ``b32``, a machine name or an ELF number."""
    lowered = value.lower()
    if lowered in ("b64", "b32"):
        machine = host_machine
        if lowered == "b32":
            machine = THIRTY_TWO_BIT_OF.get(machine, machine)
            if machine not in THIRTY_TWO_BIT:
                raise _arch_error(value, "requested bit level not supported by machine")
        elif machine not in SIXTY_FOUR_BIT:
            raise _arch_error(value, "requested bit level not supported by machine")
        return ELF_OF_MACHINE[machine]
    if value[:1].isdigit():
        elf, _ = strtoul(value)
        if elf not in MACHINE_OF_ELF:
            raise _arch_error(value, "elf mapping not found")
        return elf
    machine = MACHINE_BY_NAME.get(lowered)
    if machine is None:
        hex_elf = _hex_prefix(value)  # auditctl retries the name as a hex ELF number
        if hex_elf is None or hex_elf not in MACHINE_OF_ELF:
            raise _arch_error(value, "machine type not found")
        return hex_elf
    if machine not in ELF_OF_MACHINE:
        raise _arch_error(value, "elf mapping not found")
    return ELF_OF_MACHINE[machine]


def _arch_error(value: str, why: str) -> FieldError:
    return FieldError("arch-unknown", f"arch={value} {why}")


def _hex_prefix(value: str) -> int | None:
    """``strtoul(value, NULL, 16)``, None when no hex digit starts it."""
    number = scan(value, 16)
    return number.unsigned()[0] if number.matched else None


def syscall_number(name: str, elf: int) -> int | None:
    """The number of syscall ``name`` (or a number written as such) on ``elf``, None if unknown."""
    table = _syscall_table(elf)
    number = table.number.get(name.lower()) if table else None
    if number is None and name[:1].isdigit():
        number, _ = strtol(name)
    return number


def syscall_name(number: int, elf: int) -> str | None:
    """The name of syscall ``number`` on ``elf``, None when the table has none."""
    table = _syscall_table(elf)
    return table.name.get(number) if table else None


def uring_op_number(name: str) -> int | None:
    number = URING_OPS.number.get(name.lower())
    if number is None and name[:1].isdigit():
        number, _ = strtol(name)
    return number
