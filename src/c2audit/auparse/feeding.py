"""Feeds and callbacks (``auparse_feed``, ``consume_feed``): events delivered as data arrives."""
from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

from . import constants as C


class Feeding:
    """``feed``/``flush_feed``/``add_callback`` and the event ageing of a feed.

    Mixed into :class:`~c2audit.auparse.AuParser`, whose events it hands to the callback.
    """

    __slots__ = ()  # AuParser declares the state

    def add_callback(self, callback: Callable[..., Any], user_data: Any = None) -> None:
        """Call ``callback(parser, cb_event_type, user_data)`` for each event a feed completes."""
        if not isinstance(callback, types.FunctionType):
            raise ValueError("callback must be a function")  # noqa: TRY004 - the binding's exception
        self._callback = callback
        self._callback_data = user_data

    def feed(self, data: str | bytes) -> None:
        """Supply more input; complete events are passed to the callback."""
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'")
        self._source.append(data)  # type: ignore[arg-type]
        self._consume(flush=False)

    def flush_feed(self) -> None:
        """End of input: complete every pending event and pass it to the callback."""
        self._consume(flush=True)

    def feed_has_data(self) -> bool:
        """True while events are accumulating or waiting to be taken."""
        return bool(self._ready) or self._grouper.pending > 0

    def feed_age_events(self) -> None:
        """Complete events older than the end-of-event timeout by the clock, and pass them on."""
        self._ready.extend(self._grouper.tick(time.time()))  # type: ignore[arg-type]
        self._consume(flush=False)

    def _consume(self, flush: bool) -> None:
        """``consume_feed``."""
        while self._next_event() > 0:
            self._notify()
        if flush:
            self._ready.extend(self._grouper.flush())  # type: ignore[arg-type]
            while self._ready:
                self._clear_event()
                self._set_event(self._ready.popleft())
                self._notify()

    def _notify(self) -> None:
        if self._callback is not None:
            self._callback(self, C.AUPARSE_CB_EVENT_READY, self._callback_data)
