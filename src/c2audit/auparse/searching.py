"""Searching (``ausearch_*``): the parser methods that drive :mod:`.search` expressions."""
from __future__ import annotations

import errno
import os

from . import constants as C
from . import search
from .opening import os_error as _os_error
from .opening import require_types as _require_types


class Searching:
    """``search_*`` methods and the :class:`~.search.Cursor` an expression evaluates against.

    Mixed into :class:`~c2audit.auparse.AuParser`, whose cursor it moves.
    """

    __slots__ = ()  # AuParser declares the state

    def search_add_item(self, field: str, op: str, value: str, how: int) -> None:
        """Add ``field op value`` (op: ``exists``, ``=``, ``!=``) on raw values to the search."""
        self._add_item(field, op, value, how, interpreted=False)

    def search_add_interpreted_item(self, field: str, op: str, value: str, how: int) -> None:
        """Like search_add_item() but comparing interpreted values."""
        self._add_item(field, op, value, how, interpreted=True)

    def _add_item(self, field: str, op: str, value: str, how: int, interpreted: bool) -> None:
        _require_types((field, str), (op, str), (value, str), (how, int))
        if not C.AUSEARCH_RULE_CLEAR <= how <= C.AUSEARCH_RULE_AND or op not in ("exists", "=", "!="):
            raise _os_error(errno.EINVAL)
        if op == "exists":
            expr: search.Expr = search.FieldExists(field)
        else:
            expr = search.Compare(field, value, interpreted, op == "!=")
        self._add_expr(expr, how)

    def search_add_timestamp_item(self, op: str, sec: int, milli: int, how: int) -> None:
        """Add a condition on the event time (op: ``<``, ``<=``, ``>=``, ``>``, ``=``)."""
        self.search_add_timestamp_item_ex(op, sec, milli, 0, how)

    def search_add_timestamp_item_ex(self, op: str, sec: int, milli: int, serial: int, how: int) -> None:
        """Add a condition on the event time and serial."""
        _require_types((op, str), (milli, int), (serial, int), (how, int))
        if not isinstance(sec, int):  # a long long, not an int
            raise TypeError(f"'{type(sec).__name__}' object cannot be interpreted as an integer")
        ops = {"<": "<", "<=": "<=", ">=": ">=", ">": ">", "=": "=="}
        milli &= 0xFFFFFFFF
        if op not in ops or milli >= 1000 or not C.AUSEARCH_RULE_CLEAR <= how <= C.AUSEARCH_RULE_AND:
            raise _os_error(errno.EINVAL)
        self._add_expr(search.TimestampCompare(ops[op], sec, milli, serial & 0xFFFFFFFF), how)

    def search_add_expression(self, expression: str, how: int) -> None:
        """Add an ausearch-expression(5) expression to the search."""
        _require_types((expression, str), (how, int))
        if not C.AUSEARCH_RULE_CLEAR <= how <= C.AUSEARCH_RULE_AND:
            raise _os_error(errno.EINVAL)
        try:
            expr = search.parse(expression)
        except search.ExpressionError as exc:
            raise OSError(str(exc)) from None
        self._add_expr(expr, how)

    def search_add_regex(self, regexp: str) -> None:
        """AND a POSIX extended regular expression on the record text to the search."""
        _require_types((regexp, str))
        try:
            pattern = search.compile_ere(regexp)
        except search.re.error:
            raise _os_error(errno.EINVAL) from None
        self._add_expr(search.RegexMatch(pattern), C.AUSEARCH_RULE_AND)

    def _add_expr(self, expr: search.Expr, how: int) -> None:
        self._expr = search.combine(self._expr, expr, how)
        self._expr_started = False

    def search_set_stop(self, where: int) -> None:
        """Where search_next_event() leaves the cursors: AUSEARCH_STOP_EVENT, _RECORD or _FIELD."""
        _require_types((where, int))
        if not C.AUSEARCH_STOP_EVENT <= where <= C.AUSEARCH_STOP_FIELD:
            raise ValueError(errno.EINVAL, os.strerror(errno.EINVAL))
        self._stop = where

    def search_clear(self) -> None:
        """Forget the search expression."""
        self._expr = None
        self._stop = C.AUSEARCH_STOP_EVENT

    def search_next_event(self) -> bool:
        """Advance to the next event with a record matching the search; False when none is left."""
        expr = self._expr
        if expr is None:
            raise _os_error(errno.EINVAL)
        if not self._expr_started:
            if self._first_record() <= 0:
                return False
            self._expr_started = True
        elif self._next_event() <= 0:
            return False
        while True:
            while True:
                if expr.matches(self):
                    self._reposition()
                    return True
                if not self.next_record():
                    break
            if self._next_event() <= 0:
                return False

    def _reposition(self) -> None:
        if self._stop == C.AUSEARCH_STOP_EVENT:
            self._goto(0)
            self._fi = 0
        elif self._stop == C.AUSEARCH_STOP_RECORD:
            self._fi = 0

    # search.Cursor: what expressions ask of the record under the cursor
    def _search_field(self, name: str) -> object:
        fields = self._fields or ()
        self._fi = 0
        for index, (field_name, value) in enumerate(fields):
            if field_name == name:
                self._fi = index
                return value
        return search.NOT_FOUND

    def _search_interpretation(self) -> str:
        return self._node_interpretation()

    def _search_record_type(self) -> int:
        return self._record.type  # type: ignore[union-attr]

    def _search_timestamp(self) -> tuple[int, int, int]:
        event = self._event
        assert event is not None
        return (event.sec, event.milli, event.serial)

    def _search_record_text(self) -> str:
        return self._record.text  # type: ignore[union-attr]
