"""Numbers to names: the table-driven printers of auparse's ``interpret.c``.

Each printer takes the raw field text and returns what auparse prints, messages
for bad or unknown values included (``conversion error(…)``, ``unknown-…(…)``).
Lookup dicts are built once from the generated tables; bit-flag tables keep
header order because auparse prints flags in that order.  Where auparse reads a
number into an ``int`` the value is truncated to 32 bits the same way.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from c2audit.cnum import c_int, c_uint, strtol, strtoll, strtoul, strtoull
from c2audit.tables import errtab, flagtab, ftypetab, name_by_number, uapi
from c2audit.tables.auparse import (
    accesstab,
    bpftab,
    captab,
    clocktab,
    clone_flagtab,
    famtab,
    fcntl_cmdtab,
    icmptypetab,
    inethooktab,
    ioctlreqtab,
    ip6optnametab,
    ipccmdtab,
    ipctab,
    ipoptnametab,
    mmaptab,
    mounttab,
    netactiontab,
    nfprototab,
    open_flagtab,
    openat2_resolvetab,
    persontab,
    pktoptnametab,
    prctl_opt_tab,
    prottab,
    ptracetab,
    recvtab,
    rlimittab,
    schedtab,
    seccomptab,
    seektab,
    shm_modetab,
    signaltab,
    sockleveltab,
    sockoptnametab,
    socktab,
    socktypetab,
    tcpoptnametab,
    umounttab,
)


def _flags(entries: Iterable[tuple[int | str, str]]) -> tuple[tuple[int, str], ...]:
    # C transtabs store the value in an int: wider flags can never match.
    return tuple((c_uint(key), name) for key, name in entries if isinstance(key, int))


CAPABILITIES = name_by_number(captab.ENTRIES)
CAP_LAST_CAP = max(CAPABILITIES)  # linux/capability.h of the headers the tables come from
SIGNALS = name_by_number(signaltab.ENTRIES)
ERRNO_NAMES = name_by_number(errtab.ENTRIES)
FILE_TYPES = name_by_number(ftypetab.ENTRIES)
FILTER_LISTS = name_by_number(flagtab.ENTRIES)
FAMILIES = name_by_number(famtab.ENTRIES)
SOCKETCALLS = name_by_number(socktab.ENTRIES)
IPC_CALLS = name_by_number(ipctab.ENTRIES)
SOCKET_TYPES = name_by_number(socktypetab.ENTRIES)
FCNTL_COMMANDS = name_by_number(fcntl_cmdtab.ENTRIES)
CLOCKS = name_by_number(clocktab.ENTRIES)
PERSONALITIES = name_by_number(persontab.ENTRIES)
PTRACE_REQUESTS = name_by_number(ptracetab.ENTRIES)
PRCTL_OPTIONS = name_by_number(prctl_opt_tab.ENTRIES)
RLIMITS = name_by_number(rlimittab.ENTRIES)
SCHEDULERS = name_by_number(schedtab.ENTRIES)
SOCKOPT_LEVELS = name_by_number(sockleveltab.ENTRIES)
SOCKOPT_NAMES = name_by_number(sockoptnametab.ENTRIES)
IPOPT_NAMES = name_by_number(ipoptnametab.ENTRIES)
IP6OPT_NAMES = name_by_number(ip6optnametab.ENTRIES)
TCPOPT_NAMES = name_by_number(tcpoptnametab.ENTRIES)
PKTOPT_NAMES = name_by_number(pktoptnametab.ENTRIES)
SEEK_WHENCE = name_by_number(seektab.ENTRIES)
IOCTL_REQUESTS = name_by_number(ioctlreqtab.ENTRIES)
BPF_COMMANDS = name_by_number(bpftab.ENTRIES)
NFPROTOS = name_by_number(nfprototab.ENTRIES)
ICMP_TYPES = name_by_number(icmptypetab.ENTRIES)
INET_HOOKS = name_by_number(inethooktab.ENTRIES)
NET_ACTIONS = name_by_number(netactiontab.ENTRIES)
SECCOMP_ACTIONS = name_by_number(seccomptab.ENTRIES)
# epoll_ctl.h is not in the corpus (a 3-entry table in auparse 3.0.9; linux/eventpoll.h).
EPOLL_CTL_OPS = {1: "EPOLL_CTL_ADD", 2: "EPOLL_CTL_DEL", 3: "EPOLL_CTL_MOD"}
# auparse/flagtab.h (PATH record flags of RHEL4 kernels) is not in the corpus either.
PATH_FLAGS = (
    (0x0001, "follow"), (0x0002, "directory"), (0x0004, "continue"), (0x0010, "parent"),
    (0x0020, "noalt"), (0x0040, "atomic"), (0x0100, "open"), (0x0200, "create"), (0x0400, "access"),
)

OPEN_FLAGS = _flags(open_flagtab.ENTRIES)
CLONE_FLAGS = _flags(clone_flagtab.ENTRIES)
PROT_FLAGS = _flags(prottab.ENTRIES)
MMAP_FLAGS = _flags(mmaptab.ENTRIES)
MOUNT_FLAGS = _flags(mounttab.ENTRIES)
UMOUNT_FLAGS = _flags(umounttab.ENTRIES)
RECV_FLAGS = _flags(recvtab.ENTRIES)
ACCESS_FLAGS = _flags(accesstab.ENTRIES)
IPC_CMD_FLAGS = _flags(ipccmdtab.ENTRIES)
SHM_MODE_FLAGS = _flags(shm_modetab.ENTRIES)
RESOLVE_FLAGS = _flags(openat2_resolvetab.ENTRIES)

S_IFMT = 0o170000
PER_MASK = 0x00FF
ADDR_NO_RANDOMIZE = 0x0040000
SCHED_RESET_ON_FORK = 0x40000000
SECCOMP_RET_ACTION = 0x7FFF0000
O_ACCMODE = 0o3
AT_FDCWD = 0xFFFFFF9C


def conversion_error(value: str) -> str:
    return f"conversion error({value})"


def parsed(base: int, parse: Callable[[str, int], tuple[int, bool]] = strtoul) -> Callable[
        [Callable[[str, int], str]], Callable[[str], str]]:
    """Decorate ``printer(value, number)`` to take the raw text: auparse parses it with
    ``parse`` (``strtoul`` unless told) in ``base`` and prints ``conversion error(…)``
    when the number overflows."""
    def decorate(printer: Callable[[str, int], str]) -> Callable[[str], str]:
        def interpret(value: str) -> str:
            number, erange = parse(value, base)
            return conversion_error(value) if erange else printer(value, number)
        interpret.__name__ = printer.__name__
        interpret.__doc__ = printer.__doc__
        return interpret
    return decorate


def join_flags(flags: int, table: tuple[tuple[int, str], ...], limit: int | None = None) -> list[str]:
    """Names of the table's bits set in ``flags``, in table order."""
    return [name for bit, name in table[:limit] if bit & flags]


def _flags_or_hex(value: str, names: list[str]) -> str:
    return "|".join(names) if names else f"0x{value}"


def _named(table: dict[int, str], unknown: str, base: int = 16, bound: int | None = None,
           parse: Callable[[str, int], tuple[int, bool]] = strtoul) -> Callable[[str], str]:
    """A printer looking the C ``int`` value up in ``table`` (below ``bound`` if given),
    else ``unknown`` formatted with the raw text (``{}``) or that ``int`` (``{number}``)."""
    @parsed(base, parse)
    def lookup(value: str, number: int) -> str:
        index = c_int(number)
        name = table.get(index) if bound is None or index < bound else None
        return name if name is not None else unknown.format(value, number=index)
    return lookup


@parsed(10, strtol)
def print_perm(value: str, number: int) -> str:
    perm = c_int(number) or 0x0F  # the kernel treats no bits as all bits
    return ",".join(name for bit, name in ((uapi.AUDIT_PERM_READ, "read"), (uapi.AUDIT_PERM_WRITE, "write"),
                                           (uapi.AUDIT_PERM_EXEC, "exec"), (uapi.AUDIT_PERM_ATTR, "attr"))
                    if perm & bit)


def _mode_bits(mode: int) -> list[str]:
    return [name for bit, name in ((0o4000, "suid"), (0o2000, "sgid"), (0o1000, "sticky")) if mode & bit]


def _mode(value: str, number: int) -> str:
    mode = c_uint(number)
    kind = FILE_TYPES.get(mode & S_IFMT) or f"{(mode & S_IFMT) // 0o10000:03o}"
    return ",".join([kind, *_mode_bits(mode), f"{mode & 0o777:03o}"])


def mode_short(mode: int) -> str:
    return ",".join([*_mode_bits(mode), f"0{mode & 0o777:03o}"])


def _mode_short(value: str, number: int) -> str:
    return mode_short(c_uint(number))


print_mode_octal = parsed(8)(_mode)
print_mode_hex = parsed(16)(_mode)
print_mode_short_octal = parsed(8)(_mode_short)
print_mode_short_hex = parsed(16)(_mode_short)


@parsed(16)
def print_flags(value: str, number: int) -> str:
    """PATH ``flags`` of RHEL4 kernels (lookup flags)."""
    flags = c_int(number)
    if flags == 0:
        return "none"
    names = join_flags(flags, PATH_FLAGS)
    return ",".join(names) if names else f"0x{value}"


@parsed(10, strtol)
def print_promiscuous(value: str, number: int) -> str:
    return "no" if c_int(number) == 0 else "yes"


print_capabilities = _named(CAPABILITIES, "unknown-capability({})", base=10)
print_capabilities_hex = _named(CAPABILITIES, "unknown-capability(0x{})")


@parsed(16, strtoull)
def print_cap_bitmap(value: str, caps: int) -> str:
    if not caps & ((1 << (CAP_LAST_CAP + 1)) - 1):
        return "none"
    return ",".join(CAPABILITIES.get(bit, "") for bit in range(CAP_LAST_CAP + 1) if caps >> bit & 1)


def _leading_digit(printer: Callable[[str], str]) -> Callable[[str], str]:
    """auparse parses these only when the text starts with a digit; else it is shown as is."""
    def interpret(value: str) -> str:
        return printer(value) if value[:1].isdigit() and value[:1].isascii() else value
    return interpret


print_success = _leading_digit(parsed(10)(lambda value, number: {0: "no", 1: "yes"}.get(c_int(number), "unset")))
print_fanotify = _leading_digit(parsed(10)(lambda value, number: {1: "allow", 2: "deny"}.get(c_uint(number),
                                                                                            "unknown")))
print_signals = _named(SIGNALS, "unknown-signal({})", base=10, bound=32)
print_signals_hex = _named(SIGNALS, "unknown-signal(0x{})", bound=32)


@parsed(10, strtoll)
def print_exit(value: str, number: int) -> str:
    """A syscall's return value; negative ones are errno names and glibc messages."""
    if number >= 0:
        return value
    error = c_int(-number)
    name = ERRNO_NAMES.get(error) if error >= 0 else None
    return f"{name if name is not None else '(null)'}({os.strerror(error)})"


def print_session(value: str) -> str:
    return "unset" if value == "4294967295" else value


print_list = _named(FILTER_LISTS, "unknown-list({})", base=10)
print_nfproto = _named(NFPROTOS, "unknown-netfilter-protocol({})", base=10)
print_icmptype = _named(ICMP_TYPES, "unknown-icmp-type({})", base=10)
print_hook = _named(INET_HOOKS, "unknown-hook({})")
print_netaction = _named(NET_ACTIONS, "unknown-action({})")
print_macproto = parsed(16)(lambda value, number: {0x0800: "IP", 0x0806: "ARP"}.get(c_int(number), "UNKNOWN"))
print_socket_domain = _named(FAMILIES, "unknown-family(0x{})")
print_socketcall = _named(SOCKETCALLS, "unknown-socketcall({})", parse=strtol)
print_ipccall = _named(IPC_CALLS, "unknown-ipccall({})", parse=strtol)
print_clock_id = _named(CLOCKS, "unknown-clk_id(0x{})", bound=7)
print_rlimit = _named(RLIMITS, "unknown-rlimit(0x{})", bound=17)
print_ptrace = _named(PTRACE_REQUESTS, "unknown-ptrace(0x{})")
print_prctl_opt = _named(PRCTL_OPTIONS, "unknown-prctl-option(0x{})")
print_bpf = _named(BPF_COMMANDS, "unknown-bpf-cmd({})")
print_ip_opt_name = _named(IPOPT_NAMES, "unknown-ipopt-name(0x{})")
print_ip6_opt_name = _named(IP6OPT_NAMES, "unknown-ip6opt-name(0x{})")
print_tcp_opt_name = _named(TCPOPT_NAMES, "unknown-tcpopt-name(0x{})")
print_udp_opt_name = _named({1: "UDP_CORK", 100: "UDP_ENCAP"}, "unknown-udpopt-name(0x{})")
print_pkt_opt_name = _named(PKTOPT_NAMES, "unknown-pktopt-name(0x{})")


@parsed(16)
def print_personality(value: str, number: int) -> str:
    personality = c_int(number)
    name = PERSONALITIES.get(personality & PER_MASK)
    if name is None:
        return f"unknown-personality(0x{value})"
    return f"{name}|~ADDR_NO_RANDOMIZE" if personality & ADDR_NO_RANDOMIZE else name


@parsed(16)
def print_seccomp_code(value: str, code: int) -> str:
    name = SECCOMP_ACTIONS.get(code & SECCOMP_RET_ACTION)
    return name if name is not None else f"unknown-seccomp-code({value})"


@parsed(16)
def print_open_flags(value: str, number: int) -> str:
    flags = c_uint(number)
    return _flags_or_hex(value, (["O_RDONLY"] if flags & O_ACCMODE == 0 else []) + join_flags(flags, OPEN_FLAGS))


@parsed(16)
def print_mmap(value: str, number: int) -> str:
    flags = c_uint(number)
    return _flags_or_hex(value, (["MAP_FILE"] if flags & 0x0F == 0 else []) + join_flags(flags, MMAP_FLAGS))


def _prot(limit: int) -> Callable[[str], str]:
    @parsed(16)
    def print_prot(value: str, number: int) -> str:
        prot = c_uint(number)
        return "PROT_NONE" if prot & 0x07 == 0 else _flags_or_hex(value, join_flags(prot, PROT_FLAGS, limit))
    return print_prot


print_mmap_prot = _prot(4)  # mmap also names PROT_SEM
print_mprotect_prot = _prot(3)


@parsed(16)
def print_clone_flags(value: str, number: int) -> str:
    flags = c_uint(number)
    names = join_flags(flags, CLONE_FLAGS)
    exit_signal = flags & 0xFF
    if exit_signal and exit_signal < 32 and exit_signal in SIGNALS:
        names.append(SIGNALS[exit_signal])
    return "|".join(names) if names else f"0x{flags:x}"


@parsed(16)
def print_ioctl_req(value: str, number: int) -> str:
    request = c_int(number)
    name = IOCTL_REQUESTS.get(request)
    return name if name is not None else f"0x{request & 0xFFFFFFFF:x}"


@parsed(16)
def print_nlmcgrp(value: str, number: int) -> str:
    return "audit-netlink-multicast" if number == uapi.AUDIT_NLGRP_READLOG else "audit-none"


def _flag_table(table: tuple[tuple[int, str], ...], parse: Callable[[str, int], tuple[int, bool]] = strtoul
                ) -> Callable[[str], str]:
    return parsed(16, parse)(lambda value, number: _flags_or_hex(value, join_flags(c_uint(number), table)))


print_openat2_resolve = parsed(16, strtoull)(lambda value, number: _flags_or_hex(value, join_flags(number,
                                                                                                  RESOLVE_FLAGS)))
print_mount = _flag_table(MOUNT_FLAGS)
print_umount = _flag_table(UMOUNT_FLAGS)
print_recv = _flag_table(RECV_FLAGS)


@parsed(16)
def print_access(value: str, mode: int) -> str:
    return "F_OK" if mode & 0xF == 0 else _flags_or_hex(value, join_flags(mode, ACCESS_FLAGS, 3))


@parsed(16)
def print_dirfd(value: str, number: int) -> str:
    return "AT_FDCWD" if c_uint(number) == AT_FDCWD else f"0x{value}"


@parsed(16)
def print_sched(value: str, number: int) -> str:
    policy = c_uint(number)
    name = SCHEDULERS.get(policy & 0x0F)
    if name is None:
        return f"unknown-scheduler-policy(0x{value})"
    return f"{name}|SCHED_RESET_ON_FORK" if policy & SCHED_RESET_ON_FORK else name


@parsed(16)
def print_shmflags(value: str, number: int) -> str:
    flags = c_uint(number)
    names = join_flags(flags & 0o3000, IPC_CMD_FLAGS) + join_flags(flags & 0o14000, SHM_MODE_FLAGS)
    return "|".join([*names, mode_short(flags & 0o777)])


def _low_byte(table: dict[int, str], unknown: str) -> Callable[[str], str]:
    """Tables auparse indexes with ``0xFF & value``."""
    return parsed(16)(lambda value, number: table.get(number & 0xFF) or unknown.format(value))


print_seek = _low_byte(SEEK_WHENCE, "unknown-whence({})")
print_socket_type = _low_byte(SOCKET_TYPES, "unknown-type({})")


print_fcntl_cmd = _named(FCNTL_COMMANDS, "unknown-fcntl-command({number})")
print_epoll_ctl = _named(EPOLL_CTL_OPS, "unknown-epoll_ctl-operation({number})")


def print_exit_syscall(value: str) -> str:
    """``exit``/``exit_group`` a0 (auparse compares the hex text)."""
    return {"0": "EXIT_SUCCESS", "1": "EXIT_FAILURE"}.get(value, "UNKNOWN")


def print_sock_opt_name(value: str, machine_is_ppc: bool) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    option = c_int(number)
    if machine_is_ppc and 16 <= option <= 21:
        option += 100  # PPC numbers these socket options differently
    name = SOCKOPT_NAMES.get(option)
    return name if name is not None else f"unknown-sockopt-name(0x{value})"
