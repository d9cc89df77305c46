"""Capacity: per team and period, the capacity, what is allocated on each path, over-allocation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from domain.team import Team
from domain.values import Path
from projections.base import Projection, Recorded, handles
from projections.rows import Row, State

TEAMS = """CREATE TABLE IF NOT EXISTS {capacity_teams} (
    team_id uuid PRIMARY KEY,
    name text NOT NULL,
    org_unit text NOT NULL,
    position bigint NOT NULL
)"""
CAPACITY = """CREATE TABLE IF NOT EXISTS {capacity} (
    team_id uuid NOT NULL,
    period text NOT NULL,
    team_name text NOT NULL,
    org_unit text NOT NULL,
    capacity_fte numeric NOT NULL DEFAULT 0,
    operational_fte numeric NOT NULL DEFAULT 0,
    strategic_fte numeric NOT NULL DEFAULT 0,
    allocated_fte numeric GENERATED ALWAYS AS (operational_fte + strategic_fte) STORED,
    allocations integer NOT NULL DEFAULT 0,
    approved_allocations integer NOT NULL DEFAULT 0,
    over_allocated boolean
        GENERATED ALWAYS AS (operational_fte + strategic_fte > capacity_fte) STORED,
    over_allocation_approved boolean GENERATED ALWAYS AS
        (operational_fte + strategic_fte > capacity_fte AND approved_allocations > 0) STORED,
    updated_at timestamptz NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (team_id, period)
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {capacity_period_org_unit} ON {capacity} (period, org_unit)",
)
ZERO = Decimal(0)


def period_row(state: State, recorded: Recorded, period: str) -> Row | None:
    """The team's row in `period`, created with nothing in it on first sight.

    None for a team never registered: there is no name to give its row.
    """
    team = state.rows("capacity_teams").get(recorded.aggregate_id)
    if team is None:
        return None
    rows = state.rows("capacity")
    rows.insert(
        team_id=recorded.aggregate_id,
        period=period,
        team_name=team["name"],
        org_unit=team["org_unit"],
        capacity_fte=ZERO,
        operational_fte=ZERO,
        strategic_fte=ZERO,
        updated_at=recorded.recorded_at,
        version=recorded.version,
        position=recorded.position,
    )
    return rows[recorded.aggregate_id, period]


def change(
    state: State,
    recorded: Recorded,
    period: object,
    *,
    capacity: Decimal | None = None,
    operational: Decimal = ZERO,
    strategic: Decimal = ZERO,
    allocations: int = 0,
    approved: int = 0,
) -> None:
    """Set the team's capacity in `period` and/or add to what is allocated there."""
    quarter = str(period)
    live = period_row(state, recorded, quarter)
    if live is None:
        return
    state.rows("capacity").update(
        (recorded.aggregate_id, quarter),
        capacity_fte=live["capacity_fte"] if capacity is None else capacity,
        operational_fte=live["operational_fte"] + operational,
        strategic_fte=live["strategic_fte"] + strategic,
        allocations=live["allocations"] + allocations,
        approved_allocations=live["approved_allocations"] + approved,
        updated_at=recorded.recorded_at,
        version=recorded.version,
        position=recorded.position,
    )


def allocation_change(recorded: Recorded, sign: int) -> dict[str, Any]:
    """The deltas an allocation granted (+1) or released (-1) makes to its period's row."""
    allocation = recorded.event.allocation
    fte = allocation.fte * sign
    strategic = allocation.path is Path.STRATEGIC
    return {
        "operational": ZERO if strategic else fte,
        "strategic": fte if strategic else ZERO,
        "allocations": sign,
        "approved": sign if allocation.approval is not None else 0,
    }


class Capacity(Projection):
    name = "capacity"
    cost = 1.3
    tables = ("capacity_teams", "capacity")
    ddl = (TEAMS, CAPACITY, *INDEXES)
    docs = {
        "capacity_teams": (
            "Every registered team, so that a period's row can name its team.",
            {
                "team_id": "The team's id (uuid).",
                "name": "The team's name.",
                "org_unit": "The org unit the team belongs to.",
                "position": "Global position of the event that registered the team.",
            },
        ),
        "capacity": (
            "One row per team and planning period in which the team has capacity set or time "
            "allocated: capacity against allocations on each path. Utilisation is derived at "
            "read time as allocated_fte / capacity_fte.",
            {
                "team_id": "The team's id (uuid).",
                "period": "The planning quarter, written like 2027-Q1.",
                "team_name": "The team's name.",
                "org_unit": "The team's org unit.",
                "capacity_fte": "The team's capacity in the period, as last set (FTE); "
                "0 if never set.",
                "operational_fte": "Allocated to improvement items, the operational path (FTE).",
                "strategic_fte": "Allocated to initiatives, the strategic path (FTE).",
                "allocated_fte": "operational_fte + strategic_fte (FTE).",
                "allocations": "Allocations currently held in the period (count).",
                "approved_allocations": "Of those, allocations granted with an approved "
                "over-allocation (count).",
                "over_allocated": "True when allocated_fte exceeds capacity_fte.",
                "over_allocation_approved": "True when over-allocated and an allocation held "
                "in the period carries an approval (by someone other than its requester).",
                "updated_at": "When the latest event reflected here was recorded (UTC).",
                "version": "The team's aggregate version this row reflects.",
                "position": "Global position of the latest event this row reflects.",
            },
        ),
    }

    @handles(Team.Registered)
    def registered(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        state.rows("capacity_teams").insert(
            team_id=recorded.aggregate_id,
            name=event.name,
            org_unit=event.org_unit,
            position=recorded.position,
        )

    @handles(Team.CapacitySet)
    def capacity_set(self, recorded: Recorded, state: State) -> None:
        change(state, recorded, recorded.event.period, capacity=recorded.event.fte)

    @handles(Team.AllocationGranted)
    def granted(self, recorded: Recorded, state: State) -> None:
        change(state, recorded, recorded.event.allocation.period, **allocation_change(recorded, +1))

    @handles(Team.AllocationReleased)
    def released(self, recorded: Recorded, state: State) -> None:
        change(state, recorded, recorded.event.allocation.period, **allocation_change(recorded, -1))


# Read queries -------------------------------------------------------------------------------

ROWS = """SELECT team_id, team_name, org_unit, period, capacity_fte, operational_fte,
    strategic_fte, allocated_fte, allocations, over_allocated, over_allocation_approved,
    round(allocated_fte / nullif(capacity_fte, 0), 4) AS utilisation
FROM reporting.capacity
WHERE (%(team)s::uuid IS NULL OR team_id = %(team)s)
    AND (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)
    AND (%(period)s::text IS NULL OR period = %(period)s)
    AND (%(over)s::boolean IS NULL OR over_allocated = %(over)s)
ORDER BY period, org_unit, team_name, team_id"""

SUMMARY = """SELECT period, org_unit, count(*) AS teams, sum(capacity_fte) AS capacity_fte,
    sum(operational_fte) AS operational_fte, sum(strategic_fte) AS strategic_fte,
    sum(allocated_fte) AS allocated_fte,
    round(sum(allocated_fte) / nullif(sum(capacity_fte), 0), 4) AS utilisation,
    count(*) FILTER (WHERE over_allocated) AS over_allocated_teams
FROM reporting.capacity
WHERE (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)
    AND (%(period)s::text IS NULL OR period = %(period)s)
GROUP BY period, org_unit
ORDER BY period, org_unit"""


async def team_capacity(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    *,
    team_id: UUID | None = None,
    org_unit: str | None = None,
    period: str | None = None,
    over_allocated: bool | None = None,
) -> list[dict[str, Any]]:
    """Rows of the view with utilisation (allocated / capacity; null when capacity is 0)."""
    params = {"team": team_id, "org_unit": org_unit, "period": period, "over": over_allocated}
    cursor = await conn.execute(ROWS, params)
    return await cursor.fetchall()


async def capacity_summary(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    *,
    org_unit: str | None = None,
    period: str | None = None,
) -> list[dict[str, Any]]:
    """Totals per period and org unit: capacity, allocated by path, utilisation, teams over."""
    cursor = await conn.execute(SUMMARY, {"org_unit": org_unit, "period": period})
    return await cursor.fetchall()
