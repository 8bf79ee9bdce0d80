"""A drop-in for the ``auparse`` Python binding of libauparse, in pure Python.

Existing scripts work by changing one import::

    import c2audit.auparse as auparse      # was: import auparse

    au = auparse.AuParser(auparse.AUSOURCE_FILE, "/var/log/audit/audit.log")
    while au.parse_next_event():
        au.first_record()
        ...

Every source type, cursor call, search call, feed/callback call, the
normalizer, the constants and the exceptions (``NoParser``; ``OSError``,
``RuntimeError``, ``LookupError``, ``ValueError`` where the binding raises
them) behave as the binding's.  Records, events and interpretation come from
:mod:`c2audit.records`, :mod:`c2audit.events` and :mod:`c2audit.interpret`.

Deliberate differences (each also in ``tests/test_auparse*.py``):

* events are grouped with audit-userspace 4.x's rule: a ``LOGIN`` record
  joins the ``SYSCALL`` of its event (3.0.9 made two events of them);
* descriptors and file objects given as sources are never closed (3.0.9
  closed them when the parser went away; 4.x does not);
* text is decoded as UTF-8 with ``surrogateescape`` instead of raising on
  invalid bytes; a callback's exception propagates out of ``feed()``;
* ``set_lookups()`` (an addition) fixes user/group/protocol names for tests.
"""
from __future__ import annotations

from . import constants as _constants
from .constants import *
from .constants import BINDING_TYPO_ALIASES, FIELD_TYPES
from .normalize import bind as _bind_normalizer
from .parser import AuParser, NoParser, set_lookups
from .timestamp import AuEvent

globals().update(FIELD_TYPES)
globals().update(BINDING_TYPO_ALIASES)
_bind_normalizer(AuParser)

__all__ = ["AuEvent", "AuParser", "NoParser", "set_lookups"]
__all__ += [*_constants.__all__, *sorted(FIELD_TYPES), *sorted(BINDING_TYPO_ALIASES)]  # noqa: PLE0604
