"""What Polarity records: the limits every value in an event keeps, so that any later stage (the
store, a view, an export, a reader) can hold it. Checked once, as each event is made."""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.errors import InvalidInput

MAX_TEXT = 10_000  # characters of free text: a problem, a reason, evidence, a summary
MAX_NAME = 200  # characters of a name: a title, an org unit, a person, a unit, a period
MAX_ITEMS = 100  # entries in a list: gatekeepers, criteria, conditions, risks, KPIs
MAX_MAGNITUDE = Decimal("1e15")  # numbers (FTE, budgets, values) stay below a quadrillion
MAX_DECIMAL_PLACES = 6  # and carry at most six decimal places (trailing zeros aside)
MIN_INT, MAX_INT = -(2**31), 2**31 - 1  # whole numbers fit PostgreSQL's integer
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)  # dates and moments fall between

# Fields holding names; every other text is free text.
NAMES = frozenset(
    {
        "title",
        "org_unit",
        "area",
        "metric",
        "name",
        "owner",
        "sponsor",
        "gatekeepers",
        "unit",
        "period",
        "benefit",
        "standard_reference",
        "approved_by",
        "id",
        "on_behalf_of",
        "roles",
        "policy_version",
    }
)
# Value objects that commands take as flat fields: an error names the field inside them.
FLATTENED = frozenset({"decision", "assignment", "allocation", "classification"})
# Text never holds NUL, other control characters (but tab and line breaks) or lone surrogates.
_UNRECORDABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def check_recordable(event: Any) -> None:
    """Refuse an event holding a value that a later stage could not hold."""
    for field in dataclasses.fields(event):
        if field.name not in _ENVELOPE:
            _check(getattr(event, field.name), (field.name,))


def check_text(text: str, field: str, max_length: int = MAX_TEXT) -> str:
    """`text` if it is within the limits of recorded text; InvalidInput names what is wrong."""
    if found := _UNRECORDABLE.search(text):
        raise InvalidInput(
            f"{field} holds the character U+{ord(found.group()):04X}, which text may not hold "
            "(no NUL, control characters other than tab and line breaks, or lone surrogates).",
            code="INVALID_TEXT",
            field=field,
        )
    if len(text) > max_length:
        raise InvalidInput(
            f"{field} is {len(text):,} characters long; at most {max_length:,} are allowed.",
            code="TEXT_TOO_LONG",
            field=field,
        )
    return text


def check_number(number: Decimal, field: str) -> Decimal:
    """`number` if it is finite, below MAX_MAGNITUDE and has at most MAX_DECIMAL_PLACES."""
    if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise InvalidInput(
            f"{field} must be a number between -{MAX_MAGNITUDE:,.0f} and "
            f"{MAX_MAGNITUDE:,.0f} (exclusive), not {number}.",
            code="NUMBER_OUT_OF_RANGE",
            field=field,
        )
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise InvalidInput(
            f"{field} has more than {MAX_DECIMAL_PLACES} decimal places ({number}).",
            code="NUMBER_OUT_OF_RANGE",
            field=field,
        )
    return number


def _check(value: Any, path: tuple[str, ...]) -> None:
    if value is None or isinstance(value, bool | UUID | enum.Enum):
        return
    if isinstance(value, str):
        check_text(value, _field(path), MAX_NAME if path[-1] in NAMES else MAX_TEXT)
    elif isinstance(value, int):
        _check_int(value, path)
    elif isinstance(value, Decimal):
        check_number(value, _field(path))
    elif isinstance(value, date):
        _check_date(value, path)
    elif isinstance(value, tuple | list):
        _check_items(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, path)
            _check(item, path)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            _check(getattr(value, field.name), (*path, field.name))


def _check_int(value: int, path: tuple[str, ...]) -> None:
    if not MIN_INT <= value <= MAX_INT:
        raise InvalidInput(
            f"{_field(path)} must be a whole number between {MIN_INT} and {MAX_INT}, not {value}.",
            code="NUMBER_OUT_OF_RANGE",
            field=_field(path),
        )


def _check_date(value: date, path: tuple[str, ...]) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(
            f"{_field(path)} must fall between {EARLIEST} and {LATEST}, not {value}.",
            code="DATE_OUT_OF_RANGE",
            field=_field(path),
        )


def _check_items(items: tuple[Any, ...] | list[Any], path: tuple[str, ...]) -> None:
    if len(items) > MAX_ITEMS:
        raise InvalidInput(
            f"{_field(path)} has {len(items)} entries; at most {MAX_ITEMS} are allowed.",
            code="TOO_MANY_ITEMS",
            field=_field(path),
        )
    for item in items:
        _check(item, path)


def _field(path: tuple[str, ...]) -> str:
    """The command's name for a value: camelCase, without the value objects it flattens."""
    shown = [name for name in path[:-1] if name not in FLATTENED] + [path[-1]]
    return ".".join(_camel(name) for name in shown)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
