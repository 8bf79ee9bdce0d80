"""Split rule-file lines into words, remembering each word's column.

auditctl splits a line on spaces only, turns ``\\ `` into a space and ``\\\\``
into a backslash, and skips blank lines and lines whose first word starts with
``#``.  We do the same, and also accept shell quoting (``'...'``, ``"..."``) the
way go-libaudit does, because real rule files quote paths with spaces (the
``01-file-watch-spaces`` golden was loaded that way); ``shell_quotes=False``
reads quotes as auditctl 3.0 does, as plain characters.  A backslash before any
other character is kept literally, as auditctl keeps it.  Tabs separate words
too and a trailing ``\\r`` (a CRLF file) is dropped: auditctl would fold both
into a word, which only ever produces a confusing error.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from c2audit.rules.errors import LexError, Origin

SEPARATORS = " \t"


@dataclass(frozen=True)
class Token:
    """One word: its value after unquoting, as written, and its 1-based column."""

    text: str
    raw: str
    column: int


@dataclass(frozen=True)
class SourceLine:
    """A non-blank, non-comment line of a rule file and its words."""

    file: str | None
    number: int
    text: str
    tokens: tuple[Token, ...]

    def origin(self, token: Token | None = None) -> Origin:
        """Where ``token`` (or the line's first word) sits, for errors and warnings."""
        token = token or (self.tokens[0] if self.tokens else Token("", "", 1))
        return Origin(self.file, self.number, token.column, token.raw, self.text)


def tokenize(
    text: str, *, file: str | None = None, line: int = 1, shell_quotes: bool = True
) -> tuple[Token, ...]:
    """The words of one line; raises LexError on an unterminated quote."""
    escapable = " \t\\'\"" if shell_quotes else " \\"
    tokens: list[Token] = []
    i, end = 0, len(text)
    while i < end:
        if text[i] in SEPARATORS:
            i += 1
            continue
        start, value = i, []
        while i < end and text[i] not in SEPARATORS:
            char = text[i]
            if shell_quotes and char in "'\"":
                close = _closing_quote(text, i)
                if close < 0:
                    raise LexError(
                        "unterminated-quote",
                        f"unterminated {char} quote",
                        Origin(file, line, i + 1, text[start:], text),
                    )
                value.append(_unquote(text[i + 1 : close], char))
                i = close + 1
            elif char == "\\" and i + 1 < end and text[i + 1] in escapable:
                value.append(text[i + 1])
                i += 2
            else:
                value.append(char)
                i += 1
        tokens.append(Token("".join(value), text[start:i], start + 1))
    return tuple(tokens)


def _closing_quote(text: str, opening: int) -> int:
    quote, i = text[opening], opening + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\" and i + 1 < len(text):
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _unquote(body: str, quote: str) -> str:
    if quote == "'":
        return body
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in '"\\':
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def lex_line(
    text: str, *, file: str | None = None, number: int = 1, shell_quotes: bool = True
) -> SourceLine | None:
    """One line as a SourceLine, or None for a blank or comment line.

    Raises LexError for a line that cannot be split into words.
    """
    line = text.removesuffix("\r")
    words = line.lstrip(SEPARATORS)
    if not words or words.startswith("#"):
        return None
    return SourceLine(file, number, line, tokenize(line, file=file, line=number, shell_quotes=shell_quotes))


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a file with their 1-based numbers (no newline)."""
    yield from enumerate(text.split("\n"), start=1)
