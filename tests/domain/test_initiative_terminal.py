"""Killed, closed and redirected initiatives take nothing more, but benefits after closure."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.gates import Gate, Outcome, Stage
from domain.initiative import Initiative
from domain.values import ReviewStatus, Strength
from tests.domain.builders import (
    Q1,
    Q2,
    SPONSOR,
    TEAM,
    bob,
    carol,
    closed,
    decided,
    events_of,
    go_at,
    killed,
    proposed_and_classified_strategic,
    redirected,
    resource,
    strategic,
)

Command = Callable[[Initiative], object]

COMMANDS: dict[str, Command] = {
    "classify": lambda i: i.classify(strategic(), by=bob, reason="again"),
    "redirect": lambda i: i.redirect(uuid4(), by=bob, reason="kaizen after all"),
    "assign sponsor": lambda i: i.assign_sponsor("nina", by=bob),
    "release sponsor": lambda i: i.release_sponsor(by=bob, reason="moved on"),
    "align": lambda i: i.align(uuid4(), Strength.WEAK, by=bob),
    "remove alignment": lambda i: i.remove_alignment(uuid4(), by=bob, reason="no longer"),
    "resource": lambda i: resource(i, Q2),
    "release resources": lambda i: i.release_resources(TEAM, Q1, by=bob, reason="freed"),
    "decide a gate": lambda i: i.decide_gate(go_at(Gate.G5), by=carol, reason="go"),
    "kill": lambda i: i.decide_gate(decided(Gate.G5, Outcome.KILL), by=carol, reason="stop"),
    "clear conditions": lambda i: i.clear_conditions("done", by=carol, reason="met"),
    "close": lambda i: i.close("done", by=carol, reason="over"),
    "review": lambda i: i.review(
        period="2027-03", status=ReviewStatus.GREEN, summary="fine", by=bob, reason="monthly"
    ),
}


def record_benefit(initiative: Initiative, corrects: int | None = None) -> None:
    initiative.record_benefit(
        benefit="Nordic revenue",
        planned=Decimal(1_000_000),
        realised=Decimal(1_200_000),
        unit="EUR",
        by=bob,
        reason="year-end accounts",
        corrects=corrects,
    )


@pytest.mark.parametrize("given", [killed, closed, redirected])
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_nothing_more_is_recorded_on_a_finished_initiative(
    given: Callable[[], Initiative], command: Command
) -> None:
    initiative = given()
    events_of(initiative)
    stage = initiative.stage

    with pytest.raises(RuleViolation) as refused:
        command(initiative)

    assert refused.value.code == "INITIATIVE_CLOSED"
    assert initiative.stage is stage
    assert events_of(initiative) == []


@pytest.mark.parametrize("given", [killed, redirected])
def test_no_benefits_are_recorded_on_a_killed_or_redirected_initiative(
    given: Callable[[], Initiative],
) -> None:
    initiative = given()

    with pytest.raises(RuleViolation) as refused:
        record_benefit(initiative)

    assert refused.value.code == "INITIATIVE_CLOSED"


def test_benefits_are_recorded_after_closure() -> None:
    initiative = closed()
    events_of(initiative)

    record_benefit(initiative)

    (recorded,) = events_of(initiative)
    assert isinstance(recorded, Initiative.BenefitRecorded)
    assert (recorded.planned, recorded.realised, recorded.unit) == (
        Decimal(1_000_000),
        Decimal(1_200_000),
        "EUR",
    )
    assert (recorded.actor, recorded.reason) == (bob, "year-end accounts")
    assert initiative.stage is Stage.CLOSED


def test_a_benefit_recorded_after_closure_can_be_corrected() -> None:
    initiative = closed()
    record_benefit(initiative)
    first = initiative.version

    record_benefit(initiative, corrects=first)

    assert initiative.stage is Stage.CLOSED
    assert initiative.version == first + 1


def test_a_benefit_needs_a_reason() -> None:
    initiative = closed()

    with pytest.raises(InvalidInput) as refused:
        initiative.record_benefit(
            benefit="revenue", planned=Decimal(1), realised=Decimal(1), unit="", by=bob, reason=""
        )

    assert refused.value.code == "REASON_REQUIRED"


def test_benefits_are_not_recorded_before_planning() -> None:
    initiative = proposed_and_classified_strategic()

    with pytest.raises(RuleViolation) as refused:
        record_benefit(initiative)

    assert refused.value.code == "TOO_EARLY"


def test_benefits_are_not_recorded_while_held_before_planning() -> None:
    initiative = proposed_and_classified_strategic()
    initiative.assign_sponsor(SPONSOR, by=bob)
    initiative.decide_gate(decided(Gate.G1, Outcome.HOLD), by=carol, reason="wait")

    with pytest.raises(RuleViolation) as refused:
        record_benefit(initiative)

    assert refused.value.code == "TOO_EARLY"


def test_a_killed_initiative_has_released_everything_and_stays_killed() -> None:
    initiative = killed()

    assert initiative.allocations == {}
    assert initiative.stage is Stage.KILLED
