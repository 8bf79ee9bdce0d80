"""What a normalization found, and the parser's cursor as normalize.c calls it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from c2audit.auparse.constants import NORM_OPT_ALL

if TYPE_CHECKING:
    from c2audit.auparse.parser import AuParser

UNSET = 0xFFFF << 16  # a location whose record is 0xFFFF: nothing found


def location(record: int, field_number: int) -> int:
    """``set_record(0, record)`` then ``set_field``: 16 bits each, as the C library packs them."""
    return ((record & 0xFFFF) << 16) | (field_number & 0xFFFF)


@dataclass(slots=True)
class Normalization:
    """``normalize_data``: what one ``aup_normalize()`` found (locations are packed record/field)."""

    evkind: str | None = None
    session: int = UNSET
    actor_primary: int = UNSET
    actor_secondary: int = UNSET
    actor_what: str | None = None
    actor_attrs: list[int] = field(default_factory=list)
    actor_cursor: int = -1  # cllist cur: index into the list, -1 for NULL
    action: str | None = None
    thing_primary: int = UNSET
    thing_secondary: int = UNSET
    thing_two: int = UNSET
    thing_attrs: list[int] = field(default_factory=list)
    thing_cursor: int = -1
    thing_what: str = "NORM_WHAT_UNKNOWN"
    results: int = UNSET
    how: str | None = None
    opt: int = NORM_OPT_ALL
    key: int = UNSET
    syscall_success: int = -1

    def add_actor_attr(self, where: int) -> None:
        self.actor_attrs.append(where)
        self.actor_cursor = len(self.actor_attrs) - 1

    def add_thing_attr(self, where: int) -> None:
        self.thing_attrs.append(where)
        self.thing_cursor = len(self.thing_attrs) - 1


class Calls:
    """The parser's cursor with libauparse's C return conventions (ints and NULLs, no exceptions)."""

    def __init__(self, parser: AuParser) -> None:
        self.p = parser

    def first_record(self) -> int:
        return self.p._first_record()

    def next_record(self) -> int:
        return 1 if self.p.next_record() else 0

    def goto_record_num(self, number: int) -> int:
        return 1 if self.p.goto_record_num(number) else 0

    def first_field(self) -> int:
        return 1 if self.p.first_field() else 0

    def next_field(self) -> int:
        return 1 if self.p.next_field() else 0

    def find_field(self, name: str) -> str | None:
        return self.p.find_field(name)

    def get_type(self) -> int:
        record = self.p._record
        return record.type if record is not None else 0

    def get_record_num(self) -> int:
        return max(self.p._index, 0)

    def get_field_num(self) -> int:
        return self.p._fi if self.p._record is not None else 0

    def goto_field_num(self, number: int) -> int:
        fields = self.p._fields
        if fields is None or not 0 <= number < len(fields):
            return 0
        self.p._fi = number
        return 1

    def get_num_records(self) -> int:
        return len(self.p._records)

    def get_field_str(self) -> str | None:
        return self.p._fields[self.p._fi][1] if self.p._readable else None  # type: ignore[index]

    def get_field_type(self) -> int:
        return self.p.get_field_type()

    def get_field_int(self) -> tuple[int, int]:
        """(value, errno) of ``auparse_get_field_int``."""
        try:
            return self.p.get_field_int(), 0
        except OSError as exc:
            return -1, exc.errno or 0

    def get_field_name(self) -> str | None:
        return self.p._fields[self.p._fi][0] if self.p._readable else None  # type: ignore[index]

    def interpret_field(self) -> str | None:
        try:
            return self.p.interpret_field()
        except RuntimeError:
            return None
