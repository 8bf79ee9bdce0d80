"""The monitor thread: polls the kernel's ``lost`` and ``backlog`` every few seconds.

It has its own control socket, so its requests never touch the reader's; it
polls sparingly (``status_interval``, 5 s by default) because in blocking mode
a request sent while the backlog is over its limit puts the sender to sleep
with the producers (a 2 ms poller once stranded a workload for minutes).  A
rise of ``lost`` is handed to the writer, which writes a loss record.
"""
from __future__ import annotations

import threading

from c2audit.daemon.channel import Channel
from c2audit.daemon.state import KernelCounters
from c2audit.daemon.writer import LossCheck
from c2audit.kernel import AuditClient
from c2audit.netlink import AuditStatus


def record_status(counters: KernelCounters, status: AuditStatus) -> bool:
    """Update the kernel counters from one AUDIT_GET; whether ``lost`` rose."""
    if counters.polls == 0:
        counters.lost_at_start = status.lost
        rise = 0
    elif status.lost >= counters.lost:
        rise = status.lost - counters.lost
    else:  # someone reset it (auditctl --reset-lost): all of it is new
        rise = status.lost
    counters.polls += 1
    counters.lost_since_start += rise
    counters.lost = status.lost
    counters.backlog = status.backlog
    counters.backlog_max = max(counters.backlog_max, status.backlog)
    counters.backlog_limit = status.backlog_limit
    counters.backlog_wait_time = status.backlog_wait_time
    counters.enabled = status.enabled
    counters.failure = status.failure
    counters.audit_pid = status.pid
    return rise > 0


class Monitor(threading.Thread):
    def __init__(self, client: AuditClient, counters: KernelCounters, channel: Channel, interval: float):
        super().__init__(name="c2audit-monitor", daemon=True)
        self.client, self.counters, self.channel, self.interval = client, counters, channel, interval
        self._stop_event = threading.Event()

    def poll(self) -> None:
        """One AUDIT_GET; a failure is counted, never fatal."""
        try:
            status = self.client.get_status()
        except OSError:
            self.counters.poll_errors += 1
            return
        if record_status(self.counters, status):
            self.channel.put_control(LossCheck())

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
