"""auditctl's option syntax: GNU ``getopt_long`` over a line's words.

auditctl reads every rule line (and its own command line) with ``getopt_long``
and the option string ``hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:``: short
options cluster (``-Dl``), an argument may be attached (``-Sopen``) or be the
next word (even one starting with ``-``), long options may be abbreviated to a
unique prefix and take ``--name=value``, ``--`` ends the options, and words
that are no option's argument are set aside (GNU permutation) to be refused
later as "parameter passed without an option given".
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from c2audit.rules.errors import OptionError
from c2audit.rules.lexer import SourceLine, Token

SHORT_FLAGS = frozenset("hicslDvt")
SHORT_WITH_ARGUMENT = frozenset("CefrbaAdSFmRwWkpq")
# long option -> takes an argument
LONG_OPTIONS: dict[str, bool] = {
    "loginuid-immutable": False,
    "backlog_wait_time": True,
    "reset-lost": False,
    "reset_backlog_wait_time_actual": False,
    "signal": True,
}


@dataclass(frozen=True)
class Option:
    """One option in line order: ``name`` is the letter or the long name."""

    name: str
    value: str | None
    token: Token  # the word holding the option
    value_token: Token | None  # the word (or part of it) holding the value


def iter_options(line: SourceLine) -> Iterator[Option | Token]:
    """Options in order, and the words that belong to none (as Tokens), like getopt's loop.

    An unknown option or a missing argument raises OptionError only when the
    loop reaches it, so an option that ends the line first (``-D``) wins.
    """
    words = list(line.tokens)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.text == "--":
            yield from words[i:]
            return
        if word.text.startswith("--"):
            option, i = _long_option(line, word, words, i)
            yield option
        elif word.text.startswith("-") and len(word.text) > 1:
            yield from _short_options(line, word, words, i)
            i = _after_short_options(word, words, i)
        else:
            yield word


def _long_option(line: SourceLine, word: Token, words: list[Token], i: int) -> tuple[Option, int]:
    name, has_equals, attached = word.text[2:].partition("=")
    candidates = [n for n in LONG_OPTIONS if n == name] or [n for n in LONG_OPTIONS if n.startswith(name)]
    if len(candidates) != 1 or not name:
        why = "is ambiguous" if len(candidates) > 1 else "is invalid"
        raise OptionError("unknown-option", f"Option {word.text} {why}", line.origin(word))
    full = candidates[0]
    if not LONG_OPTIONS[full]:
        if has_equals:
            raise OptionError("unexpected-argument", f"Option --{full} takes no argument", line.origin(word))
        return Option(full, None, word, None), i
    if has_equals:
        value_token = Token(attached, attached, word.column + 2 + len(name) + 1)
        return Option(full, attached, word, value_token), i
    if i >= len(words):
        raise OptionError("missing-argument", f"Option --{full} requires an argument", line.origin(word))
    return Option(full, words[i].text, word, words[i]), i + 1


def _short_options(line: SourceLine, word: Token, words: list[Token], i: int) -> Iterator[Option]:
    text = word.text
    for index in range(1, len(text)):
        letter = text[index]
        if letter in SHORT_FLAGS:
            yield Option(letter, None, word, None)
            continue
        if letter not in SHORT_WITH_ARGUMENT:
            raise OptionError("unknown-option", f"Option {word.text} is invalid", line.origin(word))
        rest = text[index + 1 :]
        if rest:
            yield Option(letter, rest, word, Token(rest, rest, word.column + index + 1))
        elif i < len(words):
            yield Option(letter, words[i].text, word, words[i])
        else:
            raise OptionError("missing-argument", f"Option -{letter} requires an argument", line.origin(word))
        return


def _after_short_options(word: Token, words: list[Token], i: int) -> int:
    """Where the next option starts: past the next word when the cluster's last option took it."""
    for index in range(1, len(word.text)):
        if word.text[index] in SHORT_WITH_ARGUMENT:
            return i + 1 if index == len(word.text) - 1 else i
    return i
