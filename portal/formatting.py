"""How figures and moments read on a page: numbers in a <data> element that keeps the API's
exact value, moments in a <time> element in UTC that the page's script shows in the reader's
own time zone (the UTC value stays in its title)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

NOTHING = Markup('<span class="none">—</span>')


def _data(value: object, shown: str) -> Markup:
    return Markup('<data value="{}">{}</data>').format(value, shown)


def decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def count(value: int | None) -> Markup:
    """A whole number, grouped: 12,345."""
    return NOTHING if value is None else _data(value, f"{value:,}")


def fte(value: object) -> Markup:
    """Full-time equivalents as the API gives them, without trailing zeros: 7, 7.5."""
    if value is None:
        return NOTHING
    shown = f"{decimal(value):,.2f}".rstrip("0").rstrip(".")
    return _data(value, shown)


def money(value: object) -> Markup:
    """A budget in whole currency units, grouped: 237,500."""
    return NOTHING if value is None else _data(value, f"{decimal(value):,.0f}")


def percent(value: object) -> Markup:
    """A share (0.4286) as a percentage: 42.9 %."""
    if value is None:
        return NOTHING
    return _data(value, f"{decimal(value) * 100:.1f}".removesuffix(".0") + " %")


def moment(value: str | datetime | None) -> Markup:
    """A moment as <time>, in UTC; the page's script rewrites the text in the reader's zone."""
    if value is None:
        return NOTHING
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    utc = at.astimezone(UTC)
    shown = utc.strftime("%d %b %Y %H:%M UTC")
    return Markup('<time datetime="{}" title="{}" data-local>{}</time>').format(
        utc.isoformat().replace("+00:00", "Z"), shown, shown
    )


def day(value: str | date | None) -> Markup:
    """A calendar date (no time zone to convert): 3 Mar 2026."""
    if value is None:
        return NOTHING
    on = value if isinstance(value, date) else date.fromisoformat(value)
    return Markup('<time datetime="{}">{}</time>').format(on.isoformat(), on.strftime("%d %b %Y"))


def days(value: object) -> Markup:
    """A number of days to one decimal place: 154.2."""
    return NOTHING if value is None else _data(value, f"{decimal(value):,.1f}")


def plural(number: int, one: str, many: str | None = None) -> str:
    """`3 teams`, `1 team`."""
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def label(text: str) -> Markup:
    """A code as people read it: OVER_ALLOCATED -> Over allocated."""
    return escape(text.replace("_", " ").capitalize())


FILTERS: dict[str, Any] = {
    "count": count,
    "fte": fte,
    "money": money,
    "percent": percent,
    "moment": moment,
    "day": day,
    "plural": plural,
    "days": days,
    "label": label,
}
