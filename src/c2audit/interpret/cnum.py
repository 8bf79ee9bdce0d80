"""C number conversions exactly as glibc's ``strtoul``/``strtol``/``strtoull`` do them.

libauparse reads every number with these functions and then stores the result in
``int``/``unsigned int`` variables, so garbage, signs, ``0x`` prefixes, overflow and
truncation to 32 bits all shape what it prints.  Reproducing them here is what
makes odd values come out the same as in the C library.
"""
from __future__ import annotations

import re

ULONG_MAX = (1 << 64) - 1
LONG_MAX = (1 << 63) - 1
LONG_MIN = -(1 << 63)

_SPACE = " \t\n\v\f\r"
_DECIMAL = re.compile(r"([+-]?)([0-9]*)")
_OCTAL = re.compile(r"([+-]?)([0-7]*)")
_HEX = re.compile(r"([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)")
_PATTERNS = {10: _DECIMAL, 8: _OCTAL, 16: _HEX}


def _digits(text: str, base: int) -> tuple[bool, int]:
    """(negative, magnitude) of the longest numeric prefix; 0 when there is none."""
    match = _PATTERNS[base].match(text.lstrip(_SPACE))
    assert match is not None  # every pattern matches the empty string
    digits = match.group(2)
    return match.group(1) == "-", int(digits, base) if digits else 0


def strtoul(text: str, base: int) -> tuple[int, bool]:
    """``strtoul`` on LP64: (value, ERANGE).  A minus sign negates modulo 2**64."""
    if base != 8 and text.isascii() and text.isalnum():
        # The common case, plain digits: int() reads them as strtoul does ("0x" included
        # in base 16); anything it refuses takes the exact path below.
        try:
            value = int(text, base)
        except ValueError:
            pass
        else:
            return (ULONG_MAX, True) if value > ULONG_MAX else (value, False)
    negative, magnitude = _digits(text, base)
    if magnitude > ULONG_MAX:
        return ULONG_MAX, True
    return ((-magnitude) & ULONG_MAX if negative else magnitude), False


def strtol(text: str, base: int) -> tuple[int, bool]:
    """``strtol`` on LP64: (value, ERANGE), clamped to the ``long`` range."""
    negative, magnitude = _digits(text, base)
    value = -magnitude if negative else magnitude
    if value > LONG_MAX:
        return LONG_MAX, True
    if value < LONG_MIN:
        return LONG_MIN, True
    return value, False


strtoull = strtoul
strtoll = strtol


def c_int(value: int) -> int:
    """The value a C ``int`` holds after assignment (low 32 bits, two's complement)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def c_uint(value: int) -> int:
    """The value a C ``unsigned int`` holds after assignment."""
    return value & 0xFFFFFFFF


_HEX_STRING = re.compile(r"[0-9a-fA-F]*")
_INT_STRING = re.compile(r"[0-9]*")


def is_hex_string(text: str) -> bool:
    """auparse's ``is_hex_string``: every character a hex digit (true for '')."""
    return _HEX_STRING.fullmatch(text) is not None


def is_int_string(text: str) -> bool:
    """auparse's ``is_int_string``: every character a decimal digit (true for '')."""
    return _INT_STRING.fullmatch(text) is not None
