"""Mutation inputs, and their translation into the plain values the use cases take."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from domain import classification, gates, improvement, objective, values
from domain.errors import InvalidInput
from schema.types import (
    ActDecision,
    Gate,
    GateOutcome,
    ObjectiveLevel,
    Path,
    PdcaStage,
    ReviewStatus,
    Scope,
    Strength,
)


def uuid_of(gid: relay.GlobalID, type_name: str, field: str = "id") -> UUID:
    """The aggregate id inside an opaque global id, checked to be of the expected type."""
    try:
        if gid.type_name != type_name:
            raise ValueError
        return UUID(gid.node_id)
    except ValueError:
        raise InvalidInput(
            f"{field} is not the id of a {type_name}.", code="INVALID_ID", field=field
        ) from None


def period_of(text: str, field: str = "period") -> values.Period:
    return values.Period.parse(text, field)


@strawberry.input(description="Optional terms every command accepts.")
class CommandInput:
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the object is at this version.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeating a command with the same key records nothing new."
    )


@strawberry.input
class CriteriaInput:
    scope: Scope  # type: ignore[valid-type]
    horizon_months: int
    changes_system: bool
    new_market_or_model: bool
    capital_required: Decimal = Decimal(0)
    reversible: bool = True

    def to_domain(self) -> classification.Criteria:
        return classification.Criteria(
            self.scope,
            self.horizon_months,
            self.changes_system,
            self.new_market_or_model,
            self.capital_required,
            self.reversible,
        )


@strawberry.input
class ClassifyInput(CommandInput):
    id: relay.GlobalID
    criteria: CriteriaInput
    reason: str
    decided_path: Path | None = None  # type: ignore[valid-type]
    override_reason: str | None = None
    corrects: int | None = None

    def terms(self) -> dict[str, Any]:
        """The classify use case's keyword arguments."""
        return {
            "criteria": self.criteria.to_domain(),
            "reason": self.reason,
            "decided": self.decided_path,
            "override_reason": self.override_reason,
            "corrects": self.corrects,
        }


@strawberry.input
class InitiativeProposeInput(CommandInput):
    title: str
    problem: str
    org_unit: str
    expected_benefits: str = ""
    horizon_months: int = 12
    reason: str | None = None


@strawberry.input
class InitiativeAssignSponsorInput(CommandInput):
    id: relay.GlobalID
    sponsor: str
    reason: str | None = None


@strawberry.input
class ReasonInput(CommandInput):
    id: relay.GlobalID
    reason: str


@strawberry.input
class AlignInput(CommandInput):
    id: relay.GlobalID
    objective_id: relay.GlobalID
    strength: Strength = values.Strength.MODERATE  # type: ignore[valid-type]
    reason: str | None = None


@strawberry.input
class RemoveAlignmentInput(CommandInput):
    id: relay.GlobalID
    objective_id: relay.GlobalID
    reason: str


@strawberry.input
class ApprovalInput:
    approved_by: str
    reason: str

    def to_domain(self) -> values.Approval:
        return values.Approval(self.approved_by, self.reason)


@strawberry.input
class InitiativeResourceInput(CommandInput):
    id: relay.GlobalID
    team_id: relay.GlobalID
    period: str
    fte: Decimal
    reason: str
    budget: Decimal = Decimal(0)
    approval: ApprovalInput | None = None


@strawberry.input
class InitiativeReleaseResourcesInput(CommandInput):
    id: relay.GlobalID
    team_id: relay.GlobalID
    period: str
    reason: str


@strawberry.input
class CriterionInput:
    name: str
    passed: bool
    evidence: str = ""


@strawberry.input
class InitiativeDecideGateInput(CommandInput):
    id: relay.GlobalID
    gate: Gate  # type: ignore[valid-type]
    outcome: GateOutcome  # type: ignore[valid-type]
    gatekeepers: list[str]
    reason: str
    must_meet: list[CriterionInput] = strawberry.field(default_factory=list)
    should_meet_score: int | None = None
    conditions: list[str] = strawberry.field(default_factory=list)
    next_gate_date: date | None = None
    corrects: int | None = None

    def to_domain(self) -> gates.GateDecision:
        return gates.GateDecision(
            self.gate,
            self.outcome,
            tuple(self.gatekeepers),
            tuple(gates.Criterion(c.name, c.passed, c.evidence) for c in self.must_meet),
            self.should_meet_score,
            tuple(self.conditions),
            self.next_gate_date,
        )


@strawberry.input
class InitiativeClearConditionsInput(CommandInput):
    id: relay.GlobalID
    evidence: str
    reason: str


@strawberry.input
class IndicatorInput:
    name: str
    value: Decimal
    target: Decimal | None = None
    unit: str = ""


@strawberry.input
class CountermeasureInput:
    root_cause: str
    action: str
    owner: str
    due: date


@strawberry.input
class InitiativeReviewInput(CommandInput):
    id: relay.GlobalID
    period: str
    status: ReviewStatus  # type: ignore[valid-type]
    summary: str
    reason: str
    indicators: list[IndicatorInput] = strawberry.field(default_factory=list)
    risks: list[str] = strawberry.field(default_factory=list)
    countermeasure: CountermeasureInput | None = None
    corrects: int | None = None

    def indicators_(self) -> tuple[values.Indicator, ...]:
        return tuple(values.Indicator(i.name, i.value, i.target, i.unit) for i in self.indicators)

    def countermeasure_(self) -> values.Countermeasure | None:
        c = self.countermeasure
        return None if c is None else values.Countermeasure(c.root_cause, c.action, c.owner, c.due)


@strawberry.input
class InitiativeRecordBenefitInput(CommandInput):
    id: relay.GlobalID
    benefit: str
    planned: Decimal
    realised: Decimal
    reason: str
    unit: str = ""
    corrects: int | None = None


@strawberry.input
class InitiativeCloseInput(CommandInput):
    id: relay.GlobalID
    outcome: str
    reason: str


@strawberry.input
class ImprovementItemRaiseInput(CommandInput):
    title: str
    problem: str
    area: str
    metric: str = ""
    reason: str | None = None


@strawberry.input
class ImprovementItemResourceInput(CommandInput):
    id: relay.GlobalID
    owner: str
    due: date
    reason: str
    hours: Decimal | None = None
    team_id: relay.GlobalID | None = None
    period: str | None = None
    fte: Decimal | None = None
    approval: ApprovalInput | None = None


@strawberry.input
class MeasuredResultInput:
    expected: Decimal
    actual: Decimal
    unit: str = ""


@strawberry.input
class ImprovementItemAdvanceInput(CommandInput):
    id: relay.GlobalID
    to: PdcaStage  # type: ignore[valid-type]
    evidence: str = ""
    result: MeasuredResultInput | None = None
    decision: ActDecision | None = None  # type: ignore[valid-type]
    reason: str | None = None

    def result_(self) -> improvement.MeasuredResult | None:
        r = self.result
        return None if r is None else improvement.MeasuredResult(r.expected, r.actual, r.unit)


@strawberry.input
class ImprovementItemReviewInput(CommandInput):
    id: relay.GlobalID
    status: ReviewStatus  # type: ignore[valid-type]
    reason: str
    metric_value: Decimal | None = None
    blockers: list[str] = strawberry.field(default_factory=list)
    corrects: int | None = None


@strawberry.input
class ImprovementItemStandardiseInput(CommandInput):
    id: relay.GlobalID
    standard_reference: str
    reason: str | None = None


@strawberry.input
class ImprovementItemAbandonInput(CommandInput):
    id: relay.GlobalID
    lesson_learned: str
    reason: str


@strawberry.input
class KpiInput:
    name: str
    target: Decimal
    unit: str = ""
    baseline: Decimal | None = None


def kpis_of(kpis: list[KpiInput]) -> tuple[objective.Kpi, ...]:
    return tuple(objective.Kpi(k.name, k.target, k.unit, k.baseline) for k in kpis)


@strawberry.input
class ObjectiveDefineInput(CommandInput):
    title: str
    level: ObjectiveLevel  # type: ignore[valid-type]
    owner: str
    kpis: list[KpiInput]
    due: date
    parent_id: relay.GlobalID | None = None
    reason: str | None = None


@strawberry.input
class ObjectiveRetargetInput(CommandInput):
    id: relay.GlobalID
    kpis: list[KpiInput]
    due: date
    reason: str


@strawberry.input
class TeamRegisterInput(CommandInput):
    name: str
    org_unit: str


@strawberry.input
class TeamSetCapacityInput(CommandInput):
    id: relay.GlobalID
    period: str
    fte: Decimal
    reason: str
