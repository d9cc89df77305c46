"""Decisions are never edited: a correction is a new event that names the decision it corrects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import RuleViolation
from domain.gates import Gate, GateDecision, Outcome, Stage
from domain.initiative import Initiative
from domain.values import Path, ReviewStatus
from tests.domain.builders import (
    bob,
    carol,
    conditional_go_at,
    decided,
    events_of,
    go_at,
    in_planning,
    in_scoping,
    in_sustaining,
    operational,
    proposed_initiative,
    raised_item,
    resource,
    sponsored,
    strategic,
)


def correct_latest_gate(initiative: Initiative, decision: GateDecision) -> None:
    initiative.decide_gate(
        decision, by=carol, reason="minutes were wrong", corrects=initiative.gates[-1].version
    )


def refused_correction(initiative: Initiative, decision: GateDecision, corrects: int) -> str:
    with pytest.raises(RuleViolation) as refused:
        initiative.decide_gate(decision, by=carol, reason="fix", corrects=corrects)
    return refused.value.code


# Gate decisions -------------------------------------------------------------------------------


def test_correcting_the_latest_gate_decision_reverts_its_stage_first() -> None:
    initiative = in_scoping()

    correct_latest_gate(initiative, decided(Gate.G1, Outcome.RECYCLE))

    assert initiative.stage is Stage.PROPOSED
    assert [(g.gate, g.outcome) for g in initiative.gates] == [(Gate.G1, Outcome.RECYCLE)]


def test_a_correction_is_a_new_event_naming_the_one_it_corrects() -> None:
    initiative = sponsored()
    initiative.decide_gate(go_at(Gate.G1), by=carol, reason="fits")
    corrected = initiative.version

    correct_latest_gate(initiative, decided(Gate.G1, Outcome.HOLD))

    decisions = [e for e in events_of(initiative) if isinstance(e, Initiative.GateDecided)]
    assert [d.decision.outcome for d in decisions] == [Outcome.GO, Outcome.HOLD]
    assert [d.corrects for d in decisions] == [None, corrected]
    assert decisions[1].reason == "minutes were wrong"
    assert initiative.stage is Stage.ON_HOLD


def test_a_correction_into_a_go_resumes_a_held_initiative() -> None:
    initiative = sponsored()
    initiative.decide_gate(decided(Gate.G1, Outcome.HOLD), by=carol, reason="wait")

    correct_latest_gate(initiative, go_at(Gate.G1))

    assert initiative.stage is Stage.SCOPING
    assert initiative.held_from is None


def test_correcting_a_conditional_go_into_a_go_leaves_no_conditions_open() -> None:
    initiative = sponsored()
    initiative.decide_gate(conditional_go_at(Gate.G1), by=carol, reason="ok")

    correct_latest_gate(initiative, go_at(Gate.G1))

    assert list(initiative.open_conditions) == []
    assert initiative.stage is Stage.SCOPING


def test_correcting_a_go_into_a_kill_releases_every_allocation() -> None:
    initiative = in_planning()
    resource(initiative)
    initiative.decide_gate(go_at(Gate.G3), by=carol, reason="committed")

    correct_latest_gate(initiative, decided(Gate.G3, Outcome.KILL))

    assert initiative.stage is Stage.KILLED
    assert initiative.allocations == {}


def test_correcting_the_benefits_review_reopens_g5() -> None:
    initiative = in_sustaining()
    initiative.decide_gate(go_at(Gate.G5), by=carol, reason="realised")

    correct_latest_gate(initiative, decided(Gate.G5, Outcome.RECYCLE))

    assert not initiative.benefits_reviewed
    with pytest.raises(RuleViolation) as refused:
        initiative.close("done", by=carol, reason="over")
    assert refused.value.code == "BENEFITS_NOT_REVIEWED"


def test_only_the_latest_gate_decision_can_be_corrected() -> None:
    initiative = in_planning()
    first = initiative.gates[0].version

    code = refused_correction(initiative, decided(Gate.G1, Outcome.RECYCLE), first)

    assert code == "CORRECTION_TARGET_INVALID"


@pytest.mark.parametrize("corrects", [1, 2, 99], ids=["proposal", "classification", "unknown"])
def test_a_gate_correction_must_name_a_gate_decision(corrects: int) -> None:
    initiative = in_scoping()

    code = refused_correction(initiative, decided(Gate.G1, Outcome.RECYCLE), corrects)

    assert code == "CORRECTION_TARGET_INVALID"


def test_a_correcting_decision_is_for_the_gate_it_corrects() -> None:
    initiative = in_scoping()

    code = refused_correction(initiative, go_at(Gate.G2), initiative.gates[-1].version)

    assert code == "WRONG_GATE"


def test_a_correcting_decision_still_obeys_segregation_of_duties() -> None:
    initiative = in_scoping()
    decision = go_at(Gate.G1, gatekeepers=("alice",))

    code = refused_correction(initiative, decision, initiative.gates[-1].version)

    assert code == "SEGREGATION_OF_DUTIES"


# Classifications, reviews and benefits ---------------------------------------------------------


def test_a_classification_is_corrected_by_naming_it() -> None:
    initiative = proposed_initiative()
    initiative.classify(strategic(), by=bob, reason="looked big")
    first = initiative.version

    initiative.classify(operational(), by=bob, reason="it is one team", corrects=first)

    classified = [e for e in events_of(initiative) if isinstance(e, Initiative.Classified)]
    assert [c.corrects for c in classified] == [None, first]
    assert initiative.classification is not None
    assert initiative.classification.decided is Path.OPERATIONAL


def test_a_classification_correction_must_name_a_classification() -> None:
    initiative = proposed_initiative()
    initiative.classify(strategic(), by=bob, reason="looked big")

    with pytest.raises(RuleViolation) as refused:
        initiative.classify(operational(), by=bob, reason="fix", corrects=1)

    assert refused.value.code == "CORRECTION_TARGET_INVALID"


def review(initiative: Initiative, status: ReviewStatus, corrects: int | None = None) -> None:
    initiative.review(
        period="2027-03",
        status=status,
        summary="hiring on plan",
        by=bob,
        reason="monthly review",
        corrects=corrects,
    )


def test_a_review_is_corrected_by_naming_it() -> None:
    initiative = in_scoping()
    review(initiative, ReviewStatus.GREEN)
    first = initiative.version

    review(initiative, ReviewStatus.AMBER, corrects=first)

    reviews = [e for e in events_of(initiative) if isinstance(e, Initiative.Reviewed)]
    assert [(r.status, r.corrects) for r in reviews] == [
        (ReviewStatus.GREEN, None),
        (ReviewStatus.AMBER, first),
    ]
    assert initiative.last_review is ReviewStatus.AMBER


def test_a_review_correction_must_name_a_review() -> None:
    initiative = in_scoping()

    with pytest.raises(RuleViolation) as refused:
        review(initiative, ReviewStatus.AMBER, corrects=initiative.gates[-1].version)

    assert refused.value.code == "CORRECTION_TARGET_INVALID"


def test_a_benefit_correction_must_name_a_benefit() -> None:
    initiative = in_sustaining()

    with pytest.raises(RuleViolation) as refused:
        initiative.record_benefit(
            benefit="revenue",
            planned=Decimal(10),
            realised=Decimal(8),
            unit="MEUR",
            by=bob,
            reason="fix",
            corrects=initiative.gates[-1].version,
        )

    assert refused.value.code == "CORRECTION_TARGET_INVALID"


def test_an_improvement_item_review_is_corrected_by_naming_it() -> None:
    item = raised_item()
    item.review(status=ReviewStatus.RED, by=bob, reason="huddle")
    first = item.version

    item.review(status=ReviewStatus.GREEN, by=bob, reason="misread the board", corrects=first)
    with pytest.raises(RuleViolation) as refused:
        item.review(status=ReviewStatus.GREEN, by=bob, reason="again", corrects=1)

    assert item.last_review is ReviewStatus.GREEN
    assert refused.value.code == "CORRECTION_TARGET_INVALID"
