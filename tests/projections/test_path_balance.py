"""The path balance view: work by path, org unit and period, and the strategic share's band."""

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
    RaiseImprovementItem,
    ReleaseImprovementItemResources,
    ReleaseInitiativeResources,
    ResourceImprovementItem,
    SetTeamCapacity,
)
from domain.values import Period
from projections.base import Projection
from projections.path_balance import TARGET_BAND, PathBalance, path_balance, strategic_share
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import Q1, STEWARD, in_planning, resourced, team_with_capacity

pytestmark = pytest.mark.database

Q2 = Period(2027, 2)


@pytest.fixture
def reporting(reporting_with: Callable[[Sequence[Projection]], Reporting]) -> Reporting:
    return reporting_with([PathBalance()])


def item_in(app: Polarity, area: str, team: UUID, fte: str) -> UUID:
    item = app.handle(STEWARD, RaiseImprovementItem(title="Kaizen", problem="Waste", area=area)).id
    app.handle(
        STEWARD,
        ResourceImprovementItem(
            item,
            owner="omar",
            due=date(2027, 3, 31),
            reason="huddle",
            team_id=team,
            period=Q1,
            fte=Decimal(fte),
        ),
    )
    return item


def resource(
    app: Polarity, initiative: UUID, team: UUID, period: Period, fte: str, budget: int
) -> None:
    resourced(app, initiative, team, fte, budget=str(budget), period=period)


def sales_and_line_3(app: Polarity) -> None:
    """Sales: an initiative on two teams in Q1 and one in Q2, and a kaizen item; Line 3: two
    kaizen items in Q1, one of them released again."""
    line, data = team_with_capacity(app, fte="6"), team_with_capacity(app, "2", "Data team")
    app.handle(STEWARD, SetTeamCapacity(line, period=Q2, fte=Decimal(2), reason="quarter plan"))
    initiative = in_planning(app)  # org unit Sales
    resource(app, initiative, line, Q1, "1.5", 900)
    resource(app, initiative, data, Q1, "0.5", 100)
    resource(app, initiative, line, Q2, "1", 300)
    item_in(app, "Sales", line, "2.5")
    item_in(app, "Line 3", line, "1")
    gone = item_in(app, "Line 3", line, "0.5")
    app.handle(STEWARD, ReleaseImprovementItemResources(gone, reason="not needed"))


async def read(reporting: Reporting, query: Any, **filters: Any) -> Any:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await query(conn, **filters)


def test_work_is_counted_by_path_org_unit_and_period_as_it_stands(reporting: Reporting) -> None:
    sales_and_line_3(reporting.app)

    rows = reporting.caught_up().rows(
        "SELECT path, org_unit, period, work_items, allocations, fte, budget "
        "FROM reporting.path_balance ORDER BY period, org_unit, path"
    )

    assert [tuple(r.values()) for r in rows] == [
        ("OPERATIONAL", "Line 3", "2027-Q1", 1, 1, 1, 0),  # 1 + 0.5 granted - 0.5 released
        ("OPERATIONAL", "Sales", "2027-Q1", 1, 1, Decimal("2.5"), 0),
        ("STRATEGIC", "Sales", "2027-Q1", 1, 2, 2, 1000),  # 1.5 + 0.5 FTE, 900 + 100 budget
        ("STRATEGIC", "Sales", "2027-Q2", 1, 1, 1, 300),
    ]


def test_a_released_allocation_takes_its_budget_with_it(reporting: Reporting) -> None:
    app = reporting.app
    line = team_with_capacity(app)
    initiative = in_planning(app)
    resource(app, initiative, line, Q1, "1", 500)
    app.handle(STEWARD, ReleaseInitiativeResources(initiative, team_id=line, period=Q1, reason="x"))

    assert reporting.caught_up().rows("SELECT * FROM reporting.path_balance") == []


async def test_the_strategic_share_is_read_per_org_unit_and_overall_beside_the_band(
    reporting: Reporting,
) -> None:
    sales_and_line_3(reporting.app)
    reporting.caught_up()

    per_unit = await read(reporting, strategic_share)
    overall = await read(reporting, strategic_share, overall=True, period="2027-Q1")
    sales = await read(reporting, path_balance, org_unit="Sales", path="STRATEGIC")

    assert [
        (r["period"], r["org_unit"], r["strategic_share"], r["inside_band"]) for r in per_unit
    ] == [
        ("2027-Q1", "Line 3", 0, False),  # 0 / 1
        ("2027-Q1", "Sales", Decimal("0.4444"), True),  # 2 / (2 + 2.5)
        ("2027-Q2", "Sales", 1, False),  # 1 / 1
    ]
    (q1,) = overall
    assert (q1["org_unit"], q1["strategic_fte"], q1["allocated_fte"]) == (None, 2, Decimal("5.5"))
    assert q1["strategic_share"] == Decimal("0.3636")  # 2 / (2 + 2.5 + 1)
    assert q1["inside_band"]
    assert (q1["band_low"], q1["band_high"]) == TARGET_BAND
    assert [(r["period"], r["budget"]) for r in sales] == [("2027-Q1", 1000), ("2027-Q2", 300)]


def test_a_rebuild_gives_the_same_rows_as_the_live_view(reporting: Reporting) -> None:
    sales_and_line_3(reporting.app)
    live = reporting.caught_up().rows(
        "SELECT * FROM reporting.path_balance ORDER BY period, org_unit, path"
    )

    reporting.projector.rebuild("path_balance")

    rebuilt = reporting.rows("SELECT * FROM reporting.path_balance ORDER BY period, org_unit, path")
    assert rebuilt == live
    assert len(live) == 4
