"""C's ``strtol``/``strtoul`` as auditctl uses them to read numbers.

auditctl parses every numeric value with ``strtol(v, NULL, 0)`` or
``strtoul(v, NULL, 0)`` on a 64-bit machine and stores 32 bits of the result:
``010`` is 8, ``0x1F`` is 31, ``1000abc`` is 1000 (the tail is ignored, which a
lint reports), and values past the 64-bit range clamp.  Reproducing that keeps
our rules byte-identical to auditctl's for every input it accepts.
"""
from __future__ import annotations

from typing import NamedTuple

_SPACE = " \t\n\v\f\r"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


class Scan(NamedTuple):
    negative: bool
    magnitude: int
    tail: str  # the text strtol leaves unparsed
    matched: bool  # whether any digit was read


def scan(text: str, base: int = 0) -> Scan:
    """Read an integer prefix of ``text`` the way strtol does."""
    rest = text.lstrip(_SPACE)
    negative = rest[:1] == "-"
    if rest[:1] in ("+", "-") and rest:
        rest = rest[1:]
    hex_prefix = rest[:2].lower() == "0x" and rest[2:3] != "" and rest[2:3].lower() in _DIGITS[:16]
    if base in (0, 16) and hex_prefix:
        base, rest = 16, rest[2:]
    elif base == 0:
        base = 8 if rest[:1] == "0" else 10
    valid = _DIGITS[:base]
    end = 0
    while end < len(rest) and rest[end].lower() in valid:
        end += 1
    if end == 0:
        return Scan(False, 0, text, False)
    return Scan(negative, int(rest[:end], base), rest[end:], True)


def c_strtol(text: str, base: int = 0) -> int:
    """``strtol``: a signed 64-bit result, clamped on overflow."""
    number = scan(text, base)
    value = -number.magnitude if number.negative else number.magnitude
    return max(min(value, INT64_MAX), -INT64_MAX - 1)


def c_strtoul(text: str, base: int = 0) -> int:
    """``strtoul``: an unsigned 64-bit result (a leading ``-`` negates modulo 2**64)."""
    number = scan(text, base)
    value = min(number.magnitude, UINT64_MAX)
    return (-value) % 2**64 if number.negative else value


def u32(value: int) -> int:
    """The 32 bits of a C long that a ``__u32`` field keeps."""
    return value & 0xFFFFFFFF
