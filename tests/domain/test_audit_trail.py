"""The audit trail in the events: who acted, why each decision was taken, and exact replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.application import project_aggregate

from domain.gates import Gate, Outcome, Stage
from domain.governed import Governed
from domain.improvement import ActDecision, ImprovementItem, PdcaStage
from domain.initiative import Initiative
from domain.objective import Objective
from domain.team import Team
from domain.values import Actor, ReviewStatus, Strength
from tests.domain.builders import (
    Q1,
    Q2,
    TEAM,
    allocation_on,
    approved_by,
    benefits_reviewed,
    bob,
    carol,
    conditional_go_at,
    countermeasure,
    dave,
    decided,
    defined_objective,
    events_of,
    go_at,
    in_act,
    in_do,
    in_planning,
    measured,
    operational,
    owned,
    proposed_and_classified_strategic,
    raised_and_classified_strategic,
    redirected,
    replayed,
    resource,
    revenue_kpi,
    strategic,
    team_with_capacity,
)

DECISIONS: set[type[Governed.Event]] = {
    Initiative.Classified,
    Initiative.SponsorReleased,
    Initiative.AlignmentRemoved,
    Initiative.Resourced,
    Initiative.ResourcesReleased,
    Initiative.GateDecided,
    Initiative.ConditionsCleared,
    Initiative.Reviewed,
    Initiative.BenefitRecorded,
    Initiative.Redirected,
    Initiative.Closed,
    ImprovementItem.Classified,
    ImprovementItem.Resourced,
    ImprovementItem.ResourcesReleased,
    ImprovementItem.Reviewed,
    ImprovementItem.Abandoned,
    ImprovementItem.Escalated,
    Team.CapacitySet,
    Team.AllocationReleased,
    Objective.Retargeted,
    Objective.Retired,
}


def full_initiative_life() -> Initiative:
    """Every kind of initiative event, corrections included, from proposal to benefits."""
    initiative = proposed_and_classified_strategic()
    initiative.classify(strategic(), by=bob, reason="recheck", corrects=initiative.version)
    initiative.assign_sponsor("nina", by=bob)
    initiative.release_sponsor(by=bob, reason="nina moved")
    initiative.assign_sponsor("sam", by=bob, reason="the COO")
    initiative.decide_gate(conditional_go_at(Gate.G1, "name a lead"), by=carol, reason="fit")
    initiative.clear_conditions("Lena named", by=carol, reason="met")
    stale = uuid4()
    initiative.align(stale, Strength.WEAK, by=bob)
    initiative.remove_alignment(stale, by=bob, reason="wrong objective")
    initiative.align(uuid4(), Strength.STRONG, by=bob)
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")
    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="freeze lifted")
    resource(initiative)
    resource(initiative, Q2)
    initiative.release_resources(TEAM, Q2, by=bob, reason="not needed in Q2")
    initiative.decide_gate(go_at(Gate.G3), by=carol, reason="committed")
    last_gate = initiative.gates[-1].version
    initiative.decide_gate(go_at(Gate.G3), by=carol, reason="minutes fixed", corrects=last_gate)
    initiative.review(
        period="2027-04",
        status=ReviewStatus.RED,
        summary="late",
        countermeasure=countermeasure(),
        by=bob,
        reason="monthly",
    )
    initiative.review(
        period="2027-04",
        status=ReviewStatus.AMBER,
        summary="late but recovering",
        by=bob,
        reason="misread the plan",
        corrects=initiative.version,
    )
    initiative.decide_gate(decided(Gate.G4, Outcome.RECYCLE), by=carol, reason="not ready")
    initiative.decide_gate(go_at(Gate.G4), by=carol, reason="handed over")
    initiative.decide_gate(go_at(Gate.G5), by=carol, reason="realised")
    initiative.close("office open", by=carol, reason="done")
    initiative.record_benefit(
        benefit="revenue",
        planned=Decimal(10),
        realised=Decimal(12),
        unit="MEUR",
        by=bob,
        reason="FY",
    )
    return initiative


def killed_life() -> Initiative:
    initiative = in_planning()
    resource(initiative)
    initiative.decide_gate(decided(Gate.G3, Outcome.KILL), by=carol, reason="market collapsed")
    return initiative


def standardised_life() -> ImprovementItem:
    item = in_act(ActDecision.ADJUST)
    item.review(status=ReviewStatus.AMBER, metric_value=Decimal(30), by=bob, reason="huddle")
    item.align(uuid4(), Strength.MODERATE, by=bob)
    item.advance(PdcaStage.PLAN, by=carol)
    item.advance(PdcaStage.DO, by=carol)
    item.advance(PdcaStage.CHECK, by=carol, result=measured())
    item.advance(PdcaStage.ACT, by=carol, decision=ActDecision.STANDARDISE, reason="held")
    item.standardise("SOP-114", by=carol, reason="held four weeks")
    return item


def abandoned_life() -> ImprovementItem:
    item = in_do()
    item.abandon("wrong problem", by=bob, reason="no gain")
    return item


def escalated_life() -> ImprovementItem:
    item = raised_and_classified_strategic()
    owned(item, team=uuid4())
    item.escalate(uuid4(), by=bob, reason="a new plant")
    return item


def reclassified_item() -> ImprovementItem:
    item = raised_and_classified_strategic()
    item.classify(operational(), by=bob, reason="one line only", corrects=item.version)
    return item


def team_life() -> Team:
    team = team_with_capacity("2")
    work = uuid4()
    team.grant(allocation_on(team, "2", work=work), by=bob, reason="launch")
    team.grant(allocation_on(team, "1", approval=approved_by(dave)), by=bob, reason="peak")
    team.release(work, Q1, by=bob, reason="killed")
    team.set_capacity(Q2, Decimal(3), by=bob, reason="hiring")
    return team


def objective_life() -> Objective:
    objective = defined_objective()
    objective.retarget((revenue_kpi(35),), date(2031, 12, 31), by=bob, reason="ahead")
    objective.retire(by=bob, reason="strategy changed")
    return objective


LIVES: dict[str, Callable[[], Governed]] = {
    "initiative closed": full_initiative_life,
    "initiative killed": killed_life,
    "initiative redirected": redirected,
    "initiative after G5": benefits_reviewed,
    "item standardised": standardised_life,
    "item abandoned": abandoned_life,
    "item escalated": escalated_life,
    "item reclassified": reclassified_item,
    "team": team_life,
    "objective": objective_life,
}


@pytest.mark.parametrize("life", LIVES.values(), ids=LIVES.keys())
def test_every_event_records_who_acted(life: Callable[[], Governed]) -> None:
    events = events_of(life())

    assert events
    assert all(isinstance(e.actor, Actor) and e.actor.id for e in events)


@pytest.mark.parametrize("life", LIVES.values(), ids=LIVES.keys())
def test_every_decision_records_why(life: Callable[[], Governed]) -> None:
    decisions = [e for e in events_of(life()) if type(e) in DECISIONS]

    assert decisions
    assert all(e.reason and e.reason.strip() for e in decisions)


@pytest.mark.parametrize("life", LIVES.values(), ids=LIVES.keys())
def test_replaying_the_events_rebuilds_the_same_state(life: Callable[[], Governed]) -> None:
    aggregate = life()
    events = events_of(aggregate)

    rebuilt = replayed(events, type(aggregate))

    assert vars(rebuilt) == vars(aggregate)


def test_the_library_projection_rebuilds_the_same_state_too() -> None:
    initiative = full_initiative_life()
    events = events_of(initiative)

    rebuilt = project_aggregate(None, events)

    assert isinstance(rebuilt, Initiative)
    assert vars(rebuilt) == vars(initiative)


def test_replaying_a_prefix_reads_the_initiative_as_it_was_at_that_version() -> None:
    initiative = full_initiative_life()
    events = events_of(initiative)
    first_gate = next(i for i, e in enumerate(events) if isinstance(e, Initiative.GateDecided))

    then = replayed(events[: first_gate + 1], Initiative)

    assert then.version == events[first_gate].originator_version
    assert then.stage is Stage.SCOPING
    assert list(then.open_conditions) == ["name a lead"]
    assert initiative.stage is Stage.CLOSED


def test_the_kill_and_its_releases_replay_to_a_killed_initiative_holding_nothing() -> None:
    rebuilt = replayed(events_of(killed_life()), Initiative)

    assert rebuilt.stage is Stage.KILLED
    assert rebuilt.allocations == {}
