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


@dataclass(frozen=True)
class OptionList:
    options: tuple[Option, ...]
    operands: tuple[Token, ...]  # words that belong to no option


def parse_options(line: SourceLine) -> OptionList:
    """The options of a line, raising OptionError for unknown ones or missing arguments."""
    options: list[Option] = []
    operands: list[Token] = []
    words = list(line.tokens)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.text == "--":
            operands.extend(words[i:])
            break
        if word.text.startswith("--"):
            option, i = _long_option(line, word, words, i)
            options.append(option)
        elif word.text.startswith("-") and len(word.text) > 1:
            cluster, i = _short_options(line, word, words, i)
            options.extend(cluster)
        else:
            operands.append(word)
    return OptionList(tuple(options), tuple(operands))


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


def _short_options(line: SourceLine, word: Token, words: list[Token], i: int) -> tuple[list[Option], int]:
    found: list[Option] = []
    text = word.text
    for index in range(1, len(text)):
        letter = text[index]
        if letter in SHORT_FLAGS:
            found.append(Option(letter, None, word, None))
            continue
        if letter not in SHORT_WITH_ARGUMENT:
            raise OptionError("unknown-option", f"Option {word.text} is invalid", line.origin(word))
        rest = text[index + 1 :]
        if rest:
            value_token = Token(rest, rest, word.column + index + 1)
            found.append(Option(letter, rest, word, value_token))
            return found, i
        if i >= len(words):
            raise OptionError("missing-argument", f"Option -{letter} requires an argument", line.origin(word))
        found.append(Option(letter, words[i].text, word, words[i]))
        return found, i + 1
    return found, i
