"""An improvement item's PDCA cycle: one step at a time, each step with what it needs in hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.errors import RuleViolation
from domain.improvement import ActDecision, ImprovementItem, PdcaStage
from tests.domain.builders import (
    alice,
    bob,
    events_of,
    in_act,
    in_check,
    in_do,
    in_plan,
    measured,
    owned,
    raised_and_classified_operational,
    raised_and_classified_strategic,
    raised_item,
)


def refused_move(item: ImprovementItem, to: PdcaStage, **needs: Any) -> str:
    with pytest.raises(RuleViolation) as refused:
        item.advance(to, by=alice, **needs)
    return refused.value.code


# RAISED ---------------------------------------------------------------------------------------


def test_an_unclassified_item_cannot_start_planning() -> None:
    assert refused_move(raised_item(), PdcaStage.PLAN) == "NOT_CLASSIFIED_OPERATIONAL"


def test_an_item_classified_strategic_cannot_start_planning() -> None:
    item = raised_and_classified_strategic()

    assert refused_move(item, PdcaStage.PLAN) == "NOT_CLASSIFIED_OPERATIONAL"


def test_an_item_classified_operational_moves_into_plan() -> None:
    item = raised_and_classified_operational()
    events_of(item)

    item.advance(PdcaStage.PLAN, by=alice, evidence=" five whys done ")

    (advanced,) = events_of(item)
    assert isinstance(advanced, ImprovementItem.StageAdvanced)
    assert (advanced.from_stage, advanced.to_stage) == (PdcaStage.RAISED, PdcaStage.PLAN)
    assert advanced.evidence == "five whys done"
    assert advanced.actor == alice
    assert item.stage is PdcaStage.PLAN


@pytest.mark.parametrize("to", [PdcaStage.DO, PdcaStage.CHECK, PdcaStage.STANDARDISED])
def test_an_item_cannot_skip_a_step(to: PdcaStage) -> None:
    item = raised_and_classified_operational()

    assert refused_move(item, to, result=measured()) == "INVALID_TRANSITION"


# PLAN and DO ----------------------------------------------------------------------------------


def test_an_item_needs_an_owner_and_a_due_date_before_do() -> None:
    assert refused_move(in_plan(), PdcaStage.DO) == "OWNER_REQUIRED"


def test_an_owned_item_moves_into_do() -> None:
    item = in_plan()
    owned(item)

    item.advance(PdcaStage.DO, by=alice)

    assert item.stage is PdcaStage.DO


def test_releasing_the_owner_blocks_do_again() -> None:
    item = in_plan()
    owned(item)
    item.release_resources(by=bob, reason="olga moved to line 4")

    assert refused_move(item, PdcaStage.DO) == "OWNER_REQUIRED"


def test_an_item_in_do_cannot_go_back_to_plan() -> None:
    assert refused_move(in_do(), PdcaStage.PLAN) == "INVALID_TRANSITION"


# CHECK ----------------------------------------------------------------------------------------


def test_entering_check_needs_a_measured_result() -> None:
    assert refused_move(in_do(), PdcaStage.CHECK) == "RESULT_REQUIRED"


def test_entering_check_records_the_measured_result() -> None:
    item = in_do()
    events_of(item)

    item.advance(PdcaStage.CHECK, by=alice, result=measured())

    (advanced,) = events_of(item)
    assert isinstance(advanced, ImprovementItem.StageAdvanced)
    assert advanced.result == measured()
    assert item.result == measured()


# ACT ------------------------------------------------------------------------------------------


def test_entering_act_needs_a_decision() -> None:
    assert refused_move(in_check(), PdcaStage.ACT) == "DECISION_REQUIRED"


@pytest.mark.parametrize("decision", list(ActDecision))
def test_entering_act_records_the_decision(decision: ActDecision) -> None:
    item = in_act(decision)

    assert item.stage is PdcaStage.ACT
    assert item.act_decision is decision


def test_entering_act_records_why_the_decision_was_taken() -> None:
    item = in_check()
    events_of(item)

    item.advance(PdcaStage.ACT, by=alice, decision=ActDecision.ADJUST, reason="only half the gain")

    (advanced,) = events_of(item)
    assert advanced.reason == "only half the gain"


def test_after_adjusting_another_cycle_starts_in_plan() -> None:
    item = in_act(ActDecision.ADJUST)

    item.advance(PdcaStage.PLAN, by=alice, evidence="second countermeasure")

    assert item.stage is PdcaStage.PLAN
    assert item.act_decision is None


def test_the_next_cycle_needs_its_own_measured_result() -> None:
    item = in_act(ActDecision.ADJUST)
    item.advance(PdcaStage.PLAN, by=alice)
    item.advance(PdcaStage.DO, by=alice)

    assert refused_move(item, PdcaStage.CHECK) == "RESULT_REQUIRED"


@pytest.mark.parametrize("decision", [ActDecision.STANDARDISE, ActDecision.ABANDON])
def test_another_cycle_starts_only_after_deciding_to_adjust(decision: ActDecision) -> None:
    assert refused_move(in_act(decision), PdcaStage.PLAN) == "INVALID_TRANSITION"


# Standardising --------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [raised_and_classified_operational, in_plan, in_do])
def test_an_item_cannot_be_standardised_without_a_check_result(
    given: Callable[[], ImprovementItem],
) -> None:
    item = given()

    with pytest.raises(RuleViolation) as refused:
        item.standardise("SOP-114", by=alice)

    assert refused.value.code == "CHECK_RESULT_REQUIRED"


@pytest.mark.parametrize(
    "given",
    [in_check, lambda: in_act(ActDecision.ADJUST), lambda: in_act(ActDecision.ABANDON)],
    ids=["in CHECK", "adjusting", "abandoning"],
)
def test_an_item_is_standardised_only_from_act_after_deciding_to_standardise(
    given: Callable[[], ImprovementItem],
) -> None:
    item = given()

    with pytest.raises(RuleViolation) as refused:
        item.standardise("SOP-114", by=alice)

    assert refused.value.code == "NOT_READY_TO_STANDARDISE"


def test_an_item_decided_for_standardising_becomes_standard_work() -> None:
    item = in_act(ActDecision.STANDARDISE)
    events_of(item)

    item.standardise("SOP-114 rev 3", by=alice, reason="gain held for four weeks")

    *_, standardised = events_of(item)
    assert isinstance(standardised, ImprovementItem.Standardised)
    assert standardised.standard_reference == "SOP-114 rev 3"
    assert standardised.actor == alice
    assert item.stage is PdcaStage.STANDARDISED
    assert item.stage.is_terminal
