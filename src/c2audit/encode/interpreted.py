"""``--format interpreted``: events exactly as ``ausearch -i`` (audit 3.0.9) prints them.

``ausearch-report.c`` does not use libauparse's record parser: it cuts each
record with its own loop, and the quirks of that loop are part of the output::

    ----
    type=PATH msg=audit(04/12/17 22:48:11.036:59) : item=0 name=/usr/bin/grep … objtype=NORMAL 
    type=SYSCALL msg=audit(04/12/17 22:48:11.036:59) : arch=x86_64 syscall=execve … key=user_commands 

* ``----`` opens each event; its records are printed **last to first**; an
  event whose last record is a daemon record (1200–1299) prints only that one.
* The header is ``[node=N ]type=NAME msg=audit(DATE TIME.mmm:serial) `` with
  the date and time as ``strftime("%x %T")`` in the local time zone and the
  ``LC_TIME`` locale (``TZ`` and ``LC_ALL`` decide, as for ausearch).
* The body is cut at each ``=``: everything since the previous value (the
  name, and any words without ``=``) is printed as it is, then the value's
  interpretation and one space.  A value runs to the next space, or to its
  closing quote (the character after the quote is swallowed); an unquoted
  value is cut at a comma unless its field is a security label, and the comma
  is lost unless the field is unclassified.  ``msg='`` opens nested fields;
  words after the last value are dropped.
* Interpretation is libauparse's (:class:`c2audit.interpret.Interpreter`, TTY
  escaping, the record's ENRICHED names first), with ausearch's own context:
  in SYSCALL and SECCOMP records the machine is the host's until ``arch=`` and
  the syscall unset until ``syscall=``; elsewhere the syscall is 0.  ``a0``/``a1``
  come from the last SYSCALL record *printed* — since records print last to
  first, those of the previous event for the records before it.
  Unclassified values print raw; ``key`` lists print as ``key=a key=b``.

Events come from :class:`c2audit.events_ausearch.AusearchGrouper`, which groups
records as ausearch does (``c2audit parse --format interpreted`` uses it);
those :func:`c2audit.events_ausearch.search_items` refuses are not printed.

Speed: :meth:`InterpretedEncoder._exact_body` is that loop, line for line.  Most
records take a cached path instead that prints the same (a hypothesis test
holds the two equal): each distinct word's text is worked out once per record
type, and a record whose words are all known is one lookup pass and one join.
The caches are bounded, so memory stays flat.
"""
from __future__ import annotations

import locale
import time
from collections.abc import Callable

from c2audit.cnum import c_int, strtoul
from c2audit.encode import EncodeOptions
from c2audit.events import Event, Output
from c2audit.events_ausearch import search_items
from c2audit.interpret import (
    EscapeMode,
    FieldType,
    Interpreter,
    Lookups,
    RecordContext,
    SystemLookups,
    field_type,
)
from c2audit.interpret.context import parse_enriched
from c2audit.interpret.encoded import apply_escape
from c2audit.interpret.syscall_args import (
    READS_ARGUMENTS,
    ArgPrinter,
    a0_printer,
    a1_printer,
    a2_printer,
    a3_printer,
    syscall_name,
)
from c2audit.interpret.types import type_depends_on_value
from c2audit.machines import MACHINE_OF_ELF as MACHINE_BY_ELF
from c2audit.records import NAME_BY_TYPE, Record
from c2audit.tables import uapi

SEPARATOR = "----\n"
_UNSET = (1 << 64) - 1  # ausearch's "unsigned long machine = -1"
_KEY_SEPARATOR = "\x01"
_SYSCALL_LIKE = frozenset((uapi.AUDIT_SYSCALL, uapi.AUDIT_SECCOMP))
_DAEMON_TYPES = range(uapi.AUDIT_DAEMON_START, uapi.AUDIT_SYSCALL)

_PIECES_LIMIT = 1 << 16  # cached words per record type
_TYPES_KEPT = 256  # record types with cached words
_SYSCALLS_KEPT = 512  # (arch, syscall) pairs whose SYSCALL words are kept, each up to _PIECES_LIMIT // 8
_KEPT_ARGUMENT = 12  # longer argument words (pointers, mostly seen once) are printed, not kept
_VALUES_KEPT = 1024  # words kept per (record type, field name): more values than this will not repeat


class _Role:
    """A word of a SYSCALL/SECCOMP record whose text depends on the record's machine, syscall or
    arguments: ``arch``, ``syscall``, argument ``a<index>``, or another such field (``other``)."""

    __slots__ = ("index", "kind")

    def __init__(self, kind: str, index: int = -1) -> None:
        self.kind = kind
        self.index = index


_ARCH, _SYSCALL, _OTHER = _Role("arch"), _Role("syscall"), _Role("other")
_ARGUMENTS = {kind: _Role("argument", index)
              for index, kind in enumerate((FieldType.A0, FieldType.A1, FieldType.A2, FieldType.A3))}
_MULTIPLEXERS = frozenset(("socketcall", "ipc"))  # syscalls named after their a0
_ARG_PRINTERS = (a0_printer, a1_printer, a2_printer, a3_printer)  # the printer for "" is the plain hex one
_NO_NAMES: dict[str, str] = {}
_QUOTES = frozenset("'\"")
_NEEDS_NAME = "\x00"  # joined text of a word that prints so only right after a field
_LEAVES_WORDS = "\x01"  # joined text of a word after which words without '=' are pending

_STATE_NAMES = frozenset(("arch", "syscall"))  # fields that set the machine and syscall of what follows
# Interpretations that read the record's machine, syscall or a0/a1.
_CONTEXT_TYPES = frozenset((FieldType.ARCH, FieldType.SYSCALL, FieldType.A0, FieldType.A1, FieldType.A2,
                            FieldType.A3))

TimeFormat = Callable[[int], str]


def local_time_format() -> TimeFormat:
    """``strftime("%x %T", localtime(sec))`` as ausearch prints it (after ``setlocale(LC_ALL, "")``)."""
    try:
        locale.setlocale(locale.LC_TIME, "")
    except locale.Error:
        pass  # an unknown locale in the environment: the C locale, as the C library falls back

    def format_time(sec: int) -> str:
        try:
            return time.strftime("%x %T", time.localtime(sec))
        except (OverflowError, OSError, ValueError):
            return "?"

    return format_time


class InterpretedEncoder:
    """Encoder of ``--format interpreted``.

    ``lookups`` answers user, group and protocol names (the local databases by
    default); ``time_format`` turns an event's second into ausearch's date and
    time (local time by default).  Both are injectable for reproducible output.
    """

    def __init__(
        self,
        options: EncodeOptions | None = None,
        *,
        lookups: Lookups | None = None,
        time_format: TimeFormat | None = None,
    ) -> None:
        self.lookups: Lookups = lookups if lookups is not None else SystemLookups()
        self._interpreter = Interpreter(self.lookups, EscapeMode.TTY)
        self._time_format = time_format if time_format is not None else local_time_format()
        self._time_sec = -1
        self._time_text = ""
        self._a0 = 0  # ausearch's static a0/a1: the last SYSCALL record printed
        self._a1 = 0
        self.skipped = 0
        """Events not printed because ausearch's search-item extraction refuses them."""
        self.fast = True
        """Use the cached fast path for ordinary records (False: ausearch's loop for every record)."""
        self.values_kept = _VALUES_KEPT
        """Words kept per (record type, field name) before the field counts as never repeating."""
        # per record type: pieces of words read with nothing before them, after loose words,
        # and as joined (see _join)
        self._pieces: dict[int, tuple[dict[str, object], dict[str, object], dict[str, str]]] = {}
        self._arch_words: dict[str, tuple[str, int]] = {}
        self._heads: dict[tuple[int, str | None], str] = {}  # "[node=N ]type=NAME msg=audit("
        self._syscall_words: dict[tuple[str, int], tuple[str, int]] = {}
        self._printers_by_syscall: dict[tuple[int, int], tuple[ArgPrinter | None, ...]] = {}
        self._syscall_joined: dict[tuple[str, str], _SyscallWords] = {}
        self._values_kept: dict[tuple[int, str], int] = {}  # see _keep
        self._written: set[tuple[int, str]] = set()  # see _as_written

    def encode(self, item: Output) -> bytes:
        if not isinstance(item, Event):
            return b""  # ausearch has no way to show a loss
        return self.render(item).encode("utf-8", "surrogateescape")

    def finish(self) -> bytes:
        return b""

    def render(self, event: Event) -> str:
        """The event as ``ausearch -i`` prints it ("" when ausearch would not print it)."""
        seen = search_items(event.records)
        if seen is None:
            self.skipped += 1
            return ""
        records = event.records
        order = range(len(records) - 1, -1, -1)
        if records and records[-1].type in _DAEMON_TYPES:
            order = range(len(records) - 1, len(records) - 2, -1)
        lines = [SEPARATOR]
        stamp = f"{self._time(event.sec)}.{event.milli:03d}:{event.serial}) "
        for index in order:
            text, args = seen[index]
            if args is not None:
                self._a0, self._a1 = args
            lines.append(self.record_line(records[index], text, event.node, stamp))
        return "".join(lines)

    def _time(self, sec: int) -> str:
        if sec != self._time_sec:
            self._time_text = self._time_format(sec)
            self._time_sec = sec
        return self._time_text

    def record_line(self, record: Record, text: str, node: str | None, stamp: str) -> str:
        """One record (``text`` as ausearch holds it) as ``output_interpreted_record`` prints it.

        ``stamp`` is the event's ``DATE TIME.mmm:serial) ``.
        """
        start = 0
        if node is not None:
            space = text.find(" ")
            if space >= 0:
                start = space + 1
        opening = text.find("(", start)
        if opening < 0:
            return ""  # ausearch: "can't find time stamp" on stderr
        head = self._heads.get((record.type, node))
        if head is None:
            prefix = f"node={node} " if node is not None else ""
            name = NAME_BY_TYPE.get(record.type) if record.type >= 0 else None
            if name is None:  # printed as written
                return self._line(record, text, f"{prefix}{text[start:opening]}(", opening, stamp)
            if len(self._heads) > _PIECES_LIMIT:
                self._heads.clear()
            head = self._heads[(record.type, node)] = f"{prefix}type={name} msg=audit("
        return self._line(record, text, head, opening, stamp)

    def _line(self, record: Record, text: str, head: str, opening: int, stamp: str) -> str:
        closing = text.find(")", opening + 1)
        if closing < 0:
            return head
        return head + stamp + self._body(record, text[closing + 1:])

    def _body(self, record: Record, body: str) -> str:
        if self.fast and record.enriched is None:
            text = self._fast_body(record.type, body)
            if text is not None:
                return text
        return self._exact_body(record, body)

    def _fast_body(self, rtype: int, body: str) -> str | None:
        """:meth:`_exact_body` for the common record, from texts cached per (record type, word).

        ausearch's loop cuts a record at spaces, at a value's closing quote and
        at a comma.  For a word whose quoted value closes at its end, what the
        word prints depends only on the word and on whether words without ``=``
        precede it (ausearch then sees its name with a leading space), so it is
        worked out once: as a piece for the loop (:meth:`_loop_body`), and as
        a marked text for joining whole records (:meth:`_joined_body`, tried
        first).  Anything else (a quote open across words, an odd word in a
        SYSCALL record) returns None, for the exact loop.
        """
        caches = self._pieces.get(rtype)
        if caches is None or len(caches[0]) + len(caches[1]) + len(caches[2]) > _PIECES_LIMIT:
            if caches is None and len(self._pieces) >= _TYPES_KEPT:
                self._pieces.clear()  # record types come from the input (type=4000000000 is one)
            caches = self._pieces[rtype] = ({}, {}, {})
        words = body.split(" ")
        syscall: _SyscallWords | None = None
        if (rtype == uapi.AUDIT_SYSCALL and len(words) > 2 and words[1][:5] == "arch=" and words[2][:8] == "syscall="
                and body.count("arch=") == 1 and body.count("syscall=") == 1):
            # The kernel's layout: every argument is read with this arch and syscall, so their
            # plain (hex) texts can be kept with the other words, per (arch, syscall).
            key = (words[1], words[2])
            syscall = self._syscall_joined.get(key)
            if syscall is None:
                if len(self._syscall_joined) > _SYSCALLS_KEPT:
                    self._syscall_joined.clear()
                syscall = self._syscall_joined[key] = _SyscallWords()
            elif len(syscall.joined) > _PIECES_LIMIT // 8:
                syscall.joined.clear()
        text = self._joined_body(rtype, words, caches[0], caches[2] if syscall is None else syscall.joined, syscall)
        if text is not None:
            return text
        return self._loop_body(rtype, words, caches)

    def _joined_body(
        self, rtype: int, words: list[str], plain: dict[str, object], joined: dict[str, str],
        syscall: _SyscallWords | None,
    ) -> str | None:
        """The record as every word's joined text (see :meth:`_join`), or None: the loop decides.

        Known words are looked up in one pass in C; the few others (words seen
        for the first time, a SYSCALL record's machine, syscall and arguments)
        are worked out in order; then one substring test checks the marks.
        With ``syscall``, ``joined`` belongs to this record's arch and syscall,
        so arguments whose text depends on nothing else are kept there too, and
        the machine and syscall they set are remembered for the next record.
        """
        while words and "=" not in words[-1]:
            words = words[:-1]  # loose words after the last field print nothing
        entries = list(map(joined.get, words))  # in C
        if None in entries:
            filled = self._fill(rtype, words, entries, plain, joined, syscall)
            if filled is None:
                return None
            text = filled
        else:
            text = "".join(entries)  # type: ignore[arg-type]  # every word known: the usual case
        if not text or text[-1] == _LEAVES_WORDS or _LEAVES_WORDS + _NEEDS_NAME in text:
            return None  # no field, a comma-cut value last, or a word that needed a field before it
        return text.replace(_NEEDS_NAME, "").replace(_LEAVES_WORDS, "") + "\n"

    def _fill(
        self, rtype: int, words: list[str], entries: list[str | None], plain: dict[str, object],
        joined: dict[str, str], syscall: _SyscallWords | None,
    ) -> str | None:
        """The joined text of a record with words not known yet: the missing ``entries`` worked out in order."""
        index = entries.index(None)
        state: _State | None = None
        while True:
            word = words[index]
            if "=" not in word:
                if _NEEDS_NAME in word or _LEAVES_WORDS in word:
                    return None  # the marks must be unambiguous
                text: str | None = f"{word} {_LEAVES_WORDS}"
                if len(word) < 64:
                    joined[word] = text  # type: ignore[assignment]
            elif (entry := plain.get(word)) is None and self._as_written(rtype, word):
                text = word + " "  # a field of many values, printed as written: nothing to work out
            else:
                keep = True
                if entry is None:
                    entry = self._word(rtype, word, False)
                    if entry is None:
                        return None
                    keep = entry.__class__ is _Role or self._keep(rtype, word)
                    if keep:
                        plain[word] = entry
                if entry.__class__ is _Role:
                    if state is None:
                        state = _State(True)
                        if syscall is not None and syscall.sets is not None:
                            state.machine, state.syscall = syscall.sets  # arch and syscall joined already
                            state.arch_seen = True
                    text, pure = self._role_text(entry, word, rtype, state)  # type: ignore[arg-type]
                    if syscall is not None:
                        syscall.sets = (state.machine, state.syscall)
                        if pure and (len(word) <= _KEPT_ARGUMENT or entry.kind != "argument"):  # type: ignore[attr-defined]
                            joined[word] = text
                else:
                    text = joined.get(word)
                    if text is None:
                        text = self._join(rtype, word, entry, False)
                        if text is None:
                            return None  # a word that does not join
                        if keep:
                            joined[word] = text
            entries[index] = text
            if None not in entries:
                break
            index = entries.index(None, index + 1)
        return "".join(entries)  # type: ignore[arg-type]

    def _loop_body(
        self, rtype: int, words: list[str], caches: tuple[dict[str, object], dict[str, object], dict[str, str]]
    ) -> str | None:
        """ausearch's loop over the words, each word's piece cached (see :meth:`_fast_body`)."""
        plain, preceded, joined = caches
        plain_get = plain.get
        out: list[str] = []
        append = out.append
        pending = ""  # words without '=' since the last value: printed before the next name
        comma_at = -1  # len(out) after a value cut at a comma
        state: _State | None = None
        for word in words:
            if not pending:
                entry = plain_get(word)
                if entry.__class__ is str:  # the common case: a word printed the same everywhere
                    append(entry)  # type: ignore[arg-type]
                    continue
            else:
                entry = preceded.get(word)
            while True:
                if entry is None:
                    if "=" not in word:
                        pending += word + " "
                        break
                    entry = self._word(rtype, word, bool(pending))
                    if entry is None:
                        return None
                    if entry.__class__ is _Role or self._keep(rtype, word):
                        (preceded if pending else plain)[word] = entry
                        joined_text = self._join(rtype, word, entry, pending != "")
                        if joined_text is not None:
                            joined[word] = joined_text
                if pending:
                    append(pending)
                    pending = ""
                if entry.__class__ is str:
                    append(entry)  # type: ignore[arg-type]
                    break
                if entry.__class__ is _Role:
                    if state is None:
                        state = _State(True)
                    append(self._role_text(entry, word, rtype, state)[0])  # type: ignore[arg-type]
                    break
                piece, word, cut = entry  # type: ignore[misc]  # cut at a comma or after msg=
                append(piece)
                if cut:
                    comma_at = len(out)
                entry = plain_get(word)  # the rest of the word is read next, with nothing before it
        if not out:
            return None  # no field at all: ausearch prints the text as it is
        if comma_at == len(out):
            return None  # then ausearch prints the rest of the record as it is: the exact loop does
        append("\n")
        return "".join(out)

    def _join(self, rtype: int, word: str, entry: object, preceded: bool) -> str | None:
        """What ``word`` adds to a record printed by joining every word's text (None: it does not join).

        A word printed the same wherever it stands joins as its text; one that
        prints so only with a field (not loose words) before it is marked
        :data:`_NEEDS_NAME` in front; one that leaves words pending (a word
        without '=', a value cut at a comma or after ``msg=`` with the rest of
        the word) is marked :data:`_LEAVES_WORDS` at the end.  A join is then
        right unless the two marks meet, or the record ends leaving words.
        """
        name, _, value = word.partition("=")
        if name == "msg" or name[:1] == "'" or ("," in value and value[:1] not in _QUOTES):
            other = self._word(rtype, word, not preceded)  # these may print otherwise after loose words
        else:
            other = entry  # read the same either way (see _word)
        text = self._joined_text(rtype, other if preceded else entry)
        if text is None or _NEEDS_NAME in text or _LEAVES_WORDS in text[:-1]:
            return None  # a SYSCALL argument or an odd word (the loop does those); the marks must be unambiguous
        return text if other == entry else _NEEDS_NAME + text

    def _keep(self, rtype: int, word: str) -> bool:
        """Whether to cache ``word``: not once its field has shown too many values to repeat.

        pid=, inode=, a pointer: each value is seen once, and caching them only
        evicts the words that do repeat.
        """
        name = word.partition("=")[0]
        key = (rtype, name)
        seen = self._values_kept.get(key, 0)
        if seen >= self.values_kept:
            return False
        if len(self._values_kept) > _PIECES_LIMIT:
            self._values_kept.clear()
            self._written.clear()
        self._values_kept[key] = seen + 1
        if seen + 1 == self.values_kept and name not in ("msg", "acct") and name.isidentifier() \
                and not type_depends_on_value(name, rtype) and field_type(name, "", rtype) == FieldType.UNCLASSIFIED:
            self._written.add(key)  # from now on its words print as written without a look-up
        return True

    def _as_written(self, rtype: int, word: str) -> bool:
        """``word`` is of a field :meth:`_keep` gave up on that prints its value as written, plainly."""
        name, _, value = word.partition("=")
        return (rtype, name) in self._written and value[:1] not in _QUOTES and "," not in value

    def _joined_text(self, rtype: int, entry: object) -> str | None:
        """The text of a word read with a field before it (None: it does not join)."""
        if entry.__class__ is str:
            return entry  # type: ignore[return-value]
        if entry.__class__ is not tuple:
            return None
        piece, rest, _ = entry  # type: ignore[misc]
        if "=" not in rest:
            return f"{piece}{rest} {_LEAVES_WORDS}"
        after = self._joined_text(rtype, self._word(rtype, rest, False))  # the rest, read right after
        return None if after is None else piece + after

    def _word(self, rtype: int, word: str, preceded: bool) -> str | tuple[str, str, bool] | object | None:
        """What ``word`` (holding a '=') prints: its text, (text, rest, cut at a comma), or
        a :class:`_Role`; None: not for the fast path.  ``preceded``: words without '=' come before it.
        """
        name, _, value = word.partition("=")
        syscall_like = rtype in _SYSCALL_LIKE
        if not preceded:
            if name == "msg":  # ausearch prints "msg=" and reads on from the quote
                return None if syscall_like else ("msg=", value, False)
            if name[:1] == "'":
                name = name[1:]
        quote = value[:1]
        cut = -1
        if quote == '"' or quote == "'":
            if value.find(quote, 1) != len(value) - 1:
                return None  # closed inside the word, or not at all
        else:
            cut = value.find(",")
            if cut >= 0 and not preceded and field_type(name, "", rtype) == FieldType.MAC_LABEL:
                cut = -1  # a label keeps its commas
        bare = name.lstrip(" (")
        if syscall_like:
            kind = field_type(bare, value, rtype)
            if bare in _STATE_NAMES or kind in _CONTEXT_TYPES:
                if cut >= 0 or name != word.partition("=")[0]:
                    return None
                if bare == "arch" and kind == FieldType.ARCH:
                    return _ARCH
                if bare == "syscall" and kind == FieldType.SYSCALL:
                    return _SYSCALL
                return _ARGUMENTS.get(kind, _OTHER) if bare[:1] == "a" else _OTHER
        head = word[: len(word) - len(value)]  # as written, quote included
        if cut < 0:
            if bare != "acct" and field_type(bare, value, rtype) == FieldType.UNCLASSIFIED:
                return head + value + " "  # printed as written (most words seen only once are these)
            return head + self._report(name, value, False, rtype, _State(syscall_like), _NO_NAMES)
        shown = self._report(name, value[:cut], True, rtype, _State(syscall_like), _NO_NAMES)
        return head + shown, value[cut + 1:], True

    def _role_text(self, role: _Role, word: str, rtype: int, state: _State) -> tuple[str, bool]:
        """A word of a SYSCALL/SECCOMP record that reads or sets the record's machine and syscall.

        Same text as :meth:`_report`, and whether it depends on nothing but the
        word, the machine and the syscall (not on a0/a1).  ``arch`` and a first
        ``syscall`` are cached with what they set; arguments printed as plain
        hex need no context, the others one per record.  Only the printers
        that read a0/a1 (``READS_ARGUMENTS``) make an argument's text impure.
        """
        name, _, value = word.partition("=")
        if state.machine == _UNSET:
            state.machine = self.lookups.host_machine & _UNSET
        if role.kind == "argument":
            if state.printers is None:
                state.printers = self._arg_printers(c_int(state.machine), state.syscall)
            printer = state.printers[role.index]
            if printer is None:  # most arguments of most syscalls: 0x and the value
                shown = "0x" + value
                return f"{name}={shown if shown.isprintable() else apply_escape(shown, EscapeMode.TTY)} ", True
            context = state.context
            if context is None:
                context = state.context = RecordContext(
                    rtype, c_int(state.machine), state.syscall, self._a0, self._a1, None, _NO_NAMES)
            shown = apply_escape(printer(value, context, self.lookups), EscapeMode.TTY)
            return f"{name}={shown} ", printer not in READS_ARGUMENTS
        if role.kind == "arch" and state.arch_seen is False:
            hit = self._arch_words.get(word)
            if hit is None:
                if len(self._arch_words) > _PIECES_LIMIT:
                    self._arch_words.clear()
                probe = _State(True)
                probe.machine = state.machine
                hit = self._arch_words[word] = (f"{name}={self._report(name, value, False, rtype, probe, _NO_NAMES)}",
                                                probe.machine)
            state.machine, state.arch_seen, state.context, state.printers = hit[1], True, None, None
            return hit[0], True
        if role.kind == "syscall" and state.syscall < 0:
            key = (word, state.machine)
            hit = self._syscall_words.get(key)
            pure = hit is not None
            if hit is None:
                if len(self._syscall_words) > _PIECES_LIMIT:
                    self._syscall_words.clear()
                probe = _State(True)
                probe.machine = state.machine
                hit = (f"{name}={self._report(name, value, False, rtype, probe, _NO_NAMES)}", probe.syscall)
                machine = c_int(probe.machine)
                if syscall_name(machine if machine >= 0 else self.lookups.host_machine, hit[1]) not in _MULTIPLEXERS:
                    self._syscall_words[key] = hit
                    pure = True
            state.syscall, state.context, state.printers = hit[1], None, None
            return hit[0], pure
        state.context = state.printers = None  # a second arch or syscall may change what arguments mean
        return f"{name}={self._report(name, value, False, rtype, state, _NO_NAMES)}", False

    def _arg_printers(self, machine: int, syscall: int) -> tuple[ArgPrinter | None, ...]:
        """``print_arg``'s printer for a0..a3 of this syscall; None where it prints ``0x`` and the value."""
        key = (machine, syscall)
        found = self._printers_by_syscall.get(key)
        if found is None:
            name = syscall_name(machine, syscall)
            found = tuple(None if name is None or printer(name) is printer("") else printer(name)
                          for printer in _ARG_PRINTERS)
            if len(self._printers_by_syscall) > _PIECES_LIMIT:
                self._printers_by_syscall.clear()
            self._printers_by_syscall[key] = found
        return found

    def _exact_body(self, record: Record, body: str) -> str:
        """The loop of ``output_interpreted_record`` over the text after the timestamp."""
        rtype = record.type
        enriched = parse_enriched(record.enriched) if record.enriched else {}
        out: list[str] = []
        state = _State(rtype in _SYSCALL_LIKE)
        pos: int | None = 0
        size = len(body)
        found = comma = False
        equals = 0
        while pos is not None and pos < size:
            equals = body.find("=", pos)
            if equals < 0:
                break
            comma = False
            found = True
            space = body.rfind(" ", pos, equals)
            name = body[space if space >= 0 else pos:equals]
            out.append(body[pos:equals])
            out.append("=")
            if name == "msg":
                pos = equals + 1
                continue
            if name[:1] == "'":
                name = name[1:]
            start = equals + 1
            quote = body[start:start + 1]
            if quote == "'" or quote == '"':
                close = body.find(quote, start + 1)
                if close < 0:
                    end, pos = size, None
                else:
                    end = close + 1
                    pos = end + 1 if end < size else end
            else:
                comma_at = body.find(",", start)
                space_at = body.find(" ", start)
                if comma_at >= 0 and space_at >= 0 and comma_at < space_at:
                    if field_type(name, body[space_at:], rtype) == FieldType.MAC_LABEL:
                        end, pos = space_at, space_at + 1
                    else:
                        end, pos, comma = comma_at, comma_at + 1, True
                elif comma_at >= 0 and space_at < 0:
                    if field_type(name, body[start:], rtype) == FieldType.MAC_LABEL:
                        end, pos = size, None
                    else:
                        end, pos, comma = comma_at, comma_at + 1, True
                elif space_at >= 0:
                    end, pos = space_at, space_at + 1
                else:
                    end, pos = size, None
            out.append(self._report(name, body[start:end], comma, rtype, state, enriched))
        if (not found and equals < 0 and pos is not None and pos < size) or (comma and pos is not None):
            out.append(apply_escape(body[pos:], EscapeMode.TTY) + "\n")
        out.append("\n")
        return "".join(out)

    def _report(
        self, name: str, value: str, comma: bool, rtype: int, state: _State, enriched: dict[str, str]
    ) -> str:
        """``report_interpret``: one value as ausearch prints it, separator included."""
        name = name.lstrip(" (")
        if name == "acct" and value[-1:] == ":":
            value = value[:-1]
        kind = field_type(name, value, rtype)
        syscall = 0
        if state.syscall_like:
            if state.machine == _UNSET:
                state.machine = self.lookups.host_machine & _UNSET
            if name == "arch":
                elf, erange = strtoul(value, 16)
                if erange:
                    return f"arch conversion error({value}) "
                state.machine = MACHINE_BY_ELF.get(elf & 0xFFFFFFFF, -1) & _UNSET
            if state.syscall < 0 and name == "syscall":
                number, erange = strtoul(value, 10)
                if erange:
                    return f"syscall conversion error({value}) "
                state.syscall = c_int(number)
            syscall = state.syscall
        if kind == FieldType.UNCLASSIFIED:
            return value + ("," if comma else " ")
        context = RecordContext(rtype, c_int(state.machine), syscall, self._a0, self._a1, None, enriched)
        text = self._interpreter.interpret(name, value, context, kind)
        if name == "key":
            return " key=".join(text.split(_KEY_SEPARATOR)) + " "
        if kind == FieldType.TTY_DATA:
            return text
        return text + " "


class _SyscallWords:
    """The joined words of SYSCALL records with one (arch, syscall) pair, and the machine and
    syscall those two set."""

    __slots__ = ("joined", "sets")

    def __init__(self) -> None:
        self.joined: dict[str, str] = {}
        self.sets: tuple[int, int] | None = None


class _State:
    """What ``report_interpret`` remembers across the fields of one record."""

    __slots__ = ("arch_seen", "context", "machine", "printers", "syscall", "syscall_like")

    def __init__(self, syscall_like: bool) -> None:
        self.syscall_like = syscall_like
        self.machine = _UNSET
        self.syscall = -1
        self.arch_seen = False
        self.context: RecordContext | None = None  # the arguments' context, while machine and syscall hold
        self.printers: tuple[ArgPrinter | None, ...] | None = None  # see InterpretedEncoder._arg_printers
