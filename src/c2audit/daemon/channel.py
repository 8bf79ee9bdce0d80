"""The bounded hand-off from the reader thread to the writer thread.

Record batches go in a queue of at most ``depth`` batches: when the writer falls
behind (slow or full disk) the reader waits here, stops draining the socket,
and the kernel's own backpressure takes over (its socket buffer, then its
backlog and ``backlog_wait_time``) -- memory stays bounded.  Control items
(daemon records, rotate, resume, reconfigure, loss checks) are few and come
from the main and monitor threads, which must never be stuck behind a full
queue; they take a separate lane that the writer serves first.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

Batch = list[tuple[int, bytes]]
C = TypeVar("C")


class Channel(Generic[C]):
    def __init__(self, depth: int):
        self.depth = depth
        self._batches: deque[Batch] = deque()
        self._control: deque[C] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put_batch(self, batch: Batch) -> bool:
        """Queue a batch, waiting while the queue is full; return whether it had to wait."""
        with self._cond:
            waited = False
            while len(self._batches) >= self.depth and not self._closed:
                waited = True
                self._cond.wait()
            self._batches.append(batch)
            self._cond.notify_all()
            return waited

    def put_control(self, item: C) -> None:
        with self._cond:
            self._control.append(item)
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> list[Batch] | C | None:
        """The next control item, else every queued batch (one write for all); None after ``timeout``.

        Taking everything at once is what keeps the writer cheap when the
        reader hands over many small batches (records trickling in).
        """
        with self._cond:
            if not (self._control or self._batches or self._closed):
                self._cond.wait(timeout)
            if self._control:
                item: list[Batch] | C = self._control.popleft()
            elif self._batches:
                item = list(self._batches)
                self._batches.clear()
            else:
                return None
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """No more batches: the writer finishes what is queued, then stops."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def discard(self) -> int:
        """Empty the queue (its writer is gone); the number of records thrown away, to be counted."""
        with self._cond:
            records = sum(map(len, self._batches))
            self._batches.clear()
            self._cond.notify_all()
            return records

    @property
    def finished(self) -> bool:
        with self._cond:
            return self._closed and not self._control and not self._batches

    def __len__(self) -> int:
        return len(self._batches)
