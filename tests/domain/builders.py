"""Builders for domain tests: people, criteria, gate decisions and aggregates in known states."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

from domain.classification import DEFAULT_POLICY, Classification, Criteria, Scope
from domain.gates import Criterion, Gate, GateDecision, Outcome
from domain.governed import Governed
from domain.improvement import ActDecision, ImprovementItem, MeasuredResult, PdcaStage
from domain.initiative import Initiative
from domain.objective import Kpi, Level, Objective
from domain.team import Team
from domain.values import Actor, Allocation, Approval, Countermeasure, Path, Period, Strength

alice = Actor("alice", ("proposer",))
bob = Actor("bob", ("steward",))
carol = Actor("carol", ("gatekeeper",))
dave = Actor("dave", ("executive",))
SPONSOR = "sam"
GATEKEEPERS = ("carol", "dave")

Q1 = Period(2027, 1)
Q2 = Period(2027, 2)
TEAM = UUID("7e000000-0000-4000-8000-000000000001")

STRATEGIC_CRITERIA = Criteria(
    scope=Scope.ENTERPRISE,
    horizon_months=36,
    changes_system=True,
    new_market_or_model=True,
    capital_required=Decimal(2_000_000),
    reversible=False,
)
OPERATIONAL_CRITERIA = Criteria(
    scope=Scope.TEAM,
    horizon_months=2,
    changes_system=False,
    new_market_or_model=False,
    capital_required=Decimal(0),
    reversible=True,
)

A = TypeVar("A", bound=Governed)


# Values -----------------------------------------------------------------------------------


def criteria(**changes: Any) -> Criteria:
    """Operational criteria with some facts changed."""
    return replace(OPERATIONAL_CRITERIA, **changes)


def strategic() -> Classification:
    return Classification.decide(DEFAULT_POLICY, STRATEGIC_CRITERIA)


def operational() -> Classification:
    return Classification.decide(DEFAULT_POLICY, OPERATIONAL_CRITERIA)


def decided(
    gate: Gate,
    outcome: Outcome,
    *,
    gatekeepers: tuple[str, ...] = GATEKEEPERS,
    must_meet: tuple[Criterion, ...] = (),
    conditions: tuple[str, ...] = (),
) -> GateDecision:
    return GateDecision(
        gate=gate,
        outcome=outcome,
        gatekeepers=gatekeepers,
        must_meet=must_meet,
        should_meet_score=70,
        conditions=conditions,
        next_gate_date=date(2027, 6, 30),
    )


def go_at(gate: Gate, **kwargs: Any) -> GateDecision:
    return decided(gate, Outcome.GO, **kwargs)


def conditional_go_at(gate: Gate, *conditions: str) -> GateDecision:
    return decided(gate, Outcome.CONDITIONAL_GO, conditions=conditions or ("hire a lead",))


def countermeasure() -> Countermeasure:
    return Countermeasure("supplier late", "second supplier", "sam", date(2027, 3, 31))


REQUEST_ID = UUID("00000000-0000-4000-8000-00000000a11c")


def approved_by(approver: Actor, requester: Actor | None = None) -> Approval:
    """What an approved request (domain.approval) lets the team book; requested by bob."""
    requested_by = (requester or bob).id
    return Approval(approver.id, "peak season needs it", requested_by, REQUEST_ID)


def measured() -> MeasuredResult:
    return MeasuredResult(expected=Decimal(20), actual=Decimal(18), unit="minutes")


def events_of(aggregate: Governed) -> list[Governed.Event]:
    """Collect the aggregate's pending events, typed as Polarity events."""
    events = aggregate.collect_events()
    assert all(isinstance(e, Governed.Event) for e in events)
    return [e for e in events if isinstance(e, Governed.Event)]


def replayed(events: Sequence[Governed.Event], kind: type[A]) -> A:
    """Rebuild an aggregate by mutating nothing with each event in turn."""
    aggregate: Any = None
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    assert isinstance(aggregate, kind)
    return aggregate


# Initiatives ------------------------------------------------------------------------------


def proposed_initiative(by: Actor = alice) -> Initiative:
    return Initiative.propose(
        title="Enter the Nordic market",
        problem="Growth has stalled in the home region",
        org_unit="Sales",
        expected_benefits="10% revenue growth",
        horizon_months=36,
        by=by,
    )


def proposed_and_classified_strategic() -> Initiative:
    initiative = proposed_initiative()
    initiative.classify(strategic(), by=bob, reason="new region, new model")
    return initiative


def proposed_and_classified_operational() -> Initiative:
    initiative = proposed_initiative()
    initiative.classify(operational(), by=bob, reason="one team, two months")
    return initiative


def sponsored() -> Initiative:
    initiative = proposed_and_classified_strategic()
    initiative.assign_sponsor(SPONSOR, by=bob)
    return initiative


def resource(initiative: Initiative, period: Period = Q1, team: UUID | None = None) -> None:
    initiative.resource(
        team_id=team or TEAM,
        period=period,
        fte=Decimal(2),
        budget=Decimal(50_000),
        by=bob,
        reason="dedicated team for the next stage",
    )


def in_scoping() -> Initiative:
    initiative = sponsored()
    initiative.decide_gate(go_at(Gate.G1), by=carol, reason="fits the strategy")
    return initiative


def in_planning() -> Initiative:
    initiative = in_scoping()
    initiative.align(uuid4(), Strength.STRONG, by=bob)
    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="the business case holds")
    return initiative


def in_executing() -> Initiative:
    initiative = in_planning()
    resource(initiative)
    initiative.decide_gate(go_at(Gate.G3), by=carol, reason="committed")
    return initiative


def in_sustaining() -> Initiative:
    initiative = in_executing()
    initiative.decide_gate(go_at(Gate.G4), by=carol, reason="handed over to operations")
    return initiative


def benefits_reviewed() -> Initiative:
    initiative = in_sustaining()
    initiative.decide_gate(go_at(Gate.G5), by=carol, reason="benefits are realised")
    return initiative


def closed() -> Initiative:
    initiative = benefits_reviewed()
    initiative.close("Nordic sales office open", by=carol, reason="done")
    return initiative


def killed() -> Initiative:
    initiative = in_planning()
    resource(initiative)
    initiative.decide_gate(decided(Gate.G3, Outcome.KILL), by=carol, reason="market collapsed")
    return initiative


def redirected() -> Initiative:
    initiative = proposed_and_classified_operational()
    initiative.redirect(uuid4(), by=bob, reason="it is kaizen after all")
    return initiative


# Improvement items ------------------------------------------------------------------------


def raised_item() -> ImprovementItem:
    return ImprovementItem.raise_item(
        title="Cut changeover time on line 3",
        problem="Changeovers take 40 minutes",
        area="Line 3",
        metric="changeover minutes",
        by=alice,
    )


def raised_and_classified_operational() -> ImprovementItem:
    item = raised_item()
    item.classify(operational(), by=bob, reason="one team, two months")
    return item


def raised_and_classified_strategic() -> ImprovementItem:
    item = raised_item()
    item.classify(strategic(), by=bob, reason="a new plant is a new system")
    return item


def in_plan() -> ImprovementItem:
    item = raised_and_classified_operational()
    item.advance(PdcaStage.PLAN, by=alice, evidence="five whys done")
    return item


def owned(
    item: ImprovementItem, team: UUID | None = None, approval: Approval | None = None
) -> None:
    item.resource(
        owner="olga",
        due=date(2027, 2, 28),
        by=bob,
        reason="olga knows the line",
        hours=Decimal(40),
        team_id=team,
        period=Q1 if team else None,
        fte=Decimal("0.5") if team else None,
        approval=approval,
    )


def in_do() -> ImprovementItem:
    item = in_plan()
    owned(item)
    item.advance(PdcaStage.DO, by=alice, evidence="trial on night shift")
    return item


def in_check() -> ImprovementItem:
    item = in_do()
    item.advance(PdcaStage.CHECK, by=alice, evidence="two weeks of data", result=measured())
    return item


def in_act(decision: ActDecision) -> ImprovementItem:
    item = in_check()
    item.advance(
        PdcaStage.ACT, by=alice, evidence="huddle agreed", decision=decision, reason="huddle"
    )
    return item


# Objectives and teams ---------------------------------------------------------------------


def revenue_kpi(target: int = 30) -> Kpi:
    return Kpi("service revenue share", Decimal(target), "%", baseline=Decimal(12))


def defined_objective() -> Objective:
    return Objective.define(
        title="Grow service revenue to 30%",
        level=Level.BREAKTHROUGH,
        owner="ceo",
        kpis=(revenue_kpi(),),
        due=date(2030, 12, 31),
        by=bob,
    )


def allocation_on(
    team: Team,
    fte: str,
    *,
    period: Period = Q1,
    approval: Approval | None = None,
    work: UUID | None = None,
) -> Allocation:
    return Allocation(team.id, work or uuid4(), Path.STRATEGIC, period, Decimal(fte), approval)


def team_with_capacity(fte: str = "4", period: Period = Q1) -> Team:
    team = Team.register(name="Line 3", org_unit="Plant North", by=bob)
    team.set_capacity(period, Decimal(fte), by=bob, reason="quarter plan")
    return team
