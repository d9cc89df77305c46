"""Charts drawn on the server: the geometry of a line or bar chart in SVG coordinates, which
templates/macros.html turns into inline SVG beside a text equivalent. No script, no library."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 40  # margins around the plot, for the axes' labels
TICKS = 5
Number = Decimal | int
Format = Callable[[Decimal], str]


def plain(value: Decimal) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def as_percent(value: Decimal) -> str:
    return f"{value * 100:.0f} %"


@dataclass(frozen=True)
class Tick:
    at: float  # x for the horizontal axis, y for the vertical one
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the category, e.g. 2026-Q1
    text: str  # the value as shown
    marked: bool  # drawn hollow: e.g. outside the target band


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # index into the chart's series, for its colour class
    label: str
    text: str


@dataclass(frozen=True)
class Band:
    """A horizontal band of the plot, such as a target range."""

    y: float
    height: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the macros draw: a frame, axes, and bars or a line of points."""

    title: str  # what the chart shows, for its accessible name
    series: tuple[str, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    points: tuple[Point, ...] = ()
    bars: tuple[Bar, ...] = ()
    band: Band | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP

    @property
    def right(self) -> int:
        return self.width - RIGHT

    @property
    def bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def line(self) -> str:
        """The SVG path through the points, in order."""
        return " ".join(
            f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points)
        )


class Scale:
    """Values from 0 to `top` onto the plot's height, and categories across its width."""

    def __init__(self, top: Decimal, categories: int) -> None:
        self.top = top if top > 0 else Decimal(1)
        self.categories = max(categories, 1)
        self.plot_width = WIDTH - LEFT - RIGHT
        self.plot_height = HEIGHT - TOP - BOTTOM

    def y(self, value: Decimal) -> float:
        return TOP + self.plot_height * float(1 - min(value, self.top) / self.top)

    def slot(self, index: int) -> tuple[float, float]:
        """Left edge and width of the index-th category's slot."""
        width = self.plot_width / self.categories
        return LEFT + index * width, width

    def centre(self, index: int) -> float:
        left, width = self.slot(index)
        return left + width / 2

    def y_ticks(self, shown: Format) -> tuple[Tick, ...]:
        steps = [self.top * i / TICKS for i in range(TICKS + 1)]
        return tuple(Tick(self.y(step), shown(step)) for step in steps)

    def x_ticks(self, labels: Sequence[str], most: int = 12) -> tuple[Tick, ...]:
        every = max(1, len(labels) // most)  # about a dozen short labels fit the width
        return tuple(
            Tick(self.centre(i), label) for i, label in enumerate(labels) if i % every == 0
        )


def line_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    *,
    top: Decimal | None = None,
    band: tuple[Decimal, Decimal] | None = None,
    band_label: str = "",
    shown: Format = plain,
) -> Chart:
    """A line through `values` (None leaves a category out), over an optional band; points
    outside the band are marked."""
    known = [v for v in values if v is not None]
    scale = Scale(top if top is not None else max(known, default=Decimal(1)), len(labels))
    points = tuple(
        Point(
            scale.centre(i),
            scale.y(value),
            label,
            shown(value),
            marked=band is not None and not band[0] <= value <= band[1],
        )
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
        if value is not None
    )
    drawn_band = None
    if band is not None:
        low, high = scale.y(band[0]), scale.y(band[1])
        drawn_band = Band(high, low - high, band_label)
    return Chart(
        title=title,
        series=(title,),
        x_ticks=scale.x_ticks(labels),
        y_ticks=scale.y_ticks(shown),
        points=points,
        band=drawn_band,
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    *,
    top: Decimal | None = None,
    labels_shown: int = 12,
    shown: Format = plain,
) -> Chart:
    """Grouped bars: for each label, one bar per series, side by side; the value axis runs
    to `top` (default: the highest value), and about `labels_shown` labels stand under it."""
    highest = max((Decimal(v) for values in series.values() for v in values), default=Decimal(1))
    scale = Scale(highest if top is None else top, len(labels))
    names = tuple(series)
    bars = []
    for i, label in enumerate(labels):
        left, width = scale.slot(i)
        bar_width = width * 0.8 / max(len(names), 1)
        for s, name in enumerate(names):
            value = Decimal(series[name][i])
            y = scale.y(value)
            x = left + width * 0.1 + s * bar_width
            bars.append(Bar(x, y, bar_width, scale.y(Decimal(0)) - y, s, label, shown(value)))
    return Chart(
        title=title,
        series=names,
        x_ticks=scale.x_ticks(labels, labels_shown),
        y_ticks=scale.y_ticks(shown),
        bars=tuple(bars),
    )


def whole_top(highest: Number) -> Decimal:
    """The top of a value axis with a whole number at each of its ticks, at or above
    `highest` (3 -> 5, 35 -> 35, 36 -> 40, 10.5 -> 15)."""
    step = max(math.ceil(Decimal(highest) / TICKS), 1)
    return Decimal(step * TICKS)


ROW, ROW_GAP = 28, 8  # a horizontal bar's row, and the space above and below its bar


def row_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    *,
    marks: Mapping[str, Sequence[Number]] | None = None,
    label_width: int = 120,
    width: int = WIDTH,
    shown: Format = plain,
) -> Chart:
    """Horizontal bars, one row per label, top to bottom: each row's series stacked from the
    left, and each of `marks` drawn as a thin bar across its row at its value (a capacity, a
    target). For categories whose names are too long to stand side by side under columns."""
    marks = marks or {}
    totals = [sum(Decimal(values[i]) for values in series.values()) for i in range(len(labels))]
    top = whole_top(max([*totals, *(Decimal(v) for m in marks.values() for v in m)], default=0))
    plot = width - label_width - RIGHT

    def x(value: Decimal) -> float:
        return label_width + plot * float(min(value, top) / top)

    bars: list[Bar] = []
    for i, label in enumerate(labels):
        y, start = TOP + i * ROW, Decimal(0)
        for s, values in enumerate(series.values()):
            end = start + Decimal(values[i])
            if end > start:  # a part of nothing has no bar to hover
                text = shown(Decimal(values[i]))
                bars.append(
                    Bar(x(start), y + ROW_GAP / 2, x(end) - x(start), ROW - ROW_GAP, s, label, text)
                )
            start = end
        for m, values in enumerate(marks.values(), start=len(series)):
            at = Decimal(values[i])
            bars.append(Bar(x(at) - 1.5, y + 1, 3, ROW - 2, m, label, shown(at)))
    steps = [top * i / TICKS for i in range(TICKS + 1)]
    return Chart(
        title=title,
        series=(*series, *marks),
        x_ticks=tuple(Tick(x(step), shown(step)) for step in steps),
        y_ticks=tuple(Tick(TOP + (i + 0.5) * ROW, label) for i, label in enumerate(labels)),
        bars=tuple(bars),
        width=width,
        height=TOP + ROW * len(labels) + BOTTOM,
        left=label_width,
    )
