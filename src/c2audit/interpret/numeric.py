"""Numbers to names: the table-driven printers of auparse's ``interpret.c``.

Each printer takes the raw field text and returns what auparse prints, messages
for bad or unknown values included (``conversion error(…)``, ``unknown-…(…)``).
Lookup dicts are built once from the generated tables; bit-flag tables keep
header order because auparse prints flags in that order.  Where auparse reads a
number into an ``int`` the value is truncated to 32 bits the same way.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

from c2audit.tables import errtab, flagtab, ftypetab, uapi
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
    ipoptnametab,
    ipctab,
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

from .cnum import c_int, c_uint, strtol, strtoll, strtoul, strtoull


def names_by_value(entries: Iterable[tuple[int | str, str]]) -> dict[int, str]:
    """i2s lookup: the first name listed for a value wins (gen_tables' rule)."""
    table: dict[int, str] = {}
    for key, name in entries:
        if isinstance(key, int):
            table.setdefault(key, name)
    return table


def _flags(entries: Iterable[tuple[int | str, str]]) -> tuple[tuple[int, str], ...]:
    # C transtabs store the value in an int: wider flags can never match.
    return tuple((c_int(key) & 0xFFFFFFFF, name) for key, name in entries if isinstance(key, int))


CAPABILITIES = names_by_value(captab.ENTRIES)
CAP_LAST_CAP = max(CAPABILITIES)  # linux/capability.h of the headers the tables come from
SIGNALS = names_by_value(signaltab.ENTRIES)
ERRNO_NAMES = names_by_value(errtab.ENTRIES)
FILE_TYPES = names_by_value(ftypetab.ENTRIES)
FILTER_LISTS = names_by_value(flagtab.ENTRIES)
FAMILIES = names_by_value(famtab.ENTRIES)
SOCKETCALLS = names_by_value(socktab.ENTRIES)
IPC_CALLS = names_by_value(ipctab.ENTRIES)
SOCKET_TYPES = names_by_value(socktypetab.ENTRIES)
FCNTL_COMMANDS = names_by_value(fcntl_cmdtab.ENTRIES)
CLOCKS = names_by_value(clocktab.ENTRIES)
PERSONALITIES = names_by_value(persontab.ENTRIES)
PTRACE_REQUESTS = names_by_value(ptracetab.ENTRIES)
PRCTL_OPTIONS = names_by_value(prctl_opt_tab.ENTRIES)
RLIMITS = names_by_value(rlimittab.ENTRIES)
SCHEDULERS = names_by_value(schedtab.ENTRIES)
SOCKOPT_LEVELS = names_by_value(sockleveltab.ENTRIES)
SOCKOPT_NAMES = names_by_value(sockoptnametab.ENTRIES)
IPOPT_NAMES = names_by_value(ipoptnametab.ENTRIES)
IP6OPT_NAMES = names_by_value(ip6optnametab.ENTRIES)
TCPOPT_NAMES = names_by_value(tcpoptnametab.ENTRIES)
PKTOPT_NAMES = names_by_value(pktoptnametab.ENTRIES)
SEEK_WHENCE = names_by_value(seektab.ENTRIES)
IOCTL_REQUESTS = names_by_value(ioctlreqtab.ENTRIES)
BPF_COMMANDS = names_by_value(bpftab.ENTRIES)
NFPROTOS = names_by_value(nfprototab.ENTRIES)
ICMP_TYPES = names_by_value(icmptypetab.ENTRIES)
INET_HOOKS = names_by_value(inethooktab.ENTRIES)
NET_ACTIONS = names_by_value(netactiontab.ENTRIES)
SECCOMP_ACTIONS = names_by_value(seccomptab.ENTRIES)
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


def join_flags(flags: int, table: tuple[tuple[int, str], ...], limit: int | None = None) -> list[str]:
    """Names of the table's bits set in ``flags``, in table order."""
    return [name for bit, name in table[:limit] if bit & flags]


def _flag_printer(value: str, table: tuple[tuple[int, str], ...]) -> str:
    flags, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    names = join_flags(c_uint(flags), table)
    return "|".join(names) if names else f"0x{value}"


def print_perm(value: str) -> str:
    number, erange = strtol(value, 10)
    if erange:
        return conversion_error(value)
    perm = c_int(number) or 0x0F  # the kernel treats no bits as all bits
    names = [name for bit, name in ((uapi.AUDIT_PERM_READ, "read"), (uapi.AUDIT_PERM_WRITE, "write"),
                                    (uapi.AUDIT_PERM_EXEC, "exec"), (uapi.AUDIT_PERM_ATTR, "attr"))
             if perm & bit]
    return ",".join(names)


def _mode_bits(mode: int) -> list[str]:
    return [name for bit, name in ((0o4000, "suid"), (0o2000, "sgid"), (0o1000, "sticky")) if mode & bit]


def print_mode(value: str, base: int) -> str:
    number, erange = strtoul(value, base)
    if erange:
        return conversion_error(value)
    mode = c_uint(number)
    kind = FILE_TYPES.get(mode & S_IFMT) or f"{(mode & S_IFMT) // 0o10000:03o}"
    return ",".join([kind, *_mode_bits(mode), f"{mode & 0o777:03o}"])


def mode_short(mode: int) -> str:
    return ",".join([*_mode_bits(mode), f"0{mode & 0o777:03o}"])


def print_mode_short(value: str, base: int) -> str:
    number, erange = strtoul(value, base)
    return conversion_error(value) if erange else mode_short(c_uint(number))


def print_flags(value: str) -> str:
    """PATH ``flags`` of RHEL4 kernels (lookup flags)."""
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    flags = c_int(number)
    if flags == 0:
        return "none"
    names = join_flags(flags, PATH_FLAGS)
    return ",".join(names) if names else f"0x{value}"


def print_promiscuous(value: str) -> str:
    number, erange = strtol(value, 10)
    if erange:
        return conversion_error(value)
    return "no" if c_int(number) == 0 else "yes"


def print_capabilities(value: str, base: int) -> str:
    number, erange = strtoul(value, base)
    if erange:
        return conversion_error(value)
    name = CAPABILITIES.get(c_int(number))
    if name is not None:
        return name
    return f"unknown-capability({'0x' if base == 16 else ''}{value})"


def print_cap_bitmap(value: str) -> str:
    caps, erange = strtoull(value, 16)
    if erange:
        return conversion_error(value)
    if not caps & ((1 << (CAP_LAST_CAP + 1)) - 1):
        return "none"
    return ",".join(CAPABILITIES.get(bit, "") for bit in range(CAP_LAST_CAP + 1) if caps >> bit & 1)


def print_success(value: str) -> str:
    if not value[:1].isdigit() or not value[:1].isascii():
        return value
    number, erange = strtoul(value, 10)
    if erange:
        return conversion_error(value)
    return {0: "no", 1: "yes"}.get(c_int(number), "unset")


def print_signals(value: str, base: int) -> str:
    number, erange = strtoul(value, base)
    if erange:
        return conversion_error(value)
    signal = c_int(number)
    if signal < 32 and signal in SIGNALS:
        return SIGNALS[signal]
    return f"unknown-signal({'0x' if base == 16 else ''}{value})"


def print_exit(value: str) -> str:
    """A syscall's return value; negative ones are errno names and messages."""
    number, erange = strtoll(value, 10)
    if erange:
        return conversion_error(value)
    if number >= 0:
        return value
    error = c_int(-number)
    name = ERRNO_NAMES.get(error) if error >= 0 else None
    return f"{name if name is not None else '(null)'}({strerror(error)})"


def strerror(error: int) -> str:
    """glibc's message for an errno value (os.strerror is glibc's strerror)."""
    return os.strerror(error)


def print_session(value: str) -> str:
    return "unset" if value == "4294967295" else value


def print_list(value: str) -> str:
    number, erange = strtoul(value, 10)
    if erange:
        return conversion_error(value)
    name = FILTER_LISTS.get(c_int(number))
    return name if name is not None else f"unknown-list({value})"


def _lookup(value: str, base: int, table: dict[int, str], unknown: str) -> str:
    """Parse, look up, or say ``unknown`` (a format taking the raw value)."""
    number, erange = strtoul(value, base)
    if erange:
        return conversion_error(value)
    name = table.get(c_int(number))
    return name if name is not None else unknown.format(value)


def print_nfproto(value: str) -> str:
    return _lookup(value, 10, NFPROTOS, "unknown-netfilter-protocol({})")


def print_icmptype(value: str) -> str:
    return _lookup(value, 10, ICMP_TYPES, "unknown-icmp-type({})")


def print_hook(value: str) -> str:
    return _lookup(value, 16, INET_HOOKS, "unknown-hook({})")


def print_netaction(value: str) -> str:
    return _lookup(value, 16, NET_ACTIONS, "unknown-action({})")


def print_macproto(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    return {0x0800: "IP", 0x0806: "ARP"}.get(c_int(number), "UNKNOWN")


def print_personality(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    personality = c_int(number)
    name = PERSONALITIES.get(personality & PER_MASK)
    if name is None:
        return f"unknown-personality(0x{value})"
    return f"{name}|~ADDR_NO_RANDOMIZE" if personality & ADDR_NO_RANDOMIZE else name


def print_seccomp_code(value: str) -> str:
    code, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    name = SECCOMP_ACTIONS.get(code & SECCOMP_RET_ACTION)
    return name if name is not None else f"unknown-seccomp-code({value})"


def print_open_flags(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    flags = c_uint(number)
    names = (["O_RDONLY"] if flags & O_ACCMODE == 0 else []) + join_flags(flags, OPEN_FLAGS)
    return "|".join(names) if names else f"0x{value}"


def print_mmap(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    flags = c_uint(number)
    names = (["MAP_FILE"] if flags & 0x0F == 0 else []) + join_flags(flags, MMAP_FLAGS)
    return "|".join(names) if names else f"0x{value}"


def print_prot(value: str, is_mmap: bool) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    prot = c_uint(number)
    if prot & 0x07 == 0:
        return "PROT_NONE"
    names = join_flags(prot, PROT_FLAGS, 4 if is_mmap else 3)
    return "|".join(names) if names else f"0x{value}"


def print_clone_flags(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    flags = c_uint(number)
    names = join_flags(flags, CLONE_FLAGS)
    exit_signal = flags & 0xFF
    if exit_signal and exit_signal < 32 and exit_signal in SIGNALS:
        names.append(SIGNALS[exit_signal])
    return "|".join(names) if names else f"0x{flags:x}"


def print_ioctl_req(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    request = c_int(number)
    name = IOCTL_REQUESTS.get(request)
    return name if name is not None else f"0x{request & 0xFFFFFFFF:x}"


def print_fanotify(value: str) -> str:
    if not value[:1].isdigit() or not value[:1].isascii():
        return value
    number, erange = strtoul(value, 10)
    if erange:
        return conversion_error(value)
    return {1: "allow", 2: "deny"}.get(c_uint(number), "unknown")


def print_nlmcgrp(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    return "audit-netlink-multicast" if number == uapi.AUDIT_NLGRP_READLOG else "audit-none"


def print_openat2_resolve(value: str) -> str:
    resolve, erange = strtoull(value, 16)
    if erange:
        return conversion_error(value)
    names = join_flags(resolve, RESOLVE_FLAGS)
    return "|".join(names) if names else f"0x{value}"


def print_mount(value: str) -> str:
    return _flag_printer(value, MOUNT_FLAGS)


def print_umount(value: str) -> str:
    return _flag_printer(value, UMOUNT_FLAGS)


def print_recv(value: str) -> str:
    return _flag_printer(value, RECV_FLAGS)


def print_access(value: str) -> str:
    mode, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    if mode & 0xF == 0:
        return "F_OK"
    names = join_flags(mode, ACCESS_FLAGS, 3)
    return "|".join(names) if names else f"0x{value}"


def print_dirfd(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    return "AT_FDCWD" if c_uint(number) == AT_FDCWD else f"0x{value}"


def print_sched(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    policy = c_uint(number)
    name = SCHEDULERS.get(policy & 0x0F)
    if name is None:
        return f"unknown-scheduler-policy(0x{value})"
    return f"{name}|SCHED_RESET_ON_FORK" if policy & SCHED_RESET_ON_FORK else name


def print_shmflags(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    flags = c_uint(number)
    names = join_flags(flags & 0o3000, IPC_CMD_FLAGS) + join_flags(flags & 0o14000, SHM_MODE_FLAGS)
    return "|".join([*names, mode_short(flags & 0o777)])


def print_seek(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    name = SEEK_WHENCE.get(number & 0xFF)
    return name if name is not None else f"unknown-whence({value})"


def print_socket_domain(value: str) -> str:
    return _lookup(value, 16, FAMILIES, "unknown-family(0x{})")


def print_socket_type(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    name = SOCKET_TYPES.get(number & 0xFF)
    return name if name is not None else f"unknown-type({value})"


def print_socketcall(value: str) -> str:
    number, erange = strtol(value, 16)
    if erange:
        return conversion_error(value)
    name = SOCKETCALLS.get(c_int(number))
    return name if name is not None else f"unknown-socketcall({value})"


def print_ipccall(value: str) -> str:
    number, erange = strtol(value, 16)
    if erange:
        return conversion_error(value)
    name = IPC_CALLS.get(c_int(number))
    return name if name is not None else f"unknown-ipccall({value})"


def print_fcntl_cmd(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    command = c_int(number)
    name = FCNTL_COMMANDS.get(command)
    return name if name is not None else f"unknown-fcntl-command({command})"


def print_epoll_ctl(value: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    operation = c_int(number)
    name = EPOLL_CTL_OPS.get(operation)
    return name if name is not None else f"unknown-epoll_ctl-operation({operation})"


def _small_table(value: str, table: dict[int, str], bound: int, unknown: str) -> str:
    number, erange = strtoul(value, 16)
    if erange:
        return conversion_error(value)
    index = c_int(number)
    name = table.get(index) if index < bound else None
    return name if name is not None else unknown.format(value)


def print_clock_id(value: str) -> str:
    return _small_table(value, CLOCKS, 7, "unknown-clk_id(0x{})")


def print_rlimit(value: str) -> str:
    return _small_table(value, RLIMITS, 17, "unknown-rlimit(0x{})")


def print_ptrace(value: str) -> str:
    return _lookup(value, 16, PTRACE_REQUESTS, "unknown-ptrace(0x{})")


def print_prctl_opt(value: str) -> str:
    return _lookup(value, 16, PRCTL_OPTIONS, "unknown-prctl-option(0x{})")


def print_bpf(value: str) -> str:
    return _lookup(value, 16, BPF_COMMANDS, "unknown-bpf-cmd({})")


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


def print_ip_opt_name(value: str) -> str:
    return _lookup(value, 16, IPOPT_NAMES, "unknown-ipopt-name(0x{})")


def print_ip6_opt_name(value: str) -> str:
    return _lookup(value, 16, IP6OPT_NAMES, "unknown-ip6opt-name(0x{})")


def print_tcp_opt_name(value: str) -> str:
    return _lookup(value, 16, TCPOPT_NAMES, "unknown-tcpopt-name(0x{})")


def print_udp_opt_name(value: str) -> str:
    return _lookup(value, 16, {1: "UDP_CORK", 100: "UDP_ENCAP"}, "unknown-udpopt-name(0x{})")


def print_pkt_opt_name(value: str) -> str:
    return _lookup(value, 16, PKTOPT_NAMES, "unknown-pktopt-name(0x{})")
