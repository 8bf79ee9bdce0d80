"""The binding's ``aup_normalize*`` methods, made from tables of what each one returns.

Locators move the cursor to a field the normalizer found (True), answer False
when it found none, and raise ``ValueError`` when the place is gone; text
accessors return a string or raise ``RuntimeError("'<what>' has no value")``;
attribute walkers step through a list of places (libauparse's ``cllist``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from c2audit.auparse.opening import require_types

from .state import Calls, Normalization

if TYPE_CHECKING:
    from c2audit.auparse.parser import AuParser

# method suffix -> (Normalization attribute, docstring)
LOCATORS = {
    "session": ("session", "Position the cursor on the session field."),
    "subject_primary": ("actor_primary", "Position the cursor on the subject's field."),
    "subject_secondary": ("actor_secondary", "Position the cursor on the subject's secondary field."),
    "object_primary": ("thing_primary", "Position the cursor on the object's field."),
    "object_secondary": ("thing_secondary", "Position the cursor on the object's secondary field."),
    "object_primary2": ("thing_two", "Position the cursor on the object's second field (not in 3.0.9's binding)."),
    "get_results": ("results", "Position the cursor on the results field."),
    "key": ("key", "Position the cursor on the rule key field."),
}
# method suffix -> (how to get the text, the binding's name for it in its error, docstring)
TEXTS: dict[str, tuple[Callable[[Normalization], str | None], str, str]] = {
    "get_event_kind": (lambda data: data.evkind, "event_kind", "What kind of event this is."),
    "subject_kind": (lambda data: data.actor_what, "subject_kind", "What kind of account the subject is."),
    "get_action": (lambda data: data.action, "action", "What the subject did."),
    "object_kind": (lambda data: _object_kinds().get(data.thing_what), "object_kind",
                    "What kind of thing the object is."),
    "how": (lambda data: data.how, "how", "How the object was accessed (usually a program)."),
}
# method prefix -> (list attribute, cursor attribute)
ATTRIBUTES = {"subject": ("actor_attrs", "actor_cursor"), "object": ("thing_attrs", "thing_cursor")}


def _object_kinds() -> dict[str, str]:
    """The normalizer's object kinds, loaded with its other tables on first use."""
    from .policy import OBJECT_KINDS

    return OBJECT_KINDS


def _data(parser: AuParser) -> Normalization:
    """The last normalization, or libauparse's initial state when there was none for this event."""
    data = parser._normalized
    if data is None:
        data = parser._normalized = Normalization()
    return data


def _seek(parser: AuParser, where: int) -> bool:
    """``seek_field``: move the cursors to a found place; False when there is none."""
    if where >> 16 == 0xFFFF:
        return False
    record, number = where >> 16, where & 0xFFFF
    if not parser.goto_record_num(record) or not Calls(parser).goto_field_num(number):
        raise ValueError(0, "Error")  # the binding's PyErr_SetFromErrno, errno unset
    return True


def aup_normalize(self: AuParser, opt: int) -> bool:
    """Normalize the current event; opt is NORM_OPT_ALL or NORM_OPT_NO_ATTRS.

    Returns the binding's answer: False when normalization succeeded (the C
    function returns 0 on success), True when the event could not be.
    """
    from .simple import Normalizer  # the policy tables load on first use, not with every parser

    require_types((opt, int))
    return Normalizer(self).normalize(opt) > 0


def _locator(attribute: str, doc: str) -> Callable[[AuParser], bool]:
    def locate(self: AuParser) -> bool:
        return _seek(self, getattr(_data(self), attribute))

    locate.__doc__ = doc
    return locate


def _text(get: Callable[[Normalization], str | None], what: str, doc: str) -> Callable[[AuParser], str]:
    def text(self: AuParser) -> str:
        value = get(_data(self))
        if value is None:
            raise RuntimeError(f"'{what}' has no value")
        return value

    text.__doc__ = doc
    return text


def _first_attribute(items: str, cursor: str, whose: str) -> Callable[[AuParser], bool]:
    def first(self: AuParser) -> bool:
        data = _data(self)
        places: list[int] = getattr(data, items)
        if not places:
            return False
        setattr(data, cursor, 0)
        return _seek(self, places[0])

    first.__doc__ = f"Position the cursor on the {whose}'s first attribute."
    return first


def _next_attribute(items: str, cursor: str, whose: str) -> Callable[[AuParser], bool]:
    def following(self: AuParser) -> bool:
        data = _data(self)
        places: list[int] = getattr(data, items)
        current = getattr(data, cursor)
        if not places or current < 0:
            return False
        current += 1
        if current >= len(places):
            setattr(data, cursor, -1)  # cllist_next reached NULL
            return False
        setattr(data, cursor, current)
        return _seek(self, places[current])

    following.__doc__ = f"Position the cursor on the {whose}'s next attribute."
    return following


def methods() -> dict[str, Callable[..., Any]]:
    """Every ``aup_normalize*`` method by name."""
    made: dict[str, Callable[..., Any]] = {"aup_normalize": aup_normalize}
    made.update({f"aup_normalize_{suffix}": _locator(*spec) for suffix, spec in LOCATORS.items()})
    made.update({f"aup_normalize_{suffix}": _text(*spec) for suffix, spec in TEXTS.items()})
    for whose, (items, cursor) in ATTRIBUTES.items():
        made[f"aup_normalize_{whose}_first_attribute"] = _first_attribute(items, cursor, whose)
        made[f"aup_normalize_{whose}_next_attribute"] = _next_attribute(items, cursor, whose)
    for name, method in made.items():
        method.__name__ = method.__qualname__ = name
    return made
