"""An initiative's stages: go advances, hold pauses, recycle stays, kill ends, G5 then closure."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from domain.errors import RuleViolation
from domain.gates import Gate, Outcome, Stage
from domain.initiative import Initiative
from domain.values import Strength
from tests.domain.builders import (
    Q1,
    Q2,
    benefits_reviewed,
    bob,
    carol,
    decided,
    events_of,
    go_at,
    in_executing,
    in_planning,
    in_scoping,
    in_sustaining,
    resource,
    sponsored,
)


def test_a_go_at_each_gate_moves_the_initiative_one_stage_on() -> None:
    initiative = sponsored()
    stages = [initiative.stage]

    initiative.decide_gate(go_at(Gate.G1), by=carol, reason="fits")
    stages.append(initiative.stage)
    initiative.align(uuid4(), Strength.STRONG, by=bob)
    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="case holds")
    stages.append(initiative.stage)
    resource(initiative)
    initiative.decide_gate(go_at(Gate.G3), by=carol, reason="committed")
    stages.append(initiative.stage)
    initiative.decide_gate(go_at(Gate.G4), by=carol, reason="handed over")
    stages.append(initiative.stage)

    assert stages == [
        Stage.PROPOSED,
        Stage.SCOPING,
        Stage.PLANNING,
        Stage.EXECUTING,
        Stage.SUSTAINING,
    ]


def test_a_go_at_g5_keeps_the_initiative_sustaining_until_it_closes() -> None:
    initiative = in_sustaining()

    initiative.decide_gate(go_at(Gate.G5), by=carol, reason="benefits realised")

    assert initiative.stage is Stage.SUSTAINING
    assert initiative.benefits_reviewed


def test_an_initiative_closes_after_its_benefits_review() -> None:
    initiative = benefits_reviewed()
    events_of(initiative)

    initiative.close("Nordic office profitable", by=carol, reason="benefits realised")

    assert initiative.stage is Stage.CLOSED
    assert initiative.outcome == "Nordic office profitable"
    closed = events_of(initiative)[0]
    assert isinstance(closed, Initiative.Closed)
    assert (closed.actor, closed.reason) == (carol, "benefits realised")


def test_closing_releases_every_allocation_still_held() -> None:
    initiative = benefits_reviewed()
    events_of(initiative)

    initiative.close("done", by=carol, reason="benefits realised")

    released = [e for e in events_of(initiative) if isinstance(e, Initiative.ResourcesReleased)]
    assert [e.allocation.period for e in released] == [Q1]
    assert initiative.allocations == {}


@pytest.mark.parametrize("given", [in_sustaining, in_executing])
def test_an_initiative_cannot_close_before_a_go_at_g5(given: Callable[[], Initiative]) -> None:
    initiative = given()

    with pytest.raises(RuleViolation) as refused:
        initiative.close("done", by=carol, reason="tired of it")

    assert refused.value.code == "BENEFITS_NOT_REVIEWED"


def test_a_recycle_sends_the_initiative_back_to_rework_its_stage() -> None:
    initiative = in_scoping()

    initiative.decide_gate(decided(Gate.G2, Outcome.RECYCLE), by=carol, reason="rework the case")

    assert initiative.stage is Stage.SCOPING
    assert initiative.gates[-1].outcome is Outcome.RECYCLE


def test_after_a_recycle_the_same_gate_is_pending() -> None:
    initiative = in_scoping()
    initiative.decide_gate(decided(Gate.G2, Outcome.RECYCLE), by=carol, reason="rework")
    initiative.align(uuid4(), Strength.STRONG, by=bob)

    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="reworked case holds")

    assert initiative.stage is Stage.PLANNING


def test_a_hold_puts_the_initiative_on_hold() -> None:
    initiative = in_scoping()

    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")

    assert initiative.stage is Stage.ON_HOLD
    assert initiative.held_from is Stage.SCOPING


def test_a_go_at_the_same_gate_resumes_a_held_initiative() -> None:
    initiative = in_scoping()
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")
    initiative.align(uuid4(), Strength.STRONG, by=bob)

    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="freeze lifted")

    assert initiative.stage is Stage.PLANNING
    assert initiative.held_from is None


def test_a_recycle_at_the_same_gate_returns_a_held_initiative_to_its_stage() -> None:
    initiative = in_scoping()
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")

    initiative.decide_gate(decided(Gate.G2, Outcome.RECYCLE), by=carol, reason="rework it")

    assert initiative.stage is Stage.SCOPING


def test_a_held_initiative_waits_for_the_gate_it_was_held_at() -> None:
    initiative = in_scoping()
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")

    with pytest.raises(RuleViolation) as refused:
        initiative.decide_gate(go_at(Gate.G3), by=carol, reason="skip ahead")

    assert refused.value.code == "WRONG_GATE"


def test_holding_twice_at_a_gate_still_lets_a_later_decision_resume_it() -> None:
    initiative = in_scoping()
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="still frozen")
    initiative.align(uuid4(), Strength.STRONG, by=bob)

    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="freeze lifted")

    assert initiative.stage is Stage.PLANNING


def test_a_kill_is_terminal() -> None:
    initiative = in_planning()

    initiative.decide_gate(decided(Gate.G3, Outcome.KILL), by=carol, reason="market collapsed")

    assert initiative.stage is Stage.KILLED
    assert initiative.stage.is_terminal


def test_a_kill_releases_every_allocation_with_the_reason_and_the_gatekeeper() -> None:
    initiative = in_planning()
    resource(initiative, Q1)
    resource(initiative, Q2)
    events_of(initiative)

    initiative.decide_gate(decided(Gate.G3, Outcome.KILL), by=carol, reason="market collapsed")

    gate_decided, *rest = events_of(initiative)
    released = [e for e in rest if isinstance(e, Initiative.ResourcesReleased)]
    assert isinstance(gate_decided, Initiative.GateDecided)
    assert len(released) == len(rest) == 2
    assert sorted(e.allocation.period for e in released) == [Q1, Q2]
    assert {(e.actor, e.reason) for e in released} == {(carol, "killed at G3: market collapsed")}
    assert initiative.allocations == {}


def test_a_held_initiative_can_be_killed_at_the_gate_it_waits_for() -> None:
    initiative = in_scoping()
    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")

    initiative.decide_gate(decided(Gate.G2, Outcome.KILL), by=carol, reason="never coming back")

    assert initiative.stage is Stage.KILLED
