"""Kaizen flow: improvement items raised and finished per week, waiting for an owner, stagnant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row
from psycopg.sql import Identifier

from domain.improvement import ImprovementItem as Item
from domain.improvement import PdcaStage
from projections.base import Projection, Recorded, Tables, handles
from projections.rows import State

UNASSIGNED_DAYS = 7  # an item should find an owner within a week
STAGNANT_DAYS = 30  # an unfinished item with no event for a month is stagnant

DDL = """CREATE TABLE IF NOT EXISTS {kaizen_flow} (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    area text NOT NULL,
    stage text NOT NULL,
    owner text,
    raised_at timestamptz NOT NULL,
    raised_week date NOT NULL,
    owner_assigned_at timestamptz,
    unassigned_since timestamptz,
    completed_at timestamptz,
    completed_week date,
    completion text,
    last_activity_at timestamptz NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {kaizen_flow_raised_week} ON {kaizen_flow} (raised_week)",
    "CREATE INDEX IF NOT EXISTS {kaizen_flow_completed_week} ON {kaizen_flow} (completed_week)",
)


def week_of(moment: datetime) -> date:
    """The Monday that starts the ISO week of `moment`, in UTC."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def touch(state: State, recorded: Recorded, **columns: Any) -> None:
    """Set `columns` on the item's row and note the event as its latest activity."""
    state.rows("kaizen_flow").update(
        recorded.aggregate_id,
        **columns,
        last_activity_at=recorded.recorded_at,
        version=recorded.version,
        position=recorded.position,
    )


def finish(state: State, recorded: Recorded, stage: PdcaStage) -> None:
    touch(
        state,
        recorded,
        stage=stage.value,
        completion=stage.value,
        completed_at=recorded.recorded_at,
        completed_week=week_of(recorded.recorded_at),
        unassigned_since=None,
    )


class KaizenFlow(Projection):
    name = "kaizen_flow"
    cost = 0.35
    tables = ("kaizen_flow",)
    ddl = (DDL, *INDEXES)
    docs = {
        "kaizen_flow": (
            "One row per improvement item: when it was raised, got an owner, last moved and "
            "finished, so flow per week, waiting and stagnant items can be read.",
            {
                "id": "The improvement item's id (uuid).",
                "title": "The item's title.",
                "area": "The area or team the item was raised in.",
                "stage": "Current PDCA stage: RAISED, PLAN, DO, CHECK, ACT, or the finished "
                "STANDARDISED, ABANDONED, ESCALATED.",
                "owner": "The item's current owner; null while it has none.",
                "raised_at": "When the item was raised (UTC).",
                "raised_week": "Monday of the ISO week it was raised in (UTC date).",
                "owner_assigned_at": "When it was first resourced with an owner (UTC); null "
                "if never.",
                "unassigned_since": "Since when the unfinished item has had no owner: when it "
                "was raised or its resources were released (UTC); null while it has an owner "
                "or once it is finished.",
                "completed_at": "When it was standardised, abandoned or escalated (UTC); null "
                "while unfinished.",
                "completed_week": "Monday of the ISO week it finished in (UTC date).",
                "completion": "How it finished: STANDARDISED, ABANDONED or ESCALATED; null "
                "while unfinished.",
                "last_activity_at": "When its latest event of any kind was recorded (UTC).",
                "version": "The item's aggregate version this row reflects.",
                "position": "Global position of the latest event this row reflects.",
            },
        )
    }

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        state.rows("kaizen_flow").insert(
            id=recorded.aggregate_id,
            title=recorded.event.title,
            area=recorded.event.area,
            stage=PdcaStage.RAISED.value,
            raised_at=recorded.recorded_at,
            raised_week=week_of(recorded.recorded_at),
            unassigned_since=recorded.recorded_at,
            last_activity_at=recorded.recorded_at,
            version=recorded.version,
            position=recorded.position,
        )

    @handles(Item.Resourced)
    def resourced(self, recorded: Recorded, state: State) -> None:
        row = state.rows("kaizen_flow").get(recorded.aggregate_id)
        if row is None:  # like the UPDATE it replaces: nothing to resource
            return
        touch(
            state,
            recorded,
            owner=recorded.event.assignment.owner,
            owner_assigned_at=row["owner_assigned_at"] or recorded.recorded_at,
            unassigned_since=None,
        )

    @handles(Item.ResourcesReleased)
    def released(self, recorded: Recorded, state: State) -> None:
        touch(state, recorded, owner=None, unassigned_since=recorded.recorded_at)

    @handles(Item.StageAdvanced)
    def advanced(self, recorded: Recorded, state: State) -> None:
        touch(state, recorded, stage=recorded.event.to_stage.value)

    @handles(Item.Classified, Item.Reviewed, Item.AlignedToObjective)
    def active(self, recorded: Recorded, state: State) -> None:
        touch(state, recorded)

    @handles(Item.Standardised)
    def standardised(self, recorded: Recorded, state: State) -> None:
        finish(state, recorded, PdcaStage.STANDARDISED)

    @handles(Item.Abandoned)
    def abandoned(self, recorded: Recorded, state: State) -> None:
        finish(state, recorded, PdcaStage.ABANDONED)

    @handles(Item.Escalated)
    def escalated(self, recorded: Recorded, state: State) -> None:
        finish(state, recorded, PdcaStage.ESCALATED)


LIVE = Tables(KaizenFlow.tables)
Connection = psycopg.AsyncConnection[dict[str, Any]]


# Read queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekFlow:
    """Items raised and finished in one ISO week; weeks between busy ones appear with zeros."""

    week: date
    raised: int
    completed: int
    standardised: int
    abandoned: int
    escalated: int


@dataclass(frozen=True)
class WaitingItem:
    """An unfinished item and how long it has waited: `since` then, `days` whole days."""

    id: UUID
    title: str
    area: str
    stage: str
    owner: str | None
    since: datetime
    days: int


@dataclass(frozen=True)
class StandardisationRate:
    """Of the items finished, how many became standard work; `rate` is null when none finished."""

    finished: int
    standardised: int
    abandoned: int
    escalated: int
    rate: Decimal | None


WEEKLY_FLOW = """
WITH flow AS (
    SELECT raised_week AS week, 1 AS raised, 0 AS completed, NULL AS completion
    FROM {kaizen_flow} WHERE %(area)s::text IS NULL OR area = %(area)s
    UNION ALL
    SELECT completed_week, 0, 1, completion
    FROM {kaizen_flow}
    WHERE completed_week IS NOT NULL AND (%(area)s::text IS NULL OR area = %(area)s)
), kept AS (
    SELECT * FROM flow
    WHERE (%(since)s::date IS NULL OR week >= %(since)s) AND (%(until)s::date IS NULL OR week <= %(until)s)
), weeks AS (
    SELECT generate_series(min(week)::timestamp, max(week)::timestamp, interval '1 week')::date AS week
    FROM kept
)
SELECT weeks.week,
    coalesce(sum(kept.raised), 0)::int AS raised,
    coalesce(sum(kept.completed), 0)::int AS completed,
    count(*) FILTER (WHERE kept.completion = 'STANDARDISED')::int AS standardised,
    count(*) FILTER (WHERE kept.completion = 'ABANDONED')::int AS abandoned,
    count(*) FILTER (WHERE kept.completion = 'ESCALATED')::int AS escalated
FROM weeks LEFT JOIN kept ON kept.week = weeks.week
GROUP BY weeks.week ORDER BY weeks.week
"""  # noqa: E501


async def weekly_flow(
    conn: Connection,
    *,
    area: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[WeekFlow]:
    """Raised against completed per ISO week (weeks start on Monday, UTC), oldest first."""
    params = {"area": area, "since": since, "until": until}
    async with conn.cursor(row_factory=class_row(WeekFlow)) as cur:
        await cur.execute(LIVE.sql(WEEKLY_FLOW), params)
        return await cur.fetchall()


WAITING = """
SELECT id, title, area, stage, owner, {since} AS since,
    floor(extract(epoch FROM %(now)s - {since}) / 86400)::int AS days
FROM {kaizen_flow}
WHERE completed_at IS NULL AND {since} < %(now)s - make_interval(days => %(days)s)
    AND (%(area)s::text IS NULL OR area = %(area)s)
ORDER BY {since}, id
"""


async def _waiting(
    conn: Connection, since: str, days: int, area: str | None, now: datetime | None
) -> list[WaitingItem]:
    params = {"now": now or datetime.now(UTC), "days": days, "area": area}
    async with conn.cursor(row_factory=class_row(WaitingItem)) as cur:
        await cur.execute(LIVE.sql(WAITING, since=Identifier(since)), params)
        return await cur.fetchall()


async def unassigned_items(
    conn: Connection,
    *,
    days: int = UNASSIGNED_DAYS,
    area: str | None = None,
    now: datetime | None = None,
) -> list[WaitingItem]:
    """Unfinished items without an owner for more than `days` days at `now`, longest first."""
    return await _waiting(conn, "unassigned_since", days, area, now)


async def stagnant_items(
    conn: Connection,
    *,
    days: int = STAGNANT_DAYS,
    area: str | None = None,
    now: datetime | None = None,
) -> list[WaitingItem]:
    """Unfinished items with no event for more than `days` days at `now`, idlest first."""
    return await _waiting(conn, "last_activity_at", days, area, now)


STANDARDISATION = """
SELECT count(*)::int AS finished,
    count(*) FILTER (WHERE completion = 'STANDARDISED')::int AS standardised,
    count(*) FILTER (WHERE completion = 'ABANDONED')::int AS abandoned,
    count(*) FILTER (WHERE completion = 'ESCALATED')::int AS escalated,
    round(count(*) FILTER (WHERE completion = 'STANDARDISED')::numeric
        / nullif(count(*), 0), 4) AS rate
FROM {kaizen_flow}
WHERE completed_at IS NOT NULL AND completed_at <= %(now)s
    AND (%(since)s::timestamptz IS NULL OR completed_at >= %(since)s)
    AND (%(area)s::text IS NULL OR area = %(area)s)
"""


async def standardisation_rate(
    conn: Connection,
    *,
    area: str | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> StandardisationRate:
    """Standardised / finished (standardised, abandoned or escalated) between `since` and `now`."""
    params = {"area": area, "since": since, "now": now or datetime.now(UTC)}
    async with conn.cursor(row_factory=class_row(StandardisationRate)) as cur:
        await cur.execute(LIVE.sql(STANDARDISATION), params)
        row = await cur.fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return row
