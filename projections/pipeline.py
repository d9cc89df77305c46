"""Pipeline and gates: each work item's stage and since when, and every gate decision taken."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from domain.gate_review import GateReview
from domain.gates import Outcome, Stage
from domain.improvement import ImprovementItem as Item
from domain.improvement import PdcaStage
from domain.initiative import Initiative
from domain.values import Path
from projections.base import Projection, Recorded, handles
from projections.rows import State

# Lifecycle order, for listing stages; terminal stages have no meaningful time in stage.
STAGE_ORDER = [stage.value for stage in Stage] + [stage.value for stage in PdcaStage]
TERMINAL = [s.value for s in Stage if s.is_terminal] + [s.value for s in PdcaStage if s.is_terminal]
# A decisive outcome settles an initiative's fate at a gate; HOLD and RECYCLE bring it back.
DECISIVE = [Outcome.GO.value, Outcome.CONDITIONAL_GO.value, Outcome.KILL.value]

STAGES = """CREATE TABLE IF NOT EXISTS {pipeline_stages} (
    work_item_id uuid PRIMARY KEY,
    kind text NOT NULL,
    path text NOT NULL,
    title text NOT NULL,
    org_unit text NOT NULL,
    stage text NOT NULL,
    held_from text,
    entered_at timestamptz NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL
)"""
GATES = """CREATE TABLE IF NOT EXISTS {pipeline_gates} (
    initiative_id uuid NOT NULL,
    version integer NOT NULL,
    gate text NOT NULL,
    outcome text NOT NULL,
    decided_at timestamptz NOT NULL,
    decided_by text NOT NULL,
    gatekeepers text[] NOT NULL,
    corrects integer,
    superseded_by integer,
    conditions integer NOT NULL,
    conditions_open boolean NOT NULL,
    conditions_cleared_at timestamptz,
    stage_before text NOT NULL,
    held_from_before text,
    stage_after text NOT NULL,
    next_gate_date date,
    position bigint NOT NULL,
    PRIMARY KEY (initiative_id, version)
)"""
REVIEWS = """CREATE TABLE IF NOT EXISTS {pipeline_reviews} (
    review_id uuid PRIMARY KEY,
    initiative_id uuid NOT NULL,
    gate text NOT NULL,
    chair text NOT NULL,
    panel integer NOT NULL,
    votes integer NOT NULL DEFAULT 0,
    opened_at timestamptz NOT NULL,
    decided_at timestamptz
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {pipeline_stages_path_stage} ON {pipeline_stages} (path, stage)",
    "CREATE INDEX IF NOT EXISTS {pipeline_gates_gate_outcome} ON {pipeline_gates} (gate, outcome)",
    "CREATE INDEX IF NOT EXISTS {pipeline_gates_open} ON {pipeline_gates} (initiative_id) "
    "WHERE conditions_open",
)


def enter(state: State, recorded: Recorded, path: Path, org_unit: str, stage: str) -> None:
    state.rows("pipeline_stages").insert(
        work_item_id=recorded.aggregate_id,
        kind="initiative" if path is Path.STRATEGIC else "improvement_item",
        path=path.value,
        title=recorded.event.title,
        org_unit=org_unit,
        stage=stage,
        entered_at=recorded.recorded_at,
        version=recorded.version,
        position=recorded.position,
    )


def move(state: State, recorded: Recorded, stage: str, held_from: str | None = None) -> None:
    """The item is now in `stage`; its clock restarts only if the stage changed."""
    stages = state.rows("pipeline_stages")
    row = stages.get(recorded.aggregate_id)
    if row is None:
        return
    stages.update(
        recorded.aggregate_id,
        entered_at=row["entered_at"] if row["stage"] == stage else recorded.recorded_at,
        stage=stage,
        held_from=held_from,
        version=recorded.version,
        position=recorded.position,
    )


def decided_from(state: State, recorded: Recorded) -> tuple[Stage, Stage | None]:
    """The stage a gate decision is taken from; a correction starts where the corrected one did.

    A correction also marks the decision it corrects as superseded, its conditions no longer open.
    """
    corrects = recorded.event.corrects
    if corrects is None:
        row = state.rows("pipeline_stages")[recorded.aggregate_id]
        stage, held = row["stage"], row["held_from"]
    else:
        gates = state.rows("pipeline_gates")
        corrected = gates[recorded.aggregate_id, corrects]
        stage, held = corrected["stage_before"], corrected["held_from_before"]
        gates.update(
            (recorded.aggregate_id, corrects), superseded_by=recorded.version, conditions_open=False
        )
    return Stage(stage), Stage(held) if held else None


class Pipeline(Projection):
    name = "pipeline"
    cost = 0.55
    tables = ("pipeline_stages", "pipeline_gates", "pipeline_reviews")
    ddl = (STAGES, GATES, REVIEWS, *INDEXES)
    # Clearing conditions finds an initiative's open ones (in SQL: index pipeline_gates_open).
    indexes = {"pipeline_gates": (("initiative_id", "conditions_open"),)}
    docs = {
        "pipeline_stages": (
            "One row per work item on either path: its current stage and when it entered it. "
            "Time in stage is computed at read time: now() - entered_at.",
            {
                "work_item_id": "The initiative's or improvement item's id (uuid).",
                "kind": "'initiative' or 'improvement_item'.",
                "path": "'STRATEGIC' for initiatives, 'OPERATIONAL' for improvement items.",
                "title": "The work item's title.",
                "org_unit": "An initiative's org unit; an improvement item's area or team.",
                "stage": "Current stage: PROPOSED … CLOSED, ON_HOLD, KILLED, REDIRECTED for "
                "initiatives; RAISED … STANDARDISED, ABANDONED, ESCALATED for items.",
                "held_from": "For an initiative ON_HOLD, the stage it will resume; else null.",
                "entered_at": "When the item entered its current stage (UTC). A decision that "
                "keeps the stage (HOLD while on hold, RECYCLE) does not restart the clock; a "
                "corrected gate decision counts from the correction.",
                "version": "The item's aggregate version this row reflects.",
                "position": "Global position of the latest event this row reflects.",
            },
        ),
        "pipeline_gates": (
            "One row per gate decision, corrections included: the corrected decision stays, "
            "marked superseded.",
            {
                "initiative_id": "The initiative decided on (uuid).",
                "version": "The initiative's version that recorded the decision.",
                "gate": "G1 strategic fit, G2 business case, G3 commit to execute, G4 handover, "
                "G5 benefits review.",
                "outcome": "GO, CONDITIONAL_GO, HOLD, RECYCLE or KILL.",
                "decided_at": "When the decision was recorded (UTC).",
                "decided_by": "Id of the actor who recorded the decision.",
                "gatekeepers": "Who decided, as named in the decision.",
                "corrects": "The version of the earlier decision this one corrects; else null.",
                "superseded_by": "The version of the decision that corrected this one; null "
                "while it stands.",
                "conditions": "Conditions attached to a conditional go (count).",
                "conditions_open": "True for a standing conditional go whose conditions are "
                "not yet cleared.",
                "conditions_cleared_at": "When its conditions were cleared (UTC); else null.",
                "stage_before": "The initiative's stage when the decision was taken.",
                "held_from_before": "If it was ON_HOLD then, the stage it was held from.",
                "stage_after": "The stage the decision moved it to.",
                "next_gate_date": "The next gate date set by the decision; null if none.",
                "position": "Global position of the decision's event.",
            },
        ),
        "pipeline_reviews": (
            "One row per gate review not withdrawn: its panel, the votes cast so far, when it "
            "was opened and decided. An open review's age is computed at read time: "
            "now() - opened_at.",
            {
                "review_id": "The gate review (uuid).",
                "initiative_id": "The initiative under review (uuid).",
                "gate": "The gate reviewed: 'G1' … 'G5'.",
                "chair": "The gatekeeper who chairs it and records the decision.",
                "panel": "How many gatekeepers sit on the panel.",
                "votes": "How many of them have voted so far.",
                "opened_at": "When the review was opened (UTC).",
                "decided_at": "When the chair recorded the decision (UTC); null while open.",
            },
        ),
    }

    # Gate reviews -----------------------------------------------------------------------------

    @handles(GateReview.Opened)
    def review_opened(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        state.rows("pipeline_reviews").insert(
            review_id=recorded.aggregate_id,
            initiative_id=event.initiative_id,
            gate=event.gate.value,
            chair=event.chair,
            panel=len(event.gatekeepers),
            opened_at=recorded.recorded_at,
        )

    @handles(GateReview.Voted)
    def review_voted(self, recorded: Recorded, state: State) -> None:
        reviews = state.rows("pipeline_reviews")
        votes = reviews[recorded.aggregate_id]["votes"]
        reviews.update(recorded.aggregate_id, votes=votes + 1)

    @handles(GateReview.Decided)
    def review_decided(self, recorded: Recorded, state: State) -> None:
        state.rows("pipeline_reviews").update(
            recorded.aggregate_id, decided_at=recorded.recorded_at
        )

    @handles(GateReview.Withdrawn)
    def review_withdrawn(self, recorded: Recorded, state: State) -> None:
        state.rows("pipeline_reviews").delete(recorded.aggregate_id)

    # Initiatives ------------------------------------------------------------------------------

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        enter(state, recorded, Path.STRATEGIC, recorded.event.org_unit, Stage.PROPOSED.value)

    @handles(Initiative.GateDecided)
    def gate_decided(self, recorded: Recorded, state: State) -> None:
        decision = recorded.event.decision
        stage, held = decided_from(state, recorded)
        after = decision.standing_after
        held_after = after.held_from.value if after.held_from else None
        state.rows("pipeline_gates").insert(
            initiative_id=recorded.aggregate_id,
            version=recorded.version,
            gate=decision.gate.value,
            outcome=decision.outcome.value,
            decided_at=recorded.recorded_at,
            decided_by=recorded.event.actor.id,
            gatekeepers=list(decision.gatekeepers),
            corrects=recorded.event.corrects,
            conditions=len(decision.conditions),
            conditions_open=bool(decision.conditions),
            stage_before=stage.value,
            held_from_before=held.value if held else None,
            stage_after=after.stage.value,
            next_gate_date=decision.next_gate_date,
            position=recorded.position,
        )
        move(state, recorded, after.stage.value, held_after)

    @handles(Initiative.ConditionsCleared)
    def conditions_cleared(self, recorded: Recorded, state: State) -> None:
        gates = state.rows("pipeline_gates")
        for row in gates.where(initiative_id=recorded.aggregate_id, conditions_open=True):
            key = (row["initiative_id"], row["version"])
            gates.update(key, conditions_open=False, conditions_cleared_at=recorded.recorded_at)

    @handles(Initiative.Redirected)
    def redirected(self, recorded: Recorded, state: State) -> None:
        move(state, recorded, Stage.REDIRECTED.value)

    @handles(Initiative.Closed)
    def closed(self, recorded: Recorded, state: State) -> None:
        move(state, recorded, Stage.CLOSED.value)

    # Improvement items ------------------------------------------------------------------------

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        enter(state, recorded, Path.OPERATIONAL, recorded.event.area, PdcaStage.RAISED.value)

    @handles(Item.StageAdvanced)
    def advanced(self, recorded: Recorded, state: State) -> None:
        move(state, recorded, recorded.event.to_stage.value)

    @handles(Item.Standardised)
    def standardised(self, recorded: Recorded, state: State) -> None:
        move(state, recorded, PdcaStage.STANDARDISED.value)

    @handles(Item.Abandoned)
    def abandoned(self, recorded: Recorded, state: State) -> None:
        move(state, recorded, PdcaStage.ABANDONED.value)

    @handles(Item.Escalated)
    def escalated(self, recorded: Recorded, state: State) -> None:
        move(state, recorded, PdcaStage.ESCALATED.value)


# Read queries -------------------------------------------------------------------------------

ITEMS_PER_STAGE = """SELECT path, stage, count(*) AS items
FROM reporting.pipeline_stages
WHERE (%(path)s::text IS NULL OR path = %(path)s)
    AND (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)
GROUP BY path, stage
ORDER BY path, array_position(%(order)s::text[], stage)"""

TIME_IN_STAGE = """WITH ages AS (
    SELECT path, stage,
        extract(epoch FROM coalesce(%(now)s::timestamptz, now()) - entered_at)::numeric / 86400
            AS days
    FROM reporting.pipeline_stages
    WHERE stage <> ALL(%(terminal)s::text[])
        AND (%(path)s::text IS NULL OR path = %(path)s)
        AND (%(stage)s::text IS NULL OR stage = %(stage)s)
        AND (%(org_unit)s::text IS NULL OR org_unit = %(org_unit)s)
)
SELECT path, stage, count(*) AS items, round(avg(days), 2) AS avg_days,
    round(max(days), 2) AS max_days
FROM ages
GROUP BY path, stage
ORDER BY path, array_position(%(order)s::text[], stage)"""

BY_GATE = """SELECT gate, outcome, count(*) AS decisions
FROM reporting.pipeline_gates
WHERE (%(superseded)s OR superseded_by IS NULL)
    AND (%(gate)s::text IS NULL OR gate = %(gate)s)
    AND (%(outcome)s::text IS NULL OR outcome = %(outcome)s)
GROUP BY gate, outcome
ORDER BY gate, outcome"""

KILL_RATE = """SELECT gate,
    count(DISTINCT initiative_id) AS decided,
    count(DISTINCT initiative_id) FILTER (WHERE outcome = 'KILL') AS killed,
    round(count(DISTINCT initiative_id) FILTER (WHERE outcome = 'KILL')::numeric
        / nullif(count(DISTINCT initiative_id), 0), 4) AS kill_rate
FROM reporting.pipeline_gates
WHERE superseded_by IS NULL AND outcome = ANY(%(decisive)s::text[])
    AND (%(gate)s::text IS NULL OR gate = %(gate)s)
GROUP BY GROUPING SETS ((gate), ())
ORDER BY gate NULLS LAST"""

OPEN_CONDITIONS = """SELECT g.initiative_id, s.title, s.org_unit, g.gate, g.version, g.decided_at,
    g.conditions, g.next_gate_date,
    round(extract(epoch FROM coalesce(%(now)s::timestamptz, now()) - g.decided_at)::numeric
        / 86400, 2)
        AS days_open
FROM reporting.pipeline_gates g
JOIN reporting.pipeline_stages s ON s.work_item_id = g.initiative_id
WHERE g.conditions_open AND (%(org_unit)s::text IS NULL OR s.org_unit = %(org_unit)s)
ORDER BY g.decided_at, g.initiative_id"""

OPEN_REVIEWS = """SELECT r.review_id, r.initiative_id, s.title, s.org_unit, r.gate, r.chair,
    r.panel, r.votes, r.opened_at,
    round(extract(epoch FROM coalesce(%(now)s::timestamptz, now()) - r.opened_at)::numeric
        / 86400, 2)
        AS days_open
FROM reporting.pipeline_reviews r
JOIN reporting.pipeline_stages s ON s.work_item_id = r.initiative_id
WHERE r.decided_at IS NULL AND (%(org_unit)s::text IS NULL OR s.org_unit = %(org_unit)s)
ORDER BY r.opened_at, r.review_id"""

Connection = psycopg.AsyncConnection[dict[str, Any]]


async def _all(conn: Connection, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = await conn.execute(query, params)
    return await cursor.fetchall()


async def items_per_stage(
    conn: Connection, *, path: str | None = None, org_unit: str | None = None
) -> list[dict[str, Any]]:
    """Work items per path and stage (terminal stages included), in lifecycle order."""
    params = {"path": path, "org_unit": org_unit, "order": STAGE_ORDER}
    return await _all(conn, ITEMS_PER_STAGE, params)


async def time_in_stage(
    conn: Connection,
    *,
    path: str | None = None,
    stage: str | None = None,
    org_unit: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Average and longest days in each open stage so far (terminal stages left out), as of
    `now` (default: the database's now())."""
    params = {"path": path, "stage": stage, "org_unit": org_unit, "now": now}
    return await _all(conn, TIME_IN_STAGE, {**params, "terminal": TERMINAL, "order": STAGE_ORDER})


async def decisions_by_gate(
    conn: Connection,
    *,
    gate: str | None = None,
    outcome: str | None = None,
    include_superseded: bool = False,
) -> list[dict[str, Any]]:
    """Gate decisions per gate and outcome; decisions later corrected only if asked for."""
    params = {"gate": gate, "outcome": outcome, "superseded": include_superseded}
    return await _all(conn, BY_GATE, params)


async def kill_rate(conn: Connection, *, gate: str | None = None) -> list[dict[str, Any]]:
    """Per gate, of the initiatives with a standing decisive decision there (GO, CONDITIONAL_GO
    or KILL; HOLD and RECYCLE are not final), the share killed; then one row with gate null
    over all gates: initiatives killed at any gate / initiatives decided at any gate."""
    return await _all(conn, KILL_RATE, {"gate": gate, "decisive": DECISIVE})


async def open_conditional_gos(
    conn: Connection, *, org_unit: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Standing conditional gos whose conditions are not cleared yet, oldest first."""
    return await _all(conn, OPEN_CONDITIONS, {"org_unit": org_unit, "now": now})


async def open_gate_reviews(
    conn: Connection, *, org_unit: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Gate reviews opened and not decided yet, oldest first, with their age in days."""
    return await _all(conn, OPEN_REVIEWS, {"org_unit": org_unit, "now": now})
