"""Capacity (/capacity?period=2026-Q3): in one quarter, each team's capacity against the FTE
allocated to it on each path, over-allocated teams called out, and the totals by org unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from domain.errors import InvalidInput
from portal.charts import Chart, row_chart
from portal.layout import Link, page
from portal.periods import asked_quarter, this_quarter
from portal.reading import Reader

QUERY = """query Capacity($period: String!, $valid: Boolean!) {
  teams: capacity(period: $period) @include(if: $valid) {
    teamId teamName orgUnit capacityFte strategicFte operationalFte allocatedFte allocations
    overAllocated overAllocationApproved utilisation }
  summary: capacitySummary {
    period orgUnit teams capacityFte strategicFte operationalFte allocatedFte utilisation
    overAllocatedTeams }
}"""
# What the page reads when opened without a quarter (make bench reads the same over the API).
VARIABLES = {"period": this_quarter(), "valid": True}
SHORT = 24  # characters of a team's name that fit beside its bar; the table has the rest


@dataclass(frozen=True)
class TeamRow:
    """One team in the quarter, as the capacity view reads it."""

    team: dict[str, Any]

    @property
    def over(self) -> bool:
        return bool(self.team["overAllocated"])

    @property
    def approval(self) -> str:
        """Whether going over capacity was approved by a second person."""
        return "approved" if self.team["overAllocationApproved"] else "not approved"

    @property
    def short_name(self) -> str:
        name = str(self.team["teamName"])
        return name if len(name) <= SHORT else name[: SHORT - 1] + "…"


@get("/capacity", name="capacity")
async def capacity(
    reader: NamedDependency[Reader], period: FromQuery[str | None] = None
) -> Template:
    try:
        quarter, problem = asked_quarter(period), None
    except InvalidInput as error:
        quarter, problem = this_quarter(), error.message
    data = await reader.read(QUERY, period=quarter, valid=problem is None)
    periods = sorted({row["period"] for row in data["summary"]})
    teams = [TeamRow(team) for team in data.get("teams", [])]
    return page(
        "capacity.html",
        reader,
        title="Capacity" if problem else f"Capacity in {quarter}",
        crumbs=[Link("Capacity")],
        status=400 if problem else 200,
        problem=problem,
        period=None if problem else quarter,
        selected=quarter,
        periods=periods,
        teams=teams,
        over=[row for row in teams if row.over],
        units=[row for row in data["summary"] if row["period"] == quarter],
        chart=team_chart(quarter, teams) if teams else None,
    )


def team_chart(quarter: str, teams: Sequence[TeamRow]) -> Chart:
    """Each team's allocated FTE, strategic then operational, against a mark at its capacity;
    an over-allocated team's label carries a warning sign, not only its longer bar."""
    return row_chart(
        f"Allocated FTE by path against capacity, by team, in {quarter}",
        [("⚠ " if row.over else "") + row.short_name for row in teams],
        {
            "Strategic FTE": [Decimal(row.team["strategicFte"]) for row in teams],
            "Operational FTE": [Decimal(row.team["operationalFte"]) for row in teams],
        },
        marks={"Capacity FTE": [Decimal(row.team["capacityFte"]) for row in teams]},
        label_width=200,
    )
