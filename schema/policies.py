"""The classification policies over GraphQL: each version, its thresholds, when it took effect."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from domain import classification
from schema.context import RequestContext

Ctx = Info[RequestContext, None]


@strawberry.type(
    description="A version of the classification policy: a hard trigger (changes the system, "
    "new market or model, capital over the threshold) makes work strategic; otherwise a score "
    "from scope and horizon decides."
)
class ClassificationPolicy:
    version: str
    effective_from: date = strawberry.field(description="The day this version took effect.")
    capital_threshold: Decimal = strawberry.field(description="Capital above it is strategic.")
    strategic_score: int = strawberry.field(description="A score from it up is strategic.")
    horizon_steps_months: list[int] = strawberry.field(
        description="Each step a horizon lies beyond adds a point to the score."
    )
    in_force: bool = strawberry.field(description="The version the service applies now.")

    @classmethod
    def of(cls, policy: classification.ClassificationPolicy, applied: str) -> ClassificationPolicy:
        return cls(
            version=policy.version,
            effective_from=policy.effective_from,
            capital_threshold=policy.capital_threshold,
            strategic_score=policy.strategic_score,
            horizon_steps_months=list(policy.horizon_steps_months),
            in_force=policy.version == applied,
        )


def every_policy(context: RequestContext) -> list[ClassificationPolicy]:
    """Every version in the order they took effect, the one the service applies included."""
    applied = context.app.policy
    known = {policy.version: policy for policy in classification.POLICIES}
    known.setdefault(applied.version, applied)
    ordered = sorted(known.values(), key=lambda policy: policy.effective_from)
    return [ClassificationPolicy.of(policy, applied.version) for policy in ordered]


def policy_named(context: RequestContext, version: str) -> ClassificationPolicy | None:
    return next((p for p in every_policy(context) if p.version == version), None)


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="Every version of the classification policy, oldest first.")
    def classification_policies(self, info: Ctx) -> list[ClassificationPolicy]:
        return every_policy(info.context)
