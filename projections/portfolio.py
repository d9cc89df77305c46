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
    # The next review falling due (schema.reporting.OVERDUE_CHANGES), asked at every response
    # cache miss of the portfolio: one index entry read, not every row.
    "CREATE INDEX IF NOT EXISTS {portfolio_next_review_due} ON {portfolio} (next_review_due)",
)


def update(state: State, recorded: Recorded, **columns: Any) -> None:
    """Set `columns` on the work item's row, and note which event it reflects."""
    state.rows("portfolio").update(
        recorded.aggregate_id,
        **columns,
        version=recorded.version,
        updated_at=recorded.recorded_at,
        position=recorded.position,
    )


def insert(state: State, recorded: Recorded, kind: str, path: str, **columns: Any) -> None:
    state.rows("portfolio").insert(
        id=recorded.aggregate_id,
        kind=kind,
        path=path,
        **columns,
        created_at=recorded.recorded_at,
        updated_at=recorded.recorded_at,
        version=recorded.version,
        position=recorded.position,
    )


def current(state: State, recorded: Recorded) -> Row:
    return state.rows("portfolio")[recorded.aggregate_id]


class Portfolio(Projection):
    name = "portfolio"
    cost = 0.45
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
    def proposed(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        insert(
            state,
            recorded,
            "initiative",
            "STRATEGIC",
            title=event.title,
            stage=Stage.PROPOSED.value,
            org_unit=event.org_unit,
            owner=event.actor.id,
            next_gate=Gate.G1.value,
            next_review_due=recorded.recorded_at + INITIATIVE_CADENCE,
        )

    @handles(Initiative.Classified, Item.Classified)
    def classified(self, recorded: Recorded, state: State) -> None:
        classification = recorded.event.classification
        update(
            state,
            recorded,
            classified_path=classification.decided.value,
            overridden=classification.overridden,
        )

    @handles(Initiative.SponsorAssigned)
    def sponsor_assigned(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, sponsor=recorded.event.sponsor)

    @handles(Initiative.SponsorReleased)
    def sponsor_released(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, sponsor=None)

    @handles(Initiative.AlignedToObjective, Item.AlignedToObjective)
    def aligned(self, recorded: Recorded, state: State) -> None:
        objectives = current(state, recorded)["objective_ids"]
        update(state, recorded, objective_ids=sorted({*objectives, recorded.event.objective_id}))

    @handles(Initiative.AlignmentRemoved)
    def alignment_removed(self, recorded: Recorded, state: State) -> None:
        objectives = current(state, recorded)["objective_ids"]
        update(
            state,
            recorded,
            objective_ids=[o for o in objectives if o != recorded.event.objective_id],
        )

    @handles(Initiative.Resourced)
    def resourced(self, recorded: Recorded, state: State) -> None:
        row = current(state, recorded)
        update(
            state,
            recorded,
            fte=row["fte"] + recorded.event.allocation.fte,
            budget=row["budget"] + recorded.event.budget,
        )

    @handles(Initiative.ResourcesReleased)
    def released(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, fte=current(state, recorded)["fte"] - recorded.event.allocation.fte)

    @handles(Initiative.GateDecided)
    def gate_decided(self, recorded: Recorded, state: State) -> None:
        decision = recorded.event.decision
        after = decision.standing_after
        update(
            state,
            recorded,
            stage=after.stage.value,
            held_from=after.held_from.value if after.held_from else None,
            next_gate=after.next_gate.value if after.next_gate else None,
            next_gate_date=decision.next_gate_date,
            open_conditions=len(decision.conditions),
        )

    @handles(Initiative.ConditionsCleared)
    def conditions_cleared(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, open_conditions=0)

    @handles(Initiative.Reviewed)
    def initiative_reviewed(self, recorded: Recorded, state: State) -> None:
        update(
            state,
            recorded,
            last_review_status=recorded.event.status.value,
            last_reviewed_at=recorded.recorded_at,
            next_review_due=recorded.recorded_at + INITIATIVE_CADENCE,
        )

    @handles(Initiative.BenefitRecorded, Initiative.Redirected)
    def touched(self, recorded: Recorded, state: State) -> None:
        stage = (
            Stage.REDIRECTED.value if isinstance(recorded.event, Initiative.Redirected) else None
        )
        update(state, recorded, **({"stage": stage, "next_gate": None} if stage else {}))

    @handles(Initiative.Closed)
    def closed(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, stage=Stage.CLOSED.value, next_gate=None)

    # Improvement items ------------------------------------------------------------------------

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        insert(
            state,
            recorded,
            "improvement_item",
            "OPERATIONAL",
            title=event.title,
            stage="RAISED",
            org_unit=event.area,
            next_review_due=recorded.recorded_at + ITEM_CADENCE,
        )

    @handles(Item.Resourced)
    def item_resourced(self, recorded: Recorded, state: State) -> None:
        assignment = recorded.event.assignment
        update(
            state,
            recorded,
            owner=assignment.owner,
            due=assignment.due,
            fte=assignment.allocation.fte if assignment.allocation else 0,
        )

    @handles(Item.ResourcesReleased)
    def item_released(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, fte=0)

    @handles(Item.StageAdvanced)
    def advanced(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, stage=recorded.event.to_stage.value)

    @handles(Item.Reviewed)
    def item_reviewed(self, recorded: Recorded, state: State) -> None:
        update(
            state,
            recorded,
            last_review_status=recorded.event.status.value,
            last_reviewed_at=recorded.recorded_at,
            next_review_due=recorded.recorded_at + ITEM_CADENCE,
        )

    @handles(Item.Standardised, Item.Abandoned, Item.Escalated)
    def finished(self, recorded: Recorded, state: State) -> None:
        stages = {Item.Standardised: "STANDARDISED", Item.Abandoned: "ABANDONED"}
        stage = next(
            (to for cls, to in stages.items() if isinstance(recorded.event, cls)), "ESCALATED"
        )
        update(state, recorded, stage=stage)
