"""Alignment: objectives, the work aligned to them, work aligned to nothing, objectives unserved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from domain.improvement import ImprovementItem as Item
from domain.initiative import Initiative
from domain.objective import Kpi, Objective
from projections.base import Projection, Recorded, Tables, handles
from projections.rows import State

OBJECTIVES = """CREATE TABLE IF NOT EXISTS {alignment_objectives} (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    level text NOT NULL,
    parent_id uuid,
    owner text NOT NULL,
    kpis jsonb NOT NULL,
    due date NOT NULL,
    retired boolean NOT NULL DEFAULT false,
    retired_at timestamptz,
    defined_at timestamptz NOT NULL
)"""
WORK = """CREATE TABLE IF NOT EXISTS {alignment_work} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    path text NOT NULL,
    title text NOT NULL,
    org_unit text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL
)"""
LINKS = """CREATE TABLE IF NOT EXISTS {alignment_links} (
    work_item_id uuid NOT NULL,
    objective_id uuid NOT NULL,
    strength text NOT NULL,
    aligned_at timestamptz NOT NULL,
    PRIMARY KEY (work_item_id, objective_id)
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {alignment_links_objective} ON {alignment_links} (objective_id)",
    "CREATE INDEX IF NOT EXISTS {alignment_objectives_parent} "
    "ON {alignment_objectives} (parent_id)",
)

# KPIs as stored: read back through Python's json, their exact numbers would become floats.


def json_value(value: str | Decimal) -> str:
    """A string, or a Decimal as PostgreSQL's numeric puts it in JSON: exact, or a string."""
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    return json.dumps(str(value))


def kpi_json(kpi: Kpi) -> str:
    members: dict[str, str | Decimal | None] = {
        "name": kpi.name,
        "target": kpi.target,
        "unit": kpi.unit,
        "baseline": kpi.baseline,
    }
    present = (json.dumps(m) + ": " + json_value(v) for m, v in members.items() if v is not None)
    return "{" + ", ".join(present) + "}"


def kpis_json(kpis: tuple[Kpi, ...]) -> Jsonb:
    """The KPIs as a jsonb array of {name, target, unit, baseline}, absent members left out."""
    return Jsonb(kpis, dumps=lambda all_kpis: "[" + ", ".join(map(kpi_json, all_kpis)) + "]")


def insert_work(state: State, recorded: Recorded, kind: str, path: str, unit: str) -> None:
    state.rows("alignment_work").insert(
        id=recorded.aggregate_id,
        kind=kind,
        path=path,
        title=recorded.event.title,
        org_unit=unit,
        created_at=recorded.recorded_at,
    )


def end_work(state: State, recorded: Recorded) -> None:
    state.rows("alignment_work").update(recorded.aggregate_id, active=False)


class Alignment(Projection):
    name = "alignment"
    cost = 1.2
    tables = ("alignment_objectives", "alignment_work", "alignment_links")
    ddl = (OBJECTIVES, WORK, LINKS, *INDEXES)
    docs = {
        "alignment_objectives": (
            "One row per hoshin objective: what the organisation aims at.",
            {
                "id": "The objective's id (uuid).",
                "title": "The objective's title.",
                "level": "BREAKTHROUGH (three to five years) or ANNUAL.",
                "parent_id": "The breakthrough objective an annual objective serves; null if none.",
                "owner": "The objective's one owner.",
                "kpis": "Its KPIs as a JSON array of {name, target, unit, baseline}; target and "
                "baseline are exact numbers in the KPI's unit, baseline absent if not set.",
                "due": "When the objective is due (date).",
                "retired": "True once retired; a retired objective no longer counts as "
                "something work can serve.",
                "retired_at": "When it was retired (UTC); null while active.",
                "defined_at": "When it was defined (UTC).",
            },
        ),
        "alignment_work": (
            "One row per work item on either path, as far as alignment needs it.",
            {
                "id": "The work item's id (uuid).",
                "kind": "'initiative' or 'improvement_item'.",
                "path": "'STRATEGIC' for initiatives, 'OPERATIONAL' for improvement items.",
                "title": "The work item's title.",
                "org_unit": "Org unit of an initiative; area or team of an improvement item.",
                "active": "False once the item is terminal (initiative closed, killed or "
                "redirected; item standardised, abandoned or escalated): finished work no "
                "longer counts as serving an objective.",
                "created_at": "When it was proposed or raised (UTC).",
            },
        ),
        "alignment_links": (
            "One row per work item aligned to an objective, as currently aligned; a removed "
            "alignment deletes its row. Links of finished work stay, marked by its active flag.",
            {
                "work_item_id": "The work item (uuid): alignment_work.id.",
                "objective_id": "The objective it serves (uuid): alignment_objectives.id.",
                "strength": "How strongly it contributes: STRONG, MODERATE or WEAK.",
                "aligned_at": "When it was aligned, or its strength last changed (UTC).",
            },
        ),
    }

    # Objectives ------------------------------------------------------------------------------

    @handles(Objective.Defined)
    def defined(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        state.rows("alignment_objectives").insert(
            id=recorded.aggregate_id,
            title=event.title,
            level=event.level.value,
            parent_id=event.parent_id,
            owner=event.owner,
            kpis=kpis_json(event.kpis),
            due=event.due,
            defined_at=recorded.recorded_at,
        )

    @handles(Objective.Retargeted)
    def retargeted(self, recorded: Recorded, state: State) -> None:
        state.rows("alignment_objectives").update(
            recorded.aggregate_id, kpis=kpis_json(recorded.event.kpis), due=recorded.event.due
        )

    @handles(Objective.Retired)
    def retired(self, recorded: Recorded, state: State) -> None:
        objectives = state.rows("alignment_objectives")
        objectives.update(recorded.aggregate_id, retired=True, retired_at=recorded.recorded_at)

    # Work items and their links --------------------------------------------------------------

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        insert_work(state, recorded, "initiative", "STRATEGIC", recorded.event.org_unit)

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        insert_work(state, recorded, "improvement_item", "OPERATIONAL", recorded.event.area)

    @handles(Initiative.AlignedToObjective, Item.AlignedToObjective)
    def aligned(self, recorded: Recorded, state: State) -> None:
        links, event = state.rows("alignment_links"), recorded.event
        link = {"strength": event.strength.value, "aligned_at": recorded.recorded_at}
        if not links.update((recorded.aggregate_id, event.objective_id), **link):  # a new alignment
            links.insert(
                work_item_id=recorded.aggregate_id, objective_id=event.objective_id, **link
            )

    @handles(Initiative.AlignmentRemoved)
    def alignment_removed(self, recorded: Recorded, state: State) -> None:
        state.rows("alignment_links").delete((recorded.aggregate_id, recorded.event.objective_id))

    @handles(Initiative.GateDecided)
    def gate_decided(self, recorded: Recorded, state: State) -> None:
        if recorded.event.decision.standing_after.stage.is_terminal:  # killed
            end_work(state, recorded)

    @handles(
        Initiative.Closed,
        Initiative.Redirected,
        Item.Standardised,
        Item.Abandoned,
        Item.Escalated,
    )
    def ended(self, recorded: Recorded, state: State) -> None:
        end_work(state, recorded)


LIVE = Tables(Alignment.tables)
Connection = psycopg.AsyncConnection[dict[str, Any]]


# Read queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveServed:
    """An objective with the active work aligned to it, counted by path and by strength.

    `via_children` counts active work aligned to the active annual objectives under it."""

    id: UUID
    title: str
    level: str
    parent_id: UUID | None
    owner: str
    due: date
    retired: bool
    work: int
    strategic: int
    operational: int
    strong: int
    moderate: int
    weak: int
    via_children: int


@dataclass(frozen=True)
class ServingWork:
    """A work item aligned to an objective, and how strongly."""

    objective_id: UUID
    id: UUID
    kind: str
    path: str
    title: str
    org_unit: str
    active: bool
    strength: str
    aligned_at: datetime


@dataclass(frozen=True)
class WorkItem:
    id: UUID
    kind: str
    path: str
    title: str
    org_unit: str
    created_at: datetime


SERVED = """
SELECT * FROM (
    SELECT o.id, o.title, o.level, o.parent_id, o.owner, o.due, o.retired,
        count(w.id)::int AS work,
        count(w.id) FILTER (WHERE w.path = 'STRATEGIC')::int AS strategic,
        count(w.id) FILTER (WHERE w.path = 'OPERATIONAL')::int AS operational,
        count(w.id) FILTER (WHERE l.strength = 'STRONG')::int AS strong,
        count(w.id) FILTER (WHERE l.strength = 'MODERATE')::int AS moderate,
        count(w.id) FILTER (WHERE l.strength = 'WEAK')::int AS weak,
        (SELECT count(DISTINCT cl.work_item_id)::int
            FROM {alignment_objectives} child
            JOIN {alignment_links} cl ON cl.objective_id = child.id
            JOIN {alignment_work} cw ON cw.id = cl.work_item_id AND cw.active
            WHERE child.parent_id = o.id AND NOT child.retired) AS via_children
    FROM {alignment_objectives} o
    LEFT JOIN {alignment_links} l ON l.objective_id = o.id
    LEFT JOIN {alignment_work} w ON w.id = l.work_item_id AND w.active
    WHERE (%(retired)s OR NOT o.retired)
        AND (%(level)s::text IS NULL OR o.level = %(level)s)
        AND (%(objective)s::uuid IS NULL OR o.id = %(objective)s)
    GROUP BY o.id
) served
WHERE NOT %(unserved)s OR (work = 0 AND via_children = 0)
ORDER BY level, title, id
"""


async def _served(conn: Connection, params: dict[str, Any]) -> list[ObjectiveServed]:
    async with conn.cursor(row_factory=class_row(ObjectiveServed)) as cur:
        await cur.execute(LIVE.sql(SERVED), params)
        return await cur.fetchall()


async def objectives_served(
    conn: Connection,
    *,
    level: str | None = None,
    objective_id: UUID | None = None,
    include_retired: bool = False,
) -> list[ObjectiveServed]:
    """Each objective with the active work serving it, by path and strength."""
    params = {"level": level, "objective": objective_id, "retired": include_retired}
    return await _served(conn, {**params, "unserved": False})


async def unserved_objectives(
    conn: Connection, *, level: str | None = None
) -> list[ObjectiveServed]:
    """Active objectives that no active work serves, directly or through their annual objectives."""
    params = {"level": level, "objective": None, "retired": False, "unserved": True}
    return await _served(conn, params)


WORK_SERVING = """
SELECT objective_id, id, kind, path, title, org_unit, active, strength, aligned_at FROM (
    SELECT l.objective_id, w.id, w.kind, w.path, w.title, w.org_unit, w.active, l.strength,
        l.aligned_at,
        row_number() OVER (PARTITION BY l.objective_id ORDER BY w.path DESC,
            array_position(ARRAY['STRONG', 'MODERATE', 'WEAK'], l.strength), w.title, w.id)
            AS nth
    FROM {alignment_links} l JOIN {alignment_work} w ON w.id = l.work_item_id
    WHERE l.objective_id = ANY(%(objectives)s) AND (%(finished)s OR w.active)
) serving
WHERE %(each)s::int IS NULL OR nth <= %(each)s
ORDER BY objective_id, nth
"""


async def work_serving(
    conn: Connection, *, objective_id: UUID, include_finished: bool = False
) -> list[ServingWork]:
    """The work aligned directly to one objective: strategic first, strongest first."""
    return await work_serving_each(
        conn, objective_ids=[objective_id], include_finished=include_finished
    )


async def work_serving_each(
    conn: Connection,
    *,
    objective_ids: list[UUID],
    include_finished: bool = False,
    each: int | None = None,
) -> list[ServingWork]:
    """The work aligned directly to each of the objectives, in one read: by objective, then
    strategic first, strongest first; the first `each` of each objective if given."""
    params = {"objectives": objective_ids, "finished": include_finished, "each": each}
    async with conn.cursor(row_factory=class_row(ServingWork)) as cur:
        await cur.execute(LIVE.sql(WORK_SERVING), params)
        return await cur.fetchall()


UNALIGNED = """
SELECT w.id, w.kind, w.path, w.title, w.org_unit, w.created_at
FROM {alignment_work} w
WHERE w.active
    AND (%(kind)s::text IS NULL OR w.kind = %(kind)s)
    AND (%(path)s::text IS NULL OR w.path = %(path)s)
    AND (%(org_unit)s::text IS NULL OR w.org_unit = %(org_unit)s)
    AND NOT EXISTS (
        SELECT 1 FROM {alignment_links} l
        JOIN {alignment_objectives} o ON o.id = l.objective_id AND NOT o.retired
        WHERE l.work_item_id = w.id)
ORDER BY w.created_at, w.id
"""


async def unaligned_work(
    conn: Connection,
    *,
    kind: str | None = None,
    path: str | None = None,
    org_unit: str | None = None,
) -> list[WorkItem]:
    """Active work aligned to no active objective (links to retired objectives do not count)."""
    params = {"kind": kind, "path": path, "org_unit": org_unit}
    async with conn.cursor(row_factory=class_row(WorkItem)) as cur:
        await cur.execute(LIVE.sql(UNALIGNED), params)
        return await cur.fetchall()
