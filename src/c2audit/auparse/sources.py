"""Where an :class:`~c2audit.auparse.AuParser` gets its lines: the I/O edge.

Each ``AUSOURCE_*`` is a :class:`LineSource` whose :meth:`~LineSource.read`
returns the next line (newline removed) or one of two signals, as
libauparse's ``retrieve_next_line`` does:

* :data:`NO_DATA` — nothing complete to read now.  Buffers end this way when
  their last line lacks a newline (libauparse keeps such a fragment and never
  parses it), and a feed always does: more may be fed later;
* :data:`EOF` — the input is exhausted: the parser then completes every event
  it holds.

Lines are C strings in libauparse, so a NUL ends one early; text is decoded
as UTF-8 with ``surrogateescape`` so that no byte is lost.  Descriptors and
file objects are read through a duplicate of their descriptor (sharing the
offset, as the C library's ``FILE`` does) and never closed: the caller owns
them, as in audit-userspace 4.x.
"""
from __future__ import annotations

import codecs
import errno
import io
import os
from collections.abc import Sequence
from typing import TextIO

NO_DATA = 0
EOF = -2

_ENCODING = {"encoding": "utf-8", "errors": "surrogateescape", "newline": "\n"}
AUDITD_CONF = "/etc/audit/auditd.conf"
DEFAULT_LOG_FILE = "/var/log/audit/audit.log"


def c_line(line: str) -> str:
    """What the C library sees of a line read with ``getline``: no newline, nothing after a NUL."""
    if line[-1:] == "\n":
        line = line[:-1]
    if "\0" in line:
        line = line[: line.index("\0")]
    return line


def _readable_or_errno(path: str) -> int:
    """0 when ``access(path, R_OK)`` succeeds, else the errno it fails with."""
    if os.access(path, os.R_OK):
        return 0
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno or errno.EACCES
    return errno.EACCES


class LineSource:
    """One input of a parser; subclasses say where lines come from."""

    filename: str | None = None
    line_number = 0

    def read(self) -> str | int:
        """The next line, or :data:`NO_DATA` / :data:`EOF`."""
        raise NotImplementedError

    def append(self, data: str) -> None:
        """``auparse_feed`` appends to the parser's data buffer; only buffer sources read it."""

    def rewind(self) -> bool:
        """``auparse_reset``: start over; False where the source cannot (a feed)."""
        self.line_number = 0
        return True

    def close(self) -> None:
        """Release what the source opened itself."""


class FileListSource(LineSource):
    """``AUSOURCE_FILE``, ``AUSOURCE_FILE_ARRAY`` and ``AUSOURCE_LOGS``: files read in turn.

    Files are opened on first read, line numbers restart at 1 in each, and
    :attr:`filename` is the name as given.  A file is read in large chunks
    cut into lines at once (what ``getline`` returns, a last line without a
    newline included), which costs far less per line than ``readline``.
    """

    CHUNK = 1 << 20

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        self._index = 0
        self._stream: TextIO | None = None
        self._lines: list[str] = []
        self._next = 0
        self._partial = ""

    def read(self) -> str | int:
        position = self._next
        if position < len(self._lines):
            self._next = position + 1
            self.line_number += 1
            return self._lines[position]
        while True:
            if self._stream is None:
                if self._index >= len(self.paths):
                    return EOF
                self._open(self.paths[self._index])
            if self._fill():
                return self.read()
            self._close_stream()
            self._index += 1

    def _fill(self) -> bool:
        """Read on until whole lines are at hand; False at the end of the file."""
        assert self._stream is not None
        while True:
            data = self._stream.read(self.CHUNK)
            if data:
                text = self._partial + data
                lines = text.split("\n")
                self._partial = lines.pop()
                if not lines:
                    continue  # no newline yet: a very long line
            elif self._partial:
                text, self._partial = self._partial, ""
                lines = [text]  # the last line, without a newline
            else:
                return False
            if "\0" in text:
                lines = [line if "\0" not in line else line[: line.index("\0")] for line in lines]
            self._lines, self._next = lines, 0
            return True

    def _open(self, path: str) -> None:
        try:
            self._stream = open(path, **_ENCODING)  # noqa: SIM115 - closed at EOF or reset
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror) from None
        self.filename = path
        self.line_number = 0

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = None
        self._lines, self._next, self._partial = [], 0, ""

    def rewind(self) -> bool:
        self._close_stream()
        self._index = 0
        self.line_number = 0
        return True

    def close(self) -> None:
        self._close_stream()


class StreamSource(LineSource):
    """``AUSOURCE_DESCRIPTOR`` and ``AUSOURCE_FILE_POINTER``: an open descriptor, read from its offset.

    ``fd`` is duplicated (``None`` when it was not a valid descriptor: reading
    then fails with ``EBADF``, as the C library's does).  The end of input is
    final, as for a C stream whose end-of-file flag is set.
    """

    def __init__(self, fd: int) -> None:
        try:
            self._stream: TextIO | None = open(os.dup(fd), **_ENCODING)  # noqa: SIM115 - closed by close()
        except OSError:
            self._stream = None
        self._ended = False

    def read(self) -> str | int:
        if self._stream is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        if self._ended:
            return EOF
        line = self._stream.readline()
        if not line:
            self._ended = True
            return EOF
        self.line_number += 1
        return c_line(line)

    def rewind(self) -> bool:
        if self._stream is not None:
            self._stream.seek(0)
        self._ended = False
        self.line_number = 0
        return True

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class BufferSource(LineSource):
    """``AUSOURCE_BUFFER``/``AUSOURCE_BUFFER_ARRAY`` (``feeding=False``) and ``AUSOURCE_FEED``.

    Lines end at a newline; a fragment after the last one waits for more
    data (never parsed in a buffer, completed by the next feed).  A buffer
    has an end (:data:`EOF` once consumed) and can rewind; a feed has neither.
    """

    def __init__(self, text: str = "", *, feeding: bool = False) -> None:
        self._text = text
        self._pos = 0
        self._feeding = feeding
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")

    def read(self) -> str | int:
        text, pos = self._text, self._pos
        end = text.find("\n", pos)
        if end < 0:
            return NO_DATA if self._feeding or pos < len(text) else EOF
        self._pos = end + 1
        self.line_number += 1
        line = text[pos:end]
        return line if "\0" not in line else line[: line.index("\0")]

    def append(self, data: str | bytes) -> None:
        if not isinstance(data, str):
            data = self._decoder.decode(bytes(data))
        if self._feeding and self._pos:
            self._text = self._text[self._pos:]  # feeds forget what they consumed
            self._pos = 0
        self._text += data

    def rewind(self) -> bool:
        if self._feeding:
            return False
        self._pos = 0
        self.line_number = 0
        return True

    @property
    def pending(self) -> str:
        """Data appended but not yet read as a line."""
        return self._text[self._pos:]


def buffer_text(buffer: str) -> str:
    """A buffer as the C library copies it: up to the first NUL (``strlen``)."""
    return buffer if "\0" not in buffer else buffer[: buffer.index("\0")]


def configured_logs(config_path: str = AUDITD_CONF) -> list[str]:
    """``AUSOURCE_LOGS``: the configured log and its rotations, oldest first.

    Raises ``FileNotFoundError`` when not even the current log is readable
    (libauparse prints "No log file" and fails with ENOENT).
    """
    log_file = read_auditd_setting("log_file", config_path) or DEFAULT_LOG_FILE
    names: list[str] = []
    while True:
        name = log_file if not names else f"{log_file}.{len(names)}"
        if not os.access(name, os.R_OK):
            break
        names.append(name)
    if not names:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    return names[::-1]


def read_auditd_setting(keyword: str, config_path: str = AUDITD_CONF) -> str | None:
    """One ``keyword = value`` of auditd.conf as libauparse's loader reads it (last wins), or None."""
    value = None
    try:
        with open(config_path, encoding="utf-8", errors="replace") as conf:
            for line in conf:
                name, sep, rest = line.partition("=")
                if sep and not name.lstrip().startswith("#") and name.strip().lower() == keyword:
                    value = rest.strip()
    except OSError:
        return None
    return value


def text_file_descriptor(source: object) -> int:
    """The descriptor of a text file object (``AUSOURCE_FILE_POINTER``), or raise as the binding does."""
    if not isinstance(source, io.TextIOBase):
        raise ValueError(  # noqa: TRY004 - the binding's exception
            "source must be a file object when source_type is AUSOURCE_FILE_POINTER")
    try:
        fd = source.fileno()
        os.fstat(fd)
    except (OSError, ValueError):
        raise TypeError("source must be open file when source_type is AUSOURCE_FILE_POINTER") from None
    return fd
