"""Telling tactical from strategic work with a versioned policy, not by feel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from domain.errors import InvalidInput, RuleViolation
from domain.values import Path


class Scope(Enum):
    TEAM = "TEAM"
    FUNCTION = "FUNCTION"
    CROSS_FUNCTIONAL = "CROSS_FUNCTIONAL"
    ENTERPRISE = "ENTERPRISE"


@dataclass(frozen=True)
class Criteria:
    """The facts about a piece of work that the policy weighs."""

    scope: Scope
    horizon_months: int
    changes_system: bool
    new_market_or_model: bool
    capital_required: Decimal
    reversible: bool

    def __post_init__(self) -> None:
        if not 0 < self.horizon_months <= 240:
            raise InvalidInput(
                f"The horizon must be between 1 and 240 months, not {self.horizon_months}.",
                field="criteria.horizonMonths",
            )
        if self.capital_required < 0:
            raise InvalidInput(
                "The capital required cannot be negative.", field="criteria.capitalRequired"
            )


@dataclass(frozen=True)
class Recommendation:
    path: Path
    score: int
    triggers: tuple[str, ...]
    policy_version: str


_SCOPE_POINTS = {Scope.TEAM: 0, Scope.FUNCTION: 1, Scope.CROSS_FUNCTIONAL: 2, Scope.ENTERPRISE: 3}


@dataclass(frozen=True)
class ClassificationPolicy:
    """Hard triggers make work strategic; otherwise a score from scope and horizon decides."""

    version: str = "2026.1"
    effective_from: date = date(2025, 1, 1)
    capital_threshold: Decimal = Decimal("250000")
    strategic_score: int = 4
    horizon_steps_months: tuple[int, ...] = field(default=(3, 12, 24))

    def recommend(self, criteria: Criteria) -> Recommendation:
        triggers = self.triggers(criteria)
        score = self.score(criteria)
        strategic = bool(triggers) or score >= self.strategic_score
        path = Path.STRATEGIC if strategic else Path.OPERATIONAL
        return Recommendation(path, score, triggers, self.version)

    def triggers(self, criteria: Criteria) -> tuple[str, ...]:
        found = []
        if criteria.changes_system:
            found.append("changes the system")
        if criteria.new_market_or_model:
            found.append("new market, region or business model")
        if criteria.capital_required > self.capital_threshold:
            found.append(f"capital over {self.capital_threshold}")
        return tuple(found)

    def score(self, criteria: Criteria) -> int:
        horizon_points = sum(criteria.horizon_months > step for step in self.horizon_steps_months)
        irreversible = 0 if criteria.reversible else 1
        return _SCOPE_POINTS[criteria.scope] + horizon_points + irreversible


DEFAULT_POLICY = ClassificationPolicy()
# Every version, in the order they took effect: a new version is added, none is ever edited,
# because each classification names the version it was decided under.
POLICIES: tuple[ClassificationPolicy, ...] = (DEFAULT_POLICY,)


@dataclass(frozen=True)
class Classification:
    """The criteria, what the policy recommended, what was decided, and why it differs."""

    criteria: Criteria
    recommended: Path
    decided: Path
    score: int
    triggers: tuple[str, ...]
    policy_version: str
    override_reason: str | None = None

    @property
    def overridden(self) -> bool:
        return self.decided is not self.recommended

    @classmethod
    def decide(
        cls,
        policy: ClassificationPolicy,
        criteria: Criteria,
        decided: Path | None = None,
        override_reason: str | None = None,
    ) -> Classification:
        recommendation = policy.recommend(criteria)
        path = decided or recommendation.path
        reason = (override_reason or "").strip() or None
        if path is not recommendation.path and reason is None:
            raise RuleViolation(
                f"The policy recommends the {recommendation.path.value.lower()} path; "
                "deciding otherwise needs an override reason.",
                code="OVERRIDE_REASON_REQUIRED",
                field="overrideReason",
            )
        if path is recommendation.path:
            reason = None
        return cls(
            criteria=criteria,
            recommended=recommendation.path,
            decided=path,
            score=recommendation.score,
            triggers=recommendation.triggers,
            policy_version=recommendation.policy_version,
            override_reason=reason,
        )
