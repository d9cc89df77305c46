"""Reviews due: when each active work item is next due a review, and which reviews are overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from domain.improvement import ImprovementItem as Item
from domain.initiative import Initiative
from projections.base import Projection, Recorded, Tables, handles
from projections.portfolio import INITIATIVE_CADENCE, ITEM_CADENCE
from projections.rows import State

CADENCE_NAMES = {INITIATIVE_CADENCE: "monthly", ITEM_CADENCE: "weekly"}

DDL = """CREATE TABLE IF NOT EXISTS {reviews_due} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    title text NOT NULL,
    org_unit text NOT NULL,
    cadence text NOT NULL,
    cadence_days integer NOT NULL,
    last_reviewed_at timestamptz,
    last_review_status text,
    next_review_due timestamptz NOT NULL,
    active boolean NOT NULL DEFAULT true,
    ended_at timestamptz,
    created_at timestamptz NOT NULL,
    position bigint NOT NULL
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {reviews_due_next} ON {reviews_due} (next_review_due) WHERE active",
)


def insert(state: State, recorded: Recorded, kind: str, cadence: timedelta) -> None:
    event = recorded.event
    state.rows("reviews_due").insert(
        id=recorded.aggregate_id,
        kind=kind,
        title=event.title,
        org_unit=event.org_unit if kind == "initiative" else event.area,
        cadence=CADENCE_NAMES[cadence],
        cadence_days=cadence.days,
        next_review_due=recorded.recorded_at + cadence,
        created_at=recorded.recorded_at,
        position=recorded.position,
    )


def reviewed(state: State, recorded: Recorded, cadence: timedelta) -> None:
    state.rows("reviews_due").update(
        recorded.aggregate_id,
        last_reviewed_at=recorded.recorded_at,
        last_review_status=recorded.event.status.value,
        next_review_due=recorded.recorded_at + cadence,
        position=recorded.position,
    )


def end(state: State, recorded: Recorded) -> None:
    """The work item reached a terminal stage: no review is due any more."""
    state.rows("reviews_due").update(
        recorded.aggregate_id,
        active=False,
        ended_at=recorded.recorded_at,
        position=recorded.position,
    )


class ReviewsDue(Projection):
    name = "reviews_due"
    cost = 0.3
    tables = ("reviews_due",)
    ddl = (DDL, *INDEXES)
    docs = {
        "reviews_due": (
            "One row per work item with its review cadence and when its next review is due; "
            "rows stay once the item ends, with active false.",
            {
                "id": "The work item's id (uuid).",
                "kind": "'initiative' or 'improvement_item'.",
                "title": "The work item's title.",
                "org_unit": "Org unit of an initiative; area or team of an improvement item.",
                "cadence": "'monthly' for initiatives, 'weekly' for improvement items "
                "(their huddle review).",
                "cadence_days": "Days between reviews: 30 for initiatives, 7 for improvement "
                "items (days).",
                "last_reviewed_at": "When its last review was recorded (UTC); null if never.",
                "last_review_status": "GREEN, AMBER or RED at its last review; null if never.",
                "next_review_due": "When its next review is due: the last review (or, before "
                "any, its creation) plus the cadence (UTC).",
                "active": "False once the item is terminal: an initiative closed, killed or "
                "redirected; an improvement item standardised, abandoned or escalated. "
                "Benefits recorded after closure do not make it active again.",
                "ended_at": "When it became terminal (UTC); null while active.",
                "created_at": "When it was proposed or raised (UTC).",
                "position": "Global position of the latest event this row reflects.",
            },
        )
    }

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        insert(state, recorded, "initiative", INITIATIVE_CADENCE)

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        insert(state, recorded, "improvement_item", ITEM_CADENCE)

    @handles(Initiative.Reviewed)
    def initiative_reviewed(self, recorded: Recorded, state: State) -> None:
        reviewed(state, recorded, INITIATIVE_CADENCE)

    @handles(Item.Reviewed)
    def item_reviewed(self, recorded: Recorded, state: State) -> None:
        reviewed(state, recorded, ITEM_CADENCE)

    @handles(Initiative.GateDecided)
    def gate_decided(self, recorded: Recorded, state: State) -> None:
        if recorded.event.decision.standing_after.stage.is_terminal:  # killed
            end(state, recorded)

    @handles(
        Initiative.Closed,
        Initiative.Redirected,
        Item.Standardised,
        Item.Abandoned,
        Item.Escalated,
    )
    def ended(self, recorded: Recorded, state: State) -> None:
        end(state, recorded)


LIVE = Tables(ReviewsDue.tables)
Connection = psycopg.AsyncConnection[dict[str, Any]]


# Read queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueReview:
    """An active work item whose next review was due before the moment asked about."""

    id: UUID
    kind: str
    title: str
    org_unit: str
    cadence: str
    cadence_days: int
    last_reviewed_at: datetime | None
    last_review_status: str | None
    next_review_due: datetime
    days_overdue: int  # whole days past due; 0 when less than a day late


@dataclass(frozen=True)
class CadenceSummary:
    """Per cadence: active items, how many are overdue, and the longest delay in whole days."""

    cadence: str
    cadence_days: int
    active: int
    overdue: int
    most_days_overdue: int | None


FILTERS = """active
    AND (%(kind)s::text IS NULL OR kind = %(kind)s)
    AND (%(cadence)s::text IS NULL OR cadence = %(cadence)s)
    AND (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)"""
DAYS_OVERDUE = "floor(extract(epoch FROM %(now)s - next_review_due) / 86400)::int"

OVERDUE = f"""
SELECT id, kind, title, org_unit, cadence, cadence_days, last_reviewed_at, last_review_status,
    next_review_due, {DAYS_OVERDUE} AS days_overdue
FROM {{reviews_due}}
WHERE {FILTERS} AND next_review_due < %(now)s
ORDER BY next_review_due, id
"""

BY_CADENCE = f"""
SELECT cadence, cadence_days, count(*)::int AS active,
    count(*) FILTER (WHERE next_review_due < %(now)s)::int AS overdue,
    max({DAYS_OVERDUE}) FILTER (WHERE next_review_due < %(now)s) AS most_days_overdue
FROM {{reviews_due}}
WHERE {FILTERS}
GROUP BY cadence, cadence_days ORDER BY cadence_days
"""


async def overdue_reviews(
    conn: Connection,
    *,
    kind: str | None = None,
    cadence: str | None = None,
    org_unit: str | None = None,
    now: datetime | None = None,
) -> list[OverdueReview]:
    """Active items whose next review is overdue at `now`, the longest overdue first."""
    params = {"kind": kind, "cadence": cadence, "org_unit": org_unit}
    async with conn.cursor(row_factory=class_row(OverdueReview)) as cur:
        await cur.execute(LIVE.sql(OVERDUE), {**params, "now": now or datetime.now(UTC)})
        return await cur.fetchall()


async def overdue_by_cadence(
    conn: Connection,
    *,
    kind: str | None = None,
    org_unit: str | None = None,
    now: datetime | None = None,
) -> list[CadenceSummary]:
    """Overdue reviews counted per cadence (weekly first), beside the active items of each."""
    params = {"kind": kind, "cadence": None, "org_unit": org_unit}
    async with conn.cursor(row_factory=class_row(CadenceSummary)) as cur:
        await cur.execute(LIVE.sql(BY_CADENCE), {**params, "now": now or datetime.now(UTC)})
        return await cur.fetchall()
