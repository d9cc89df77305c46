"""Gate reviews over GraphQL: each panel, its chair, how it ended, and every vote cast in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from projections import gate_reviews
from schema.enums import Gate, GateOutcome, GateReviewStatus
from schema.health import CONSISTENT, Ctx, read
from schema.ids import AnyId, filter_uuid, uuid_beside
from schema.paging import MAX_PAGE, check_first

DEFAULT = 5  # an initiative's five gates, one review each, in the common case


@strawberry.type(description="A must-meet criterion as one voter assessed it.")
class AssessedCriterion:
    name: str
    passed: bool
    evidence: str


@strawberry.type(description="One gatekeeper's vote, cast under their own identity.")
class GateReviewVote:
    gatekeeper: str = strawberry.field(description="The authenticated gatekeeper who voted.")
    outcome: GateOutcome
    must_meet: list[AssessedCriterion]
    should_meet_score: int | None
    conditions: list[str]
    reason: str
    voted_at: datetime

    @classmethod
    def from_json(cls, vote: dict[str, Any]) -> GateReviewVote:
        return cls(
            gatekeeper=vote["gatekeeper"],
            outcome=GateOutcome(vote["outcome"]),
            must_meet=[AssessedCriterion(**criterion) for criterion in vote["must_meet"]],
            should_meet_score=vote["should_meet_score"],
            conditions=vote["conditions"],
            reason=vote["reason"],
            voted_at=datetime.fromisoformat(vote["voted_at"]),
        )


@strawberry.type(description="The review of one initiative's gate by a panel of gatekeepers.")
class GateReview:
    id: relay.GlobalID = strawberry.field(description="Vote in, decide or withdraw it by this id.")
    uuid = uuid_beside("id")
    initiative_id: relay.GlobalID
    initiative_uuid = uuid_beside("initiative_id")
    gate: Gate
    status: GateReviewStatus
    gatekeepers: list[str] = strawberry.field(description="The panel, as each signs in.")
    chair: str
    quorum: int = strawberry.field(description="Votes needed before the chair decides.")
    corrects: int | None = strawberry.field(
        description="The initiative's version whose gate decision this review corrects."
    )
    opened_by: str
    opened_at: datetime
    outcome: GateOutcome | None = strawberry.field(
        description="The chair's decision, once decided."
    )
    override: str | None = strawberry.field(
        description="Why the chair decided against the votes; null if they did not."
    )
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    votes: list[GateReviewVote] = strawberry.field(description="In the order cast.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> GateReview:
        fields = {name: value for name, value in row.items() if name != "review_id"}
        return cls(
            **{
                **fields,
                "id": relay.GlobalID("GateReview", str(row["review_id"])),
                "initiative_id": relay.GlobalID("Initiative", str(row["initiative_id"])),
                "status": GateReviewStatus(row["status"]),
                "votes": [GateReviewVote.from_json(vote) for vote in row["votes"]],
            }
        )


@strawberry.type
class GateReviewQuery:
    @strawberry.field(
        description=f"Gate reviews with their votes, newest first: of one initiative, one "
        f"review by its id, or those with a status; `first` of them (1 to {MAX_PAGE}). {CONSISTENT}"
    )
    async def gate_reviews(
        self,
        info: Ctx,
        initiative_id: AnyId | None = None,
        id: AnyId | None = None,
        status: GateReviewStatus | None = None,
        first: int = DEFAULT,
        consistent_with: int | None = None,
    ) -> list[GateReview]:
        check_first(first)
        initiative = await filter_uuid(
            info.context, initiative_id, "Initiative", field="initiativeId"
        )
        review = await filter_uuid(info.context, id, "GateReview", field="id")
        async with await read(info, "gate_reviews", consistent_with) as conn:
            rows = await gate_reviews.gate_reviews(
                conn,
                initiative_id=initiative,
                review_id=review,
                status=status.value if status else None,
                limit=first,
            )
        return [GateReview.from_row(row) for row in rows]
