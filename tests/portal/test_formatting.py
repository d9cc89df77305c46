"""Figures keep the API's exact value in <data>, moments their UTC value in <time>, ids both
forms, and charts their geometry: the pieces every page is built from."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.charts import as_percent, bar_chart, line_chart
from portal.formatting import count, day, fte, moment, money, percent
from portal.links import global_id, plain_id, work_url


@pytest.mark.parametrize(
    ("shown", "html"),
    [
        (fte("7.50"), '<data value="7.50">7.5</data>'),
        (fte("10"), '<data value="10">10</data>'),
        (fte("0.3333"), '<data value="0.3333">0.33</data>'),
        (money("237500.00"), '<data value="237500.00">237,500</data>'),
        (percent("0.4286"), '<data value="0.4286">42.9 %</data>'),
        (percent("0.5"), '<data value="0.5">50 %</data>'),
        (count(12345), '<data value="12345">12,345</data>'),
        (day("2026-03-01"), '<time datetime="2026-03-01">01 Mar 2026</time>'),
    ],
)
def test_a_figure_shows_a_readable_number_and_keeps_the_apis_value(shown: str, html: str) -> None:
    assert shown == html


def test_a_moment_is_served_in_utc_for_the_script_to_show_in_the_readers_zone() -> None:
    assert moment("2026-03-01T11:00:00+01:00") == (
        '<time datetime="2026-03-01T10:00:00Z" title="01 Mar 2026 10:00 UTC" data-local>'
        "01 Mar 2026 10:00 UTC</time>"
    )


def test_nothing_is_shown_as_a_dash_not_as_none() -> None:
    assert all("—" in str(shown) for shown in (fte(None), percent(None), moment(None), day(None)))


def test_a_work_item_is_addressed_by_kind_and_plain_uuid() -> None:
    uuid = "187201af-a524-41d7-991f-e3e74aa881d3"
    assert work_url("INITIATIVE", uuid) == f"/initiatives/{uuid}"
    assert work_url("IMPROVEMENT_ITEM", uuid) == f"/improvements/{uuid}"
    assert plain_id(global_id("Initiative", uuid)) == uuid


def test_a_line_chart_marks_the_points_outside_its_band() -> None:
    chart = line_chart(
        "Share",
        ["Q1", "Q2", "Q3"],
        [Decimal("0.2"), None, Decimal("0.4")],
        top=Decimal(1),
        band=(Decimal("0.3"), Decimal("0.5")),
        shown=as_percent,
    )

    assert [(p.label, p.text, p.marked) for p in chart.points] == [
        ("Q1", "20 %", True),
        ("Q3", "40 %", False),
    ]
    assert chart.band is not None
    assert chart.band.y < chart.points[1].y < chart.band.y + chart.band.height
    assert chart.line.startswith("M")
    assert chart.line.count("L") == 1


def test_grouped_bars_are_as_tall_as_their_values() -> None:
    chart = bar_chart("Flow", ["W1", "W2"], {"raised": [4, 2], "completed": [2, 0]})

    heights = {(b.label, chart.series[b.series]): b.height for b in chart.bars}
    assert heights[("W1", "raised")] == pytest.approx(2 * heights[("W1", "completed")])
    assert heights[("W2", "completed")] == 0
    assert [b.text for b in chart.bars] == ["4", "2", "2", "0"]
