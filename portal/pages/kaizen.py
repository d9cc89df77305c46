"""Kaizen flow (/kaizen?weeks=26): improvement items raised against those completed week by week,
the items nobody has taken on and those that have stopped moving, and how many finished items
became standard work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from portal.charts import Chart, bar_chart, whole_top
from portal.layout import Link, page
from portal.reading import Reader

QUERY = """query Kaizen {
  kaizenFlow {
    weeks { week raised completed standardised abandoned escalated }
    unassigned { uuid title area stage since days }
    stagnant { uuid title area stage owner since days }
    standardisation { finished standardised abandoned escalated rate }
  }
}"""
# How many of the latest weeks the chart and its table may show, as the form offers them.
WINDOWS = {"13": 13, "26": 26, "52": 52, "all": None}
DEFAULT_WINDOW = "26"
LISTED = 50  # rows of a list of items shown; the rest are counted


class BadWindow(ValueError):
    """A `weeks` parameter that is none of the windows offered."""


def window(asked: str | None) -> str:
    """The window asked for, or the default; BadWindow with a sentence for anything else."""
    if asked is None or not asked.strip():
        return DEFAULT_WINDOW
    if asked.strip().lower() in WINDOWS:
        return asked.strip().lower()
    raise BadWindow(
        f"Weeks {asked!r} is not a choice here: show the last 13, 26 or 52 weeks, or all."
    )


@get("/kaizen", name="kaizen")
async def kaizen(reader: NamedDependency[Reader], weeks: FromQuery[str | None] = None) -> Template:
    try:
        shown, problem = window(weeks), None
    except BadWindow as error:
        shown, problem = DEFAULT_WINDOW, str(error)
    flow = (await reader.read(QUERY))["kaizenFlow"]
    latest = WINDOWS[shown]
    in_window = flow["weeks"][-latest:] if latest else flow["weeks"]
    return page(
        "kaizen.html",
        reader,
        title="Kaizen flow",
        crumbs=[Link("Kaizen flow")],
        status=400 if problem else 200,
        problem=problem,
        window=shown,
        windows=list(WINDOWS),
        weeks=in_window,
        chart=flow_chart(in_window) if in_window else None,
        unassigned=flow["unassigned"],
        stagnant=flow["stagnant"],
        rate=flow["standardisation"],
        listed=LISTED,
    )


def flow_chart(weeks: Sequence[dict[str, Any]]) -> Chart:
    """Raised beside completed, one pair of columns a week, oldest first."""
    raised = [week["raised"] for week in weeks]
    completed = [week["completed"] for week in weeks]
    first, last = (date.fromisoformat(weeks[i]["week"]) for i in (0, -1))
    return bar_chart(
        f"Improvement items raised and completed per week, "
        f"from the week of {first:%d %b %Y} to that of {last:%d %b %Y}",
        [short(week["week"]) for week in weeks],
        {"Raised": raised, "Completed": completed},
        top=whole_top(max([*raised, *completed], default=0)),
        labels_shown=7,  # a week's label is as wide as two weeks' columns, or wider
    )


def short(week: str) -> str:
    """The Monday a week starts on, as an axis has room for: 2026-06-08 -> 8 Jun."""
    monday = date.fromisoformat(week)
    return f"{monday.day} {monday:%b}"
