"""The capacity view: per team and period, capacity against allocations on each path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain.commands import (
    ClassifyImprovementItem,
    RaiseImprovementItem,
    RegisterTeam,
    ReleaseInitiativeResources,
    ResourceImprovementItem,
    SetTeamCapacity,
)
from domain.values import Period
from projections.base import Projection
from projections.capacity import Capacity, capacity_summary, team_capacity
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    OPERATIONAL,
    Q1,
    STEWARD,
    approved,
    in_planning,
    resourced,
    team_with_capacity,
)

pytestmark = pytest.mark.database

Q2 = Period(2027, 2)


@pytest.fixture
def reporting(reporting_with: Callable[[Sequence[Projection]], Reporting]) -> Reporting:
    return reporting_with([Capacity()])


def item_holding(app: Polarity, team: UUID, fte: str, over_capacity: bool = False) -> UUID:
    item = app.handle(
        STEWARD, RaiseImprovementItem(title="Fix invoice rework", problem="Rework", area="Finance")
    ).id
    app.handle(STEWARD, ClassifyImprovementItem(item, criteria=OPERATIONAL, reason="local"))
    command = ResourceImprovementItem(
        item, "omar", date(2027, 3, 31), "huddle", team_id=team, period=Q1, fte=Decimal(fte)
    )
    if over_capacity:
        approved(app, command)
    else:
        app.handle(STEWARD, command)
    return item


def over_allocated_line(app: Polarity) -> tuple[UUID, UUID, UUID]:
    """Line 3 has 4 FTE in Q1: 2.5 strategic + 1 + 1.5 operational = 5, approved by vera."""
    team = team_with_capacity(app, fte="4")
    initiative = in_planning(app)
    resourced(app, initiative, team, "2.5", budget="900")
    item_holding(app, team, "1")
    item_holding(app, team, "1.5", over_capacity=True)
    idle = app.handle(STEWARD, RegisterTeam(name="Paint shop", org_unit="Plant South")).id
    app.handle(STEWARD, SetTeamCapacity(idle, period=Q2, fte=Decimal(2), reason="quarter plan"))
    return team, initiative, idle


async def read(reporting: Reporting, query: Any, **filters: Any) -> Any:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await query(conn, **filters)


def test_a_team_period_row_adds_up_allocations_by_path_against_capacity(
    reporting: Reporting,
) -> None:
    team, _, idle = over_allocated_line(reporting.app)

    rows = reporting.caught_up().rows("SELECT * FROM reporting.capacity ORDER BY period")

    line, paint = rows
    assert (line["team_id"], line["period"], line["team_name"], line["org_unit"]) == (
        team,
        "2027-Q1",
        "Line 3",
        "Plant North",
    )
    assert line["capacity_fte"] == 4
    assert line["strategic_fte"] == Decimal("2.5")
    assert line["operational_fte"] == Decimal("2.5")  # 1 + 1.5
    assert line["allocated_fte"] == 5  # 2.5 + 2.5
    assert (line["allocations"], line["approved_allocations"]) == (3, 1)
    assert line["over_allocated"]  # 5 > 4
    assert line["over_allocation_approved"]  # by vera, not stella who asked
    assert (paint["team_id"], paint["period"], paint["capacity_fte"]) == (idle, "2027-Q2", 2)
    assert (paint["allocated_fte"], paint["over_allocated"]) == (0, False)


def test_releasing_an_allocation_takes_it_off_its_path_and_may_end_the_over_allocation(
    reporting: Reporting,
) -> None:
    app = reporting.app
    team, initiative, _ = over_allocated_line(app)
    app.handle(
        STEWARD, ReleaseInitiativeResources(initiative, team_id=team, period=Q1, reason="done")
    )

    (line,) = reporting.caught_up().rows(
        "SELECT * FROM reporting.capacity WHERE team_id = %s", team
    )

    assert (line["strategic_fte"], line["operational_fte"]) == (0, Decimal("2.5"))  # 2.5 - 2.5
    assert (line["allocations"], line["approved_allocations"]) == (2, 1)  # 3 - 1
    assert not line["over_allocated"]  # 2.5 <= 4
    assert not line["over_allocation_approved"]


async def test_the_read_queries_derive_utilisation_and_filter_by_team_period_and_org_unit(
    reporting: Reporting,
) -> None:
    team, _, idle = over_allocated_line(reporting.app)
    reporting.caught_up()

    everything = await read(reporting, team_capacity)
    over = await read(reporting, team_capacity, over_allocated=True)
    south = await read(reporting, team_capacity, org_unit="Plant South")
    q1 = await read(reporting, capacity_summary, period="2027-Q1")

    assert [(r["team_id"], r["utilisation"]) for r in everything] == [
        (team, Decimal("1.25")),  # 5 / 4
        (idle, Decimal(0)),  # 0 / 2
    ]
    assert [r["team_id"] for r in over] == [team]
    assert [r["team_id"] for r in south] == [idle]
    assert await read(reporting, team_capacity, team_id=idle, period="2027-Q1") == []
    (summary,) = q1
    assert (summary["org_unit"], summary["teams"], summary["capacity_fte"]) == (
        "Plant North",
        1,
        4,
    )
    assert (summary["allocated_fte"], summary["utilisation"]) == (5, Decimal("1.25"))
    assert summary["over_allocated_teams"] == 1


def test_a_rebuild_gives_the_same_rows_as_the_live_view(reporting: Reporting) -> None:
    app = reporting.app
    team, initiative, _ = over_allocated_line(app)
    app.handle(
        STEWARD, ReleaseInitiativeResources(initiative, team_id=team, period=Q1, reason="done")
    )
    query = "SELECT * FROM reporting.capacity ORDER BY team_id, period"
    live = reporting.caught_up().rows(query)

    reporting.projector.rebuild("capacity")

    assert reporting.rows(query) == live
    assert len(live) == 2
