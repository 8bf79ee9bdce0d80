"""C number conversions exactly as glibc's ``strtoul``/``strtol`` do them on LP64.

auditctl reads rule values with ``strtol(v, NULL, 0)``/``strtoul(v, NULL, 0)`` and
libauparse reads every record number with ``strtoul(v, NULL, 10 or 16)``; both then
store the result in 32-bit variables.  Leading space, signs, ``0x`` prefixes, octal
``0``, an ignored tail (``1000abc`` is 1000), clamping on overflow and truncation to
32 bits all shape what they accept and print, so both the rules compiler and the
interpreter read numbers here to come out the same as the C tools.

:func:`scan` reads the numeric prefix once; :meth:`Scan.unsigned` and
:meth:`Scan.signed` give what ``strtoul`` and ``strtol`` return from it (value and
whether ``errno`` would be ``ERANGE``).
"""
from __future__ import annotations

import re
from typing import NamedTuple

ULONG_MAX = (1 << 64) - 1
LONG_MAX = (1 << 63) - 1
LONG_MIN = -(1 << 63)

_SIGN = re.compile(r"[ \t\n\v\f\r]*([+-]?)")  # isspace() in the C locale, then one sign
_HEX_PREFIX = re.compile(r"0[xX](?=[0-9a-fA-F])")  # "0x" counts only when a hex digit follows
_DIGITS = {8: re.compile(r"[0-7]+"), 10: re.compile(r"[0-9]+"), 16: re.compile(r"[0-9a-fA-F]+")}
# ULONG_MAX has 20 decimal digits: a longer run (leading zeros aside) overflows whatever
# it says, and Python refuses int() on more than 4300 decimal digits anyway.
_MAX_DIGITS = 22
_OVERFLOW = ULONG_MAX + 1


class Scan(NamedTuple):
    """The numeric prefix ``strtol`` reads from a text."""

    negative: bool
    magnitude: int  # past ULONG_MAX when it overflows
    tail: str  # what strtol leaves unparsed (all of the text when no digit was read)
    matched: bool  # whether any digit was read

    def unsigned(self) -> tuple[int, bool]:
        """``strtoul``: (value, ERANGE); a minus sign negates modulo 2**64, overflow gives ULONG_MAX."""
        if self.magnitude > ULONG_MAX:
            return ULONG_MAX, True
        return ((-self.magnitude) & ULONG_MAX if self.negative else self.magnitude), False

    def signed(self) -> tuple[int, bool]:
        """``strtol``: (value, ERANGE), clamped to the ``long`` range."""
        value = -self.magnitude if self.negative else self.magnitude
        if value > LONG_MAX:
            return LONG_MAX, True
        if value < LONG_MIN:
            return LONG_MIN, True
        return value, False


def scan(text: str, base: int = 0) -> Scan:
    """Read the integer prefix of ``text`` the way ``strtol`` does; ``base`` is 0, 8, 10 or 16."""
    sign = _SIGN.match(text)
    assert sign is not None  # the pattern matches the empty string
    start = sign.end()
    if base in (0, 16) and _HEX_PREFIX.match(text, start):
        base, start = 16, start + 2
    elif base == 0:
        base = 8 if text.startswith("0", start) else 10
    digits = _DIGITS[base].match(text, start)
    if digits is None:
        return Scan(False, 0, text, False)
    run = digits.group().lstrip("0")
    magnitude = _OVERFLOW if len(run) > _MAX_DIGITS else int(run, base) if run else 0
    return Scan(sign.group(1) == "-", magnitude, text[digits.end():], True)


def strtoul(text: str, base: int = 0) -> tuple[int, bool]:
    """``strtoul(text, NULL, base)`` on LP64: (value, ERANGE)."""
    if base in (10, 16) and len(text) <= _MAX_DIGITS and text.isascii() and text.isalnum():
        # The common case, plain digits: int() reads them as strtoul does ("0x" included
        # in base 16); anything it refuses takes the exact path below.
        try:
            value = int(text, base)
        except ValueError:
            pass
        else:
            return (ULONG_MAX, True) if value > ULONG_MAX else (value, False)
    return scan(text, base).unsigned()


def strtol(text: str, base: int = 0) -> tuple[int, bool]:
    """``strtol(text, NULL, base)`` on LP64: (value, ERANGE)."""
    return scan(text, base).signed()


strtoull = strtoul
strtoll = strtol


def c_int(value: int) -> int:
    """The value a C ``int`` holds after assignment (low 32 bits, two's complement)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def c_uint(value: int) -> int:
    """The value a C ``unsigned int`` (or ``__u32``) holds after assignment."""
    return value & 0xFFFFFFFF
