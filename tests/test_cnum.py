"""c2audit.cnum against glibc's own strtoul/strtol (through ctypes) and the cases the tools rely on."""
from __future__ import annotations

import ctypes
import ctypes.util
import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2audit.cnum import LONG_MAX, LONG_MIN, ULONG_MAX, c_int, c_uint, scan, strtol, strtoul


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None or "libc.so.6" not in name:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    for function, result in ((libc.strtoul, ctypes.c_ulong), (libc.strtol, ctypes.c_long)):
        function.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]
        function.restype = result
    return libc


LIBC = _glibc()
needs_glibc = pytest.mark.skipif(LIBC is None or ctypes.sizeof(ctypes.c_long) != 8,
                                 reason="needs glibc with a 64-bit long to compare against")


def _c_call(function: ctypes._CFuncPtr, text: str, base: int) -> tuple[int, bool, str]:
    raw = ctypes.create_string_buffer(text.encode())
    end = ctypes.c_char_p()
    ctypes.set_errno(0)
    value = function(raw, ctypes.byref(end), base)
    consumed = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(raw)  # type: ignore[operator]
    return value, ctypes.get_errno() == errno.ERANGE, text[consumed:]


numeric_text = st.text(alphabet=" \t\v+-0123456789abcdefxXg", max_size=30)


@needs_glibc
@settings(max_examples=400, deadline=None)
@given(text=numeric_text, base=st.sampled_from((0, 8, 10, 16)))
def test_strtoul_and_strtol_match_glibc(text: str, base: int) -> None:
    assert LIBC is not None
    value, erange, tail = _c_call(LIBC.strtoul, text, base)
    assert strtoul(text, base) == (value, erange)
    assert scan(text, base).tail == tail
    value, erange, _ = _c_call(LIBC.strtol, text, base)
    assert strtol(text, base) == (value, erange)


@needs_glibc
@pytest.mark.parametrize("text", ["-99999999999999999999999", "-18446744073709551616", "1" * 5000,
                                  "0x" + "f" * 3000, "0" * 5000 + "7", "-" + "9" * 5000])
def test_overflow_and_hostile_lengths_match_glibc(text: str) -> None:
    assert LIBC is not None
    for base in (0, 10, 16):
        assert strtoul(text, base) == _c_call(LIBC.strtoul, text, base)[:2]
        assert strtol(text, base) == _c_call(LIBC.strtol, text, base)[:2]


def test_base_zero_reads_octal_hex_and_decimal_as_auditctl_does() -> None:
    assert strtol("010")[0] == 8
    assert strtol("0x1F")[0] == 31
    assert strtol("1000abc")[0] == 1000 and scan("1000abc").tail == "abc"
    assert strtol("0x")[0] == 0 and scan("0x").tail == "x"  # "0x" needs a hex digit after it
    assert scan("abc") == (False, 0, "abc", False)


def test_auparse_bases() -> None:
    assert strtoul("0x1f", 16) == (31, False)
    assert strtoul(" -1", 10) == (ULONG_MAX, False)
    assert strtoul("12abc", 10) == (12, False)
    assert strtoul("zz", 16) == (0, False)
    assert strtoul("1" * 30, 10)[1] is True
    assert strtol("-" + "9" * 30, 10)[1] is True


def test_limits_and_c_assignment() -> None:
    assert strtoul("18446744073709551616", 10) == (ULONG_MAX, True)
    assert strtoul("-1", 10) == (ULONG_MAX, False)
    assert strtol("-9223372036854775809", 10) == (LONG_MIN, True)
    assert strtol("9223372036854775808", 10) == (LONG_MAX, True)
    assert c_int(0xFFFFFFFE) == -2 and c_uint(-1) == 0xFFFFFFFF
