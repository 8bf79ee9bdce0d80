"""A fake kernel audit subsystem that speaks the real netlink codec, for tests.

Immutable mode (``enabled=2``), panic mode (``failure=2``) and the
loginuid-immutable lock can never be undone on a real kernel short of a reboot,
so they are tested here.  ``FakeKernel`` follows kernel/audit.c where tests can
tell: AUDIT_SET fields are applied in the kernel's order; once ``enabled`` is 2
every change of enabled/failure/rate_limit/backlog_limit/backlog_wait_time and
every rule change is refused with EPERM (registering a daemon and resetting
``lost`` still work, as in the kernel); a locked feature refuses any change;
only the registered process may unregister; a second live daemon gets EEXIST
while the first is sent AUDIT_REPLACE; records reach the registered socket with
the unicast ``nlmsg_len`` quirk and multicast members with the true length.
Rules are kept as kernel/auditfilter.c keeps them: one list per filter, listed
in list-number order; ``-A`` (AUDIT_FILTER_PREPEND) puts a rule first in its
list and the flag is not kept; the syscall-class bits are cleared.

Each ``FakeTransport`` is one "socket": it has a real file descriptor (one end
of an AF_UNIX datagram socketpair) so ``AuditSocket``'s poll-based reading runs
unchanged; ``send`` hands the request to the fake kernel, which answers on the
other end.  Import it from any test (pytest puts ``tests/`` on ``sys.path``):
``from fakekernel import FakeKernel``; then
``AuditClient(AuditSocket(kernel.connect()))``.
"""
from __future__ import annotations

import errno
import os
import socket
import struct
from dataclasses import dataclass, field

from c2audit import netlink
from c2audit.netlink import NLM_F_ACK, NLM_F_CAPPED, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, AuditStatus
from c2audit.tables import uapi

RULE_DATA_SIZE = 1040  # sizeof(struct audit_rule_data) without buf
CLASS_WORD = 12 + 4 * (uapi.AUDIT_BITMASK_SIZE - 1)  # offset of the mask's last word, after flags, action, field_count
CLASS_BITS = ~((1 << (32 - uapi.AUDIT_SYSCALL_CLASSES)) - 1) & 0xFFFFFFFF  # its top AUDIT_SYSCALL_CLASSES bits
BACKLOG_WAIT_TIME_DEFAULT = 15000  # 60 * HZ at HZ=250
LOCKED = 2


class FakeTransport:
    """One socket of the fake kernel: the Transport AuditSocket expects."""

    def __init__(self, kernel: FakeKernel, port: int, groups: int, pid: int) -> None:
        self.kernel = kernel
        self.port = port
        self.groups = groups
        self.pid = pid  # the process that "owns" this socket (registration checks it)
        self._ours, self._kernel_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._kernel_end.setblocking(False)
        self._fail_next: int | None = None
        self.closed = False
        self.sender_port = 0  # tests set it to pretend a datagram came from a user process

    def send(self, data: bytes, /) -> int:
        self.kernel.handle(self, bytes(data))
        return len(data)

    def recvfrom_into(self, buffer, nbytes: int = 0, /):  # the socket.socket signature
        if self._fail_next is not None:
            code, self._fail_next = self._fail_next, None
            raise OSError(code, os.strerror(code))
        size = self._ours.recv_into(buffer, nbytes)
        return size, (self.sender_port, 0)

    def setblocking(self, flag: bool, /) -> None:
        self._ours.setblocking(flag)

    def setsockopt(self, level: int, option: int, value: int, /) -> None:
        self._ours.setsockopt(level, option, value)  # the receive queue is this end's

    def getsockopt(self, level: int, option: int, /) -> int:
        return self._ours.getsockopt(level, option)

    def fileno(self) -> int:
        return self._ours.fileno()

    def close(self) -> None:
        self.closed = True
        self._ours.close()
        self._kernel_end.close()

    def deliver(self, datagram: bytes) -> bool:
        """Kernel side: queue a datagram for this socket; False (and ENOBUFS next) when full."""
        if self.closed:
            return False
        try:
            self._kernel_end.send(datagram)
            return True
        except BlockingIOError:
            self._fail_next = errno.ENOBUFS
            return False

    def fail_next_recv(self, code: int = errno.ENOBUFS) -> None:
        self._fail_next = code


@dataclass
class FakeKernel:
    """The state of kernel/audit.c that AUDIT_* requests read and change."""

    enabled: int = 0
    failure: int = 1
    rate_limit: int = 0
    backlog_limit: int = 64
    backlog_wait_time: int = BACKLOG_WAIT_TIME_DEFAULT
    backlog_wait_time_actual: int = 0
    lost: int = 0
    backlog: int = 0
    features: int = 0
    feature_lock: int = 0
    rules: list[bytes] = field(default_factory=list)
    signal_sender: tuple[int, int] = (4294967295, -1)  # (loginuid, pid) of the last signal to the daemon
    ack_first: bool = True  # this kernel answers queries from a kthread: the ACK usually comes first
    status_size: int = 44  # bytes of audit_status the kernel knows (older kernels: 32, 36, 40)
    daemon: FakeTransport | None = None
    transports: list[FakeTransport] = field(default_factory=list)
    requests: list[netlink.Message] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.daemon.pid if self.daemon else 0

    def connect(self, *, groups: int = 0, pid: int | None = None) -> FakeTransport:
        transport = FakeTransport(self, 1000 + len(self.transports), groups, os.getpid() if pid is None else pid)
        self.transports.append(transport)
        return transport

    # -- what the kernel sends ----------------------------------------------
    def emit(self, record_type: int, text: str) -> None:
        """A record: unicast to the daemon (nlmsg_len without header), multicast to group 1 members."""
        payload = text.encode()
        if self.daemon and not self.daemon.closed:
            self.daemon.deliver(netlink.HEADER.pack(len(payload), record_type, 0, 0, 0) + payload)
        for member in self.transports:
            if member.groups & 1 and not member.closed:
                member.deliver(netlink.HEADER.pack(16 + len(payload), record_type, 0, 0, 0) + payload)

    def _reply(self, to: FakeTransport, request: netlink.Message, msg_type: int, payload: bytes, flags: int = 0) -> None:
        # nlmsg_put: nlmsg_len excludes the alignment padding the datagram carries
        header = netlink.HEADER.pack(16 + len(payload), msg_type, flags, request.seq, 0)
        to.deliver((header + payload).ljust(netlink.nlmsg_align(16 + len(payload)), b"\0"))

    def _ack(self, to: FakeTransport, request: netlink.Message, raw: bytes, error: int) -> None:
        echoed = raw[:16] if error == 0 else raw
        header = netlink.HEADER.pack(len(raw), request.type, request.flags, request.seq, to.port)
        payload = struct.pack("=i", error) + header + echoed[16:]
        flags = NLM_F_CAPPED if error == 0 else 0
        to.deliver(netlink.HEADER.pack(16 + len(payload), NLMSG_ERROR, flags, request.seq, to.port) + payload)

    # -- requests -------------------------------------------------------------
    def handle(self, transport: FakeTransport, raw: bytes) -> None:
        (request,) = netlink.split_messages(raw)
        self.requests.append(request)
        replies: list[tuple[int, bytes, int]] = []
        try:
            result = self._dispatch(transport, request, replies)
        except OSError as refused:
            result = -refused.errno
        if self.ack_first and (request.flags & NLM_F_ACK or result):
            self._ack(transport, request, raw, result)
        for msg_type, payload, flags in replies:
            self._reply(transport, request, msg_type, payload, flags)
        if not self.ack_first and (request.flags & NLM_F_ACK or result):
            self._ack(transport, request, raw, result)

    def _dispatch(self, transport: FakeTransport, request: netlink.Message,
                  replies: list[tuple[int, bytes, int]]) -> int:
        kind, data = request.type, request.payload
        if kind == uapi.AUDIT_GET:
            replies.append((uapi.AUDIT_GET, netlink.encode(self.status())[:self.status_size], 0))
        elif kind == uapi.AUDIT_SET:
            return self._set(transport, netlink.decode(AuditStatus, data.ljust(44, b"\0")))
        elif kind == uapi.AUDIT_GET_FEATURE:
            features = netlink.AuditFeatures(uapi.AUDIT_FEATURE_VERSION, 0xFFFFFFFF, self.features, self.feature_lock)
            replies.append((uapi.AUDIT_GET_FEATURE, netlink.encode(features), 0))
        elif kind == uapi.AUDIT_SET_FEATURE:
            self._set_feature(data)
        elif kind == uapi.AUDIT_SIGNAL_INFO:
            replies.append((uapi.AUDIT_SIGNAL_INFO, struct.pack("=Ii", *self.signal_sender), 0))
        elif kind == uapi.AUDIT_LIST_RULES:
            replies += [(uapi.AUDIT_LIST_RULES, rule, NLM_F_MULTI) for rule in self.rules]
            replies.append((NLMSG_DONE, b"", NLM_F_MULTI))
        elif kind in (uapi.AUDIT_ADD_RULE, uapi.AUDIT_DEL_RULE):
            self._change_rule(kind, data)
        else:
            raise OSError(errno.EINVAL, "unsupported by the fake")
        return 0

    def status(self) -> AuditStatus:
        return AuditStatus(0, self.enabled, self.failure, self.pid, self.rate_limit, self.backlog_limit,
                           self.lost, self.backlog, uapi.AUDIT_FEATURE_BITMAP_ALL, self.backlog_wait_time,
                           self.backlog_wait_time_actual)

    def _config_change(self, name: str, value: int, allowed: range) -> None:
        if value not in allowed:
            raise OSError(errno.EINVAL, name)
        if self.enabled == LOCKED:
            raise OSError(errno.EPERM, f"{name}: audit is immutable")
        setattr(self, name, value)

    def _set(self, transport: FakeTransport, s: AuditStatus) -> int:
        """AUDIT_SET in kernel/audit.c's order; returns the ACK value."""
        u32 = range(2**32)
        if s.mask & uapi.AUDIT_STATUS_ENABLED:
            self._config_change("enabled", s.enabled, range(3))
        if s.mask & uapi.AUDIT_STATUS_FAILURE:
            self._config_change("failure", s.failure, range(3))
        if s.mask & uapi.AUDIT_STATUS_PID:
            self._set_pid(transport, s.pid)
        if s.mask & uapi.AUDIT_STATUS_RATE_LIMIT:
            self._config_change("rate_limit", s.rate_limit, u32)
        if s.mask & uapi.AUDIT_STATUS_BACKLOG_LIMIT:
            self._config_change("backlog_limit", s.backlog_limit, u32)
        if s.mask & uapi.AUDIT_STATUS_BACKLOG_WAIT_TIME:
            self._config_change("backlog_wait_time", s.backlog_wait_time or 0, range(10 * BACKLOG_WAIT_TIME_DEFAULT + 1))
        if s.mask & uapi.AUDIT_STATUS_LOST:
            old, self.lost = self.lost, 0
            return old
        if s.mask & uapi.AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL:
            old, self.backlog_wait_time_actual = self.backlog_wait_time_actual, 0
            return old
        return 0

    def _set_pid(self, transport: FakeTransport, new_pid: int) -> None:
        if new_pid and new_pid != transport.pid:
            raise OSError(errno.EINVAL, "pid must be the caller's")
        if self.daemon is not None:
            replace = struct.pack("=I", transport.pid)
            if not self.daemon.deliver(netlink.encode_message(uapi.AUDIT_REPLACE, replace, seq=0, flags=0)):
                self.daemon = None  # the old daemon is gone
        if self.daemon is not None:
            if new_pid:
                raise OSError(errno.EEXIST, "a daemon is registered")
            if transport.pid != self.daemon.pid:
                raise OSError(errno.EACCES, "only the daemon may unregister itself")
        self.daemon = transport if new_pid else None

    def _set_feature(self, data: bytes) -> None:
        if len(data) < 16:
            raise OSError(errno.EINVAL, "short audit_features")
        features = netlink.decode(netlink.AuditFeatures, data)
        for feature in range(uapi.AUDIT_LAST_FEATURE + 1):
            bit = netlink.feature_mask(feature)
            if features.mask & bit and self.feature_lock & bit and (features.features ^ self.features) & bit:
                raise OSError(errno.EPERM, "feature locked")
        self.features = (self.features & ~features.mask) | (features.features & features.mask)
        self.feature_lock |= features.lock & features.mask

    def _change_rule(self, kind: int, rule: bytes) -> None:
        if self.enabled == LOCKED:
            raise OSError(errno.EPERM, "audit is immutable")
        if len(rule) < RULE_DATA_SIZE:
            raise OSError(errno.EINVAL, "short audit_rule_data")
        buflen = struct.unpack_from("=I", rule, RULE_DATA_SIZE - 4)[0]
        entry = _entry(rule[:RULE_DATA_SIZE + buflen])
        # audit_compare_rule compares the entry's prepend flag too, and no kept rule has it: a -A rule
        # is never "Rule exists", and a deletion that carries the flag finds nothing
        if kind == uapi.AUDIT_ADD_RULE:
            if entry in self.rules:
                raise OSError(errno.EEXIST, "rule exists")
            self._keep(entry)
        elif entry in self.rules:
            self.rules.remove(entry)
        else:
            raise OSError(errno.ENOENT, "no such rule")

    def _keep(self, entry: bytes) -> None:
        """audit_add_rule: first (``-A``) or last in its filter list, without the prepend flag.

        ``rules`` holds the lists one after the other in list-number order, as
        AUDIT_LIST_RULES walks them.
        """
        flags = _flags(entry)
        listnr = flags & ~uapi.AUDIT_FILTER_PREPEND
        before = [_flags(rule) for rule in self.rules]
        at = sum(1 for other in before if other < listnr or (other == listnr and not flags & uapi.AUDIT_FILTER_PREPEND))
        self.rules.insert(at, struct.pack("=I", listnr) + entry[4:])


def _flags(rule: bytes) -> int:
    return struct.unpack_from("=I", rule)[0]


def _entry(rule: bytes) -> bytes:
    """The rule as audit_to_entry_common takes it: its syscall-class bits cleared.

    The kernel also adds each class's syscalls to the mask, from tables the fake
    does not have; auditctl sets class bits only with ``-S all``, whose mask
    already holds every syscall.
    """
    (last,) = struct.unpack_from("=I", rule, CLASS_WORD)
    return rule[:CLASS_WORD] + struct.pack("=I", last & ~CLASS_BITS) + rule[CLASS_WORD + 4:]
