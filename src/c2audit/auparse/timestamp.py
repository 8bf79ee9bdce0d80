"""``auparse.AuEvent``: an event's timestamp, serial and node, as ``get_timestamp()`` returns it."""
from __future__ import annotations

import time
from typing import Any, NoReturn


class AuEvent:
    """The timestamp of an audit event: ``sec``, ``milli``, ``serial``, ``host`` (read-only).

    Like the binding's object it cannot be created from Python code, compares
    with ``<``, ``==`` and ``>`` on (sec, milli, serial) only, and is not
    hashable.  ``str()`` gives the C binding's ``fmt_event`` text (local time).
    """

    __slots__ = ("_host", "_milli", "_sec", "_serial")

    def __new__(cls, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("cannot create 'auparse.AuEvent' instances")

    @classmethod
    def _make(cls, sec: int, milli: int, serial: int, host: str | None) -> AuEvent:
        event = object.__new__(cls)
        object.__setattr__(event, "_sec", sec)
        object.__setattr__(event, "_milli", milli)
        object.__setattr__(event, "_serial", serial)
        object.__setattr__(event, "_host", host)
        return event

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"attribute '{name}' of 'auparse.AuEvent' objects is not writable")

    @property
    def sec(self) -> int:
        """Event seconds."""
        return self._sec

    @property
    def milli(self) -> int:
        """millisecond of the timestamp"""
        return self._milli

    @property
    def serial(self) -> int:
        """Serial number of the event"""
        return self._serial

    @property
    def host(self) -> str | None:
        """Machine's name"""
        return self._host

    def _key(self) -> tuple[int, int, int]:
        return (self._sec, self._milli, self._serial)

    def __lt__(self, other: object) -> bool:
        return self._key() < other._key() if isinstance(other, AuEvent) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self._key() > other._key() if isinstance(other, AuEvent) else NotImplemented

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, AuEvent) else NotImplemented

    # The binding answers only <, == and >: != falls back to identity, <= and >= fail.
    def __ne__(self, other: object) -> bool:
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        try:
            stamp = time.strftime("%a %b %d %H:%M:%S", time.localtime(self._sec))
            year = time.strftime("%Y", time.localtime(self._sec))
        except (OverflowError, OSError, ValueError):
            return "localtime error"
        host = self._host if self._host is not None else "(null)"
        return f"{stamp}.{self._milli} {year} serial={self._serial} host={host}"

    def __repr__(self) -> str:
        return f"<auparse.AuEvent {self._sec}.{self._milli:03d}:{self._serial} host={self._host}>"

