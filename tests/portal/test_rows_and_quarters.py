"""The pieces the Pipeline, Capacity, Kaizen and Alignment pages are built from, on their own:
rows of horizontal bars, whole-number axes, days, quarters read from an address, and the line
under a shortened list."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain import clock
from domain.errors import InvalidInput
from portal.app import templates
from portal.charts import TICKS, bar_chart, row_chart, whole_top
from portal.formatting import days
from portal.periods import asked_quarter, this_quarter


@pytest.mark.parametrize(
    ("highest", "top"), [(0, 5), (3, 5), (5, 5), (35, 35), (36, 40), (Decimal("10.5"), 15)]
)
def test_a_count_axis_ends_where_every_tick_is_a_whole_number(highest: Decimal, top: int) -> None:
    assert whole_top(highest) == top
    assert (whole_top(highest) / TICKS) % 1 == 0


def test_rows_stack_their_series_and_mark_each_rows_capacity() -> None:
    chart = row_chart(
        "FTE by team",
        ["Line 3", "Finance"],
        {"Strategic": [2, 0], "Operational": [3, 1]},
        marks={"Capacity": [4, 8]},
        label_width=100,
        width=420,
    )

    assert chart.series == ("Strategic", "Operational", "Capacity")
    assert [t.label for t in chart.y_ticks] == ["Line 3", "Finance"]
    assert [t.label for t in chart.x_ticks] == ["0", "2", "4", "6", "8", "10"]
    line3 = [b for b in chart.bars if b.label == "Line 3"]
    strategic, operational, capacity = line3
    assert strategic.x == chart.left == 100
    assert operational.x == pytest.approx(strategic.x + strategic.width)  # stacked after it
    plot = 420 - 100 - 16
    assert operational.x + operational.width == pytest.approx(100 + plot * 5 / 10)
    assert capacity.series == 2
    assert capacity.x + capacity.width / 2 == pytest.approx(100 + plot * 4 / 10)
    # Finance has no strategic time: no bar for it, nothing to hover.
    assert [b.series for b in chart.bars if b.label == "Finance"] == [1, 2]
    assert chart.height > chart.bottom > max(b.y + b.height for b in chart.bars)


def test_grouped_bars_may_run_to_a_given_top_and_label_fewer_columns() -> None:
    labels = [f"w{i}" for i in range(26)]
    chart = bar_chart(
        "per week", labels, {"Raised": [1] * 26, "Done": [0] * 26}, top=Decimal(5), labels_shown=7
    )

    assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3", "4", "5"]
    assert [t.label for t in chart.x_ticks] == [f"w{i}" for i in range(0, 26, 3)]
    assert len(chart.bars) == 52


def test_days_are_shown_to_a_tenth_and_keep_the_apis_value() -> None:
    assert days("154.20") == '<data value="154.20">154.2</data>'


def test_a_quarter_is_this_one_unless_an_address_asks_for_another() -> None:
    with clock.running_on(lambda: datetime(2026, 11, 30, 23, 0, tzinfo=UTC)):
        assert this_quarter() == "2026-Q4"
        assert asked_quarter(None) == asked_quarter("  ") == "2026-Q4"
    assert asked_quarter(" 2027-Q1 ") == "2027-Q1"


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("2026-Q5", "must be written as a year and quarter, like 2027-Q1"),
        ("Q1 2026", "must be written as a year and quarter"),
        ("1999-Q1", "1999-Q1 is not a planning quarter"),
    ],
)
def test_a_quarter_that_cannot_be_read_is_refused_with_a_sentence(asked: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        asked_quarter(asked)


def test_a_shortened_list_says_how_many_more_there_are_and_where() -> None:
    macros = templates().engine_instance.engine.get_template("macros.html").module
    more: Any = getattr(macros, "more")  # noqa: B009 (a macro, which no type names)

    assert str(more(10, 10, "items")).strip() == ""
    assert str(more(10, 1234, "items", "/portfolio?objective=x", "in the Portfolio")).strip() == (
        '<p class="more">The first <data value="10">10</data> of <data value="1234">1,234</data> '
        'items; <a href="/portfolio?objective=x">see them all in the Portfolio</a>.</p>'
    )
