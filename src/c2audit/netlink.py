"""The audit netlink codec: bytes to values and back, with no I/O.

Everything the kernel and an audit daemon say to each other over
``NETLINK_AUDIT`` is a netlink message: a 16-byte ``nlmsghdr`` then a payload.
The payload structs (``audit_status``, ``audit_features``, ``audit_sig_info``,
``audit_rule_data``, ``nlmsgerr``) are declared once below as frozen dataclasses
whose fields carry their C format and a comment (go-libaudit comments every
``AuditStatus`` field; pyroute2 declares messages as field tables);
``encode``/``decode`` serve them all: scalars, fixed arrays (a tuple) and a
trailing variable-length ``char buf[]`` (the bytes after the fixed part).

Two kernel quirks shape the parser:

* A record the kernel *unicasts* to the registered daemon has ``nlmsg_len`` =
  payload length, without the header (``audit_log_end`` sets it so); the
  multicast copy has the true length.  Records arrive one per datagram, so the
  size ``recv`` returned is the truth and ``nlmsg_len`` is ignored for them.
* The kernel answers ``AUDIT_GET`` (and the other queries) from a kthread, so
  the ACK of a request may arrive before or after its data.  ``Transaction``
  collects a request's replies in either order, matched by sequence number.

Loss is a value: nothing here raises for a record it does not know; only bytes
that cannot be a netlink message raise ``NetlinkError`` (with the bytes and the
offset).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, NamedTuple, TypeVar

from c2audit.tables import uapi

# <linux/netlink.h> (netlink's own spelling; the header is not in the corpus)
NLMSG_NOOP = 1  # nothing; skip
NLMSG_ERROR = 2  # struct nlmsgerr: an error (<0) or an ACK (0, or a value >0 for AUDIT_SET lost resets)
NLMSG_DONE = 3  # end of a multi-part reply
NLMSG_OVERRUN = 4  # data lost (never sent by audit, kept for completeness)
NLM_F_REQUEST = 0x1  # a request
NLM_F_MULTI = 0x2  # part of a multi-part reply, ended by NLMSG_DONE
NLM_F_ACK = 0x4  # ask for an ACK even on success
NLM_F_CAPPED = 0x100  # in an ACK: the echoed request was cut to its header
NLMSG_ALIGNTO = 4
NLMSG_HDRLEN = 16

# Replies and pings the kernel sends on an audit socket; every other type is a log record.
CONTROL_TYPES = frozenset({
    NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN,
    uapi.AUDIT_GET, uapi.AUDIT_LIST, uapi.AUDIT_SIGNAL_INFO, uapi.AUDIT_LIST_RULES,
    uapi.AUDIT_TTY_GET, uapi.AUDIT_GET_FEATURE,
    uapi.AUDIT_REPLACE,  # "are you alive?" sent to the registered daemon: a binary u32, not a record
})

# The request types c2audit sends, for messages (kernel spelling).
REQUEST_NAMES = {
    uapi.AUDIT_GET: "AUDIT_GET", uapi.AUDIT_SET: "AUDIT_SET", uapi.AUDIT_LIST_RULES: "AUDIT_LIST_RULES",
    uapi.AUDIT_ADD_RULE: "AUDIT_ADD_RULE", uapi.AUDIT_DEL_RULE: "AUDIT_DEL_RULE",
    uapi.AUDIT_GET_FEATURE: "AUDIT_GET_FEATURE", uapi.AUDIT_SET_FEATURE: "AUDIT_SET_FEATURE",
    uapi.AUDIT_SIGNAL_INFO: "AUDIT_SIGNAL_INFO", uapi.AUDIT_USER: "AUDIT_USER",
}


class NetlinkError(ValueError):
    """Bytes that are not a well-formed netlink message; keeps them and where it broke."""

    def __init__(self, message: str, data: bytes, offset: int) -> None:
        super().__init__(f"{message} at byte {offset} of a {len(data)}-byte datagram")
        self.data = bytes(data)
        self.offset = offset


def nlmsg_align(length: int) -> int:
    return (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1)


# ---------------------------------------------------------------------------
# Field tables: one dataclass per C struct; metadata holds the struct format.

def _u32(doc: str) -> Any:
    return field(default=0, metadata={"fmt": "I", "doc": doc})


def _s32(doc: str) -> Any:
    return field(default=0, metadata={"fmt": "i", "doc": doc})


def _u16(doc: str) -> Any:
    return field(default=0, metadata={"fmt": "H", "doc": doc})


def _newer_u32(doc: str) -> Any:
    """A trailing field older kernels do not send: None when absent from the bytes."""
    return field(default=None, metadata={"fmt": "I", "doc": doc, "optional": True})


def _u32_array(count: int, doc: str) -> Any:
    """``__u32 name[count]``: a tuple of exactly ``count`` numbers."""
    return field(default=(0,) * count, metadata={"fmt": f"{count}I", "count": count, "doc": doc})


def _tail(doc: str) -> Any:
    """A trailing ``char name[]``: every byte after the fixed part (its length field says how many count)."""
    return field(default=b"", metadata={"tail": True, "doc": doc})


@dataclass(frozen=True, slots=True)
class NlMsgHdr:
    """struct nlmsghdr."""

    len: int = _u32("message length incl. this header (unicast audit records: payload only)")
    type: int = _u16("NLMSG_* or AUDIT_* message type")
    flags: int = _u16("NLM_F_* flags")
    seq: int = _u32("sequence number; a reply echoes its request's")
    pid: int = _u32("port id: of the sender in requests, of the requester in ACKs")


@dataclass(frozen=True, slots=True)
class AuditStatus:
    """struct audit_status: AUDIT_GET's reply and AUDIT_SET's request."""

    mask: int = _u32("AUDIT_STATUS_* bits: which fields an AUDIT_SET changes")
    enabled: int = _u32("0 off, 1 on, 2 on and locked until reboot (immutable)")
    failure: int = _u32("on a critical error: 0 silent, 1 printk, 2 panic")
    pid: int = _u32("registered audit daemon (records are unicast to it); 0 none")
    rate_limit: int = _u32("records per second before dropping; 0 no limit")
    backlog_limit: int = _u32("records queued for the daemon before dropping or blocking")
    lost: int = _u32("records dropped since boot or the last reset")
    backlog: int = _u32("records queued now")
    feature_bitmap: int | None = _newer_u32("AUDIT_FEATURE_BITMAP_* this kernel has (was `version`)")
    backlog_wait_time: int | None = _newer_u32("jiffies a producer may sleep on a full backlog; 0 drop")
    backlog_wait_time_actual: int | None = _newer_u32("jiffies producers slept since the last reset")


@dataclass(frozen=True, slots=True)
class AuditFeatures:
    """struct audit_features: AUDIT_GET_FEATURE's reply and AUDIT_SET_FEATURE's request."""

    vers: int = _u32("AUDIT_FEATURE_VERSION")
    mask: int = _u32("feature bits this message is about (AUDIT_FEATURE_TO_MASK)")
    features: int = _u32("feature bits on")
    lock: int = _u32("feature bits locked: a locked feature never changes again until reboot")


@dataclass(frozen=True, slots=True)
class SignalInfo:
    """struct audit_sig_info: who last signalled the audit daemon (AUDIT_SIGNAL_INFO's reply)."""

    uid: int = _u32("loginuid of the sender; 4294967295 unset")
    pid: int = _s32("pid of the sender; -1 none yet")
    context: str = field(default="", metadata={"doc": "LSM context of the sender (ctx[]), '' without an LSM"})


@dataclass(frozen=True, slots=True)
class AuditRuleData:
    """struct audit_rule_data: a rule as AUDIT_ADD_RULE/AUDIT_DEL_RULE send it and AUDIT_LIST_RULES lists it."""

    flags: int = _u32("AUDIT_FILTER_* list, | AUDIT_FILTER_PREPEND for -A")
    action: int = _u32("AUDIT_NEVER, AUDIT_POSSIBLE or AUDIT_ALWAYS")
    field_count: int = _u32("how many of fields/values/fieldflags are used")
    mask: tuple[int, ...] = _u32_array(
        uapi.AUDIT_BITMASK_SIZE, "syscall (or io_uring op) bitmap; top AUDIT_SYSCALL_CLASSES bits: classes")
    fields: tuple[int, ...] = _u32_array(uapi.AUDIT_MAX_FIELDS, "AUDIT_* field numbers")
    values: tuple[int, ...] = _u32_array(uapi.AUDIT_MAX_FIELDS, "the values, or the byte length of a string")
    fieldflags: tuple[int, ...] = _u32_array(uapi.AUDIT_MAX_FIELDS, "AUDIT_* operators")
    buflen: int = _u32("total length of the strings in buf")
    buf: bytes = _tail("the string fields' bytes, in field order, no NULs (a listing pads it to 4 bytes)")


@dataclass(frozen=True, slots=True)
class NlMsgErr:
    """struct nlmsgerr: an error, or an ACK (error 0), or a value (AUDIT_SET lost/wait resets)."""

    error: int = _s32("negative errno, 0 for an ACK, or a positive value the request returned")
    request: NlMsgHdr = field(default_factory=NlMsgHdr, metadata={"doc": "the request's header, echoed"})


T = TypeVar("T")


class _Layout(NamedTuple):
    packed: struct.Struct  # the fixed fields, arrays flattened
    names: tuple[str, ...]  # the fixed fields in order
    counts: tuple[int, ...]  # per fixed field: its array length, 0 for a scalar
    required: int  # how many leading fixed fields are not optional (the optional ones are u32s)
    required_size: int  # their size in bytes
    tail: str | None  # the trailing variable-length field, if any


@cache
def _layout(cls: type) -> _Layout:
    """How a struct dataclass's fields map to bytes."""
    packed = [f for f in fields(cls) if "fmt" in f.metadata]
    required = [f.metadata["fmt"] for f in packed if not f.metadata.get("optional")]
    tail = next((f.name for f in fields(cls) if f.metadata.get("tail")), None)
    return _Layout(struct.Struct("=" + "".join(f.metadata["fmt"] for f in packed)), tuple(f.name for f in packed),
                   tuple(f.metadata.get("count", 0) for f in packed), len(required),
                   struct.calcsize("=" + "".join(required)), tail)


def sizeof(cls: type) -> int:
    """``sizeof`` the C struct: its fixed fields, without a trailing ``char buf[]``."""
    return _layout(cls).packed.size


def encode(value: Any) -> bytes:
    """The C bytes of a struct dataclass (absent optional fields as 0, then the tail's bytes)."""
    layout = _layout(type(value))
    if not any(layout.counts):
        data = layout.packed.pack(*(getattr(value, name) or 0 for name in layout.names))
    else:
        words: list[int] = []
        for name, count in zip(layout.names, layout.counts):
            if count:
                words.extend(getattr(value, name))
            else:
                words.append(getattr(value, name) or 0)
        data = layout.packed.pack(*words)
    return data + getattr(value, layout.tail) if layout.tail else data


def decode(cls: type[T], data: bytes | memoryview, offset: int = 0) -> T:
    """A struct dataclass from bytes; a shorter struct (an older kernel) leaves the newer fields None."""
    layout = _layout(cls)
    available = len(data) - offset
    if available >= layout.packed.size:
        words = layout.packed.unpack_from(data, offset)
        values = dict(zip(layout.names, _grouped(words, layout.counts) if any(layout.counts) else words))
        if layout.tail:
            values[layout.tail] = bytes(data[offset + layout.packed.size:])
        return cls(**values)
    if available < layout.required_size:
        raise NetlinkError(f"{cls.__name__} needs {layout.required_size} bytes, got {max(0, available)}",
                           bytes(data), offset)
    # an older kernel's shorter struct: the required scalars and the optional u32s that fit
    present = layout.required + (available - layout.required_size) // 4
    partial = struct.unpack_from("=" + layout.packed.format[1:present + 1], data, offset)
    return cls(**dict(zip(layout.names, partial)))


def _grouped(words: tuple[int, ...], counts: tuple[int, ...]) -> list[int | tuple[int, ...]]:
    """The unpacked words with each array's run gathered into a tuple."""
    values: list[int | tuple[int, ...]] = []
    at = 0
    for count in counts:
        values.append(tuple(words[at:at + count]) if count else words[at])
        at += count or 1
    return values


# ---------------------------------------------------------------------------
# Messages

HEADER = _layout(NlMsgHdr).packed  # struct nlmsghdr, for the hot paths that skip the dataclass


class Message(NamedTuple):
    """One netlink message: its header fields and its payload."""

    type: int
    flags: int
    seq: int
    port: int  # nlmsg_pid
    payload: bytes


def encode_message(msg_type: int, payload: bytes = b"", *, seq: int, flags: int = NLM_F_REQUEST | NLM_F_ACK) -> bytes:
    """A request datagram: header, payload, zero padding to 4 bytes (nlmsg_len counts it, as libaudit's)."""
    length = nlmsg_align(NLMSG_HDRLEN + len(payload))
    padding = b"\0" * (length - NLMSG_HDRLEN - len(payload))
    return HEADER.pack(length, msg_type, flags, seq, 0) + payload + padding


def split_messages(data: bytes) -> list[Message]:
    """Every message of one received datagram, in order.

    A record (a type outside ``CONTROL_TYPES``) whose ``nlmsg_len`` is the
    payload length alone is the kernel's unicast quirk: its payload runs to the
    end of the datagram.  Raises NetlinkError for bytes that are no message.
    """
    total, offset, messages = len(data), 0, []
    while offset < total:
        if total - offset < NLMSG_HDRLEN:
            if any(data[offset:]):
                raise NetlinkError("truncated nlmsghdr", data, offset)
            break  # alignment padding
        length, msg_type, flags, seq, port = HEADER.unpack_from(data, offset)
        remaining = total - offset
        if msg_type not in CONTROL_TYPES and length == remaining - NLMSG_HDRLEN:
            end = total
        elif NLMSG_HDRLEN <= length <= remaining:
            end = offset + length
        else:
            raise NetlinkError(f"nlmsg_len {length} does not fit the {remaining} bytes left", data, offset)
        messages.append(Message(msg_type, flags, seq, port, bytes(data[offset + NLMSG_HDRLEN:end])))
        offset = nlmsg_align(end)
    return messages


def record_of(datagram: bytes) -> tuple[int, bytes]:
    """The daemon's hot path: (type, payload) of a datagram holding one kernel message.

    The kernel sends each record in its own datagram, so the payload is
    everything after the header whatever ``nlmsg_len`` says.  Callers check the
    type against ``CONTROL_TYPES`` and hand those to ``split_messages``.
    """
    if len(datagram) < NLMSG_HDRLEN:
        raise NetlinkError("datagram shorter than nlmsghdr", datagram, 0)
    return datagram[4] | datagram[5] << 8, datagram[NLMSG_HDRLEN:]  # little-endian u16, ~25% under struct


def is_record(msg_type: int) -> bool:
    """Whether a message type is a log record (to be written) rather than a reply or ping."""
    return msg_type not in CONTROL_TYPES


# ---------------------------------------------------------------------------
# Payloads of requests and replies

# AUDIT_SET: which mask bit makes the kernel look at which audit_status field.
STATUS_MASK = {
    "enabled": uapi.AUDIT_STATUS_ENABLED,
    "failure": uapi.AUDIT_STATUS_FAILURE,
    "pid": uapi.AUDIT_STATUS_PID,
    "rate_limit": uapi.AUDIT_STATUS_RATE_LIMIT,
    "backlog_limit": uapi.AUDIT_STATUS_BACKLOG_LIMIT,
    "backlog_wait_time": uapi.AUDIT_STATUS_BACKLOG_WAIT_TIME,
    "lost": uapi.AUDIT_STATUS_LOST,  # reset to 0; the ACK carries the old value
    "backlog_wait_time_actual": uapi.AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL,  # same
}


def status_request(**changes: int) -> bytes:
    """The AUDIT_SET payload changing exactly the named fields (see STATUS_MASK)."""
    unknown = set(changes) - set(STATUS_MASK)
    if unknown:
        raise ValueError(f"not settable in audit_status: {', '.join(sorted(unknown))}")
    mask = 0
    for name in changes:
        mask |= STATUS_MASK[name]
    return encode(AuditStatus(mask=mask, **changes))


def feature_mask(feature: int) -> int:
    """AUDIT_FEATURE_TO_MASK."""
    return 1 << (feature & 31)


def features_request(feature: int, *, on: bool, lock: bool) -> bytes:
    """The AUDIT_SET_FEATURE payload for one feature (libaudit's audit_set_feature)."""
    bit = feature_mask(feature)
    return encode(AuditFeatures(uapi.AUDIT_FEATURE_VERSION, bit, bit if on else 0, bit if lock else 0))


def decode_error(payload: bytes) -> NlMsgErr:
    """An NLMSG_ERROR payload: the errno/value and the echoed request header."""
    if len(payload) < 4:
        raise NetlinkError("nlmsgerr shorter than its error field", payload, 0)
    error = struct.unpack_from("=i", payload)[0]
    request = decode(NlMsgHdr, payload, 4) if len(payload) >= 4 + NLMSG_HDRLEN else NlMsgHdr()
    return NlMsgErr(error, request)


def decode_signal_info(payload: bytes) -> SignalInfo:
    """AUDIT_SIGNAL_INFO's reply; the context is a NUL-padded string after uid and pid."""
    head = decode(SignalInfo, payload)
    context = payload[8:].split(b"\0", 1)[0].decode("utf-8", "backslashreplace")
    return SignalInfo(head.uid, head.pid, context)


def decode_replace(payload: bytes) -> int:
    """AUDIT_REPLACE: the pid of the process that tried to register while we are the daemon."""
    if len(payload) < 4:
        raise NetlinkError("AUDIT_REPLACE shorter than its u32", payload, 0)
    return int(struct.unpack_from("=I", payload)[0])


def irreversible_change(msg_type: int, payload: bytes) -> str | None:
    """What in a request only a reboot undoes (or panics the machine), else None.

    The socket edge refuses these on a real kernel while tests run: ``enabled=2``
    (immutable), ``failure=2`` (panic) and any feature lock or loginuid-immutable.
    """
    if msg_type == uapi.AUDIT_SET and len(payload) >= 12:
        mask, enabled, failure = struct.unpack_from("=3I", payload)
        if mask & uapi.AUDIT_STATUS_ENABLED and enabled == 2:
            return "enabled=2 (immutable until reboot)"
        if mask & uapi.AUDIT_STATUS_FAILURE and failure == 2:
            return "failure=2 (panic)"
    if msg_type == uapi.AUDIT_SET_FEATURE and len(payload) >= 16:
        _vers, mask, features, lock = struct.unpack_from("=4I", payload)
        if mask & lock:
            return "a feature lock (until reboot)"
        if mask & features & feature_mask(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE):
            return "loginuid immutable"
    return None


# ---------------------------------------------------------------------------
# One request's replies

class Transaction:
    """Collect the replies to one request (sent with NLM_F_ACK), in whatever order they come.

    ``reply_type`` is the data type expected (None for a plain ACK); ``multi``
    means data comes as NLM_F_MULTI parts ended by NLMSG_DONE.  ``feed`` says
    whether a message belonged to this request; when ``done``, either ``error``
    (negative errno) is set, or ``data`` holds the payloads and ``value`` the
    ACK's value (AUDIT_SET's lost/wait-time resets return the old count there).
    """

    def __init__(self, seq: int, reply_type: int | None = None, *, multi: bool = False) -> None:
        self.seq = seq
        self.reply_type = reply_type
        self.multi = multi
        self.data: list[bytes] = []
        self.error: int | None = None
        self.value = 0
        self._acked = False
        self._data_done = reply_type is None

    @property
    def done(self) -> bool:
        return self.error is not None or (self._acked and self._data_done)

    def feed(self, message: Message) -> bool:
        if message.type == NLMSG_ERROR:
            if message.seq != self.seq:
                return False
            reply = decode_error(message.payload)
            if reply.error < 0:
                self.error = -reply.error
            else:
                self._acked, self.value = True, reply.error
            return True
        if message.seq != self.seq or self.reply_type is None or message.type in (NLMSG_NOOP, NLMSG_OVERRUN):
            return False
        if message.type == NLMSG_DONE and self.multi:
            self._data_done = True
        elif message.type == self.reply_type:
            self.data.append(message.payload)
            self._data_done = self._data_done or not self.multi
        else:
            return False
        return True
