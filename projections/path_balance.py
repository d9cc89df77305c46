"""Path balance: count, FTE and budget by path, org unit and period; strategic share vs a band."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg

from domain.improvement import ImprovementItem as Item
from domain.initiative import Initiative
from domain.values import Allocation, Path
from projections.base import Projection, Recorded, handles
from projections.rows import Row, State

# The strategic share of allocated improvement capacity that leaders aim for: at least 30 %,
# at most 50 %, bounds included. Below it long-term goals starve; above it daily work does.
TARGET_BAND = (Decimal("0.3"), Decimal("0.5"))

ITEMS = """CREATE TABLE IF NOT EXISTS {path_balance_items} (
    work_item_id uuid PRIMARY KEY,
    path text NOT NULL,
    org_unit text NOT NULL,
    position bigint NOT NULL
)"""
ALLOCATIONS = """CREATE TABLE IF NOT EXISTS {path_balance_allocations} (
    work_item_id uuid NOT NULL,
    team_id uuid NOT NULL,
    period text NOT NULL,
    path text NOT NULL,
    org_unit text NOT NULL,
    fte numeric NOT NULL,
    budget numeric NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (work_item_id, team_id, period)
)"""
BALANCE = """CREATE TABLE IF NOT EXISTS {path_balance} (
    path text NOT NULL,
    org_unit text NOT NULL,
    period text NOT NULL,
    work_items integer NOT NULL,
    allocations integer NOT NULL,
    fte numeric NOT NULL,
    budget numeric NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (path, org_unit, period)
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {path_balance_period_org_unit} "
    "ON {path_balance} (period, org_unit)",
)


def held(state: State, recorded: Recorded, allocation: Allocation, budget: Decimal) -> None:
    """The work item holds this share of a team's time, with the budget that came with it.

    Counted under the work item's org unit; a work item this view never saw holds nothing,
    and a share already held is kept as it was."""
    item = state.rows("path_balance_items").get(allocation.work_item_id)
    if item is None:
        return
    share = {
        "work_item_id": allocation.work_item_id,
        "team_id": allocation.team_id,
        "period": str(allocation.period),
        "path": allocation.path.value,
        "org_unit": item["org_unit"],
        "fte": allocation.fte,
        "budget": budget,
    }
    if state.rows("path_balance_allocations").insert(**share, position=recorded.position):
        count(state, recorded, share, +1)


def let_go(state: State, recorded: Recorded, allocation: Allocation) -> None:
    """The share is released, and its budget with it."""
    allocations = state.rows("path_balance_allocations")
    key = (allocation.work_item_id, allocation.team_id, str(allocation.period))
    share = allocations.get(key)
    if share is not None:
        allocations.delete(key)
        count(state, recorded, share, -1)


def count(state: State, recorded: Recorded, share: Row, sign: int) -> None:
    """Add a share to its (path, org unit, period), or take it away; a bucket left empty goes.

    A work item counts once per bucket: its path and org unit are its own, so its shares in the
    bucket are its shares in the period."""
    bucket = (share["path"], share["org_unit"], share["period"])
    balance = state.rows("path_balance")
    held_now = state.rows("path_balance_allocations").where(
        work_item_id=share["work_item_id"], period=share["period"]
    )
    first_or_last = len(held_now) == (1 if sign > 0 else 0)
    row = balance.get(bucket) or {"work_items": 0, "allocations": 0, "fte": 0, "budget": 0}
    if row["allocations"] + sign == 0:
        balance.delete(bucket)
        return
    totals = {
        "work_items": row["work_items"] + (sign if first_or_last else 0),
        "allocations": row["allocations"] + sign,
        "fte": row["fte"] + sign * share["fte"],
        "budget": row["budget"] + sign * share["budget"],
        "position": recorded.position,
    }
    if not balance.update(bucket, **totals):
        balance.insert(path=bucket[0], org_unit=bucket[1], period=bucket[2], **totals)


def remember(state: State, recorded: Recorded, path: Path, org_unit: str) -> None:
    state.rows("path_balance_items").insert(
        work_item_id=recorded.aggregate_id,
        path=path.value,
        org_unit=org_unit,
        position=recorded.position,
    )


class PathBalance(Projection):
    name = "path_balance"
    cost = 1.6
    tables = ("path_balance_items", "path_balance_allocations", "path_balance")
    ddl = (ITEMS, ALLOCATIONS, BALANCE, *INDEXES)
    indexes = {"path_balance_allocations": (("work_item_id", "period"),)}
    docs = {
        "path_balance_items": (
            "Every work item's path and org unit, which its allocations are counted under.",
            {
                "work_item_id": "The initiative's or improvement item's id (uuid).",
                "path": "'STRATEGIC' for initiatives, 'OPERATIONAL' for improvement items.",
                "org_unit": "The initiative's org unit, or the improvement item's area or team, "
                "as given when it was proposed or raised.",
                "position": "Global position of the event that created the work item.",
            },
        ),
        "path_balance_allocations": (
            "Every share of a team's time a work item holds now (granted, not yet released).",
            {
                "work_item_id": "The work item holding the time (uuid).",
                "team_id": "The team whose time it is (uuid).",
                "period": "The planning quarter, written like 2027-Q1.",
                "path": "The path of the work item: 'STRATEGIC' or 'OPERATIONAL'.",
                "org_unit": "The work item's org unit (not the team's).",
                "fte": "Full-time equivalents held (FTE).",
                "budget": "Budget granted with this allocation (currency units); 0 for "
                "improvement items. Released together with the allocation.",
                "position": "Global position of the event that granted it.",
            },
        ),
        "path_balance": (
            "Work on each path by org unit and period, as it stands: allocations granted minus "
            "released. Org unit is the work item's (an initiative's org unit, an improvement "
            "item's area), so work is counted where it is done for, whichever team does it.",
            {
                "path": "'STRATEGIC' or 'OPERATIONAL'.",
                "org_unit": "The work items' org unit.",
                "period": "The planning quarter, written like 2027-Q1.",
                "work_items": "Work items holding team time in the period (count, distinct).",
                "allocations": "Allocations held: one per work item, team and period (count).",
                "fte": "Full-time equivalents held (FTE).",
                "budget": "Budget held with those allocations (currency units).",
                "position": "Global position of the latest event that changed this row.",
            },
        ),
    }

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        remember(state, recorded, Path.STRATEGIC, recorded.event.org_unit)

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        remember(state, recorded, Path.OPERATIONAL, recorded.event.area)

    @handles(Initiative.Resourced)
    def resourced(self, recorded: Recorded, state: State) -> None:
        held(state, recorded, recorded.event.allocation, recorded.event.budget)

    @handles(Initiative.ResourcesReleased)
    def released(self, recorded: Recorded, state: State) -> None:
        let_go(state, recorded, recorded.event.allocation)

    @handles(Item.Resourced)
    def item_resourced(self, recorded: Recorded, state: State) -> None:
        if (
            recorded.event.assignment.allocation is not None
        ):  # an owner and hours only: no team time
            held(state, recorded, recorded.event.assignment.allocation, Decimal(0))

    @handles(Item.ResourcesReleased)
    def item_released(self, recorded: Recorded, state: State) -> None:
        if recorded.event.assignment.allocation is not None:
            let_go(state, recorded, recorded.event.assignment.allocation)


# Read queries -------------------------------------------------------------------------------

ROWS = """SELECT path, org_unit, period, work_items, allocations, fte, budget
FROM reporting.path_balance
WHERE (%(path)s::text IS NULL OR path = %(path)s)
    AND (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)
    AND (%(period)s::text IS NULL OR period = %(period)s)
ORDER BY period, org_unit, path"""

SHARE = """WITH totals AS (
    SELECT period, CASE WHEN %(overall)s THEN NULL ELSE org_unit END AS org_unit,
        coalesce(sum(fte) FILTER (WHERE path = 'STRATEGIC'), 0) AS strategic_fte,
        coalesce(sum(fte) FILTER (WHERE path = 'OPERATIONAL'), 0) AS operational_fte,
        sum(fte) AS allocated_fte
    FROM reporting.path_balance
    WHERE (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)
        AND (%(period)s::text IS NULL OR period = %(period)s)
    GROUP BY 1, 2
)
SELECT period, org_unit, strategic_fte, operational_fte, allocated_fte,
    round(strategic_fte / nullif(allocated_fte, 0), 4) AS strategic_share,
    %(low)s::numeric AS band_low, %(high)s::numeric AS band_high,
    strategic_fte / nullif(allocated_fte, 0) BETWEEN %(low)s AND %(high)s AS inside_band
FROM totals
ORDER BY period, org_unit NULLS FIRST"""


async def path_balance(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    *,
    path: str | None = None,
    org_unit: str | None = None,
    period: str | None = None,
) -> list[dict[str, Any]]:
    """Count, FTE and budget by path, org unit and period."""
    cursor = await conn.execute(ROWS, {"path": path, "org_unit": org_unit, "period": period})
    return await cursor.fetchall()


async def strategic_share(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    *,
    org_unit: str | None = None,
    period: str | None = None,
    overall: bool = False,
) -> list[dict[str, Any]]:
    """Per period and org unit (or per period across org units when `overall`): strategic FTE
    over all allocated FTE, beside TARGET_BAND and whether it lies inside (bounds included)."""
    low, high = TARGET_BAND
    params = {"org_unit": org_unit, "period": period, "overall": overall, "low": low, "high": high}
    cursor = await conn.execute(SHARE, params)
    return await cursor.fetchall()
