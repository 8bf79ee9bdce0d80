"""The interpreter's one edge: names that depend on the machine it runs on.

libauparse asks the local user database for uid/gid names (``getpwuid``,
``getgrgid``), ``/etc/protocols`` for protocol numbers (``getprotobynumber``) and
``uname`` for the host architecture when a record carries a syscall but no arch.
Everything else it prints comes from compiled-in tables.  The interpreter takes
these lookups as a :class:`Lookups` object so that tests inject a fixed
:class:`StaticLookups` and get the same answers on every machine, while
:class:`SystemLookups` asks the real databases once per id and caches the answer
(the C library keeps a 19-slot LRU; a dict that never forgets is faster and, for
a log walk, gives the same names).
"""
from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from c2audit.cnum import c_int, strtoul
from c2audit.machines import MACHINE_BY_NAME


class Lookups(Protocol):
    """What the interpreter may ask of the machine."""

    def user_name(self, uid: int) -> str | None: ...

    def group_name(self, gid: int) -> str | None: ...

    def protocol_name(self, number: int) -> str | None: ...

    @property
    def host_machine(self) -> int: ...


class StaticLookups:
    """Fixed answers: reproducible interpretation whatever machine runs it."""

    def __init__(
        self,
        users: Mapping[int, str] | None = None,
        groups: Mapping[int, str] | None = None,
        protocols: Mapping[int, str] | None = None,
        host_machine: int = MACHINE_BY_NAME["x86_64"],
    ) -> None:
        self._users = dict(users or {})
        self._groups = dict(groups or {})
        self._protocols = dict(protocols or {})
        self._host_machine = host_machine

    def user_name(self, uid: int) -> str | None:
        return self._users.get(uid)

    def group_name(self, gid: int) -> str | None:
        return self._groups.get(gid)

    def protocol_name(self, number: int) -> str | None:
        return self._protocols.get(number)

    @property
    def host_machine(self) -> int:
        return self._host_machine


def read_protocols(text: str) -> dict[int, str]:
    """``/etc/protocols`` as ``getprotobynumber`` reads it: first line per number wins."""
    protocols: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[1].isdigit():
            protocols.setdefault(int(fields[1]), fields[0])
    return protocols


def _cached_name(cache: dict[int, str | None], ident: int, lookup: Callable[[int], str]) -> str | None:
    """``cache[ident]``, filled on a miss from ``lookup`` (None when the database has no such id)."""
    try:
        return cache[ident]
    except KeyError:
        try:
            name: str | None = lookup(ident)
        except (KeyError, OverflowError):
            name = None
        cache[ident] = name
        return name


class SystemLookups:
    """The local databases through NSS, each id looked up once."""

    def __init__(self, protocols_file: Path = Path("/etc/protocols")) -> None:
        self._users: dict[int, str | None] = {}
        self._groups: dict[int, str | None] = {}
        self._protocols_file = protocols_file
        self._protocols: dict[int, str] | None = None
        self._host_machine: int | None = None

    def user_name(self, uid: int) -> str | None:
        return _cached_name(self._users, uid, lambda ident: pwd.getpwuid(ident).pw_name)

    def group_name(self, gid: int) -> str | None:
        return _cached_name(self._groups, gid, lambda ident: grp.getgrgid(ident).gr_name)

    def protocol_name(self, number: int) -> str | None:
        if self._protocols is None:
            try:
                self._protocols = read_protocols(self._protocols_file.read_text(errors="replace"))
            except OSError:
                self._protocols = {}
        return self._protocols.get(number)

    @property
    def host_machine(self) -> int:
        """``audit_detect_machine``: the MACH_* of ``uname -m``, -1 when unknown."""
        if self._host_machine is None:
            self._host_machine = MACHINE_BY_NAME.get(os.uname().machine.lower(), -1)
        return self._host_machine

    def flush(self) -> None:
        """Forget cached names (auditd does this around user and group changes)."""
        self._users.clear()
        self._groups.clear()



def _id_name(value: str, base: int, lookup: Callable[[int], str | None]) -> str:
    number, erange = strtoul(value, base)
    if erange:
        return f"conversion error({value})"
    ident = c_int(number)
    if ident == -1:
        return "unset"
    if ident == 0:
        return "root"  # auparse never looks 0 up
    name = lookup(ident & 0xFFFFFFFF)
    return name if name is not None else f"unknown({ident})"


def print_uid(value: str, lookups: Lookups, base: int = 10) -> str:
    """A uid as auparse prints it: ``unset``, ``root``, the user name or ``unknown(N)``."""
    return _id_name(value, base, lookups.user_name)


def print_gid(value: str, lookups: Lookups, base: int = 10) -> str:
    """A gid as auparse prints it: ``unset``, ``root``, the group name or ``unknown(N)``."""
    return _id_name(value, base, lookups.group_name)
