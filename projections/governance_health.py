"""Governance health: the article's reflection questions as checks over facts kept per work item."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg

from domain.approval import ApprovalRequest
from domain.gate_review import quorum_of
from domain.gates import Stage
from domain.improvement import ImprovementItem as Item
from domain.improvement import PdcaStage
from domain.initiative import Initiative
from domain.objective import Objective
from domain.team import Team
from domain.values import Path
from projections.base import Projection, Recorded, Tables, handles
from projections.path_balance import TARGET_BAND
from projections.portfolio import INITIATIVE_CADENCE, ITEM_CADENCE
from projections.rows import State

INITIATIVE_STUCK_DAYS = 90
ITEM_STUCK_DAYS = 30
# The strategic share of allocated FTE a period should fall within: the path balance view's band.
BAND = (float(TARGET_BAND[0]), float(TARGET_BAND[1]))
ZERO = Decimal(0)

TERMINAL = ", ".join(f"'{s.value}'" for s in [*Stage, *PdcaStage] if s.is_terminal)
WORK = f"""CREATE TABLE IF NOT EXISTS {{governance_work}} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    path text NOT NULL,
    title text NOT NULL,
    org_unit text NOT NULL,
    stage text NOT NULL,
    held_from text,
    stage_entered_at timestamptz NOT NULL,
    sponsor text,
    fte numeric NOT NULL DEFAULT 0,
    objective_ids uuid[] NOT NULL DEFAULT '{{{{}}}}',
    last_reviewed_at timestamptz,
    next_review_due timestamptz NOT NULL,
    classified_at timestamptz,
    recommended_path text,
    decided_path text,
    overridden boolean NOT NULL DEFAULT false,
    horizon_ends_at timestamptz,
    created_at timestamptz NOT NULL,
    has_sponsor boolean GENERATED ALWAYS AS (sponsor IS NOT NULL) STORED,
    has_dedicated_resources boolean GENERATED ALWAYS AS (fte > 0) STORED,
    aligned boolean GENERATED ALWAYS AS (cardinality(objective_ids) > 0) STORED,
    active boolean GENERATED ALWAYS AS (stage NOT IN ({TERMINAL})) STORED
)"""
CAPACITY = """CREATE TABLE IF NOT EXISTS {governance_capacity} (
    team_id uuid NOT NULL,
    period text NOT NULL,
    capacity numeric NOT NULL DEFAULT 0,
    allocated numeric NOT NULL DEFAULT 0,
    strategic numeric NOT NULL DEFAULT 0,
    operational numeric NOT NULL DEFAULT 0,
    over_allocated boolean GENERATED ALWAYS AS (allocated > capacity) STORED,
    PRIMARY KEY (team_id, period)
)"""
APPROVALS = """CREATE TABLE IF NOT EXISTS {governance_approvals} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    subject_id uuid NOT NULL,
    requested_by text NOT NULL,
    approver_roles text[] NOT NULL,
    reason text,
    requested_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'PENDING',
    decided_by text,
    decided_at timestamptz
)"""
GATES = """CREATE TABLE IF NOT EXISTS {governance_gates} (
    initiative_id uuid NOT NULL,
    version integer NOT NULL,
    gate text NOT NULL,
    votes integer NOT NULL,
    quorum integer NOT NULL DEFAULT 2,
    overridden boolean NOT NULL,
    decided_at timestamptz NOT NULL,
    PRIMARY KEY (initiative_id, version)
)"""
# Added with the panel on gate decisions; rows written before hold the least quorum there is.
GATES_QUORUM = (
    "ALTER TABLE {governance_gates} ADD COLUMN IF NOT EXISTS quorum integer NOT NULL DEFAULT 2"
)
# A gate review's panel has at least two gatekeepers, so its quorum is at least two votes.
LEAST_QUORUM = quorum_of(2)


def update(state: State, recorded: Recorded, **columns: Any) -> None:
    state.rows("governance_work").update(recorded.aggregate_id, **columns)


def set_stage(state: State, recorded: Recorded, stage: str, held: str | None = None) -> None:
    """Move the item to `stage`; the time in stage restarts only when the stage changes."""
    row = state.rows("governance_work").get(recorded.aggregate_id)
    if row is not None:
        entered = row["stage_entered_at"] if row["stage"] == stage else recorded.recorded_at
        update(state, recorded, stage=stage, held_from=held, stage_entered_at=entered)


def insert(state: State, recorded: Recorded, kind: str, path: Path, stage: str) -> None:
    cadence = INITIATIVE_CADENCE if path is Path.STRATEGIC else ITEM_CADENCE
    state.rows("governance_work").insert(
        id=recorded.aggregate_id,
        kind=kind,
        path=path.value,
        title=recorded.event.title,
        org_unit=recorded.event.org_unit if path is Path.STRATEGIC else recorded.event.area,
        stage=stage,
        stage_entered_at=recorded.recorded_at,
        next_review_due=recorded.recorded_at + cadence,
        created_at=recorded.recorded_at,
    )


def classified(state: State, recorded: Recorded, **more: Any) -> None:
    classification = recorded.event.classification
    update(
        state,
        recorded,
        classified_at=recorded.recorded_at,
        recommended_path=classification.recommended.value,
        decided_path=classification.decided.value,
        overridden=classification.overridden,
        **more,
    )


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` calendar months later, or the month's last day if it is shorter."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def add_fte(state: State, recorded: Recorded, fte: Decimal) -> None:
    row = state.rows("governance_work").get(recorded.aggregate_id)
    if row is not None:
        update(state, recorded, fte=row["fte"] + fte)


def without(objectives: list[Any], objective_id: Any) -> list[Any]:
    """The ids less every occurrence of `objective_id`, like array_remove."""
    return [o for o in objectives if o != objective_id]


def allocate(state: State, recorded: Recorded, sign: int) -> None:
    allocation = recorded.event.allocation
    fte = allocation.fte * sign
    strategic, operational = (fte, ZERO) if allocation.path is Path.STRATEGIC else (ZERO, fte)
    capacity = state.rows("governance_capacity")
    key = (allocation.team_id, str(allocation.period))
    row = capacity.get(key)
    if row is None:
        capacity.insert(
            team_id=allocation.team_id,
            period=key[1],
            allocated=fte,
            strategic=strategic,
            operational=operational,
        )
    else:
        capacity.update(
            key,
            allocated=row["allocated"] + fte,
            strategic=row["strategic"] + strategic,
            operational=row["operational"] + operational,
        )


class GovernanceHealth(Projection):
    name = "governance_health"
    cost = 0.6
    tables = ("governance_work", "governance_capacity", "governance_approvals", "governance_gates")
    ddl = (WORK, CAPACITY, APPROVALS, GATES, GATES_QUORUM)
    arrays = {"governance_work": ("objective_ids",)}  # an objective retired: its work items
    docs = {
        "governance_work": (
            "One row per work item on either path with the facts the governance-health checks "
            "weigh: sponsor, resources, alignment, reviews, time in stage, classification.",
            {
                "id": "The work item's id (uuid).",
                "kind": "'initiative' or 'improvement_item'.",
                "path": "'STRATEGIC' for initiatives, 'OPERATIONAL' for improvement items.",
                "title": "The work item's title.",
                "org_unit": "Org unit of an initiative; area or team of an improvement item.",
                "stage": "Current stage: Stage-Gate stages for initiatives, PDCA stages for "
                "improvement items.",
                "held_from": "For an initiative ON_HOLD, the stage it will resume; else null.",
                "stage_entered_at": "When the item entered its current stage (UTC).",
                "sponsor": "The initiative's executive sponsor; null if none (or an item).",
                "fte": "Full-time equivalents the item holds across teams and periods (FTE).",
                "objective_ids": "Ids of the active objectives it is aligned to (a retired "
                "objective drops out).",
                "last_reviewed_at": "When its last review was recorded (UTC); null if never.",
                "next_review_due": "Last review (or creation) plus the cadence: 30 days for "
                "initiatives, 7 days for improvement items (UTC).",
                "classified_at": "When it was last classified (UTC); null if not yet.",
                "recommended_path": "The path the classification policy recommended.",
                "decided_path": "The path decided at the last classification.",
                "overridden": "True when that decision overrode the policy's recommendation.",
                "horizon_ends_at": "For an improvement item, its classification time plus the "
                "classified horizon in calendar months (UTC); null for initiatives.",
                "created_at": "When it was proposed or raised (UTC).",
                "has_sponsor": "True when an executive sponsor is assigned.",
                "has_dedicated_resources": "True when it holds more than 0 FTE.",
                "aligned": "True when it is aligned to at least one active objective.",
                "active": "False once terminal: closed, killed, redirected, standardised, "
                "abandoned or escalated. Only active work is checked.",
            },
        ),
        "governance_capacity": (
            "One row per team and period: capacity against FTE allocated on each path.",
            {
                "team_id": "The team's id (uuid).",
                "period": "The planning quarter, like 2027-Q1.",
                "capacity": "The team's capacity in the period (FTE); 0 if never set.",
                "allocated": "FTE allocated to work on either path in the period (FTE).",
                "strategic": "FTE allocated to initiatives in the period (FTE).",
                "operational": "FTE allocated to improvement items in the period (FTE).",
                "over_allocated": "True when allocated exceeds capacity (only possible with an "
                "approved over-allocation).",
            },
        ),
        "governance_approvals": (
            "One row per request for a second person's approval: an over-allocation or a "
            "classification against the policy, and how and when it was decided.",
            {
                "id": "The approval request's id (uuid).",
                "kind": "'OVER_ALLOCATION' or 'CLASSIFICATION_OVERRIDE'.",
                "subject_id": "The work item the requested action is on (uuid).",
                "requested_by": "Who asked; they can never approve or reject it themselves.",
                "approver_roles": "The roles any one of which may approve or reject it.",
                "reason": "Why it was asked, in the requester's words.",
                "requested_at": "When it was asked (UTC).",
                "expires_at": "After this it can no longer be approved (UTC): asked plus "
                "POLARITY_APPROVAL_HOURS at the time.",
                "status": "'PENDING', 'APPROVED' or 'REJECTED'.",
                "decided_by": "Who approved or rejected it; null while pending.",
                "decided_at": "When it was approved or rejected (UTC); null while pending.",
            },
        ),
        "governance_gates": (
            "One row per gate decision, with the votes it rests on and whether its chair "
            "overrode them.",
            {
                "initiative_id": "The initiative decided on (uuid).",
                "version": "The initiative's version that recorded the decision.",
                "gate": "The gate decided: 'G1' … 'G5'.",
                "votes": "How many gatekeepers' votes the decision rests on; 0 for a decision "
                "stored before gate reviews.",
                "quorum": "How many votes the review's panel needed: more than half of it (2, "
                "the least, for a decision whose panel was not stored).",
                "overridden": "True when the chair decided against the votes (with a reason).",
                "decided_at": "When the decision was recorded (UTC).",
            },
        ),
    }

    # Creation, classification, stages --------------------------------------------------------

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        insert(state, recorded, "initiative", Path.STRATEGIC, Stage.PROPOSED.value)

    @handles(Item.Raised)
    def raised(self, recorded: Recorded, state: State) -> None:
        insert(state, recorded, "improvement_item", Path.OPERATIONAL, PdcaStage.RAISED.value)

    @handles(Initiative.Classified)
    def initiative_classified(self, recorded: Recorded, state: State) -> None:
        classified(state, recorded)

    @handles(Item.Classified)
    def item_classified(self, recorded: Recorded, state: State) -> None:
        horizon = recorded.event.classification.criteria.horizon_months
        classified(state, recorded, horizon_ends_at=add_months(recorded.recorded_at, horizon))

    @handles(Initiative.GateDecided)
    def gate_decided(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        state.rows("governance_gates").insert(
            initiative_id=recorded.aggregate_id,
            version=recorded.version,
            gate=event.decision.gate.value,
            votes=len(event.votes),
            quorum=quorum_of(len(event.panel)) if event.panel else LEAST_QUORUM,
            overridden=event.override is not None,
            decided_at=recorded.recorded_at,
        )
        after = recorded.event.decision.standing_after
        set_stage(
            state, recorded, after.stage.value, after.held_from.value if after.held_from else None
        )

    @handles(Initiative.Redirected)
    def redirected(self, recorded: Recorded, state: State) -> None:
        set_stage(state, recorded, Stage.REDIRECTED.value)

    @handles(Initiative.Closed)
    def closed(self, recorded: Recorded, state: State) -> None:
        set_stage(state, recorded, Stage.CLOSED.value)

    @handles(Item.StageAdvanced)
    def advanced(self, recorded: Recorded, state: State) -> None:
        set_stage(state, recorded, recorded.event.to_stage.value)

    @handles(Item.Standardised)
    def standardised(self, recorded: Recorded, state: State) -> None:
        set_stage(state, recorded, PdcaStage.STANDARDISED.value)

    @handles(Item.Abandoned)
    def abandoned(self, recorded: Recorded, state: State) -> None:
        set_stage(state, recorded, PdcaStage.ABANDONED.value)

    @handles(Item.Escalated)
    def escalated(self, recorded: Recorded, state: State) -> None:
        set_stage(state, recorded, PdcaStage.ESCALATED.value)

    # Sponsor, resources, alignment, reviews --------------------------------------------------

    @handles(Initiative.SponsorAssigned)
    def sponsor_assigned(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, sponsor=recorded.event.sponsor)

    @handles(Initiative.SponsorReleased)
    def sponsor_released(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, sponsor=None)

    @handles(Initiative.Resourced)
    def resourced(self, recorded: Recorded, state: State) -> None:
        add_fte(state, recorded, recorded.event.allocation.fte)

    @handles(Initiative.ResourcesReleased)
    def resources_released(self, recorded: Recorded, state: State) -> None:
        add_fte(state, recorded, -recorded.event.allocation.fte)

    @handles(Item.Resourced)
    def item_resourced(self, recorded: Recorded, state: State) -> None:
        allocation = recorded.event.assignment.allocation
        update(state, recorded, fte=allocation.fte if allocation else ZERO)

    @handles(Item.ResourcesReleased)
    def item_released(self, recorded: Recorded, state: State) -> None:
        update(state, recorded, fte=ZERO)

    @handles(Initiative.AlignedToObjective, Item.AlignedToObjective)
    def aligned(self, recorded: Recorded, state: State) -> None:
        row = state.rows("governance_work").get(recorded.aggregate_id)
        if row is not None:
            update(
                state,
                recorded,
                objective_ids=sorted({*row["objective_ids"], recorded.event.objective_id}),
            )

    @handles(Initiative.AlignmentRemoved)
    def alignment_removed(self, recorded: Recorded, state: State) -> None:
        row = state.rows("governance_work").get(recorded.aggregate_id)
        if row is not None:
            update(
                state,
                recorded,
                objective_ids=without(row["objective_ids"], recorded.event.objective_id),
            )

    @handles(Objective.Retired)
    def objective_retired(self, recorded: Recorded, state: State) -> None:
        work = state.rows("governance_work")
        for row in work.having("objective_ids", recorded.aggregate_id):
            work.update(
                row["id"], objective_ids=without(row["objective_ids"], recorded.aggregate_id)
            )

    @handles(Initiative.Reviewed)
    def initiative_reviewed(self, recorded: Recorded, state: State) -> None:
        update(
            state,
            recorded,
            last_reviewed_at=recorded.recorded_at,
            next_review_due=recorded.recorded_at + INITIATIVE_CADENCE,
        )

    @handles(Item.Reviewed)
    def item_reviewed(self, recorded: Recorded, state: State) -> None:
        update(
            state,
            recorded,
            last_reviewed_at=recorded.recorded_at,
            next_review_due=recorded.recorded_at + ITEM_CADENCE,
        )

    # Team capacity ---------------------------------------------------------------------------

    @handles(Team.CapacitySet)
    def capacity_set(self, recorded: Recorded, state: State) -> None:
        capacity = state.rows("governance_capacity")
        key = (recorded.aggregate_id, str(recorded.event.period))
        if not capacity.update(key, capacity=recorded.event.fte):
            capacity.insert(team_id=key[0], period=key[1], capacity=recorded.event.fte)

    @handles(Team.AllocationGranted)
    def granted(self, recorded: Recorded, state: State) -> None:
        allocate(state, recorded, +1)

    @handles(Team.AllocationReleased)
    def released(self, recorded: Recorded, state: State) -> None:
        allocate(state, recorded, -1)

    # Approvals -------------------------------------------------------------------------------

    @handles(ApprovalRequest.Requested)
    def approval_requested(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        state.rows("governance_approvals").insert(
            id=recorded.aggregate_id,
            kind=event.kind.value,
            subject_id=event.subject_id,
            requested_by=event.actor.id,
            approver_roles=sorted(event.kind.approvers),
            reason=event.reason,
            requested_at=recorded.recorded_at,
            expires_at=event.expires_at,
        )

    @handles(ApprovalRequest.Approved)
    def approval_approved(self, recorded: Recorded, state: State) -> None:
        decide(state, recorded, "APPROVED")

    @handles(ApprovalRequest.Rejected)
    def approval_rejected(self, recorded: Recorded, state: State) -> None:
        decide(state, recorded, "REJECTED")


def decide(state: State, recorded: Recorded, status: str) -> None:
    state.rows("governance_approvals").update(
        recorded.aggregate_id,
        status=status,
        decided_by=recorded.event.actor.id,
        decided_at=recorded.recorded_at,
    )


LIVE = Tables(GovernanceHealth.tables)
Connection = psycopg.AsyncConnection[dict[str, Any]]


# The checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A reflection question, and the SQL of what fails it: for a question about active work
    (`work`), a condition on a row of governance_work, since the work questions share one scan
    of that table; for any other, a SELECT of the ids that fail it."""

    name: str
    subject: str  # what the ids name: 'work_item', 'team', 'period' or 'approval_request'
    text: str
    definition: str
    fails: str
    work: bool = False


@dataclass(frozen=True)
class Check:
    """One question answered: how many things fail it, and their ids (of `subject`)."""

    name: str
    question: str
    definition: str
    subject: str
    count: int
    ids: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        return self.count == 0


STUCK = """stage_entered_at < %(now)s - make_interval(days => CASE kind
    WHEN 'initiative' THEN %(initiative_days)s::int ELSE %(item_days)s::int END)"""
IN_PERIOD = "(%(period)s::text IS NULL OR period = %(period)s)"

QUESTIONS = (
    Question(
        "strategic_without_sponsor",
        "work_item",
        "Does every strategic initiative past its proposal have an executive sponsor?",
        "Active initiatives beyond PROPOSED (on hold from beyond it too) with no sponsor.",
        "path = 'STRATEGIC' AND coalesce(held_from, stage) <> 'PROPOSED' AND NOT has_sponsor",
        work=True,
    ),
    Question(
        "strategic_without_dedicated_resources",
        "work_item",
        "Is every initiative in execution backed by dedicated resources?",
        "Initiatives in EXECUTING holding no FTE (G3 needs resources to enter it).",
        "path = 'STRATEGIC' AND stage = 'EXECUTING' AND NOT has_dedicated_resources",
        work=True,
    ),
    Question(
        "not_aligned",
        "work_item",
        "Is all active work, on both paths, aligned with an organisational objective?",
        "Active work items aligned to no active (unretired) objective.",
        "NOT aligned",
        work=True,
    ),
    Question(
        "reviews_overdue",
        "work_item",
        "Is every active work item reviewed at its cadence?",
        "Active work whose next review (monthly for initiatives, weekly for items) is past.",
        "next_review_due < %(now)s",
        work=True,
    ),
    Question(
        "stuck_in_stage",
        "work_item",
        "Has any work sat in one stage for too long?",
        "Active work in its current stage (ON_HOLD included) for more than the stuck days of "
        "its kind: 90 for initiatives, 30 for improvement items by default.",
        STUCK,
        work=True,
    ),
    Question(
        "likely_misclassified",
        "work_item",
        "Is work running on the path the framework advised against, or outgrowing its path?",
        "Active work whose classification overrode the policy's recommendation, or an "
        "improvement item still open after the horizon it was classified with.",
        "overridden OR horizon_ends_at < %(now)s",
        work=True,
    ),
    Question(
        "teams_over_allocated",
        "team",
        "Is any team asked for more than its capacity?",
        "Teams allocated more FTE than their capacity in a period (the period asked, or any).",
        "SELECT DISTINCT team_id::text FROM {governance_capacity} "
        f"WHERE over_allocated AND {IN_PERIOD} ORDER BY 1",
    ),
    Question(
        "path_balance_outside_band",
        "period",
        "Is the strategic share of allocated capacity within its target band?",
        "Periods whose strategic FTE over all allocated FTE, across teams, falls outside the "
        "band (bounds included in it); periods with nothing allocated are not judged.",
        f"SELECT period FROM {{governance_capacity}} WHERE {IN_PERIOD} GROUP BY period "
        "HAVING sum(allocated) > 0 "
        "AND sum(strategic) / sum(allocated) NOT BETWEEN %(low)s AND %(high)s ORDER BY period",
    ),
    Question(
        "approvals_pending_beyond_limit",
        "approval_request",
        "Is any request for a second person's approval left pending longer than its limit?",
        "Requests (over-allocations, classifications against the policy) still pending after "
        "they expired: asked more than POLARITY_APPROVAL_HOURS ago and never decided.",
        "SELECT id::text FROM {governance_approvals} "
        "WHERE status = 'PENDING' AND expires_at < %(now)s ORDER BY id",
    ),
    Question(
        "gates_decided_against_votes",
        "work_item",
        "Does every gate decision follow the gatekeepers' votes?",
        "Initiatives with a gate decision whose chair overrode the votes (the decision log "
        "gives the reason).",
        "SELECT DISTINCT initiative_id::text FROM {governance_gates} WHERE overridden ORDER BY 1",
    ),
    Question(
        "decisions_without_quorum",
        "work_item",
        "Does every gate decision rest on a quorum of votes?",
        "Initiatives with a gate decision recorded on fewer votes than its panel's quorum "
        f"(at least {LEAST_QUORUM}): decisions stored before gate reviews, without votes.",
        "SELECT DISTINCT initiative_id::text FROM {governance_gates} "
        "WHERE votes < quorum ORDER BY 1",
    ),
)
FAILING = ", ".join(
    f"coalesce(array_agg(id::text ORDER BY id) FILTER (WHERE {q.fails}), '{{{{}}}}') AS {q.name}"
    if q.work
    else f"array({q.fails}) AS {q.name}"
    for q in QUESTIONS
)
HEALTH = f"SELECT {FAILING} FROM {{governance_work}} WHERE active"


async def governance_health(
    conn: Connection,
    *,
    now: datetime | None = None,
    initiative_stuck_days: int = INITIATIVE_STUCK_DAYS,
    item_stuck_days: int = ITEM_STUCK_DAYS,
    band: tuple[float, float] = BAND,
    period: str | None = None,
) -> list[Check]:
    """Every check at `now`; `period` narrows the two capacity checks to one quarter."""
    params = {
        "now": now or datetime.now(UTC),
        "initiative_days": initiative_stuck_days,
        "item_days": item_stuck_days,
        "low": Decimal(str(band[0])),
        "high": Decimal(str(band[1])),
        "period": period,
    }
    cursor = await conn.execute(LIVE.sql(HEALTH), params)
    row = await cursor.fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    return [
        Check(q.name, q.text, q.definition, q.subject, len(row[q.name]), tuple(row[q.name]))
        for q in QUESTIONS
    ]


PENDING = """SELECT id, kind, subject_id, requested_by, approver_roles, reason, requested_at,
    expires_at, expires_at < %(now)s AS expired
    FROM {governance_approvals}
    WHERE status = 'PENDING'
    AND (%(approver)s::text IS NULL OR requested_by <> %(approver)s)
    AND (%(roles)s::text[] IS NULL OR approver_roles && %(roles)s)
    ORDER BY requested_at, id"""


async def pending_approvals(
    conn: Connection,
    *,
    approver: str | None = None,
    roles: list[str] | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Requests still pending, oldest first: those `approver` may decide (not their own), and
    of those a holder of one of `roles` may decide; expired ones say so."""
    params = {"now": now or datetime.now(UTC), "approver": approver, "roles": roles}
    cursor = await conn.execute(LIVE.sql(PENDING), params)
    return await cursor.fetchall()
