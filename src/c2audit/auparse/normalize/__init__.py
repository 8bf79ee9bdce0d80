"""Event normalization (``auparse_normalize``): subject, action, object, results, how, key.

libauparse's normalizer (``auparse/normalize.c``) walks the current event with
the parser's own cursor calls and remembers *where* things are -- a record
and field number per item -- so that ``aup_normalize_subject_primary()`` and
friends move the cursor there.  It relies on every side effect of those
calls (``find_field`` crossing records, a failed search leaving the cursor
past the end, ``first_record`` reloading interpretations), so it is ported
call for call onto :class:`~.state.Calls`, which gives the parser's cursor
the C functions' return conventions:

* :mod:`.policy` -- the tables (record actions, object kinds, syscall
  classes, event kinds), partly ``normalize.yaml``, partly generated;
* :mod:`.state` -- :class:`~.state.Normalization`, what one run found;
* :mod:`.walker`, :mod:`.syscalls`, :mod:`.simple` -- the normalizer;
* :mod:`.methods` -- the binding's ``aup_normalize*`` methods.
"""
from __future__ import annotations

from typing import Any

from .methods import methods


def bind(cls: Any) -> None:
    """Give the parser class the binding's ``aup_normalize*`` methods."""
    for name, method in methods().items():
        setattr(cls, name, method)


__all__ = ["bind"]
