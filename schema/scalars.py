"""Scalars that refuse what no later stage can use: decimals that are not numbers, moments
without a time zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError as Refused


def _finite_decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Refused(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise Refused(f"{value!r} is not a finite decimal number")
    return number


def _aware_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise Refused(f"{value!r} is not an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(f"{value[:40]!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise Refused(f"{value!r} has no time zone: add Z or an offset, as in 2026-12-03T20:13:13Z")
    return moment


FiniteDecimal = strawberry.scalar(
    Decimal,
    name="Decimal",
    description="A decimal number, as a string; NaN and infinities are refused.",
    serialize=str,
    parse_value=_finite_decimal,
)
AwareDateTime = strawberry.scalar(
    datetime,
    name="DateTime",
    description="A moment in ISO 8601 with its time zone (Z or an offset); without one it is "
    "refused, since a moment without a zone is ambiguous.",
    serialize=datetime.isoformat,
    parse_value=_aware_datetime,
)
SCALARS: dict[object, Any] = {Decimal: FiniteDecimal, datetime: AwareDateTime}
