"""Gate reviews: each review of an initiative's gate with its panel, and every vote cast in it."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from domain.gate_review import GateReview, quorum_of
from domain.gates import Criterion
from projections.base import Projection, Recorded, handles
from projections.rows import State

REVIEWS = """CREATE TABLE IF NOT EXISTS {gate_reviews} (
    review_id uuid PRIMARY KEY,
    initiative_id uuid NOT NULL,
    gate text NOT NULL,
    gatekeepers text[] NOT NULL,
    chair text NOT NULL,
    quorum integer NOT NULL,
    corrects integer,
    opened_by text NOT NULL,
    opened_at timestamptz NOT NULL,
    status text NOT NULL,
    outcome text,
    override text,
    closed_by text,
    closed_at timestamptz,
    close_reason text
)"""
VOTES = """CREATE TABLE IF NOT EXISTS {gate_review_votes} (
    review_id uuid NOT NULL,
    gatekeeper text NOT NULL,
    outcome text NOT NULL,
    must_meet jsonb NOT NULL,
    should_meet_score integer,
    conditions text[] NOT NULL,
    reason text NOT NULL,
    voted_at timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (review_id, gatekeeper)
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {gate_reviews_initiative} ON {gate_reviews} (initiative_id)",
    "CREATE INDEX IF NOT EXISTS {gate_reviews_open} ON {gate_reviews} (opened_at) "
    "WHERE status = 'OPEN'",
)
OPEN, DECIDED, WITHDRAWN = "OPEN", "DECIDED", "WITHDRAWN"


def criteria_json(criteria: tuple[Criterion, ...]) -> Jsonb:
    return Jsonb([{"name": c.name, "passed": c.passed, "evidence": c.evidence} for c in criteria])


class GateReviews(Projection):
    name = "gate_reviews"
    cost = 1.9
    tables = ("gate_reviews", "gate_review_votes")
    ddl = (REVIEWS, VOTES, *INDEXES)
    docs = {
        "gate_reviews": (
            "One row per gate review: the panel that reviews an initiative's gate, its chair, "
            "and how the review ended (decided by the chair, or withdrawn undecided).",
            {
                "review_id": "The gate review (uuid).",
                "initiative_id": "The initiative reviewed (uuid).",
                "gate": "The gate reviewed: 'G1' … 'G5'.",
                "gatekeepers": "The panel: each gatekeeper's id, as they sign in.",
                "chair": "The gatekeeper who records the decision.",
                "quorum": "How many votes the chair needs before deciding: more than half of "
                "the panel.",
                "corrects": "The initiative's version whose gate decision this review corrects; "
                "null for the pending gate.",
                "opened_by": "Who opened the review.",
                "opened_at": "When it was opened (UTC).",
                "status": "'OPEN', 'DECIDED' or 'WITHDRAWN'.",
                "outcome": "The chair's decision: GO, CONDITIONAL_GO, HOLD, RECYCLE or KILL; "
                "null until decided.",
                "override": "Why the chair decided against the votes; null if they did not.",
                "closed_by": "Who decided or withdrew the review.",
                "closed_at": "When it was decided or withdrawn (UTC).",
                "close_reason": "The reason given for the decision or the withdrawal.",
            },
        ),
        "gate_review_votes": (
            "One row per vote: each gatekeeper's own assessment, cast under their identity.",
            {
                "review_id": "The gate review voted in (uuid).",
                "gatekeeper": "Who voted: the authenticated gatekeeper.",
                "outcome": "The outcome voted for.",
                "must_meet": "Each must-meet criterion assessed: a jsonb array of {name, passed, "
                "evidence}.",
                "should_meet_score": "The should-meet score, 0 to 100; null if not scored.",
                "conditions": "Conditions the voter asks for (a conditional go).",
                "reason": "Why, in the voter's words.",
                "voted_at": "When the vote was cast (UTC).",
                "position": "Global position of the vote's event.",
            },
        ),
    }

    @handles(GateReview.Opened)
    def opened(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        state.rows("gate_reviews").insert(
            review_id=recorded.aggregate_id,
            initiative_id=event.initiative_id,
            gate=event.gate.value,
            gatekeepers=list(event.gatekeepers),
            chair=event.chair,
            quorum=quorum_of(len(event.gatekeepers)),
            corrects=event.corrects,
            opened_by=event.actor.id,
            opened_at=recorded.recorded_at,
            status=OPEN,
        )

    @handles(GateReview.Voted)
    def voted(self, recorded: Recorded, state: State) -> None:
        vote = recorded.event.vote
        state.rows("gate_review_votes").insert(
            review_id=recorded.aggregate_id,
            gatekeeper=vote.gatekeeper,
            outcome=vote.outcome.value,
            must_meet=criteria_json(vote.must_meet),
            should_meet_score=vote.should_meet_score,
            conditions=list(vote.conditions),
            reason=vote.reason,
            voted_at=recorded.recorded_at,
            position=recorded.position,
        )

    @handles(GateReview.Decided)
    def decided(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        self._close(recorded, state, DECIDED, outcome=event.decision.outcome.value)
        state.rows("gate_reviews").update(recorded.aggregate_id, override=event.override)

    @handles(GateReview.Withdrawn)
    def withdrawn(self, recorded: Recorded, state: State) -> None:
        self._close(recorded, state, WITHDRAWN)

    @staticmethod
    def _close(recorded: Recorded, state: State, status: str, **more: Any) -> None:
        state.rows("gate_reviews").update(
            recorded.aggregate_id,
            status=status,
            closed_by=recorded.event.actor.id,
            closed_at=recorded.recorded_at,
            close_reason=recorded.event.reason,
            **more,
        )


# Reading ----------------------------------------------------------------------------------

REVIEWS_OF = """SELECT r.*, coalesce(v.votes, '[]'::json) AS votes
FROM reporting.gate_reviews r
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
        'gatekeeper', gatekeeper, 'outcome', outcome, 'must_meet', must_meet,
        'should_meet_score', should_meet_score, 'conditions', conditions, 'reason', reason,
        'voted_at', voted_at) ORDER BY position) AS votes
    FROM reporting.gate_review_votes WHERE review_id = r.review_id
) v ON true
WHERE (%(initiative)s::uuid IS NULL OR r.initiative_id = %(initiative)s)
  AND (%(review)s::uuid IS NULL OR r.review_id = %(review)s)
  AND (%(status)s::text IS NULL OR r.status = %(status)s)
ORDER BY r.opened_at DESC, r.review_id
LIMIT %(limit)s"""

Connection = psycopg.AsyncConnection[dict[str, Any]]


async def gate_reviews(
    conn: Connection,
    *,
    initiative_id: UUID | None = None,
    review_id: UUID | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Reviews newest first, each with its votes in the order cast (`votes`, parsed JSON)."""
    params = {"initiative": initiative_id, "review": review_id, "status": status, "limit": limit}
    cursor = await conn.execute(REVIEWS_OF, params)
    rows = await cursor.fetchall()
    for row in rows:
        if isinstance(row["votes"], str):
            row["votes"] = json.loads(row["votes"])
    return rows
