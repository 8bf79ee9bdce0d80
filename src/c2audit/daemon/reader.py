"""The reader thread: drains the daemon's netlink socket and nothing else.

It only ever receives: one ``recvmmsg`` per up to ``RECV_BATCH`` datagrams
while records flow, one ``DRY_WAIT`` sleep when the socket runs dry, a
``poll`` only when it stays empty.  Records go to the writer in batches (up to
``BATCH_RECORDS`` records or ``BATCH_BYTES`` bytes, or whatever came before
the socket stayed dry for ``DRY_WAIT``).  It never sends a
request (``claim_drain_thread`` makes that an error: in blocking mode the
kernel would put the sender to sleep with the producers it is blocking) and
never waits on the disk -- only on the bounded hand-off, which fills when the
writer is behind and is the point where the kernel's own backpressure takes
over.

``halt()`` is the halt-equivalent of ``disk_full_action = halt`` (and
``single``): the reader stops draining and shrinks the socket's receive buffer
so the kernel notices at once; ``resume()`` restores both.  ``stop()`` drains
what is left (the daemon unregisters first, so nothing new arrives) and ends.

The one record it looks into: the kernel's CONFIG_CHANGE for the removal of a
self-exclusion rule (``auditctl -D`` heads most rule files) sets
``self_rules_removed``, for the main thread to check and put them back.
"""
from __future__ import annotations

import threading
import time

from c2audit.daemon.channel import Batch, Channel
from c2audit.daemon.selfexclude import REMOVAL_MARK
from c2audit.daemon.state import ReaderCounters
from c2audit.kernel import RECV_BATCH, AuditSocket, Received
from c2audit.tables import uapi

BATCH_RECORDS = 1024
BATCH_BYTES = 256 * 1024
IDLE_WAIT = 0.5  # seconds an idle reader waits before checking stop/halt
DRY_WAIT = 0.002  # seconds a busy reader lets records gather once the socket runs dry
HALTED_RCVBUF = 4096  # the kernel clamps this to its minimum


class Reader(threading.Thread):
    def __init__(self, sock: AuditSocket, channel: Channel, counters: ReaderCounters, rcvbuf: int):
        super().__init__(name="c2audit-reader", daemon=True)
        self.sock, self.channel, self.counters, self.rcvbuf = sock, channel, counters, rcvbuf
        self._stopping = threading.Event()
        self._draining = threading.Event()
        self._draining.set()
        self.self_rules_removed = threading.Event()
        self.exception: BaseException | None = None

    # -- called from other threads ------------------------------------------

    def halt(self) -> None:
        """Stop draining; the kernel's backlog and failure mode take over."""
        self._draining.clear()
        self.sock.set_receive_buffer(HALTED_RCVBUF)

    def resume(self) -> None:
        self.sock.set_receive_buffer(self.rcvbuf)
        self._draining.set()

    @property
    def halted(self) -> bool:
        return not self._draining.is_set()

    def stop(self) -> None:
        """Drain what is queued, then end (call after unregistering, so nothing new comes)."""
        self._stopping.set()
        self._draining.set()

    # -- the thread ----------------------------------------------------------

    def run(self) -> None:
        try:
            self.sock.claim_drain_thread()
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - reported by the daemon, which then stops
            self.exception = exc

    def _loop(self) -> None:
        sock, counters, put = self.sock, self.counters, self.channel.put_batch
        while True:
            if not self._draining.is_set():
                self._draining.wait(IDLE_WAIT)
                continue
            mark = sock.bytes_received
            received = sock.recv_records(IDLE_WAIT)
            if received is None:
                if self._stopping.is_set():
                    return
                continue
            batch = self._collect(received, mark)
            counters.records_received += len(batch)
            counters.bytes_received = sock.bytes_received
            counters.control_messages = sock.control_messages
            counters.malformed = sock.malformed
            counters.enobufs = sock.overruns
            counters.reader_cpu_seconds = time.thread_time()
            if batch:
                counters.batches += 1
                if put(batch):
                    counters.queue_full_waits += 1

    def _collect(self, received: Received | None, mark: int) -> Batch:
        """Records until the batch is full, or until the socket stays dry for DRY_WAIT.

        Waiting a little once the socket runs dry lets records gather in its
        queue (far larger than the kernel's backlog, which kauditd keeps moving
        into it meanwhile), so a busy reader wakes and hands over about once
        per DRY_WAIT instead of once per few records.
        """
        batch: Batch = []
        waited = False
        receive, sock = self.sock.recv_records, self.sock
        while True:
            if received is not None:
                self._take(received, batch)
                if len(batch) > BATCH_RECORDS - RECV_BATCH or sock.bytes_received - mark >= BATCH_BYTES:
                    return batch
                waited = False
            elif waited or self._stopping.is_set():
                return batch
            else:
                time.sleep(DRY_WAIT)
                waited = True
            received = receive(0)

    def _take(self, received: Received, batch: Batch) -> None:
        types, payloads = received
        batch += zip(types, payloads)
        if uapi.AUDIT_CONFIG_CHANGE in types and any(  # a list scan in C: the type is rare
                REMOVAL_MARK in payload for msg_type, payload in zip(types, payloads)
                if msg_type == uapi.AUDIT_CONFIG_CHANGE):
            self.self_rules_removed.set()
