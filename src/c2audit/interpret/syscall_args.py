"""Syscall-level fields: ``arch``, ``syscall`` and the arguments ``a0``–``a3``.

auparse names the syscall from the record's own machine and number (both taken
by position from a SYSCALL record, see :mod:`.context`), and interprets an
argument only for the syscalls its ``print_a0``…``print_a3`` know; every other
argument prints as ``0x`` + the raw hex.  The choice of printer depends only on
the syscall name and argument index (plus ``a0``/``a1`` for ``prctl``, ``fcntl``,
``open``, ``mq_open`` and ``[gs]etsockopt``), so it is computed once per name
and cached.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

from c2audit.cnum import c_int, c_uint, strtoul
from c2audit.machines import MACHINE_NAME, MACHINE_OF_ELF, syscall_name
from c2audit.tables import uapi

from . import numeric as n
from .context import RecordContext
from .names import Lookups, print_gid, print_uid

ArgPrinter = Callable[[str, RecordContext, Lookups], str]

_PPC = frozenset((uapi.MACH_PPC, uapi.MACH_PPC64))


def print_arch(value: str, machine: int) -> str:
    """``arch``: the machine auparse found for the record, else the value's ELF arch."""
    if c_uint(machine) > uapi.MACH_AARCH64:
        elf, erange = strtoul(value, 16)
        if erange:
            return f"conversion error({value}) "
        machine = MACHINE_OF_ELF.get(c_uint(elf), -1)
    if machine < 0:
        return f"unknown-elf-type({value})"
    name = MACHINE_NAME.get(machine)
    return name if name is not None else f"unknown-machine-type({machine})"


def _fits_int(value: int) -> bool:
    return value < 0x80000000 or value >= 0xFFFFFFFF80000000


def print_syscall(value: str, context: RecordContext, lookups: Lookups) -> str:
    """``syscall``: named from the record's machine and number (not the field's text)."""
    machine = context.machine if context.machine >= 0 else lookups.host_machine
    if machine < 0:
        return value
    name = syscall_name(machine, context.syscall)
    if name is None:
        return f"unknown-syscall({context.syscall})"
    a0 = context.a0
    sub = None
    if name == "socketcall" and _fits_int(a0):
        sub = n.SOCKETCALLS.get(c_int(a0))
    elif name == "ipc" and _fits_int(a0):
        sub = n.IPC_CALLS.get(c_int(a0))
    return f"{name}({sub})" if sub else name


def print_uring_op(value: str) -> str:
    """``uring_op`` (auparse 4.x; 3.0.9 prints the number): the io_uring operation name."""
    number, erange = strtoul(value, 10)
    op = c_int(number)
    name = None if erange else syscall_name(uapi.MACH_IO_URING, op)
    return name if name is not None else f"unknown-syscall({op})"


def _plain(printer: Callable[[str], str]) -> ArgPrinter:
    return lambda value, context, lookups: printer(value)


def _uid16(value: str, context: RecordContext, lookups: Lookups) -> str:
    return print_uid(value, lookups, 16)


def _gid16(value: str, context: RecordContext, lookups: Lookups) -> str:
    return print_gid(value, lookups, 16)


def _hex(value: str, context: RecordContext, lookups: Lookups) -> str:
    return "0x" + value


_DIRFD = _plain(n.print_dirfd)
_SIGNAL16 = _plain(n.print_signals_hex)
_MODE_SHORT16 = _plain(n.print_mode_short_hex)
_OPEN_FLAGS = _plain(n.print_open_flags)
_CLONE_FLAGS = _plain(n.print_clone_flags)
_RECV = _plain(n.print_recv)
_ACCESS = _plain(n.print_access)


def print_sock_opt_level(value: str, lookups: Lookups) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return n.conversion_error(value)
    level = c_int(number)
    if level == SOL_SOCKET:
        return "SOL_SOCKET"
    protocol = lookups.protocol_name(level) if level >= 0 else None
    if protocol is not None:
        return protocol
    name = n.SOCKOPT_LEVELS.get(level)
    return name if name is not None else f"unknown-sockopt-level(0x{value})"


def print_socket_proto(value: str, lookups: Lookups) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return n.conversion_error(value)
    name = lookups.protocol_name(c_uint(number))
    return name if name is not None else f"unknown-proto({value})"


def print_protocol(value: str, lookups: Lookups) -> str:
    """``proto`` fields (NETFILTER_CFG…): ``getprotobynumber`` or ``undefined protocol``."""
    number, erange = strtoul(value, 10)
    if erange:
        return n.conversion_error(value)
    name = lookups.protocol_name(c_uint(number))
    return name if name is not None else "undefined protocol"


SOL_SOCKET, SOL_PACKET = 1, 263
IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 = 0, 6, 17, 41
PR_SET_PDEATHSIG, PR_CAPBSET_READ, PR_CAPBSET_DROP = 1, 23, 24
F_SETFD, F_SETOWN, FD_CLOEXEC = 2, 8, 1
O_CREAT = 0o100


def _prctl_a1(value: str, context: RecordContext, lookups: Lookups) -> str:
    if context.a0 in (PR_CAPBSET_READ, PR_CAPBSET_DROP):
        return n.print_capabilities_hex(value)
    if context.a0 == PR_SET_PDEATHSIG:
        return n.print_signals_hex(value)
    return "0x" + value


def _fcntl_a2(value: str, context: RecordContext, lookups: Lookups) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return n.conversion_error(value)
    if context.a1 == F_SETOWN:
        return print_uid(value, lookups, 16)
    if context.a1 == F_SETFD and c_int(number) == FD_CLOEXEC:
        return "FD_CLOEXEC"
    return "0x" + value


_SOCKOPT_A2: dict[int, Callable[[str, RecordContext], str]] = {
    IPPROTO_IP: lambda value, context: n.print_ip_opt_name(value),
    SOL_SOCKET: lambda value, context: n.print_sock_opt_name(value, context.machine in _PPC),
    IPPROTO_TCP: lambda value, context: n.print_tcp_opt_name(value),
    IPPROTO_UDP: lambda value, context: n.print_udp_opt_name(value),
    IPPROTO_IPV6: lambda value, context: n.print_ip6_opt_name(value),
    SOL_PACKET: lambda value, context: n.print_pkt_opt_name(value),
}


def _sockopt_a2(value: str, context: RecordContext, lookups: Lookups) -> str:
    printer = _SOCKOPT_A2.get(context.a1)
    return printer(value, context) if printer else "0x" + value


def _mode_if_creat(value: str, context: RecordContext, lookups: Lookups) -> str:
    return n.print_mode_short_hex(value) if context.a1 & O_CREAT else "0x" + value


READS_ARGUMENTS = frozenset((_prctl_a1, _fcntl_a2, _sockopt_a2, _mode_if_creat))
"""The argument printers that also read the record's a0/a1.  Any other prints a function of the
value alone (given the machine, the syscall and the lookups), which a caller may cache by value."""


@cache
def a0_printer(sys: str) -> ArgPrinter:
    """auparse's ``print_a0`` decision for syscall ``sys``."""
    first = sys[:1]
    if first == "r":
        if sys == "rt_sigaction":
            return _SIGNAL16
        if sys.startswith("renameat") or sys == "readlinkat":
            return _DIRFD
    elif first == "c":
        if sys == "clock_settime":
            return _plain(n.print_clock_id)
    elif first == "p":
        printer = {"personality": n.print_personality, "ptrace": n.print_ptrace,
                   "prctl": n.print_prctl_opt}.get(sys)
        if printer:
            return _plain(printer)
    elif first == "m":
        if sys in ("mkdirat", "mknodat"):
            return _DIRFD
    elif first == "f":
        if sys in ("fchownat", "futimesat", "fchmodat", "futimensat") or sys.startswith("faccessat"):
            return _DIRFD
    elif first == "u":
        if sys == "unshare":
            return _CLONE_FLAGS
        if sys in ("unlinkat", "utimensat"):
            return _DIRFD
    elif sys[1:] == "etrlimit":
        return _plain(n.print_rlimit)
    elif first == "s":
        if sys in ("setuid", "setreuid", "setresuid", "setfsuid"):
            return _uid16
        if sys in ("setgid", "setregid", "setresgid", "setfsgid"):
            return _gid16
        if sys == "socket":
            return _plain(n.print_socket_domain)
        if sys == "socketcall":
            return _plain(n.print_socketcall)
    elif sys in ("linkat", "newfstatat", "name_to_handle_at") or sys.startswith("openat"):
        return _DIRFD
    elif sys == "ipccall":  # auparse's spelling; the syscall is "ipc", so this never matches
        return _plain(n.print_ipccall)
    elif sys.startswith("exit"):
        return _plain(n.print_exit_syscall)
    elif sys == "bpf":
        return _plain(n.print_bpf)
    return _hex


@cache
def a1_printer(sys: str) -> ArgPrinter:
    """auparse's ``print_a1`` decision for syscall ``sys``."""
    first = sys[:1]
    if first == "f":
        if sys == "fchmod":
            return _MODE_SHORT16
        if sys.startswith("fcntl"):
            return _plain(n.print_fcntl_cmd)
    elif first == "c":
        if sys == "chmod" or sys == "creat":
            return _MODE_SHORT16
        if "chown" in sys:
            return _uid16
    # auparse starts a new if-chain here, so f/c names that matched nothing fall through
    if sys[1:] == "etsockopt":
        return lambda value, context, lookups: print_sock_opt_level(value, lookups)
    if first == "s":
        if sys in ("setreuid", "setresuid"):
            return _uid16
        if sys in ("setregid", "setresgid"):
            return _gid16
        printer = {"socket": n.print_socket_type, "setns": n.print_clone_flags,
                   "sched_setscheduler": n.print_sched}.get(sys)
        return _plain(printer) if printer else _hex
    if first == "m":
        if sys == "mkdir":
            return _MODE_SHORT16
        if sys == "mknod":
            return _plain(n.print_mode_hex)
        if sys == "mq_open":
            return _OPEN_FLAGS
        return _hex
    plain = {"open": n.print_open_flags, "access": n.print_access, "epoll_ctl": n.print_epoll_ctl,
             "kill": n.print_signals_hex, "tkill": n.print_signals_hex,
             "umount2": n.print_umount, "ioctl": n.print_ioctl_req}.get(sys)
    if plain:
        return _plain(plain)
    if sys == "prctl":
        return _prctl_a1
    return _hex


@cache
def a2_printer(sys: str) -> ArgPrinter:
    """auparse's ``print_a2`` decision for syscall ``sys``."""
    first = sys[:1]
    if sys.startswith("fcntl"):
        return _fcntl_a2
    if sys[1:] == "etsockopt":
        return _sockopt_a2
    if first == "o":
        if sys in ("openat", "open_by_handle_at"):
            return _OPEN_FLAGS
        if sys == "open":
            return _mode_if_creat
    elif first == "f":
        if sys == "fchmodat":
            return _MODE_SHORT16
        if sys.startswith("faccessat"):
            return _ACCESS
    elif first == "s":
        if sys == "setresuid":
            return _uid16
        if sys == "setresgid":
            return _gid16
        if sys == "socket":
            return lambda value, context, lookups: print_socket_proto(value, lookups)
        if sys == "sendmsg":
            return _RECV
        if sys == "shmget":
            return _plain(n.print_shmflags)
    elif first == "m":
        if sys == "mmap":
            return _plain(n.print_mmap_prot)
        if sys in ("mkdirat", "mknodat"):
            return _MODE_SHORT16
        if sys == "mprotect":
            return _plain(n.print_mprotect_prot)
        if sys == "mq_open":
            return _mode_if_creat
    elif first == "r":
        if sys == "recvmsg":
            return _RECV
        if sys == "readlinkat" or sys.startswith("renameat"):
            return _DIRFD
    elif first == "l":
        if sys == "linkat":
            return _DIRFD
        if sys == "lseek":
            return _plain(n.print_seek)
    elif first == "c":
        if sys in ("clone", "clone2"):
            return _CLONE_FLAGS
    elif "chown" in sys:
        return _gid16
    elif sys == "tgkill":
        return _SIGNAL16
    return _hex


@cache
def a3_printer(sys: str) -> ArgPrinter:
    """auparse's ``print_a3`` decision for syscall ``sys``."""
    if sys == "mmap":
        return _plain(n.print_mmap)
    if sys == "mount":
        return _plain(n.print_mount)
    if sys in ("recv", "recvfrom", "recvmmsg", "send", "sendto", "sendmmsg"):
        return _RECV
    return _hex


_ARG_PRINTERS = (a0_printer, a1_printer, a2_printer, a3_printer)


def arg_printer(index: int, machine: int, syscall: int) -> ArgPrinter:
    """The printer of argument ``a<index>`` of ``syscall`` on ``machine`` (plain hex when unknown)."""
    sys = syscall_name(machine, syscall)
    return _hex if sys is None else _ARG_PRINTERS[index](sys)
