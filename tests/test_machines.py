"""c2audit.machines: the one table of machines both the rules compiler and the interpreter use."""
from __future__ import annotations

from c2audit import machines
from c2audit.tables import uapi


def test_machine_names_are_libaudits() -> None:
    assert machines.MACHINE_BY_NAME["i686"] == uapi.MACH_X86
    assert machines.MACHINE_BY_NAME["armv7l"] == uapi.MACH_ARM
    assert machines.MACHINE_NAME[uapi.MACH_ARM] == "armeb"  # the first name listed is the one printed
    assert machines.MACHINE_NAME[uapi.MACH_86_64] == "x86_64"


def test_elftab_maps_both_ways() -> None:
    assert machines.MACHINE_OF_ELF[0xC000003E] == uapi.MACH_86_64  # arch=c000003e in a SYSCALL record
    assert machines.ELF_OF_MACHINE[uapi.MACH_X86] == uapi.AUDIT_ARCH_I386
    assert machines.MACHINE_OF_ELF[uapi.AUDIT_ARCH_PPC64LE] == uapi.MACH_PPC64LE
    assert all(machines.MACHINE_OF_ELF[elf] == m for m, elf in machines.ELF_OF_MACHINE.items())
    assert uapi.MACH_IO_URING not in machines.ELF_OF_MACHINE


def test_bit_levels() -> None:
    assert machines.machine_of_bits(uapi.MACH_86_64, 32) == uapi.MACH_X86
    assert machines.machine_of_bits(uapi.MACH_86_64, 64) == uapi.MACH_86_64
    assert machines.machine_of_bits(uapi.MACH_X86, 64) is None
    assert machines.machine_of_bits(uapi.MACH_X86, 32) == uapi.MACH_X86
    assert machines.machine_of_bits(uapi.MACH_PPC64LE, 32) is None  # libaudit has no 32-bit ppc64le


def test_syscall_tables() -> None:
    assert machines.syscall_name(uapi.MACH_86_64, 257) == "openat"
    assert machines.syscall_number(uapi.MACH_86_64, "OpenAt") == 257
    assert machines.syscall_name(uapi.MACH_X86, 5) == "open"
    assert machines.syscall_name(uapi.MACH_IO_URING, 18) == machines.URING_OPS.name[18]
    assert machines.syscall_name(uapi.MACH_86_64, 99999) is None
    assert machines.syscall_name(-1, 0) is None and machines.syscall_number(-1, "open") is None
