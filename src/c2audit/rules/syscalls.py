"""Arches and syscall numbers of a rule, as auditctl resolves them.

A rule's ``arch`` is an ``AUDIT_ARCH_*`` value (the ELF machine and its 64-bit
and little-endian bits).  auditctl knows a fixed set of machines (libaudit's
``elftab``, :mod:`c2audit.machines`); ``b64``/``b32`` mean "this machine, 64 or
32 bit", so ``b32`` on x86_64 is i386, on ppc64 ppc, on s390x s390, on aarch64
arm (and, an extension of ours, on riscv64 riscv32).  Syscall names resolve
through the table of the rule's machine; a name that table lacks is an error
naming the arch.  The ``io_uring`` list takes io_uring operations instead of
syscalls.
"""
from __future__ import annotations

from c2audit import machines
from c2audit.cnum import scan, strtol, strtoul
from c2audit.machines import ELF_OF_MACHINE, MACHINE_BY_NAME, MACHINE_NAME, MACHINE_OF_ELF
from c2audit.rules.errors import FieldError
from c2audit.rules.ruledata import MASK_WORDS

MAX_SYSCALL = MASK_WORDS * 32  # numbers at or past this do not fit the mask


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
        machine = machines.machine_of_bits(host_machine, int(lowered[1:]))
        if machine is None:
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
    machine = MACHINE_OF_ELF.get(elf)
    number = None if machine is None else machines.syscall_number(machine, name)
    if number is None and name[:1].isdigit():
        number, _ = strtol(name)
    return number


def syscall_name(number: int, elf: int) -> str | None:
    """The name of syscall ``number`` on ``elf``, None when the table has none."""
    machine = MACHINE_OF_ELF.get(elf)
    return None if machine is None else machines.syscall_name(machine, number)


def uring_op_number(name: str) -> int | None:
    """The number of io_uring operation ``name`` (or a number written as such), None if unknown."""
    number = machines.URING_OPS.number.get(name.lower())
    if number is None and name[:1].isdigit():
        number, _ = strtol(name)
    return number
