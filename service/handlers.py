"""One handler per command: load what it needs, decide, and return the aggregate it changed.
`Polarity.handle` saves everything the session loaded or created, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from domain import commands as c
from domain.approval import ApprovalKind, ApprovalRequest, check_override_approved
from domain.classification import Classification, Criteria
from domain.errors import RuleViolation
from domain.gate_review import GateReview, GateVote
from domain.governed import Governed
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.objective import Level, Objective
from domain.team import Team
from domain.values import Actor, Allocation, Approval, Path, Period
from service.unit_of_work import Session

C = TypeVar("C", bound=c.Command)
Handler = Callable[[Session, C], Governed]
HANDLERS: dict[type[c.Command], Handler[Any]] = {}
H = TypeVar("H", bound=Callable[..., Governed])  # a handler; some also take an approval


def handles(command: type[C]) -> Callable[[H], H]:
    """Register the decorated function as the one handler of `command`."""

    def register(handler: H) -> H:
        assert command not in HANDLERS, f"{command.__name__} has two handlers"
        HANDLERS[command] = handler
        return handler

    return register


# The strategic path ------------------------------------------------------------------------


@handles(c.ProposeInitiative)
def propose_initiative(s: Session, cmd: c.ProposeInitiative) -> Initiative:
    return s.add(
        Initiative.propose(
            title=cmd.title,
            problem=cmd.problem,
            org_unit=cmd.org_unit,
            expected_benefits=cmd.expected_benefits,
            horizon_months=cmd.horizon_months,
            by=s.actor,
            reason=cmd.reason,
        )
    )


@handles(c.ClassifyInitiative)
def classify_initiative(
    s: Session, cmd: c.ClassifyInitiative, approval: Approval | None = None
) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    classification = classification_of(s, cmd)
    check_override_approved(classification, approval)
    initiative.classify(classification, s.actor, cmd.reason, cmd.corrects)
    if classification.decided is Path.OPERATIONAL:
        before = dict(initiative.allocations)
        item = s.add(
            ImprovementItem.raise_item(
                title=initiative.title,
                problem=initiative.problem,
                area=initiative.org_unit,
                metric="",
                by=s.actor,
                reason=cmd.reason,
                redirected_from=initiative.id,
            ),
            related=True,
        )
        item.classify(classification, s.actor, cmd.reason)
        initiative.redirect(item.id, s.actor, cmd.reason)
        release_on_teams(s, before, initiative.allocations, cmd.reason)
    return initiative


@handles(c.AssignSponsor)
def assign_sponsor(s: Session, cmd: c.AssignSponsor) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    initiative.assign_sponsor(cmd.sponsor, s.actor, cmd.reason)
    return initiative


@handles(c.ReleaseSponsor)
def release_sponsor(s: Session, cmd: c.ReleaseSponsor) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    initiative.release_sponsor(s.actor, cmd.reason)
    return initiative


@handles(c.AlignInitiative)
def align_initiative(s: Session, cmd: c.AlignInitiative) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    s.get(cmd.objective_id, Objective).check_active()
    initiative.align(cmd.objective_id, cmd.strength, s.actor, cmd.reason)
    return initiative


@handles(c.RemoveAlignment)
def remove_alignment(s: Session, cmd: c.RemoveAlignment) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    initiative.remove_alignment(cmd.objective_id, s.actor, cmd.reason)
    return initiative


@handles(c.ResourceInitiative)
def resource_initiative(
    s: Session, cmd: c.ResourceInitiative, approval: Approval | None = None
) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    allocation = initiative.resource(
        team_id=cmd.team_id,
        period=cmd.period,
        fte=cmd.fte,
        budget=cmd.budget,
        by=s.actor,
        reason=cmd.reason,
        approval=approval,
    )
    grant_on_team(s, allocation, cmd.reason)
    return initiative


@handles(c.ReleaseInitiativeResources)
def release_initiative_resources(s: Session, cmd: c.ReleaseInitiativeResources) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    before = dict(initiative.allocations)
    initiative.release_resources(cmd.team_id, cmd.period, s.actor, cmd.reason)
    release_on_teams(s, before, initiative.allocations, cmd.reason)
    return initiative


# Gate reviews ------------------------------------------------------------------------------


@handles(c.OpenGateReview)
def open_gate_review(s: Session, cmd: c.OpenGateReview) -> GateReview:
    initiative = s.get(cmd.initiative_id, Initiative)
    review = GateReview.open(
        initiative_id=initiative.id,
        gate=initiative.gate_to_review(cmd.corrects),
        gatekeepers=cmd.gatekeepers,
        chair=cmd.chair,
        interested=initiative.interested,
        by=s.actor,
        reason=cmd.reason,
        corrects=cmd.corrects,
    )
    initiative.gate_review_opened(review.id, review.gate, s.actor, cmd.reason)
    return s.add(review)


@handles(c.VoteAtGate)
def vote_at_gate(s: Session, cmd: c.VoteAtGate) -> GateReview:
    review = s.get(cmd.id, GateReview)
    vote = GateVote(
        s.actor.id,
        cmd.outcome,
        cmd.reason,
        cmd.must_meet,
        cmd.should_meet_score,
        cmd.conditions,
    )
    review.vote(vote, s.actor)
    return review


@handles(c.DecideGateReview)
def decide_gate_review(s: Session, cmd: c.DecideGateReview) -> Initiative:
    review = s.get(cmd.id, GateReview)
    initiative = s.get(review.initiative_id, Initiative)
    decision = review.decide(
        cmd.outcome,
        s.actor,
        cmd.reason,
        cmd.next_gate_date,
        cmd.conditions,
        cmd.override,
        initiative.interested,
    )
    before = dict(initiative.allocations)
    initiative.decide_gate(
        decision,
        s.actor,
        cmd.reason,
        review.corrects,
        tuple(review.votes),
        review.override,
        tuple(review.gatekeepers),
        review.id,
    )
    release_on_teams(s, before, initiative.allocations, cmd.reason)
    return initiative


@handles(c.WithdrawGateReview)
def withdraw_gate_review(s: Session, cmd: c.WithdrawGateReview) -> GateReview:
    review = s.get(cmd.id, GateReview)
    review.withdraw(s.actor, cmd.reason)
    s.get(review.initiative_id, Initiative).gate_review_withdrawn(review.id, s.actor, cmd.reason)
    return review


@handles(c.ClearConditions)
def clear_conditions(s: Session, cmd: c.ClearConditions) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    initiative.clear_conditions(cmd.evidence, s.actor, cmd.reason)
    return initiative


@handles(c.ReviewInitiative)
def review_initiative(s: Session, cmd: c.ReviewInitiative) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    initiative.review(
        period=cmd.period,
        status=cmd.status,
        summary=cmd.summary,
        by=s.actor,
        reason=cmd.reason,
        indicators=cmd.indicators,
        risks=cmd.risks,
        countermeasure=cmd.countermeasure,
        corrects=cmd.corrects,
    )
    return initiative


@handles(c.RecordBenefit)
def record_benefit(s: Session, cmd: c.RecordBenefit) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    initiative.record_benefit(
        benefit=cmd.benefit,
        planned=cmd.planned,
        realised=cmd.realised,
        unit=cmd.unit,
        by=s.actor,
        reason=cmd.reason,
        corrects=cmd.corrects,
    )
    return initiative


@handles(c.CloseInitiative)
def close_initiative(s: Session, cmd: c.CloseInitiative) -> Initiative:
    initiative = s.get(cmd.id, Initiative)
    before = dict(initiative.allocations)
    initiative.close(cmd.outcome, s.actor, cmd.reason)
    release_on_teams(s, before, initiative.allocations, cmd.reason)
    return initiative


# The operational path ----------------------------------------------------------------------


@handles(c.RaiseImprovementItem)
def raise_improvement_item(s: Session, cmd: c.RaiseImprovementItem) -> ImprovementItem:
    return s.add(
        ImprovementItem.raise_item(
            title=cmd.title,
            problem=cmd.problem,
            area=cmd.area,
            metric=cmd.metric,
            by=s.actor,
            reason=cmd.reason,
        )
    )


@handles(c.ClassifyImprovementItem)
def classify_improvement_item(
    s: Session, cmd: c.ClassifyImprovementItem, approval: Approval | None = None
) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    before = dict(item.allocations)
    classification = classification_of(s, cmd)
    check_override_approved(classification, approval)
    item.classify(classification, s.actor, cmd.reason, cmd.corrects)
    if classification.decided is Path.STRATEGIC:
        initiative = s.add(escalation_of(item, cmd.criteria, s.actor, cmd.reason), related=True)
        initiative.classify(classification, s.actor, cmd.reason)
        item.escalate(initiative.id, s.actor, cmd.reason)
        release_on_teams(s, before, item.allocations, cmd.reason)
    return item


@handles(c.ResourceImprovementItem)
def resource_improvement_item(
    s: Session, cmd: c.ResourceImprovementItem, approval: Approval | None = None
) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    assignment = item.resource(
        owner=cmd.owner,
        due=cmd.due,
        by=s.actor,
        reason=cmd.reason,
        hours=cmd.hours,
        team_id=cmd.team_id,
        period=cmd.period,
        fte=cmd.fte,
        approval=approval,
    )
    if assignment.allocation is not None:
        grant_on_team(s, assignment.allocation, cmd.reason)
    return item


@handles(c.ReleaseImprovementItemResources)
def release_improvement_item_resources(
    s: Session, cmd: c.ReleaseImprovementItemResources
) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    before = dict(item.allocations)
    item.release_resources(s.actor, cmd.reason)
    release_on_teams(s, before, item.allocations, cmd.reason)
    return item


@handles(c.AdvanceImprovementItem)
def advance_improvement_item(s: Session, cmd: c.AdvanceImprovementItem) -> ImprovementItem:
    """Finishing an item (ACT's decision) releases what its team had booked for it."""
    item = s.get(cmd.id, ImprovementItem)
    before = dict(item.allocations)
    item.advance(cmd.to, s.actor, cmd.evidence, cmd.result, cmd.decision, cmd.reason)
    release_on_teams(s, before, item.allocations, cmd.reason or f"advanced to {cmd.to.value}")
    return item


@handles(c.ReviewImprovementItem)
def review_improvement_item(s: Session, cmd: c.ReviewImprovementItem) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    item.review(
        status=cmd.status,
        by=s.actor,
        reason=cmd.reason,
        metric_value=cmd.metric_value,
        blockers=cmd.blockers,
        corrects=cmd.corrects,
    )
    return item


@handles(c.AlignImprovementItem)
def align_improvement_item(s: Session, cmd: c.AlignImprovementItem) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    s.get(cmd.objective_id, Objective).check_active()
    item.align(cmd.objective_id, cmd.strength, s.actor, cmd.reason)
    return item


@handles(c.StandardiseImprovementItem)
def standardise_improvement_item(s: Session, cmd: c.StandardiseImprovementItem) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    before = dict(item.allocations)
    item.standardise(cmd.standard_reference, s.actor, cmd.reason)
    release_on_teams(s, before, item.allocations, cmd.reason or "standardised")
    return item


@handles(c.AbandonImprovementItem)
def abandon_improvement_item(s: Session, cmd: c.AbandonImprovementItem) -> ImprovementItem:
    item = s.get(cmd.id, ImprovementItem)
    before = dict(item.allocations)
    item.abandon(cmd.lesson_learned, s.actor, cmd.reason)
    release_on_teams(s, before, item.allocations, cmd.reason)
    return item


# Objectives and teams ----------------------------------------------------------------------


@handles(c.DefineObjective)
def define_objective(s: Session, cmd: c.DefineObjective) -> Objective:
    if cmd.parent_id is not None:
        parent = s.get(cmd.parent_id, Objective)
        parent.check_active()
        if parent.level is not Level.BREAKTHROUGH or cmd.level is not Level.ANNUAL:
            raise RuleViolation(
                "An annual objective may serve a breakthrough objective; "
                "no other nesting is allowed.",
                code="INVALID_PARENT",
                field="parentId",
            )
    return s.add(
        Objective.define(
            title=cmd.title,
            level=cmd.level,
            owner=cmd.owner,
            kpis=cmd.kpis,
            due=cmd.due,
            by=s.actor,
            parent_id=cmd.parent_id,
            reason=cmd.reason,
        )
    )


@handles(c.RetargetObjective)
def retarget_objective(s: Session, cmd: c.RetargetObjective) -> Objective:
    objective = s.get(cmd.id, Objective)
    objective.retarget(cmd.kpis, cmd.due, s.actor, cmd.reason)
    return objective


@handles(c.RetireObjective)
def retire_objective(s: Session, cmd: c.RetireObjective) -> Objective:
    objective = s.get(cmd.id, Objective)
    objective.retire(s.actor, cmd.reason)
    return objective


@handles(c.RegisterTeam)
def register_team(s: Session, cmd: c.RegisterTeam) -> Team:
    return s.add(Team.register(name=cmd.name, org_unit=cmd.org_unit, by=s.actor))


@handles(c.SetTeamCapacity)
def set_team_capacity(s: Session, cmd: c.SetTeamCapacity) -> Team:
    team = s.get(cmd.id, Team)
    team.set_capacity(cmd.period, cmd.fte, s.actor, cmd.reason)
    return team


# Approvals: decisions that need a second person -----------------------------------------


@handles(c.RequestApproval)
def request_approval(s: Session, cmd: c.RequestApproval) -> ApprovalRequest:
    kind = needs_second_person(s, cmd.action)
    return s.add(
        ApprovalRequest.request(
            kind=kind,
            subject_id=cmd.action.id,
            action=cmd.action,
            hours=s.approval_hours,
            by=s.actor,
            reason=cmd.reason,
        )
    )


@handles(c.ApproveRequest)
def approve_request(s: Session, cmd: c.ApproveRequest) -> ApprovalRequest:
    """The approval and the action it lets take effect are saved together."""
    request = s.get(cmd.id, ApprovalRequest)
    approval = request.approve(s.actor, cmd.reason)
    TAKES_EFFECT_ON_APPROVAL[type(request.action)](s, request.action, approval)
    return request


@handles(c.RejectRequest)
def reject_request(s: Session, cmd: c.RejectRequest) -> ApprovalRequest:
    request = s.get(cmd.id, ApprovalRequest)
    request.reject(s.actor, cmd.reason)
    return request


TAKES_EFFECT_ON_APPROVAL: dict[type[Any], Callable[[Session, Any, Approval], Governed]] = {
    c.ResourceInitiative: resource_initiative,
    c.ResourceImprovementItem: resource_improvement_item,
    c.ClassifyInitiative: classify_initiative,
    c.ClassifyImprovementItem: classify_improvement_item,
}


def needs_second_person(s: Session, action: c.NEEDS_SECOND_PERSON) -> ApprovalKind:
    """The kind of approval `action` needs; refused when it needs none."""
    if isinstance(action, c.Classify):
        if classification_of(s, action).overridden:
            return ApprovalKind.CLASSIFICATION_OVERRIDE
    elif over_capacity(s, action.team_id, action.period, action.fte):
        return ApprovalKind.OVER_ALLOCATION
    raise RuleViolation(
        "That needs no second person: it overrides no recommendation and stays within the "
        "team's capacity, so it can be done directly.",
        code="APPROVAL_NOT_NEEDED",
        field="action",
    )


def over_capacity(
    s: Session, team_id: UUID | None, period: Period | None, fte: Decimal | None
) -> bool:
    if team_id is None or period is None or fte is None:
        return False
    return s.get(team_id, Team).would_exceed(period, fte)


# What several handlers share --------------------------------------------------------------


def classification_of(s: Session, cmd: c.Classify) -> Classification:
    """The path the policy in force recommends for the criteria, or the one decided over it."""
    return Classification.decide(s.policy, cmd.criteria, cmd.decided, cmd.override_reason)


# Keeping a team's allocations in step with the work items that hold them.


def grant_on_team(s: Session, allocation: Allocation, reason: str) -> None:
    s.get(allocation.team_id, Team).grant(allocation, s.actor, reason)


def release_on_teams(
    s: Session, before: Mapping[str, Allocation], after: Mapping[str, Allocation], reason: str
) -> None:
    """Release on each team what the work item no longer holds, in the same save."""
    for key, allocation in before.items():
        if key not in after:
            team = s.get(allocation.team_id, Team)
            team.release(allocation.work_item_id, allocation.period, s.actor, reason)


def escalation_of(item: ImprovementItem, criteria: Criteria, by: Actor, reason: str) -> Initiative:
    """The initiative that carries escalated work on, linked back to the item."""
    return Initiative.propose(
        title=item.title,
        problem=item.problem,
        org_unit=item.area,
        expected_benefits="",
        horizon_months=criteria.horizon_months,
        by=by,
        reason=reason,
        escalated_from=item.id,
    )
