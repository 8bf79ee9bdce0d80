"""``saddr``: a hex-encoded ``struct sockaddr`` as auparse's ``print_sockaddr`` shows it.

The family is the native-endian (little, as on the machines auparse's tables
target) ``sa_family`` of the first two bytes; addresses and ports are read at
the offsets of the Linux structures.  IPX is not decoded: Debian's 3.0.9 is
built without ``linux/ipx.h`` (gone from the kernel headers), so it prints
``(unsupported)`` like every other family without a case.
"""
from __future__ import annotations

import socket
import struct

from .encoded import unescape
from .numeric import FAMILIES

AF_LOCAL, AF_INET, AF_AX25, AF_ATMPVC, AF_X25, AF_INET6, AF_NETLINK = 1, 2, 3, 8, 9, 10, 16
SOCKADDR_IN_LEN, SOCKADDR_IN6_LEN, SOCKADDR_NL_LEN = 16, 28, 12


def _c_chars(data: bytes) -> str:
    """Bytes printed with %s/%c: the text ends at the first NUL."""
    end = data.find(b"\0")
    return (data if end < 0 else data[:end]).decode("utf-8", "surrogateescape")


def _inet6(data: bytes) -> str:
    port, address = struct.unpack_from("!H4x16s", data, 2)
    scope = struct.unpack_from("<I", data, 24)[0]  # sin6_scope_id is host-endian
    host, service = socket.getnameinfo(
        (socket.inet_ntop(socket.AF_INET6, address), port, 0, scope),
        socket.NI_NUMERICHOST | socket.NI_NUMERICSERV,
    )
    return f"laddr={host} lport={service}"


def print_sockaddr(value: str) -> str:
    buffer = unescape(value)
    if buffer is None:
        return f"malformed-host({value})"
    length = len(value) // 2
    # auparse's buffer is as long as the text; bytes past the data read as zero.
    data = buffer.ljust(max(length, SOCKADDR_IN6_LEN) + 2, b"\0")
    family = struct.unpack_from("<H", data)[0]
    name = FAMILIES.get(family)
    if name is None:
        return f"unknown-family({family})"
    text = "{ saddr_fam=" + name + " " + _family_details(family, data, length) + " }"
    return text.split("\0", 1)[0]


def _family_details(family: int, data: bytes, length: int) -> str:
    if family == AF_LOCAL:
        if length < 4:
            return "sockaddr len too short"
        path = data[2:110]
        return "path=" + _c_chars(path if path[:1] != b"\0" else data[3:111])
    if family == AF_INET:
        if length < SOCKADDR_IN_LEN:
            return "sockaddr len too short"
        port = struct.unpack_from("!H", data, 2)[0]
        return f"laddr={socket.inet_ntop(socket.AF_INET, data[4:8])} lport={port}"
    if family == AF_AX25:
        # printed with %c: a NUL ends the whole C string there, closing brace included
        call = data[2:9]
        return "call=" + call.decode("utf-8", "surrogateescape")
    if family == AF_ATMPVC:
        # struct atm_pvc is 4-byte aligned inside sockaddr_atmpvc: itf sits at offset 4
        return f"int={struct.unpack_from('<h', data, 4)[0]}"
    if family == AF_X25:
        return "laddr=" + _c_chars(data[2:17])
    if family == AF_INET6:
        if length < SOCKADDR_IN6_LEN:
            return "sockaddr6 len too short"
        try:
            return _inet6(data)
        except OSError:
            return "(error resolving addr)"
    if family == AF_NETLINK:
        if length < SOCKADDR_NL_LEN:
            return "len too short"
        nl_family, nl_pid = struct.unpack_from("<H2xI", data)
        return f"nlnk-fam={nl_family} nlnk-pid={nl_pid}"
    return "(unsupported)"
