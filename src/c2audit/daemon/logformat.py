"""Log lines in the standard format, and the daemon's own records, no I/O.

A kernel record ``(type, payload)`` becomes ``type=NAME msg=<payload>`` with
``node=<name> `` in front when ``name_format`` asks for it, exactly as auditd's
``format_raw()`` writes it: newlines inside the payload become spaces and one
trailing space is trimmed, so ``ausearch``/``aureport`` read the log unchanged.
Type names are :func:`c2audit.records.type_name`'s (``msg_typetab``); a type
the table lacks is written ``UNKNOWN[n]``, never dropped.  ENRICHED lines append auditd's
``\\x1d`` separator and the interpreted names that an ``enrich`` callable returns.

The daemon's own records (``DAEMON_START`` ...) are built here from explicit
values (time, serial, the sender of a signal) with auditd 3.0.9's wording.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from c2audit.records import type_name
from c2audit.tables import uapi

# Messages on the socket that are not log records (auditd's netlink_handler
# skips the same): netlink control, replies, daemon-range types (only the daemon
# writes those), AUDIT_REPLACE (a binary probe sent at registration) and EOE
# (end-of-event marker for real-time readers; auditd never logs it).
NOT_LOGGED: frozenset[int] = frozenset(
    {1, 2, 3, 4, uapi.AUDIT_GET, uapi.AUDIT_LIST_RULES, uapi.AUDIT_SIGNAL_INFO,
     uapi.AUDIT_REPLACE, uapi.AUDIT_EOE}
    | set(range(uapi.AUDIT_FIRST_DAEMON, uapi.AUDIT_LAST_DAEMON + 1))
)

INTERP_SEPARATOR = b"\x1d"  # AUDIT_INTERP_SEPARATOR: raw fields | interpreted fields

Enricher = Callable[[int, bytes], bytes | None]


def is_logged(msg_type: int) -> bool:
    return msg_type not in NOT_LOGGED


class LineFormatter:
    """Turns ``(type, payload)`` records into log lines (bytes ending in ``\\n``)."""

    def __init__(self, node: str | None = None, enrich: Enricher | None = None):
        self._node = f"node={node} ".encode() if node else b""
        self._enrich = enrich
        self._prefixes: dict[int, bytes] = {}

    def _prefix(self, msg_type: int) -> bytes:
        prefix = self._prefixes.get(msg_type)
        if prefix is None:
            prefix = self._prefixes[msg_type] = self._node + f"type={type_name(msg_type)} msg=".encode()
        return prefix

    def line(self, msg_type: int, payload: bytes) -> bytes:
        """One record as one log line."""
        text = payload.rstrip(b"\0").replace(b"\n", b" ")
        if text.endswith(b" "):
            text = text[:-1]
        line = self._prefix(msg_type) + text
        if self._enrich is not None:
            extra = self._enrich(msg_type, line)
            if extra:
                line += INTERP_SEPARATOR + extra
        return line + b"\n"

    def lines(self, records: Iterable[tuple[int, bytes]]) -> bytes:
        """Log lines for the records worth logging, joined for one ``write``."""
        line = self.line
        return b"".join([line(t, p) for t, p in records if t not in NOT_LOGGED])


# ------------------------------------------------------------ daemon records


class DaemonSerial:
    """Serial numbers of the daemon's own records: a random start, then +1 (as auditd)."""

    def __init__(self, start: int | None = None):
        self._next = random.randrange(10000) if start is None else start

    def next(self) -> int:
        serial, self._next = self._next, self._next + 1
        return serial


def daemon_payload(text: str, now: float, serial: int) -> bytes:
    """``audit(SEC.MS:SERIAL): text`` -- a daemon record's payload, stamped like a kernel one."""
    seconds = int(now)
    millis = int((now - seconds) * 1000)
    return f"audit({seconds}.{millis:03d}:{serial}): {text}".encode()


@dataclass(frozen=True)
class Identity:
    """Who the daemon runs as, for ``DAEMON_START`` and ``DAEMON_ABORT``."""

    auid: int
    pid: int
    uid: int
    ses: int
    subj: str | None = None  # the LSM context, when the system has one


@dataclass(frozen=True)
class Sender:
    """Who sent the daemon a signal (the kernel's AUDIT_SIGNAL_INFO: loginuid, pid, context)."""

    auid: int
    pid: int
    ctx: str = ""


def _who(sender: Sender | None) -> str:
    if sender is None:
        return "auid=-1 pid=-1 subj=?"
    return f"auid={sender.auid} pid={sender.pid} subj={sender.ctx}"


def _subj(identity: Identity) -> str:
    return f" subj={identity.subj}" if identity.subj else ""


def start_text(version: str, log_format: str, kernel: str, me: Identity) -> str:
    return (f"op=start ver={version} format={log_format} kernel={kernel[:56]} auid={me.auid} "
            f"pid={me.pid} uid={me.uid} ses={me.ses}{_subj(me)} res=success")


def abort_text(op: str, me: Identity, reason: str | None = None) -> str:
    """``DAEMON_ABORT``: ``op`` is auditd's (set-enable, set-pid, error-halt) or c2audit's."""
    why = f" reason={reason}" if reason else ""
    return f"op={op} auid={me.auid} pid={me.pid} uid={me.uid} ses={me.ses}{_subj(me)}{why} res=failed"


def end_text(sender: Sender | None) -> str:
    return f"op=terminate {_who(sender)} res=success"


def rotate_text(sender: Sender | None) -> str:
    return f"op=rotate-logs {_who(sender)} res=success"


def resume_text(sender: Sender | None) -> str:
    return f"op=resume-logging {_who(sender)} res=success"


def reconfigure_text(sender: Sender | None, ok: bool) -> str:
    if ok:
        return f"op=reconfigure state=changed {_who(sender)} res=success"
    return f"op=reconfigure state=no-change {_who(sender)} res=failed"


def lost_text(source: str, reason: str, lost: int, total: int, **context: int) -> str:
    """c2audit's loss record (``DAEMON_ERR``): ``lost`` events since the last one, ``total`` so far.

    ``source`` is ``kernel`` (the kernel's ``lost`` counter rose) or ``daemon``
    (c2audit discarded records, e.g. while logging was suspended).
    """
    extra = "".join(f" {key}={value}" for key, value in context.items())
    return f"op=lost src={source} reason={reason} lost={lost} total={total}{extra} res=failed"


def repair_text(tail_bytes: int) -> str:
    """``DAEMON_ERR`` written when the log was found ending inside a line (after a crash)."""
    return f"op=repair-log reason=partial-last-line bytes={tail_bytes} res=success"
