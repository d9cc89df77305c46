"""Gate decisions: who may decide, what each gate needs, and which decisions are refused."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import DomainError, InvalidInput, RuleViolation
from domain.gates import Criterion, Gate, GateDecision, Outcome, Stage
from domain.initiative import Initiative
from domain.values import Strength
from tests.domain.builders import (
    SPONSOR,
    bob,
    carol,
    conditional_go_at,
    decided,
    events_of,
    go_at,
    in_planning,
    in_scoping,
    in_sustaining,
    proposed_and_classified_operational,
    proposed_and_classified_strategic,
    proposed_initiative,
    sponsored,
)


def refused_code(initiative: Initiative, decision: GateDecision, reason: str = "why") -> str:
    with pytest.raises(DomainError) as refused:
        initiative.decide_gate(decision, by=carol, reason=reason)
    return refused.value.code


# Rule 1: no gate decision before the initiative is classified strategic ------------------


def test_an_unclassified_initiative_cannot_pass_a_gate() -> None:
    initiative = proposed_initiative()
    initiative.assign_sponsor(SPONSOR, by=bob)

    assert refused_code(initiative, go_at(Gate.G1)) == "NOT_CLASSIFIED_STRATEGIC"


def test_an_initiative_classified_operational_cannot_pass_a_gate() -> None:
    initiative = proposed_and_classified_operational()
    initiative.assign_sponsor(SPONSOR, by=bob)

    assert refused_code(initiative, go_at(Gate.G1)) == "NOT_CLASSIFIED_STRATEGIC"


def test_not_even_a_kill_is_decided_before_classification() -> None:
    initiative = proposed_initiative()

    assert refused_code(initiative, decided(Gate.G1, Outcome.KILL)) == "NOT_CLASSIFIED_STRATEGIC"


# Rule 2: what a go needs at each gate ------------------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.GO, Outcome.CONDITIONAL_GO])
def test_going_through_g1_needs_an_executive_sponsor(outcome: Outcome) -> None:
    initiative = proposed_and_classified_strategic()
    decision = go_at(Gate.G1) if outcome is Outcome.GO else conditional_go_at(Gate.G1)

    assert refused_code(initiative, decision) == "SPONSOR_REQUIRED"


@pytest.mark.parametrize("outcome", [Outcome.HOLD, Outcome.RECYCLE, Outcome.KILL])
def test_stopping_at_g1_needs_no_sponsor(outcome: Outcome) -> None:
    initiative = proposed_and_classified_strategic()

    initiative.decide_gate(decided(Gate.G1, outcome), by=carol, reason="not yet")

    assert initiative.gates[-1].outcome is outcome


@pytest.mark.parametrize("outcome", [Outcome.GO, Outcome.CONDITIONAL_GO])
def test_going_through_g2_needs_an_aligned_objective(outcome: Outcome) -> None:
    initiative = in_scoping()
    decision = go_at(Gate.G2) if outcome is Outcome.GO else conditional_go_at(Gate.G2)

    assert refused_code(initiative, decision) == "ALIGNMENT_REQUIRED"


def test_removing_the_only_alignment_blocks_g2_again() -> None:
    initiative = in_scoping()
    objective = uuid4()
    initiative.align(objective, Strength.MODERATE, by=bob)
    initiative.remove_alignment(objective, by=bob, reason="objective retired")

    assert refused_code(initiative, go_at(Gate.G2)) == "ALIGNMENT_REQUIRED"


@pytest.mark.parametrize("outcome", [Outcome.GO, Outcome.CONDITIONAL_GO])
def test_going_through_g3_needs_dedicated_resources(outcome: Outcome) -> None:
    initiative = in_planning()
    decision = go_at(Gate.G3) if outcome is Outcome.GO else conditional_go_at(Gate.G3)

    assert refused_code(initiative, decision) == "RESOURCES_REQUIRED"


def test_releasing_the_sponsor_blocks_g1_again() -> None:
    initiative = sponsored()
    initiative.release_sponsor(by=bob, reason="sam left")

    assert refused_code(initiative, go_at(Gate.G1)) == "SPONSOR_REQUIRED"


def test_a_go_needs_every_must_meet_criterion_passed() -> None:
    initiative = sponsored()
    criteria = (Criterion("fits strategy", True, "board memo"), Criterion("legal", False))

    with pytest.raises(RuleViolation) as refused:
        initiative.decide_gate(go_at(Gate.G1, must_meet=criteria), by=carol, reason="go")

    assert refused.value.code == "MUST_MEET_FAILED"
    assert "legal" in refused.value.message


def test_a_go_with_every_must_meet_criterion_passed_records_them() -> None:
    initiative = sponsored()
    criteria = (Criterion("fits strategy", True, "board memo"),)

    initiative.decide_gate(go_at(Gate.G1, must_meet=criteria), by=carol, reason="fits")

    gate_decided = events_of(initiative)[-1]
    assert isinstance(gate_decided, Initiative.GateDecided)
    assert gate_decided.decision.must_meet == criteria
    assert gate_decided.decision.gatekeepers == ("carol", "dave")
    assert gate_decided.decision.should_meet_score == 70


# Rule 3: conditional go ----------------------------------------------------------------------


def test_a_conditional_go_is_not_allowed_at_g5() -> None:
    with pytest.raises(RuleViolation) as refused:
        conditional_go_at(Gate.G5, "finish the audit")

    assert refused.value.code == "CONDITIONAL_GO_NOT_ALLOWED"


def test_a_conditional_go_states_its_conditions() -> None:
    with pytest.raises(InvalidInput) as refused:
        decided(Gate.G1, Outcome.CONDITIONAL_GO)

    assert refused.value.code == "CONDITIONS_REQUIRED"


def test_only_a_conditional_go_carries_conditions() -> None:
    with pytest.raises(InvalidInput) as refused:
        decided(Gate.G1, Outcome.GO, conditions=("hire a lead",))

    assert refused.value.field == "conditions"


def test_a_conditional_go_advances_with_its_conditions_open() -> None:
    initiative = sponsored()

    initiative.decide_gate(conditional_go_at(Gate.G1, "name a PMO lead"), by=carol, reason="ok")

    assert initiative.stage is Stage.SCOPING
    assert list(initiative.open_conditions) == ["name a PMO lead"]


def test_open_conditions_block_the_next_gate_decision() -> None:
    initiative = sponsored()
    initiative.decide_gate(conditional_go_at(Gate.G1), by=carol, reason="ok")
    initiative.align(uuid4(), Strength.STRONG, by=bob)

    assert refused_code(initiative, go_at(Gate.G2)) == "CONDITIONS_OPEN"
    assert refused_code(initiative, decided(Gate.G2, Outcome.KILL)) == "CONDITIONS_OPEN"


def test_once_cleared_the_next_gate_can_be_decided() -> None:
    initiative = sponsored()
    initiative.decide_gate(conditional_go_at(Gate.G1, "name a lead"), by=carol, reason="ok")
    initiative.align(uuid4(), Strength.STRONG, by=bob)

    initiative.clear_conditions("Lena named lead on 3 March", by=carol, reason="condition met")
    initiative.decide_gate(go_at(Gate.G2), by=carol, reason="the case holds")

    assert initiative.stage is Stage.PLANNING
    cleared = [e for e in events_of(initiative) if isinstance(e, Initiative.ConditionsCleared)]
    assert cleared[0].conditions == ("name a lead",)
    assert cleared[0].evidence == "Lena named lead on 3 March"
    assert cleared[0].reason == "condition met"


def test_there_is_nothing_to_clear_without_a_conditional_go() -> None:
    initiative = in_scoping()

    with pytest.raises(RuleViolation) as refused:
        initiative.clear_conditions("evidence", by=carol, reason="met")

    assert refused.value.code == "NO_OPEN_CONDITIONS"


def test_clearing_conditions_needs_evidence() -> None:
    initiative = sponsored()
    initiative.decide_gate(conditional_go_at(Gate.G1), by=carol, reason="ok")

    with pytest.raises(InvalidInput) as refused:
        initiative.clear_conditions("  ", by=carol, reason="met")

    assert refused.value.field == "evidence"


# Rule 4: segregation of duties ----------------------------------------------------------------


@pytest.mark.parametrize(
    "gatekeepers",
    [("alice",), (SPONSOR,), ("alice", SPONSOR), (" alice ", SPONSOR)],
    ids=["proposer", "sponsor", "proposer-and-sponsor", "padded-names"],
)
def test_the_proposer_and_sponsor_cannot_be_the_sole_gatekeepers(
    gatekeepers: tuple[str, ...],
) -> None:
    initiative = sponsored()

    decision = go_at(Gate.G1, gatekeepers=gatekeepers)

    assert refused_code(initiative, decision) == "SEGREGATION_OF_DUTIES"


def test_segregation_applies_to_stopping_decisions_too() -> None:
    initiative = sponsored()

    decision = decided(Gate.G1, Outcome.KILL, gatekeepers=("alice",))

    assert refused_code(initiative, decision) == "SEGREGATION_OF_DUTIES"


def test_the_proposer_may_sit_on_a_gate_beside_an_independent_gatekeeper() -> None:
    initiative = sponsored()

    initiative.decide_gate(go_at(Gate.G1, gatekeepers=("alice", "carol")), by=carol, reason="ok")

    assert initiative.stage is Stage.SCOPING


def test_a_blank_gatekeeper_is_refused_so_it_cannot_make_the_proposer_look_independent() -> None:
    with pytest.raises(InvalidInput) as refused:
        go_at(Gate.G1, gatekeepers=("alice", " "))

    assert refused.value.field == "gatekeepers"


def test_a_gate_decision_names_its_gatekeepers() -> None:
    with pytest.raises(InvalidInput) as refused:
        go_at(Gate.G1, gatekeepers=(" ",))

    assert refused.value.field == "gatekeepers"


# Which gate, and why ----------------------------------------------------------------------


def test_only_the_pending_gate_can_be_decided() -> None:
    initiative = sponsored()

    assert refused_code(initiative, go_at(Gate.G2)) == "WRONG_GATE"


def test_a_gate_decision_needs_a_reason() -> None:
    initiative = sponsored()

    assert refused_code(initiative, go_at(Gate.G1), reason=" ") == "REASON_REQUIRED"


def test_a_gate_decision_records_who_decided_and_why() -> None:
    initiative = sponsored()
    events_of(initiative)

    initiative.decide_gate(go_at(Gate.G1), by=carol, reason="fits the 2030 strategy")

    (gate_decided,) = events_of(initiative)
    assert isinstance(gate_decided, Initiative.GateDecided)
    assert gate_decided.actor == carol
    assert gate_decided.reason == "fits the 2030 strategy"
    assert gate_decided.corrects is None


def test_no_gate_is_pending_after_the_benefits_review() -> None:
    initiative = in_sustaining()
    initiative.decide_gate(go_at(Gate.G5), by=carol, reason="benefits realised")

    assert refused_code(initiative, decided(Gate.G5, Outcome.RECYCLE)) == "NO_GATE_PENDING"
