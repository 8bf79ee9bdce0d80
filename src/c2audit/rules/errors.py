"""Typed errors and warnings of the rule language, each with the place it came from.

Every problem found in a rule file names its file, line, column and the
offending token, and keeps the whole source line, so a lint can point at it and
an edge can log it and carry on.  ``code`` is a stable kebab-case identifier
(tests and ``rules check`` match on it); ``message`` follows auditctl's wording
where auditctl has one, so users find the same words in its documentation.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where something was written: file (None for a command line), 1-based line and column."""

    file: str | None
    line: int
    column: int
    token: str
    text: str  # the whole source line, as written

    def location(self) -> str:
        return f"{self.file or '<command line>'}:{self.line}:{self.column}"


class RuleError(ValueError):
    """A rule or control line that auditctl would refuse."""

    def __init__(self, code: str, message: str, origin: Origin | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.origin = origin

    def at(self, origin: Origin) -> RuleError:
        """The same error placed at ``origin`` (for errors raised below the parser)."""
        return type(self)(self.code, self.message, origin)

    def __str__(self) -> str:
        if self.origin is None:
            return self.message
        return f"{self.origin.location()}: {self.message} (at {self.origin.token!r})"


class LexError(RuleError):
    """The line cannot be split into words (an unterminated quote)."""


class OptionError(RuleError):
    """An unknown option, a missing argument, a stray word, a bad control value."""


class FieldError(RuleError):
    """A ``-F``/``-C``/``-k``/``-p``/``-w`` value the rule cannot take."""


class SyscallError(RuleError):
    """A ``-S`` syscall (or io_uring op) unknown on the rule's arch, or misplaced."""


class RuleDataError(RuleError):
    """Bytes that are not a well-formed ``struct audit_rule_data``."""


@dataclass(frozen=True)
class RuleWarning:
    """Something auditctl accepts but warns about (relative path, 32/64-bit mismatch, ...)."""

    code: str
    message: str
    origin: Origin | None = None

    def __str__(self) -> str:
        where = f"{self.origin.location()}: " if self.origin else ""
        return f"{where}warning: {self.message}"
