"""Hex-encoded and quoted strings, proctitle, TTY data and output escaping.

The kernel writes an untrusted string either in double quotes or, when it holds
a quote, a space or a control character, as upper-case hex.  auparse's
``au_unescape`` decodes the *leading run* of hex digits of a value (an odd last
digit becomes a high nibble), and the printed result is a C string: it stops at
the first NUL.  ``(null)``/``(none)`` come through as they are.  These functions
reproduce that, byte for byte, and return text decoded as UTF-8 with
``surrogateescape`` so that no byte is lost (the C binding would raise on
invalid UTF-8 instead).

Escaping (``auparse_set_escape_mode``) is applied to every interpreted value:
TTY mode (the default) writes control characters as ``\\ooo``; the shell modes
also backslash shell metacharacters.
"""
from __future__ import annotations

import re
from enum import IntEnum

from .tty_keys import NAMED_KEYS

_HEX_RUN = re.compile(r"[0-9a-fA-F]*")
_HEX_NIBBLE = {ch: int(ch, 16) for ch in "0123456789abcdefABCDEF"}


class EscapeMode(IntEnum):
    """auparse_esc_t."""

    RAW = 0
    TTY = 1
    SHELL = 2
    SHELL_QUOTE = 3


def unescape(value: str) -> bytes | None:
    """``au_unescape``: the decoded buffer (NULs included), or None when too short."""
    if value[:1] == "(":
        close = value.find(")")
        return None if close < 0 else value[: close + 1].encode("utf-8", "surrogateescape")
    run = _HEX_RUN.match(value).group()  # type: ignore[union-attr]  # matches ''
    if len(run) < 2:
        return None
    if len(run) % 2:
        return bytes.fromhex(run[:-1]) + bytes((_HEX_NIBBLE[run[-1]] << 4,))
    return bytes.fromhex(run)


def c_text(buffer: bytes) -> str:
    """A C string read out of ``buffer``: up to the first NUL, bytes kept."""
    end = buffer.find(b"\0")
    return (buffer if end < 0 else buffer[:end]).decode("utf-8", "surrogateescape")


def print_escaped(value: str) -> str:
    """A quoted or hex-encoded value as text (``print_escaped``)."""
    if value[:1] == '"':
        close = value.find('"', 1)
        return " " if close < 0 else value[1:close]
    # A leading "00" is an abstract AF_UNIX name: skip its NUL.
    buffer = unescape(value[2:] if value[:2] == "00" else value)
    return value if buffer is None else c_text(buffer)


def print_proctitle(value: str) -> str:
    """``proctitle``: the argv NUL separators shown as spaces."""
    if value[:1] == '"':
        return print_escaped(value)
    buffer = unescape(value[2:] if value[:2] == "00" else value)
    if buffer is None:
        return value
    # auparse's buffer is zero-padded to half the encoded length; NULs before
    # that point (separators and padding alike) become spaces.
    limit = len(value) // 2
    padded = buffer.ljust(limit + 1, b"\0")
    return c_text(padded[:limit].replace(b"\0", b" ") + padded[limit:])


def _path_norm(name: str) -> str | None:
    """``path_norm``: resolve ``.``/``..`` and duplicate slashes lexically.

    The C version reuses a static buffer and, for a trailing ``..``, leaves the
    popped component in it; this one returns the clean result instead.
    """
    if not name:
        return None
    if name[0] == ".":
        return name
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def print_escaped_file(value: str, cwd: str | None) -> str:
    """``print_escaped_ext``: a file name made absolute against the CWD (realpath)."""
    name = print_escaped(value)
    if cwd is None:
        return name
    if name[:1] != "/":
        joined = f"{print_escaped(cwd)}/{name}"
    elif ".." not in name:
        return name
    else:
        joined = name
    normalized = _path_norm(joined)
    return joined if normalized is None else normalized


def _tty_char(byte: int) -> str:
    if byte < 0x20 or byte > 0x7E:
        return f"\\{byte:03o}"
    char = chr(byte)
    return "\\" + char if char in '\\"' else char


_TTY_CHARS = tuple(_tty_char(byte) for byte in range(256))
_NAMED_BY_FIRST: dict[int, tuple[tuple[bytes, str], ...]] = {}
for _seq, _name in NAMED_KEYS:
    _NAMED_BY_FIRST[_seq[0]] = _NAMED_BY_FIRST.get(_seq[0], ()) + ((_seq, _name),)


def print_tty_data(value: str) -> str:
    """TTY ``data``: printable runs in quotes, named keys in angle brackets."""
    if _HEX_RUN.fullmatch(value) is None:
        return value
    buffer = unescape(value)
    if buffer is None:
        return value
    data = buffer[: len(value) // 2]
    out: list[str] = []
    in_printable = False
    pos, end = 0, len(data)
    while pos < end:
        byte = data[pos]
        name = None
        if byte < 0x20 or 0x7F <= byte < 0xA0:
            for seq, candidate in _NAMED_BY_FIRST.get(byte, ()):
                if data.startswith(seq, pos):
                    name = candidate
                    pos += len(seq)
                    break
        if name is not None:
            if in_printable:
                out.append('"')
                in_printable = False
            if out:
                out.append(",")
            out.append(f"<{name}>")
        else:
            if not in_printable:
                if out:
                    out.append(",")
                out.append('"')
                in_printable = True
            out.append(_TTY_CHARS[byte])
            pos += 1
    if in_printable:
        out.append('"')
    return "".join(out)


_CONTROL = {code: f"\\{code:03o}" for code in range(32)}
_ESCAPE_TABLES = {
    EscapeMode.TTY: _CONTROL,
    EscapeMode.SHELL: {**_CONTROL, **{ord(c): "\\" + c for c in "\"'`$\\!()| "}},
    EscapeMode.SHELL_QUOTE: {**_CONTROL, **{ord(c): "\\" + c for c in "\"'`$\\!()| ;#&*?[]<>{}"}},
}
_KEY_SEPARATOR = "\x01"


def apply_escape(text: str, mode: EscapeMode, is_key: bool = False) -> str:
    """Escape an interpreted value; a key list keeps its ``\\x01`` separators."""
    table = _ESCAPE_TABLES.get(mode)
    if table is None:
        return text
    if mode == EscapeMode.TTY and text.isprintable():
        return text  # TTY escaping touches control characters only, and a printable text has none
    if is_key and _KEY_SEPARATOR in text:
        return _KEY_SEPARATOR.join(part.translate(table) for part in text.split(_KEY_SEPARATOR))
    return text.translate(table)
