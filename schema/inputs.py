"""Mutation inputs: each one turns itself into its command (domain.commands), translating
global ids and periods into the plain values commands hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry

from domain import classification, gates, improvement, objective, values
from domain import commands as c
from domain.errors import InvalidInput
from schema.enums import (
    ActDecision,
    GateOutcome,
    ObjectiveLevel,
    Path,
    PdcaStage,
    ReviewStatus,
    Scope,
    Strength,
)
from schema.ids import AnyId, read_id
from service.ids import a


def uuid_of(text: str, type_name: str, field: str = "id") -> UUID:
    """The UUID an id names, checked to be of the expected type. A bare UUID's kind is filled in
    before (schema.ids.name_kinds); one that names nothing is the command's to refuse."""
    found = read_id(text, field)
    if found.kind not in (None, type_name):
        raise InvalidInput(
            f"{field} is the id of {a(found.kind)}, not of {a(type_name)}.",
            code="INVALID_ID",
            field=field,
        )
    return found.uuid


def maybe_uuid_of(text: str | None, type_name: str, field: str) -> UUID | None:
    return None if text is None else uuid_of(text, type_name, field)


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
    scope: Scope
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
    id: AnyId
    criteria: CriteriaInput
    reason: str
    decided_path: Path | None = None
    override_reason: str | None = None
    corrects: int | None = None

    def to_classify_initiative(self) -> c.ClassifyInitiative:
        return c.ClassifyInitiative(uuid_of(self.id, "Initiative"), **self._terms())

    def to_classify_improvement_item(self) -> c.ClassifyImprovementItem:
        return c.ClassifyImprovementItem(uuid_of(self.id, "ImprovementItem"), **self._terms())

    def _terms(self) -> dict[str, Any]:
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

    def to_command(self) -> c.ProposeInitiative:
        return c.ProposeInitiative(
            title=self.title,
            problem=self.problem,
            org_unit=self.org_unit,
            expected_benefits=self.expected_benefits,
            horizon_months=self.horizon_months,
            reason=self.reason,
        )


@strawberry.input
class InitiativeAssignSponsorInput(CommandInput):
    id: AnyId
    sponsor: str
    reason: str | None = None

    def to_command(self) -> c.AssignSponsor:
        return c.AssignSponsor(uuid_of(self.id, "Initiative"), self.sponsor, self.reason)


@strawberry.input
class ReasonInput(CommandInput):
    id: AnyId
    reason: str

    def to_release_sponsor(self) -> c.ReleaseSponsor:
        return c.ReleaseSponsor(uuid_of(self.id, "Initiative"), self.reason)

    def to_release_improvement_item_resources(self) -> c.ReleaseImprovementItemResources:
        return c.ReleaseImprovementItemResources(uuid_of(self.id, "ImprovementItem"), self.reason)

    def to_retire_objective(self) -> c.RetireObjective:
        return c.RetireObjective(uuid_of(self.id, "Objective"), self.reason)


@strawberry.input
class AlignInput(CommandInput):
    id: AnyId
    objective_id: AnyId
    strength: Strength = values.Strength.MODERATE
    reason: str | None = None

    def to_align_initiative(self) -> c.AlignInitiative:
        objective_id = uuid_of(self.objective_id, "Objective", "objectiveId")
        return c.AlignInitiative(
            uuid_of(self.id, "Initiative"), objective_id, self.strength, self.reason
        )

    def to_align_improvement_item(self) -> c.AlignImprovementItem:
        objective_id = uuid_of(self.objective_id, "Objective", "objectiveId")
        return c.AlignImprovementItem(
            uuid_of(self.id, "ImprovementItem"), objective_id, self.strength, self.reason
        )


@strawberry.input
class RemoveAlignmentInput(CommandInput):
    id: AnyId
    objective_id: AnyId
    reason: str

    def to_command(self) -> c.RemoveAlignment:
        objective_id = uuid_of(self.objective_id, "Objective", "objectiveId")
        return c.RemoveAlignment(uuid_of(self.id, "Initiative"), objective_id, self.reason)


@strawberry.input
class InitiativeResourceInput(CommandInput):
    id: AnyId
    team_id: AnyId
    period: str
    fte: Decimal
    reason: str
    budget: Decimal = Decimal(0)

    def to_command(self) -> c.ResourceInitiative:
        return c.ResourceInitiative(
            uuid_of(self.id, "Initiative"),
            team_id=uuid_of(self.team_id, "Team", "teamId"),
            period=period_of(self.period),
            fte=self.fte,
            budget=self.budget,
            reason=self.reason,
        )


@strawberry.input
class InitiativeReleaseResourcesInput(CommandInput):
    id: AnyId
    team_id: AnyId
    period: str
    reason: str

    def to_command(self) -> c.ReleaseInitiativeResources:
        return c.ReleaseInitiativeResources(
            uuid_of(self.id, "Initiative"),
            team_id=uuid_of(self.team_id, "Team", "teamId"),
            period=period_of(self.period),
            reason=self.reason,
        )


@strawberry.input
class CriterionInput:
    name: str
    passed: bool
    evidence: str = ""


# Gate reviews ------------------------------------------------------------------------------


@strawberry.input
class InitiativeOpenGateReviewInput(CommandInput):
    id: AnyId = strawberry.field(description="The initiative whose pending gate is reviewed.")
    gatekeepers: list[str]
    chair: str
    reason: str | None = None
    corrects: int | None = None

    def to_command(self) -> c.OpenGateReview:
        return c.OpenGateReview(
            uuid_of(self.id, "Initiative"),
            tuple(self.gatekeepers),
            self.chair,
            self.reason,
            self.corrects,
        )


@strawberry.input
class InitiativeVoteGateInput(CommandInput):
    review_id: AnyId = strawberry.field(description="The gate review voted in.")
    outcome: GateOutcome
    reason: str
    must_meet: list[CriterionInput] = strawberry.field(default_factory=list)
    should_meet_score: int | None = None
    conditions: list[str] = strawberry.field(default_factory=list)

    def to_command(self) -> c.VoteAtGate:
        return c.VoteAtGate(
            uuid_of(self.review_id, "GateReview", "reviewId"),
            self.outcome,
            self.reason,
            tuple(gates.Criterion(m.name, m.passed, m.evidence) for m in self.must_meet),
            self.should_meet_score,
            tuple(self.conditions),
        )


@strawberry.input
class InitiativeDecideGateReviewInput(CommandInput):
    review_id: AnyId = strawberry.field(description="The gate review decided.")
    outcome: GateOutcome
    reason: str
    next_gate_date: date | None = None
    conditions: list[str] = strawberry.field(default_factory=list)
    override: str | None = strawberry.field(
        default=None, description="Why the chair decides against the votes; shown in reports."
    )

    def to_command(self) -> c.DecideGateReview:
        return c.DecideGateReview(
            uuid_of(self.review_id, "GateReview", "reviewId"),
            self.outcome,
            self.reason,
            self.next_gate_date,
            tuple(self.conditions),
            self.override,
        )


@strawberry.input
class InitiativeWithdrawGateReviewInput(CommandInput):
    review_id: AnyId = strawberry.field(description="The gate review withdrawn.")
    reason: str

    def to_command(self) -> c.WithdrawGateReview:
        return c.WithdrawGateReview(uuid_of(self.review_id, "GateReview", "reviewId"), self.reason)


@strawberry.input
class InitiativeClearConditionsInput(CommandInput):
    id: AnyId
    evidence: str
    reason: str

    def to_command(self) -> c.ClearConditions:
        return c.ClearConditions(uuid_of(self.id, "Initiative"), self.evidence, self.reason)


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
    id: AnyId
    period: str
    status: ReviewStatus
    summary: str
    reason: str
    indicators: list[IndicatorInput] = strawberry.field(default_factory=list)
    risks: list[str] = strawberry.field(default_factory=list)
    countermeasure: CountermeasureInput | None = None
    corrects: int | None = None

    def to_command(self) -> c.ReviewInitiative:
        measure = self.countermeasure
        return c.ReviewInitiative(
            uuid_of(self.id, "Initiative"),
            period=self.period,
            status=self.status,
            summary=self.summary,
            reason=self.reason,
            indicators=tuple(
                values.Indicator(i.name, i.value, i.target, i.unit) for i in self.indicators
            ),
            risks=tuple(self.risks),
            countermeasure=None
            if measure is None
            else values.Countermeasure(
                measure.root_cause, measure.action, measure.owner, measure.due
            ),
            corrects=self.corrects,
        )


@strawberry.input
class InitiativeRecordBenefitInput(CommandInput):
    id: AnyId
    benefit: str
    planned: Decimal
    realised: Decimal
    reason: str
    unit: str = ""
    corrects: int | None = None

    def to_command(self) -> c.RecordBenefit:
        return c.RecordBenefit(
            uuid_of(self.id, "Initiative"),
            benefit=self.benefit,
            planned=self.planned,
            realised=self.realised,
            reason=self.reason,
            unit=self.unit,
            corrects=self.corrects,
        )


@strawberry.input
class InitiativeCloseInput(CommandInput):
    id: AnyId
    outcome: str
    reason: str

    def to_command(self) -> c.CloseInitiative:
        return c.CloseInitiative(uuid_of(self.id, "Initiative"), self.outcome, self.reason)


@strawberry.input
class ImprovementItemRaiseInput(CommandInput):
    title: str
    problem: str
    area: str
    metric: str = ""
    reason: str | None = None

    def to_command(self) -> c.RaiseImprovementItem:
        return c.RaiseImprovementItem(self.title, self.problem, self.area, self.metric, self.reason)


@strawberry.input
class ImprovementItemResourceInput(CommandInput):
    id: AnyId
    owner: str
    due: date
    reason: str
    hours: Decimal | None = None
    team_id: AnyId | None = None
    period: str | None = None
    fte: Decimal | None = None

    def to_command(self) -> c.ResourceImprovementItem:
        return c.ResourceImprovementItem(
            uuid_of(self.id, "ImprovementItem"),
            owner=self.owner,
            due=self.due,
            reason=self.reason,
            hours=self.hours,
            team_id=maybe_uuid_of(self.team_id, "Team", "teamId"),
            period=period_of(self.period) if self.period else None,
            fte=self.fte,
        )


@strawberry.input
class MeasuredResultInput:
    expected: Decimal
    actual: Decimal
    unit: str = ""


@strawberry.input
class ImprovementItemAdvanceInput(CommandInput):
    id: AnyId
    to: PdcaStage
    evidence: str = ""
    result: MeasuredResultInput | None = None
    decision: ActDecision | None = None
    reason: str | None = None

    def to_command(self) -> c.AdvanceImprovementItem:
        measured = self.result
        return c.AdvanceImprovementItem(
            uuid_of(self.id, "ImprovementItem"),
            to=self.to,
            evidence=self.evidence,
            result=None
            if measured is None
            else improvement.MeasuredResult(measured.expected, measured.actual, measured.unit),
            decision=self.decision,
            reason=self.reason,
        )


@strawberry.input
class ImprovementItemReviewInput(CommandInput):
    id: AnyId
    status: ReviewStatus
    reason: str
    metric_value: Decimal | None = None
    blockers: list[str] = strawberry.field(default_factory=list)
    corrects: int | None = None

    def to_command(self) -> c.ReviewImprovementItem:
        return c.ReviewImprovementItem(
            uuid_of(self.id, "ImprovementItem"),
            status=self.status,
            reason=self.reason,
            metric_value=self.metric_value,
            blockers=tuple(self.blockers),
            corrects=self.corrects,
        )


@strawberry.input
class ImprovementItemStandardiseInput(CommandInput):
    id: AnyId
    standard_reference: str
    reason: str | None = None

    def to_command(self) -> c.StandardiseImprovementItem:
        item = uuid_of(self.id, "ImprovementItem")
        return c.StandardiseImprovementItem(item, self.standard_reference, self.reason)


@strawberry.input
class ImprovementItemAbandonInput(CommandInput):
    id: AnyId
    lesson_learned: str
    reason: str

    def to_command(self) -> c.AbandonImprovementItem:
        item = uuid_of(self.id, "ImprovementItem")
        return c.AbandonImprovementItem(item, self.lesson_learned, self.reason)


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
    level: ObjectiveLevel
    owner: str
    kpis: list[KpiInput]
    due: date
    parent_id: AnyId | None = None
    reason: str | None = None

    def to_command(self) -> c.DefineObjective:
        return c.DefineObjective(
            title=self.title,
            level=self.level,
            owner=self.owner,
            kpis=kpis_of(self.kpis),
            due=self.due,
            parent_id=maybe_uuid_of(self.parent_id, "Objective", "parentId"),
            reason=self.reason,
        )


@strawberry.input
class ObjectiveRetargetInput(CommandInput):
    id: AnyId
    kpis: list[KpiInput]
    due: date
    reason: str

    def to_command(self) -> c.RetargetObjective:
        objective_id = uuid_of(self.id, "Objective")
        return c.RetargetObjective(objective_id, kpis_of(self.kpis), self.due, self.reason)


@strawberry.input
class TeamRegisterInput(CommandInput):
    name: str
    org_unit: str

    def to_command(self) -> c.RegisterTeam:
        return c.RegisterTeam(self.name, self.org_unit)


@strawberry.input
class TeamSetCapacityInput(CommandInput):
    id: AnyId
    period: str
    fte: Decimal
    reason: str

    def to_command(self) -> c.SetTeamCapacity:
        period = period_of(self.period)
        return c.SetTeamCapacity(uuid_of(self.id, "Team"), period, self.fte, self.reason)


# Approvals -------------------------------------------------------------------------------


@strawberry.input(description="Exactly one action that needs a second person's approval.")
class ApprovalActionInput:
    initiative_resource: InitiativeResourceInput | None = None
    improvement_item_resource: ImprovementItemResourceInput | None = None
    initiative_classify: ClassifyInput | None = None
    improvement_item_classify: ClassifyInput | None = None

    def to_command(self) -> c.NEEDS_SECOND_PERSON:
        actions: list[c.NEEDS_SECOND_PERSON] = []
        if self.initiative_resource:
            actions.append(self.initiative_resource.to_command())
        if self.improvement_item_resource:
            actions.append(self.improvement_item_resource.to_command())
        if self.initiative_classify:
            actions.append(self.initiative_classify.to_classify_initiative())
        if self.improvement_item_classify:
            actions.append(self.improvement_item_classify.to_classify_improvement_item())
        if len(actions) != 1:
            raise InvalidInput("Name exactly one action to request.", field="action")
        return actions[0]


@strawberry.input
class ApprovalRequestInput(CommandInput):
    action: ApprovalActionInput
    reason: str

    def to_command(self) -> c.RequestApproval:
        return c.RequestApproval(self.action.to_command(), self.reason)


@strawberry.input
class ApprovalDecideInput(CommandInput):
    id: AnyId
    reason: str

    def to_approve(self) -> c.ApproveRequest:
        return c.ApproveRequest(uuid_of(self.id, "ApprovalRequest"), self.reason)

    def to_reject(self) -> c.RejectRequest:
        return c.RejectRequest(uuid_of(self.id, "ApprovalRequest"), self.reason)
