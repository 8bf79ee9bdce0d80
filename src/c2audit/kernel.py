"""The socket edge: the one module that talks to the kernel audit subsystem.

``AuditSocket`` wraps one ``AF_NETLINK``/``NETLINK_AUDIT`` socket.  It only
ever hands out datagrams whose sender port id is 0 (the kernel), counts the
others in ``rejected``, and turns ``ENOBUFS`` (the kernel dropped datagrams
because our receive queue was full) into a count in ``overruns``: loss is a
value, the reader carries on.  The transport under it is injectable, so tests
run the same code against a fake kernel (``tests/fakekernel.py``).

``AuditClient`` sends requests and waits for their replies on a socket of its
own.  Two facts about the kernel decide how it must be used:

* A process that *sends* on an audit socket while the backlog is over its
  limit in blocking mode (``backlog_wait_time`` > 0) sleeps in the kernel,
  uninterruptibly, with the producers it is blocking.  So requests never come
  from the thread that drains records (``claim_drain_thread`` makes that an
  error), and a daemon polls status sparingly.
* Records are unicast to the socket that registered the audit pid, so the
  daemon registers on its *reader* socket (``AuditClient(reader).register()``
  before draining); any record that arrives while a request waits for its ACK
  is kept and handed out by the next receive.

``AuditSocket(groups=AUDIT_NLGRP_READLOG)`` is the read-only multicast mode
(needs CAP_AUDIT_READ): it sees the records without registering, beside
another daemon, best effort (the kernel drops multicast copies it cannot queue).

While tests run, ``C2AUDIT_FORBID_IRREVERSIBLE=1`` makes every real socket
refuse requests that only a reboot undoes (``enabled=2``, ``failure=2``, feature
locks, loginuid-immutable): those paths are tested on the fake kernel only.
"""
from __future__ import annotations

import ctypes
import errno
import itertools
import os
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol, Self

from c2audit import netlink
from c2audit.netlink import AuditFeatures, AuditStatus, SignalInfo, Transaction
from c2audit.tables import uapi

NETLINK_AUDIT = 9
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
DEFAULT_RCVBUF = 256 * 1024 * 1024  # the 212,992-byte default loses records at -b 8192 (issue 2)
RECV_BUFFER_SIZE = 1 << 16  # larger than any audit record (8,970) or rule reply
RECV_BATCH = 64  # datagrams one recv_records call takes at most (one recvmmsg on a real socket)
NLMSG_TYPE_OFFSET = 4  # nlmsg_type follows the u32 nlmsg_len
REQUEST_TIMEOUT = 4.0  # seconds; auditctl waits 40 x 0.1 s
GUARD_ENV = "C2AUDIT_FORBID_IRREVERSIBLE"

# The sockets each thread drains, kept in the thread's own storage: it dies with the thread.  (A set
# of thread idents went stale when a drainer ended without closing its socket, and a new thread given
# the same ident -- idents are reused -- was then refused every request.)
_draining = threading.local()


def _drained_here() -> set[int]:
    """ids of the AuditSockets the calling thread drains."""
    if not hasattr(_draining, "sockets"):
        _draining.sockets = set()
    return _draining.sockets


class Transport(Protocol):
    """What AuditSocket needs of a socket: a real netlink socket or a test's fake."""

    def send(self, data: bytes, /) -> int: ...
    def recvfrom_into(self, buffer: Any, nbytes: int = 0, /) -> tuple[int, Any]: ...
    def setblocking(self, flag: bool, /) -> None: ...
    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...
    def getsockopt(self, level: int, option: int, /) -> int: ...
    def fileno(self) -> int: ...
    def close(self) -> None: ...


class KernelError(OSError):
    """The kernel refused a request: ``errno`` and the request's name."""

    def __init__(self, code: int, request: int) -> None:
        self.request = netlink.REQUEST_NAMES.get(request, str(request))
        super().__init__(code, os.strerror(code))

    def __str__(self) -> str:
        return f"{self.request}: [Errno {self.errno}] {self.strerror}"


class KernelTimeout(TimeoutError):
    """No complete reply to a request within the timeout."""


class IrreversibleRefused(PermissionError):
    """A request only a reboot undoes, refused on a real kernel while C2AUDIT_FORBID_IRREVERSIBLE=1."""


def open_netlink(*, groups: int = 0, rcvbuf: int | None = None) -> socket.socket:
    """A bound NETLINK_AUDIT socket; ``groups`` is a multicast group number (AUDIT_NLGRP_READLOG)."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
    try:
        sock.bind((0, 0))
        if groups:
            sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups)
        if rcvbuf:
            set_receive_buffer(sock, rcvbuf)
    except BaseException:
        sock.close()
        raise
    return sock


def set_receive_buffer(sock: Transport, size: int) -> int:
    """Ask for ``size`` bytes of receive queue past rmem_max (needs CAP_NET_ADMIN, else capped); the size got."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class Received(NamedTuple):
    """The log records of one receive, in arrival order: their types and payloads (after the header)."""

    types: list[int]
    payloads: list[bytes]


class _SockaddrNl(ctypes.Structure):
    _fields_ = [("nl_family", ctypes.c_ushort), ("nl_pad", ctypes.c_ushort),
                ("nl_pid", ctypes.c_uint32), ("nl_groups", ctypes.c_uint32)]


class _Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.c_void_p), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t), ("msg_flags", ctypes.c_int)]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _Msghdr), ("msg_len", ctypes.c_uint)]


_libc = ctypes.CDLL(None, use_errno=True)
_recvmmsg = _libc.recvmmsg
_recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
_recvmmsg.restype = ctypes.c_int


class _Recvmmsg:
    """recvmmsg(2) through ctypes: up to ``count`` datagrams per system call, each into a slot of its own.

    The reader's cost is per datagram: one ``recvfrom_into`` each spends about
    as much in the syscall's entry and exit and in Python as in the copy.  The
    lengths, sender port ids and message types are read out of the C arrays by
    memoryview casts (one C-level copy per call), so the only per-datagram
    Python work left is slicing its payload out.
    """

    def __init__(self, fd: int, count: int = RECV_BATCH, slot: int = RECV_BUFFER_SIZE) -> None:
        self._fd, self._count = fd, count
        self._data = bytearray(count * slot)
        self._c_data = (ctypes.c_char * len(self._data)).from_buffer(self._data)
        self._names = (_SockaddrNl * count)()
        self._iovecs = (_Iovec * count)()
        self._headers = (_Mmsghdr * count)()
        for i in range(count):
            self._iovecs[i].iov_base = ctypes.addressof(self._c_data) + i * slot
            self._iovecs[i].iov_len = slot
            header = self._headers[i].msg_hdr
            header.msg_name = ctypes.addressof(self._names[i])
            header.msg_namelen = ctypes.sizeof(_SockaddrNl)  # the kernel writes back the same 12
            header.msg_iov = ctypes.addressof(self._iovecs[i])
            header.msg_iovlen = 1
        self._address = ctypes.addressof(self._headers)
        u32 = ctypes.sizeof(ctypes.c_uint32)
        self._lengths = memoryview(self._headers).cast("B").cast("I")[
            _Mmsghdr.msg_len.offset // u32::ctypes.sizeof(_Mmsghdr) // u32]
        self._ports = memoryview(self._names).cast("B").cast("I")[
            _SockaddrNl.nl_pid.offset // u32::ctypes.sizeof(_SockaddrNl) // u32]
        self.view = memoryview(self._data)
        self._types = self.view.cast("H")[NLMSG_TYPE_OFFSET // 2::slot // 2]  # host order, like the kernel
        self.starts = list(range(0, count * slot, slot))

    def receive(self) -> tuple[list[int], list[int], list[int]] | None:
        """(lengths, sender ports, types) of the datagrams now in the slots; None when none was queued."""
        count = _recvmmsg(self._fd, self._address, self._count, socket.MSG_DONTWAIT, None)
        if count <= 0:
            code = ctypes.get_errno()
            if count == 0 or code == errno.EAGAIN:
                return None
            raise OSError(code, os.strerror(code))
        return self._lengths[:count].tolist(), self._ports[:count].tolist(), self._types[:count].tolist()


class AuditSocket:
    """One audit netlink socket that only yields datagrams from the kernel.

    ``rcvbuf`` sizes the receive queue (a reader wants DEFAULT_RCVBUF; a
    control socket needs none).  ``recv_records`` is the reader's loop body:
    one syscall per RECV_BATCH datagrams while data flows, a poll only when
    idle; ``recv_into``/``recv`` take one datagram (the control path).
    """

    def __init__(self, transport: Transport | None = None, *, groups: int = 0, rcvbuf: int | None = None,
                 guard: bool | None = None) -> None:
        real = transport is None
        self._transport: Transport = open_netlink(groups=groups, rcvbuf=rcvbuf) if transport is None else transport
        self._transport.setblocking(False)
        self.guard = (os.environ.get(GUARD_ENV) == "1" and real) if guard is None else guard
        self.overruns = 0  # ENOBUFS: the kernel dropped datagrams for us (count of events, not records)
        self.rejected = 0  # datagrams whose sender port id was not 0
        self.control_messages = 0  # replies and AUDIT_REPLACE among what recv_records received
        self.malformed = 0  # datagrams shorter than a netlink header
        self.bytes_received = 0  # by recv_records, headers included
        self.kernel_port = 0  # the only sender port accepted: the kernel's (a test's peer in unit tests)
        self.pending: deque[bytes] = deque()  # kernel datagrams a request read past; served first
        self._batched = (isinstance(self._transport, socket.socket)
                         and self._transport.family == socket.AF_NETLINK)  # recvmmsg works on it
        self._mmsg: _Recvmmsg | None = None  # made on the first recv_records: control sockets need no slots
        self._poller = select.poll()
        self._poller.register(self._transport.fileno(), select.POLLIN)

    def fileno(self) -> int:
        return self._transport.fileno()

    def set_receive_buffer(self, size: int) -> int:
        """Resize the receive queue (any thread may, while another reads); the size the kernel granted.

        The kernel reports twice what was asked (its bookkeeping overhead) and
        clamps small sizes to its minimum.
        """
        return set_receive_buffer(self._transport, size)

    def receive_buffer(self) -> int:
        """The receive queue's size as the kernel reports it (SO_RCVBUF)."""
        return self._transport.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)

    def send(self, datagram: bytes) -> None:
        if self.guard:
            header = netlink.HEADER.unpack_from(datagram)
            why = netlink.irreversible_change(header[1], datagram[netlink.NLMSG_HDRLEN:])
            if why:
                raise IrreversibleRefused(errno.EPERM, f"refused on the real kernel while {GUARD_ENV}=1: {why}")
        self._transport.send(datagram)  # the kernel handles it synchronously: this may sleep (see module doc)

    def recv_into(self, buffer: bytearray | memoryview, timeout: float | None = None) -> int:
        """Receive one kernel datagram into ``buffer``; its size, or 0 when ``timeout`` passed first."""
        if self.pending:
            data = self.pending.popleft()
            buffer[:len(data)] = data
            return len(data)
        return self._recv_kernel_into(buffer, timeout)

    def recv_records(self, timeout: float | None = None) -> Received | None:
        """The log records queued on the socket, up to RECV_BATCH datagrams; None if none came in ``timeout``.

        The reader's loop body: on a real netlink socket one ``recvmmsg`` takes
        them all, and ``timeout=0`` costs one system call when the queue is
        empty.  Replies, AUDIT_REPLACE, short datagrams and datagrams not from
        the kernel are counted, not returned (an empty Received: the queue was not empty).
        """
        if self.pending:
            datagrams = [(self.kernel_port, self.pending.popleft()) for _ in range(len(self.pending))]
            return self._sort(datagrams)
        received = self._receive_many()
        if received is not None or timeout == 0:
            return received
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._wait(deadline):
            received = self._receive_many()
            if received is not None:
                return received
        return None

    def _receive_many(self) -> Received | None:
        if not self._batched:
            return self._receive_each()
        if self._mmsg is None:
            self._mmsg = _Recvmmsg(self._transport.fileno())
        while True:
            try:
                got = self._mmsg.receive()
                break
            except InterruptedError:
                continue
            except OSError as exc:
                self._count_overrun(exc)
        if got is None:
            return None
        lengths, ports, types = got
        self.bytes_received += sum(lengths)
        view, starts = self._mmsg.view, self._mmsg.starts
        if (ports.count(self.kernel_port) == len(ports) and min(lengths) >= netlink.NLMSG_HDRLEN
                and netlink.CONTROL_TYPES.isdisjoint(types)):  # the usual case: every datagram a kernel record
            return Received(types, [view[start + netlink.NLMSG_HDRLEN:start + length].tobytes()
                                    for start, length in zip(starts, lengths)])
        return self._sort([(port, view[start:start + length].tobytes())
                           for start, length, port in zip(starts, lengths, ports)])

    def _receive_each(self) -> Received | None:
        """recv_records on a transport without recvmmsg (a test's fake kernel): one datagram per call."""
        view = memoryview(bytearray(RECV_BUFFER_SIZE))
        datagrams: list[tuple[int, bytes]] = []
        while len(datagrams) < RECV_BATCH:
            try:
                size, address = self._transport.recvfrom_into(view)
            except BlockingIOError:
                break
            except OSError as exc:
                self._count_overrun(exc)
                continue
            datagrams.append((address[0], view[:size].tobytes()))
        if not datagrams:
            return None
        self.bytes_received += sum(len(datagram) for _, datagram in datagrams)
        return self._sort(datagrams)

    def _count_overrun(self, exc: OSError) -> None:
        """ENOBUFS: the kernel dropped datagrams for us -- counted, and reading goes on; any other error raises."""
        if exc.errno != errno.ENOBUFS:
            raise exc
        self.overruns += 1

    def _sort(self, datagrams: Iterable[tuple[int, bytes]]) -> Received:
        """The log records among (sender port, datagram) pairs; the rest counted by kind."""
        received = Received([], [])
        for port, datagram in datagrams:
            if port != self.kernel_port:
                self.rejected += 1
            elif len(datagram) < netlink.NLMSG_HDRLEN:
                self.malformed += 1
            else:
                msg_type, payload = netlink.record_of(datagram)
                if netlink.is_record(msg_type):
                    received.types.append(msg_type)
                    received.payloads.append(payload)
                else:
                    self.control_messages += 1
        return received

    def recv(self, timeout: float | None = None, *, skip_pending: bool = False) -> bytes | None:
        """One kernel datagram as bytes (the control path), or None on timeout."""
        buffer = bytearray(RECV_BUFFER_SIZE)
        size = self._recv_kernel_into(buffer, timeout) if skip_pending else self.recv_into(buffer, timeout)
        return bytes(buffer[:size]) if size else None

    def _recv_kernel_into(self, buffer: bytearray | memoryview, timeout: float | None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                size, address = self._transport.recvfrom_into(buffer)
            except BlockingIOError:
                if not self._wait(deadline):
                    return 0
                continue
            except OSError as exc:
                self._count_overrun(exc)
                continue
            if address[0] != self.kernel_port:
                self.rejected += 1
                continue
            return size

    def _wait(self, deadline: float | None) -> bool:
        if deadline is None:
            self._poller.poll()
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self._poller.poll(max(1, int(remaining * 1000)))
        return True

    def claim_drain_thread(self) -> None:
        """Mark the calling thread as this socket's drainer: AuditClient requests from it raise."""
        _drained_here().add(id(self))

    def close(self) -> None:
        _drained_here().discard(id(self))  # closed by its drainer; another thread's claim ends with it
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AuditClient:
    """Requests to the kernel: status, settings, features, rules, registration.

    Every request carries NLM_F_ACK and waits (up to ``timeout`` seconds) for
    its ACK and data; a refusal raises KernelError with the kernel's errno.
    """

    def __init__(self, sock: AuditSocket | None = None, *, timeout: float = REQUEST_TIMEOUT) -> None:
        self.sock = sock if sock is not None else AuditSocket()
        self.timeout = timeout
        self._seq = itertools.count(1)

    def request(self, msg_type: int, payload: bytes = b"", *, reply_type: int | None = None,
                multi: bool = False) -> Transaction:
        """Send one request and collect its replies; raises KernelError or KernelTimeout."""
        if _drained_here():
            raise RuntimeError("audit requests from the draining thread can stall it in the kernel")
        seq = next(self._seq)
        transaction = Transaction(seq, reply_type, multi=multi)
        self.sock.send(netlink.encode_message(msg_type, payload, seq=seq))
        deadline = time.monotonic() + self.timeout
        while not transaction.done:
            datagram = self.sock.recv(max(0.0, deadline - time.monotonic()), skip_pending=True)
            if datagram is None:
                raise KernelTimeout(f"no reply to {netlink.REQUEST_NAMES.get(msg_type, msg_type)} in {self.timeout} s")
            mine = [transaction.feed(message) for message in netlink.split_messages(datagram)]
            if not any(mine) and netlink.is_record(netlink.record_of(datagram)[0]):
                self.sock.pending.append(datagram)  # a record for the reader, not ours to drop
        if transaction.error is not None:
            raise KernelError(transaction.error, msg_type)
        return transaction

    # -- status -------------------------------------------------------------
    def get_status(self) -> AuditStatus:
        reply = self.request(uapi.AUDIT_GET, reply_type=uapi.AUDIT_GET)
        return netlink.decode(AuditStatus, reply.data[0])

    def set_status(self, **changes: int) -> int:
        """AUDIT_SET of the named audit_status fields; the ACK's value (an old counter for resets)."""
        return self.request(uapi.AUDIT_SET, netlink.status_request(**changes)).value

    def set_enabled(self, enabled: int) -> None:
        self.set_status(enabled=enabled)

    def set_failure(self, failure: int) -> None:
        self.set_status(failure=failure)

    def set_rate_limit(self, rate_limit: int) -> None:
        self.set_status(rate_limit=rate_limit)

    def set_backlog_limit(self, backlog_limit: int) -> None:
        self.set_status(backlog_limit=backlog_limit)

    def set_backlog_wait_time(self, jiffies: int) -> None:
        self.set_status(backlog_wait_time=jiffies)

    def reset_lost(self) -> int:
        """Zero the kernel's lost counter; the count it had."""
        return self.set_status(lost=0)

    def reset_backlog_wait_time_actual(self) -> int:
        """Zero the time producers spent blocked; the jiffies it had."""
        return self.set_status(backlog_wait_time_actual=0)

    def register(self) -> None:
        """Become the audit daemon: records are unicast to *this client's socket* from now on."""
        self.set_status(pid=os.getpid())

    def unregister(self) -> None:
        """Stop being the audit daemon (only the registered process may; any of its sockets)."""
        self.set_status(pid=0)

    # -- features -----------------------------------------------------------
    def get_features(self) -> AuditFeatures:
        reply = self.request(uapi.AUDIT_GET_FEATURE, bytes(16), reply_type=uapi.AUDIT_GET_FEATURE)
        return netlink.decode(AuditFeatures, reply.data[0])

    def set_feature(self, feature: int, *, on: bool, lock: bool = False) -> None:
        self.request(uapi.AUDIT_SET_FEATURE, netlink.features_request(feature, on=on, lock=lock))

    def set_loginuid_immutable(self) -> None:
        """Turn on and lock loginuid immutability (auditctl --loginuid-immutable): until reboot."""
        self.set_feature(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE, on=True, lock=True)

    def signal_info(self) -> SignalInfo:
        """Who last sent the audit daemon a signal (the daemon asks on SIGTERM/SIGHUP)."""
        reply = self.request(uapi.AUDIT_SIGNAL_INFO, reply_type=uapi.AUDIT_SIGNAL_INFO)
        return netlink.decode_signal_info(reply.data[0])

    # -- rules ----------------------------------------------------------------
    def add_rule(self, rule: bytes) -> None:
        """AUDIT_ADD_RULE of a struct audit_rule_data; EEXIST if the kernel has it already."""
        self.request(uapi.AUDIT_ADD_RULE, rule)

    def delete_rule(self, rule: bytes) -> None:
        """AUDIT_DEL_RULE; ENOENT if no rule matches.  The bytes list_rules gave are accepted."""
        self.request(uapi.AUDIT_DEL_RULE, rule)

    def list_rules(self) -> list[bytes]:
        """Every rule as the kernel holds it: audit_rule_data payloads, nlmsg_len long (not padded)."""
        return self.request(uapi.AUDIT_LIST_RULES, reply_type=uapi.AUDIT_LIST_RULES, multi=True).data

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
