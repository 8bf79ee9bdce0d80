"""Machines as libaudit knows them: MACH_* numbers, names, AUDIT_ARCH_* values and syscall tables.

libaudit numbers the machines it supports (``MACH_*``; ``machinetab.h`` lists the
``uname -m`` names of each) and maps each to the ``AUDIT_ARCH_*`` value the kernel
writes in a SYSCALL record's ``arch=`` and reads in a rule's ``arch`` field (its
``elftab``: the ELF machine with the 64-bit and little-endian bits).  Syscall
names and numbers come per machine from the generated ``*_table`` modules; the
io_uring operations are one more "machine", ``MACH_IO_URING``, as auparse treats
them.  The rules compiler and the interpreter both read these, so they are built
here once, at import.

Name lookups are case-insensitive like libaudit's generated ``s2i`` tables; when
a number has several names the first in header order is the one printed (their
``i2s``), e.g. MACH_ARM prints as ``armeb``.
"""
from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from c2audit.tables import (
    aarch64_table,
    arm_table,
    i386_table,
    machinetab,
    name_by_number,
    number_by_name,
    ppc_table,
    riscv32_table,
    riscv64_table,
    s390_table,
    s390x_table,
    uapi,
    uringop_table,
    x86_64_table,
)

ARCH_64BIT = uapi.__AUDIT_ARCH_64BIT


class NameTable:
    """A header's (number, name) pairs as case-insensitive name -> number and number -> first name."""

    __slots__ = ("name", "number")

    def __init__(self, entries: Iterable[tuple[int | str, str]]) -> None:
        self.number = number_by_name(entries, str.lower)
        self.name = name_by_number(entries)


_MACHINES = NameTable(machinetab.ENTRIES)
MACHINE_BY_NAME: dict[str, int] = _MACHINES.number
"""Lower-cased ``uname -m`` name -> MACH_* (``audit_name_to_machine``)."""
MACHINE_NAME: dict[int, str] = _MACHINES.name
"""MACH_* -> the name libaudit prints (``audit_machine_to_name``)."""

# libaudit's elftab (lookup_table.c): the machines auditctl can write rules for, in its order.
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
"""AUDIT_ARCH_* -> MACH_* (``audit_elf_to_machine``)."""

SIXTY_FOUR_BIT = frozenset(machine for machine, elf in ELF_OF_MACHINE.items() if elf & ARCH_64BIT)
THIRTY_TWO_BIT = frozenset(ELF_OF_MACHINE) - SIXTY_FOUR_BIT
# the 32-bit machine that b32 means on a 64-bit one (ppc64le has none)
THIRTY_TWO_BIT_OF: dict[int, int] = {
    uapi.MACH_86_64: uapi.MACH_X86,
    uapi.MACH_PPC64: uapi.MACH_PPC,
    uapi.MACH_S390X: uapi.MACH_S390,
    uapi.MACH_AARCH64: uapi.MACH_ARM,
    uapi.MACH_RISCV64: uapi.MACH_RISCV32,  # an extension of ours: auditctl has no b32 on riscv64
}

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
    uapi.MACH_IO_URING: uringop_table,
}
_TABLES = {module: NameTable(module.ENTRIES) for module in set(_TABLE_OF_MACHINE.values())}
SYSCALL_TABLES: dict[int, NameTable] = {
    machine: _TABLES[module] for machine, module in _TABLE_OF_MACHINE.items()
}
"""MACH_* -> its syscall names and numbers (MACH_IO_URING: the io_uring operations)."""
URING_OPS = SYSCALL_TABLES[uapi.MACH_IO_URING]


def syscall_name(machine: int, number: int) -> str | None:
    """``audit_syscall_to_name``: None for an unknown machine or number."""
    table = SYSCALL_TABLES.get(machine)
    return None if table is None else table.name.get(number)


def syscall_number(machine: int, name: str) -> int | None:
    """``audit_name_to_syscall`` without its numeric fallback: None for an unknown machine or name."""
    table = SYSCALL_TABLES.get(machine)
    return None if table is None else table.number.get(name.lower())


def machine_of_bits(machine: int, bits: int) -> int | None:
    """The machine ``b64``/``b32`` (``bits`` 64 or 32) means on ``machine``; None when it has no such level."""
    if bits == 32:
        machine = THIRTY_TWO_BIT_OF.get(machine, machine)
        return machine if machine in THIRTY_TWO_BIT else None
    return machine if machine in SIXTY_FOUR_BIT else None
