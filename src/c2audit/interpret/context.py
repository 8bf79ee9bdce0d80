"""What auparse knows about a record besides the field being interpreted.

auparse fills a few record-level facts while splitting a record (``ellist.c``):
the machine and syscall number (from ``arch``/``syscall`` at the 2nd/3rd field
— or 11th/12th, where SECCOMP records put them), ``a0`` and ``a1`` (6th and 7th
field), all counted from the first field including ``type`` (and shifted by one
when the record starts with ``node``).  Positions, not names, decide: an ``a0``
in an EXECVE record does not set it.  The ENRICHED section after ``\\x1d`` becomes
a name→value map auparse prefers over its own interpretation.  :class:`RecordContext`
carries exactly these facts so the interpreter needs no record class.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from c2audit.cnum import c_int, strtoul, strtoull
from c2audit.machines import MACHINE_OF_ELF

UNSET = -1
CONVERSION_ERROR = -2


@lru_cache(maxsize=256)  # a log has few arch values, and every SYSCALL record asks
def machine_of_arch(value: str) -> int:
    """MACH_* of a hex ``arch=`` value: -1 unknown, -2 when it overflows."""
    elf, erange = strtoul(value, 16)
    if erange:
        return CONVERSION_ERROR
    return MACHINE_OF_ELF.get(elf & 0xFFFFFFFF, UNSET)


@lru_cache(maxsize=1024)  # as few as the syscalls a log shows, and every SYSCALL record asks
def syscall_number(value: str) -> int:
    """The number of a decimal ``syscall=`` value as auparse keeps it: -1 when it overflows."""
    number, erange = strtoul(value, 10)
    return UNSET if erange else c_int(number)


@dataclass(frozen=True, slots=True)
class RecordContext:
    """Record-level facts auparse uses to interpret one field of the record.

    ``machine`` is a MACH_* number (-1 unset), ``syscall`` the syscall number
    (-1 unset), ``a0``/``a1`` the SYSCALL arguments as unsigned 64-bit numbers,
    ``cwd`` the event's CWD (only ``interpret_realpath`` uses it) and
    ``enriched`` the lower-cased names and values of the record's ENRICHED part.
    """

    record_type: int
    machine: int = UNSET
    syscall: int = UNSET
    a0: int = 0
    a1: int = 0
    cwd: str | None = None
    enriched: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_fields(
        cls,
        record_type: int,
        fields: Sequence[tuple[str, str]],
        enriched: str | None = None,
        cwd: str | None = None,
    ) -> RecordContext:
        """Build the context the way auparse's record splitter does.

        ``fields`` are the record's (name, value) pairs as auparse lists them:
        ``node`` and ``type`` included, ``msg=audit(...)`` excluded.
        ``enriched`` is the raw text after the ``\\x1d`` separator, if any.
        """
        machine, syscall = machine_and_syscall(fields)
        offset = 1 if fields and fields[0][0] == "node" else 0
        a0 = a1 = 0
        argument = _at(fields, "a0", 6 + offset)
        if argument is not None:
            a0, _ = strtoull(argument, 16)  # ULONG_MAX when it overflows, as auparse keeps it
        argument = _at(fields, "a1", 7 + offset)
        if argument is not None:
            a1, _ = strtoull(argument, 16)
        return cls(record_type, machine, syscall, a0, a1, cwd, parse_enriched(enriched) if enriched else {})


def machine_and_syscall(fields: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """The record's machine and syscall number, as :meth:`RecordContext.from_fields` finds them."""
    offset = 1 if fields and fields[0][0] == "node" else 0
    arch = _at(fields, "arch", 2 + offset, 11 + offset)
    number = _at(fields, "syscall", 3 + offset, 12 + offset)
    return (UNSET if arch is None else machine_of_arch(arch)), (UNSET if number is None else syscall_number(number))


def _at(fields: Sequence[tuple[str, str]], name: str, *positions: int) -> str | None:
    """The value of the last field at ``positions`` (counted from 1, as auparse counts) called ``name``."""
    found = None
    for position in positions:
        if position <= len(fields) and fields[position - 1][0] == name:
            found = fields[position - 1][1]
    return found


def parse_enriched(text: str) -> dict[str, str]:
    """The ENRICHED part as auparse's ``load_interpretation_list`` reads it.

    Space-separated ``NAME=value`` items, names lower-cased, first occurrence
    wins; a part starting ``SADDR=`` holds one sockaddr whose value (with its
    spaces) runs from ``{`` to the end of the text.
    """
    if text.startswith("SADDR="):
        brace = text.find("{", 6)
        if brace >= 0 and text.find("}", brace) >= 0:
            return {"saddr": text[brace:]}
        return {}
    result: dict[str, str] = {}
    for item in text.split(" "):
        name, sep, value = item.partition("=")
        if sep:
            result.setdefault(name.lower(), value)
    return result
