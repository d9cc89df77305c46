"""Portfolio: every work item with its path, stage, owner, sponsor, resources, reviews and dates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg import Cursor
from psycopg.sql import SQL, Identifier

from domain.gates import Gate, Outcome, Stage
from domain.improvement import ImprovementItem as Item
from domain.initiative import Initiative
from projections.base import Projection, Recorded, Tables, handles

INITIATIVE_CADENCE = timedelta(days=30)  # initiatives are reviewed monthly by default
ITEM_CADENCE = timedelta(days=7)  # improvement items weekly, at the huddle

DDL = """CREATE TABLE IF NOT EXISTS {portfolio} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    path text NOT NULL,
    title text NOT NULL,
    stage text NOT NULL,
    held_from text,
    org_unit text NOT NULL,
    owner text,
    sponsor text,
    classified_path text,
    overridden boolean NOT NULL DEFAULT false,
    fte numeric NOT NULL DEFAULT 0,
    budget numeric NOT NULL DEFAULT 0,
    objective_ids uuid[] NOT NULL DEFAULT '{{}}',
    last_review_status text,
    last_reviewed_at timestamptz,
    next_review_due timestamptz NOT NULL,
    next_gate text,
    next_gate_date date,
    open_conditions integer NOT NULL DEFAULT 0,
    due date,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {portfolio_path_stage} ON {portfolio} (path, stage)",
    "CREATE INDEX IF NOT EXISTS {portfolio_org_unit} ON {portfolio} (org_unit)",
)


def update(cursor: Cursor[Any], t: Tables, r: Recorded, **columns: Any) -> None:
    """Set `columns` on the work item's row, and note which event it reflects."""
    assignments = SQL(", ").join(
        SQL("{} = %s").format(Identifier(name))
        for name in [*columns, "version", "updated_at", "position"]
    )
    values = [*columns.values(), r.version, r.recorded_at, r.position, r.aggregate_id]
    cursor.execute(t.sql("UPDATE {portfolio} SET {a} WHERE id = %s", a=assignments), values)


def insert(
    cursor: Cursor[Any], t: Tables, r: Recorded, kind: str, path: str, **columns: Any
) -> None:
    names = ["id", "kind", "path", *columns, "created_at", "updated_at", "version", "position"]
    values = [
        r.aggregate_id,
        kind,
        path,
        *columns.values(),
        r.recorded_at,
        r.recorded_at,
        r.version,
        r.position,
    ]
    statement = t.sql(
        "INSERT INTO {portfolio} ({names}) VALUES ({values}) ON CONFLICT (id) DO NOTHING",
        names=SQL(", ").join(map(Identifier, names)),
        values=SQL(", ").join(SQL("%s") for _ in names),
    )
    cursor.execute(statement, values)


def current(cursor: Cursor[Any], t: Tables, r: Recorded, *columns: str) -> tuple[Any, ...]:
    cursor.execute(
        t.sql(
            "SELECT {c} FROM {portfolio} WHERE id = %s", c=SQL(", ").join(map(Identifier, columns))
        ),
        (r.aggregate_id,),
    )
    row = cursor.fetchone()
    assert row is not None, f"no portfolio row for {r.aggregate_id}"
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


class Portfolio(Projection):
    name = "portfolio"
    tables = ("portfolio",)
    ddl = (DDL, *INDEXES)
    docs = {
        "portfolio": (
            "One row per work item on either path: an initiative or an improvement item.",
            {
                "id": "The work item's id (uuid), as in the event store and the API's global ids.",
                "kind": "'initiative' or 'improvement_item'.",
                "path": "'STRATEGIC' for initiatives, 'OPERATIONAL' for improvement items.",
                "title": "The work item's title.",
                "stage": "Current stage: Stage-Gate stages for initiatives (PROPOSED … CLOSED, "
                "ON_HOLD, KILLED, REDIRECTED), PDCA stages for items (RAISED … STANDARDISED, "
                "ABANDONED, ESCALATED).",
                "held_from": "For an initiative ON_HOLD, the stage it will resume; else null.",
                "org_unit": "Org unit of an initiative; area or team of an improvement item.",
                "owner": "Initiative: who proposed it. Improvement item: its assigned owner.",
                "sponsor": "The initiative's executive sponsor; null if none (or an item).",
                "classified_path": "The path decided at the last classification; null if "
                "not yet classified.",
                "overridden": "True when that decision overrode the policy's recommendation.",
                "fte": "Full-time equivalents the item holds across teams and periods (FTE).",
                "budget": "Budget granted with the initiative's resourcing (currency units).",
                "objective_ids": "Ids of the objectives the item is aligned to.",
                "last_review_status": "GREEN, AMBER or RED at the last review; null if none.",
                "last_reviewed_at": "When the last review was recorded (UTC).",
                "next_review_due": "When the next review is due: 30 days after the last review "
                "(or creation) for initiatives, 7 days for improvement items (UTC).",
                "next_gate": "The gate an initiative waits for (G1 … G5); null when none.",
                "next_gate_date": "The next gate date set at the last gate decision.",
                "open_conditions": "Conditions of a conditional go not yet cleared (count).",
                "due": "An improvement item's due date.",
                "created_at": "When the item was proposed or raised (UTC).",
                "updated_at": "When its latest event was recorded (UTC).",
                "version": "The item's aggregate version this row reflects.",
                "position": "Global position of the latest event this row reflects.",
            },
        )
    }

    # Initiatives ------------------------------------------------------------------------------

    @handles(Initiative.Proposed)
    def proposed(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        e = r.event
        insert(
            c,
            t,
            r,
            "initiative",
            "STRATEGIC",
            title=e.title,
            stage=Stage.PROPOSED.value,
            org_unit=e.org_unit,
            owner=e.actor.id,
            next_gate=Gate.G1.value,
            next_review_due=r.recorded_at + INITIATIVE_CADENCE,
        )

    @handles(Initiative.Classified, Item.Classified)
    def classified(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        classification = r.event.classification
        update(
            c,
            t,
            r,
            classified_path=classification.decided.value,
            overridden=classification.overridden,
        )

    @handles(Initiative.SponsorAssigned)
    def sponsor_assigned(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(c, t, r, sponsor=r.event.sponsor)

    @handles(Initiative.SponsorReleased)
    def sponsor_released(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(c, t, r, sponsor=None)

    @handles(Initiative.AlignedToObjective, Item.AlignedToObjective)
    def aligned(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        (objectives,) = current(c, t, r, "objective_ids")
        update(c, t, r, objective_ids=sorted({*objectives, r.event.objective_id}))

    @handles(Initiative.AlignmentRemoved)
    def alignment_removed(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        (objectives,) = current(c, t, r, "objective_ids")
        update(c, t, r, objective_ids=[o for o in objectives if o != r.event.objective_id])

    @handles(Initiative.Resourced)
    def resourced(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        fte, budget = current(c, t, r, "fte", "budget")
        update(c, t, r, fte=fte + r.event.allocation.fte, budget=budget + r.event.budget)

    @handles(Initiative.ResourcesReleased)
    def released(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        (fte,) = current(c, t, r, "fte")
        update(c, t, r, fte=fte - r.event.allocation.fte)

    @handles(Initiative.GateDecided)
    def gate_decided(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        decision = r.event.decision
        stage, held_from = current(c, t, r, "stage", "held_from")
        stage, held = Stage(stage), Stage(held_from) if held_from else None
        if r.event.corrects is not None:  # the stage before the corrected decision is not kept here
            stage, held = decision.gate.guards, None
        after = decision.next_stage(stage, held)
        waiting = (held or stage) if after is Stage.ON_HOLD else after
        benefits_reviewed = decision.gate is Gate.G5 and decision.outcome is Outcome.GO
        next_gate = None if benefits_reviewed or after.is_terminal else Gate.after(waiting)
        update(
            c,
            t,
            r,
            stage=after.value,
            held_from=(held or stage).value if after is Stage.ON_HOLD else None,
            next_gate=next_gate.value if next_gate else None,
            next_gate_date=decision.next_gate_date,
            open_conditions=len(decision.conditions),
        )

    @handles(Initiative.ConditionsCleared)
    def conditions_cleared(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(c, t, r, open_conditions=0)

    @handles(Initiative.Reviewed)
    def initiative_reviewed(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(
            c,
            t,
            r,
            last_review_status=r.event.status.value,
            last_reviewed_at=r.recorded_at,
            next_review_due=r.recorded_at + INITIATIVE_CADENCE,
        )

    @handles(Initiative.BenefitRecorded, Initiative.Redirected)
    def touched(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        stage = Stage.REDIRECTED.value if isinstance(r.event, Initiative.Redirected) else None
        update(c, t, r, **({"stage": stage, "next_gate": None} if stage else {}))

    @handles(Initiative.Closed)
    def closed(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(c, t, r, stage=Stage.CLOSED.value, next_gate=None)

    # Improvement items ------------------------------------------------------------------------

    @handles(Item.Raised)
    def raised(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        e = r.event
        insert(
            c,
            t,
            r,
            "improvement_item",
            "OPERATIONAL",
            title=e.title,
            stage="RAISED",
            org_unit=e.area,
            next_review_due=r.recorded_at + ITEM_CADENCE,
        )

    @handles(Item.Resourced)
    def item_resourced(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        a = r.event.assignment
        update(c, t, r, owner=a.owner, due=a.due, fte=a.allocation.fte if a.allocation else 0)

    @handles(Item.ResourcesReleased)
    def item_released(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(c, t, r, fte=0)

    @handles(Item.StageAdvanced)
    def advanced(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(c, t, r, stage=r.event.to_stage.value)

    @handles(Item.Reviewed)
    def item_reviewed(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        update(
            c,
            t,
            r,
            last_review_status=r.event.status.value,
            last_reviewed_at=r.recorded_at,
            next_review_due=r.recorded_at + ITEM_CADENCE,
        )

    @handles(Item.Standardised, Item.Abandoned, Item.Escalated)
    def finished(self, c: Cursor[Any], r: Recorded, t: Tables) -> None:
        stages = {Item.Standardised: "STANDARDISED", Item.Abandoned: "ABANDONED"}
        stage = next((s for cls, s in stages.items() if isinstance(r.event, cls)), "ESCALATED")
        update(c, t, r, stage=stage)
