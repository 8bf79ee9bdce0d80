"""Opening a parser's input and checking arguments, with the binding's exceptions and messages.

``AuParser(source_type, source)`` accepts what the C binding accepts and
fails as it fails (``ValueError``/``TypeError`` texts, ``OSError`` with errno
and, for a single file, its name).  :func:`require_types` mirrors
``PyArg_ParseTuple``'s ``s`` and ``i`` units for the methods.
"""
from __future__ import annotations

import errno
import os
from typing import Any

from . import constants as C
from .sources import (
    BufferSource,
    FileListSource,
    LineSource,
    StreamSource,
    buffer_text,
    configured_logs,
    text_file_descriptor,
)


def os_error(code: int) -> OSError:
    """What ``PyErr_SetFromErrno`` raises for ``code`` (0 reads "Error")."""
    return OSError(code, os.strerror(code) if code else "Error")


INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1


def require_types(*pairs: tuple[object, type], function: str | None = None) -> None:
    """``PyArg_ParseTuple`` with ``s`` and ``i`` units: the same TypeError/OverflowError texts."""
    prefix = f"{function}() " if function else ""
    for position, (value, kind) in enumerate(pairs, 1):
        if kind is str and not isinstance(value, str):
            shown = "None" if value is None else type(value).__name__
            raise TypeError(f"{prefix}argument {position} must be str, not {shown}")
        if kind is int:
            if not isinstance(value, int):
                raise TypeError(f"'{type(value).__name__}' object cannot be interpreted as an integer")
            if value > INT_MAX:
                raise OverflowError("signed integer is greater than maximum")
            if value < INT_MIN:
                raise OverflowError("signed integer is less than minimum")


def open_source(source_type: int, source: Any) -> LineSource:
    """The line source for ``AuParser(source_type, source)``, failing as the binding does."""
    if source_type == C.AUSOURCE_LOGS:
        if source is not None:
            raise ValueError("source must be None or not passed as a parameter when source_type is AUSOURCE_LOGS")
        return FileListSource(configured_logs())
    if source_type == C.AUSOURCE_FILE:
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        if not isinstance(source, str):
            raise ValueError("source must be a string when source_type is AUSOURCE_FILE")
        _check_readable(source, with_name=True)
        return FileListSource([source])
    if source_type == C.AUSOURCE_FILE_ARRAY:
        paths = _strings(source, "AUSOURCE_FILE_ARRAY", "AUSOURCE_FILE_ARRAY")
        for path in paths:
            _check_readable(path, with_name=False)
        return FileListSource(paths)
    if source_type == C.AUSOURCE_BUFFER:
        if not isinstance(source, str):
            raise TypeError("bad argument type for built-in operation")
        return BufferSource(buffer_text(source))
    if source_type == C.AUSOURCE_BUFFER_ARRAY:
        buffers = _strings(source, "AUSOURCE_FILE_ARRAY", "AUSOURCE_BUFFER_ARRAY")
        return BufferSource("".join(buffer_text(buffer) for buffer in buffers))
    if source_type == C.AUSOURCE_DESCRIPTOR:
        fd = _descriptor(source)
        if fd < 0:
            raise ValueError("source must be resolvable to a file descriptor when source_type is "
                             "AUSOURCE_DESCRIPTOR")
        return StreamSource(fd)
    if source_type == C.AUSOURCE_FILE_POINTER:
        return StreamSource(text_file_descriptor(source))
    if source_type == C.AUSOURCE_FEED:
        if source is not None:
            raise ValueError("source must be None when source_type is AUSOURCE_FEED")
        return BufferSource(feeding=True)
    raise ValueError("Invalid source type")


def _strings(source: Any, sequence_name: str, member_name: str) -> list[str]:
    """The members of a ``PySequence_Check`` sequence, which must all be strings."""
    kind = type(source)
    if isinstance(source, dict) or not (hasattr(kind, "__getitem__") and hasattr(kind, "__len__")):
        raise ValueError(f"source must be a sequence when source_type is {sequence_name}")
    items = list(source)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"members of source sequence must be a string when source_type is {member_name}")
    return items


def _check_readable(path: str, with_name: bool) -> None:
    if os.access(path, os.R_OK):
        return
    try:
        os.stat(path)
        code = errno.EACCES
    except OSError as exc:
        code = exc.errno or errno.EACCES
    if with_name:
        raise OSError(code, os.strerror(code), path)
    raise OSError(code, os.strerror(code))


def _descriptor(source: Any) -> int:
    """``PyObject_AsFileDescriptor``: an int, or the result of ``fileno()``; -1 when neither."""
    if isinstance(source, int) and not isinstance(source, bool):
        return source
    fileno = getattr(source, "fileno", None)
    if fileno is None:
        return -1
    try:
        fd = fileno()
    except (OSError, ValueError):
        return -1
    return fd if isinstance(fd, int) else -1
