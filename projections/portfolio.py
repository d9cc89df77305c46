"""Portfolio: every work item with its path, stage, owner, sponsor, resources, reviews and dates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.gates import Gate, Stage
from domain.improvement import ImprovementItem as Item
from domain.initiative import Initiative
from projections.base import Projection, Recorded, handles
from projections.rows import Row, State

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


def update(s: State, r: Recorded, **columns: Any) -> None:
    """Set `columns` on the work item's row, and note which event it reflects."""
    s.rows("portfolio").update(
        r.aggregate_id, **columns, version=r.version, updated_at=r.recorded_at, position=r.position
    )


def insert(s: State, r: Recorded, kind: str, path: str, **columns: Any) -> None:
    s.rows("portfolio").insert(
        id=r.aggregate_id,
        kind=kind,
        path=path,
        **columns,
        created_at=r.recorded_at,
        updated_at=r.recorded_at,
        version=r.version,
        position=r.position,
    )


def current(s: State, r: Recorded) -> Row:
    return s.rows("portfolio")[r.aggregate_id]


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
    def proposed(self, r: Recorded, s: State) -> None:
        e = r.event
        insert(
            s,
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
    def classified(self, r: Recorded, s: State) -> None:
        classification = r.event.classification
        update(
            s,
            r,
            classified_path=classification.decided.value,
            overridden=classification.overridden,
        )

    @handles(Initiative.SponsorAssigned)
    def sponsor_assigned(self, r: Recorded, s: State) -> None:
        update(s, r, sponsor=r.event.sponsor)

    @handles(Initiative.SponsorReleased)
    def sponsor_released(self, r: Recorded, s: State) -> None:
        update(s, r, sponsor=None)

    @handles(Initiative.AlignedToObjective, Item.AlignedToObjective)
    def aligned(self, r: Recorded, s: State) -> None:
        objectives = current(s, r)["objective_ids"]
        update(s, r, objective_ids=sorted({*objectives, r.event.objective_id}))

    @handles(Initiative.AlignmentRemoved)
    def alignment_removed(self, r: Recorded, s: State) -> None:
        objectives = current(s, r)["objective_ids"]
        update(s, r, objective_ids=[o for o in objectives if o != r.event.objective_id])

    @handles(Initiative.Resourced)
    def resourced(self, r: Recorded, s: State) -> None:
        row = current(s, r)
        update(s, r, fte=row["fte"] + r.event.allocation.fte, budget=row["budget"] + r.event.budget)

    @handles(Initiative.ResourcesReleased)
    def released(self, r: Recorded, s: State) -> None:
        update(s, r, fte=current(s, r)["fte"] - r.event.allocation.fte)

    @handles(Initiative.GateDecided)
    def gate_decided(self, r: Recorded, s: State) -> None:
        decision = r.event.decision
        after = decision.standing_after
        update(
            s,
            r,
            stage=after.stage.value,
            held_from=after.held_from.value if after.held_from else None,
            next_gate=after.next_gate.value if after.next_gate else None,
            next_gate_date=decision.next_gate_date,
            open_conditions=len(decision.conditions),
        )

    @handles(Initiative.ConditionsCleared)
    def conditions_cleared(self, r: Recorded, s: State) -> None:
        update(s, r, open_conditions=0)

    @handles(Initiative.Reviewed)
    def initiative_reviewed(self, r: Recorded, s: State) -> None:
        update(
            s,
            r,
            last_review_status=r.event.status.value,
            last_reviewed_at=r.recorded_at,
            next_review_due=r.recorded_at + INITIATIVE_CADENCE,
        )

    @handles(Initiative.BenefitRecorded, Initiative.Redirected)
    def touched(self, r: Recorded, s: State) -> None:
        stage = Stage.REDIRECTED.value if isinstance(r.event, Initiative.Redirected) else None
        update(s, r, **({"stage": stage, "next_gate": None} if stage else {}))

    @handles(Initiative.Closed)
    def closed(self, r: Recorded, s: State) -> None:
        update(s, r, stage=Stage.CLOSED.value, next_gate=None)

    # Improvement items ------------------------------------------------------------------------

    @handles(Item.Raised)
    def raised(self, r: Recorded, s: State) -> None:
        e = r.event
        insert(
            s,
            r,
            "improvement_item",
            "OPERATIONAL",
            title=e.title,
            stage="RAISED",
            org_unit=e.area,
            next_review_due=r.recorded_at + ITEM_CADENCE,
        )

    @handles(Item.Resourced)
    def item_resourced(self, r: Recorded, s: State) -> None:
        a = r.event.assignment
        update(s, r, owner=a.owner, due=a.due, fte=a.allocation.fte if a.allocation else 0)

    @handles(Item.ResourcesReleased)
    def item_released(self, r: Recorded, s: State) -> None:
        update(s, r, fte=0)

    @handles(Item.StageAdvanced)
    def advanced(self, r: Recorded, s: State) -> None:
        update(s, r, stage=r.event.to_stage.value)

    @handles(Item.Reviewed)
    def item_reviewed(self, r: Recorded, s: State) -> None:
        update(
            s,
            r,
            last_review_status=r.event.status.value,
            last_reviewed_at=r.recorded_at,
            next_review_due=r.recorded_at + ITEM_CADENCE,
        )

    @handles(Item.Standardised, Item.Abandoned, Item.Escalated)
    def finished(self, r: Recorded, s: State) -> None:
        stages = {Item.Standardised: "STANDARDISED", Item.Abandoned: "ABANDONED"}
        stage = next((s for cls, s in stages.items() if isinstance(r.event, cls)), "ESCALATED")
        update(s, r, stage=stage)
