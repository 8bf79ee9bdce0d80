"""Tables generated from the kernel and audit-userspace headers.

Each module holds ``ENTRIES``, the ``(key, name)`` pairs of one header in file
order; ``uapi`` holds the audit headers' numeric ``#define``s.  Regenerate with
``python scripts/gen_tables.py``; never edit the generated modules by hand.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable


def name_by_number(entries: Iterable[tuple[int | str, str]]) -> dict[int, str]:
    """number -> name as libaudit's generated ``i2s`` answers: the first name listed for a number wins."""
    table: dict[int, str] = {}
    for number, name in entries:
        if isinstance(number, int):
            table.setdefault(number, name)
    return table


def number_by_name(entries: Iterable[tuple[int | str, str]],
                   fold: Callable[[str], str] | None = None) -> dict[str, int]:
    """name -> number as ``s2i`` answers: the first number listed for a name wins.

    ``fold`` (``str.lower`` for libaudit's case-insensitive tables) is applied to
    the names; callers fold what they look up the same way.
    """
    table: dict[str, int] = {}
    for number, name in entries:
        if isinstance(number, int):
            table.setdefault(fold(name) if fold else name, number)
    return table
