"""A proposed initiative: proposal, classification, redirection, sponsor, alignment, resources."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.gates import Stage
from domain.initiative import Initiative
from domain.values import Path, Strength
from tests.domain.builders import (
    Q1,
    Q2,
    SPONSOR,
    TEAM,
    alice,
    bob,
    events_of,
    in_scoping,
    operational,
    proposed_and_classified_operational,
    proposed_and_classified_strategic,
    proposed_initiative,
    resource,
    sponsored,
    strategic,
)

# Proposal ----------------------------------------------------------------------------------


def test_proposing_records_the_proposal_and_its_proposer() -> None:
    initiative = proposed_initiative(by=alice)

    (proposed,) = events_of(initiative)
    assert isinstance(proposed, Initiative.Proposed)
    assert (proposed.title, proposed.org_unit, proposed.horizon_months) == (
        "Enter the Nordic market",
        "Sales",
        36,
    )
    assert proposed.actor == alice
    assert initiative.proposer == "alice"
    assert initiative.stage is Stage.PROPOSED


@pytest.mark.parametrize("months", [0, 241])
def test_a_target_horizon_outside_1_to_240_months_is_refused(months: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        Initiative.propose(
            title="t",
            problem="p",
            org_unit="o",
            expected_benefits="",
            horizon_months=months,
            by=alice,
        )

    assert refused.value.field == "horizonMonths"


def test_a_proposal_needs_a_title() -> None:
    with pytest.raises(InvalidInput) as refused:
        Initiative.propose(
            title=" ", problem="p", org_unit="o", expected_benefits="", horizon_months=12, by=alice
        )

    assert (refused.value.code, refused.value.field) == ("REQUIRED", "title")


# Classification and redirection ------------------------------------------------------------


def test_classifying_records_the_classification_who_and_why() -> None:
    initiative = proposed_initiative()
    events_of(initiative)

    initiative.classify(strategic(), by=bob, reason="new region")

    (classified,) = events_of(initiative)
    assert isinstance(classified, Initiative.Classified)
    assert classified.classification == strategic()
    assert (classified.actor, classified.reason, classified.corrects) == (bob, "new region", None)
    assert initiative.is_strategic


def test_classifying_needs_a_reason() -> None:
    initiative = proposed_initiative()

    with pytest.raises(InvalidInput) as refused:
        initiative.classify(strategic(), by=bob, reason="")

    assert refused.value.code == "REASON_REQUIRED"


def test_an_initiative_is_classified_before_its_first_gate_decision() -> None:
    initiative = in_scoping()

    with pytest.raises(RuleViolation) as refused:
        initiative.classify(operational(), by=bob, reason="changed our mind")

    assert refused.value.code == "ALREADY_GATED"


def test_an_initiative_classified_operational_is_redirected_to_an_improvement_item() -> None:
    initiative = proposed_and_classified_operational()
    resource(initiative)
    item_id = uuid4()
    events_of(initiative)

    initiative.redirect(item_id, by=bob, reason="one team can fix it")

    released, redirected = events_of(initiative)
    assert isinstance(released, Initiative.ResourcesReleased)
    assert isinstance(redirected, Initiative.Redirected)
    assert redirected.improvement_item_id == item_id
    assert (redirected.actor, redirected.reason) == (bob, "one team can fix it")
    assert initiative.stage is Stage.REDIRECTED
    assert initiative.redirected_to == item_id
    assert initiative.allocations == {}


def test_only_an_initiative_classified_operational_is_redirected() -> None:
    initiative = proposed_and_classified_strategic()

    with pytest.raises(RuleViolation) as refused:
        initiative.redirect(uuid4(), by=bob, reason="kaizen after all")

    assert refused.value.code == "NOT_CLASSIFIED_OPERATIONAL"


def test_an_initiative_remembers_the_item_it_was_escalated_from() -> None:
    item_id = uuid4()

    initiative = Initiative.propose(
        title="New plant",
        problem="Line 3 cannot grow",
        org_unit="Ops",
        expected_benefits="",
        horizon_months=30,
        by=bob,
        reason="escalated",
        escalated_from=item_id,
    )

    assert initiative.escalated_from == item_id
    assert initiative.path is Path.STRATEGIC


# Sponsor and alignment ----------------------------------------------------------------------


def test_assigning_a_sponsor_records_who_sponsors() -> None:
    initiative = proposed_and_classified_strategic()
    events_of(initiative)

    initiative.assign_sponsor(SPONSOR, by=bob)

    (assigned,) = events_of(initiative)
    assert isinstance(assigned, Initiative.SponsorAssigned)
    assert (assigned.sponsor, assigned.actor) == (SPONSOR, bob)
    assert initiative.sponsor == SPONSOR


def test_the_same_sponsor_is_not_assigned_twice() -> None:
    initiative = sponsored()

    with pytest.raises(RuleViolation) as refused:
        initiative.assign_sponsor(SPONSOR, by=bob)

    assert refused.value.code == "NO_CHANGE"


def test_releasing_a_sponsor_needs_a_sponsor_and_a_reason() -> None:
    initiative = proposed_and_classified_strategic()
    with pytest.raises(RuleViolation) as none_to_release:
        initiative.release_sponsor(by=bob, reason="gone")
    initiative.assign_sponsor(SPONSOR, by=bob)
    with pytest.raises(InvalidInput) as no_reason:
        initiative.release_sponsor(by=bob, reason=" ")

    assert none_to_release.value.code == "NO_SPONSOR"
    assert no_reason.value.code == "REASON_REQUIRED"


def test_aligning_records_the_objective_and_its_strength() -> None:
    initiative = proposed_and_classified_strategic()
    objective = uuid4()

    initiative.align(objective, Strength.WEAK, by=bob)
    initiative.align(objective, Strength.STRONG, by=bob, reason="now central to it")

    assert initiative.objectives == {objective.hex: Strength.STRONG}
    with pytest.raises(RuleViolation) as refused:
        initiative.align(objective, Strength.STRONG, by=bob)
    assert refused.value.code == "NO_CHANGE"


def test_only_an_existing_alignment_is_removed() -> None:
    initiative = proposed_and_classified_strategic()

    with pytest.raises(RuleViolation) as refused:
        initiative.remove_alignment(uuid4(), by=bob, reason="wrong objective")

    assert refused.value.code == "NOT_ALIGNED"


# Resources ------------------------------------------------------------------------------------


def test_resourcing_records_the_allocation_and_adds_the_budget() -> None:
    initiative = proposed_and_classified_strategic()
    team = uuid4()
    events_of(initiative)

    resource(initiative, Q1, team)
    resource(initiative, Q2, team)

    first, _ = events_of(initiative)
    assert isinstance(first, Initiative.Resourced)
    assert (first.allocation.team_id, first.allocation.work_item_id) == (team, initiative.id)
    assert (first.allocation.path, first.allocation.fte) == (Path.STRATEGIC, Decimal(2))
    assert first.reason == "dedicated team for the next stage"
    assert initiative.budget == Decimal(100_000)
    assert len(initiative.allocations) == 2


def test_a_cross_functional_initiative_draws_on_two_teams_in_the_same_quarter() -> None:
    initiative = proposed_and_classified_strategic()
    resource(initiative, Q1, team=uuid4())

    resource(initiative, Q1, team=uuid4())

    assert len(initiative.allocations) == 2
    assert initiative.budget == Decimal(100_000)


def test_an_initiative_holds_one_allocation_per_team_and_period() -> None:
    initiative = proposed_and_classified_strategic()
    team = uuid4()
    resource(initiative, Q1, team)

    with pytest.raises(RuleViolation) as refused:
        resource(initiative, Q1, team)

    assert refused.value.code == "ALREADY_RESOURCED"


@pytest.mark.parametrize(("fte", "budget"), [("0", "1"), ("-1", "1"), ("1", "-1")])
def test_resources_need_positive_fte_and_a_budget_that_is_not_negative(
    fte: str, budget: str
) -> None:
    initiative = proposed_and_classified_strategic()

    with pytest.raises(InvalidInput):
        initiative.resource(
            team_id=uuid4(),
            period=Q1,
            fte=Decimal(fte),
            budget=Decimal(budget),
            by=bob,
            reason="r",
        )


def test_releasing_resources_frees_the_period_and_records_why() -> None:
    initiative = proposed_and_classified_strategic()
    resource(initiative, Q1)
    events_of(initiative)

    allocation = initiative.release_resources(TEAM, Q1, by=bob, reason="budget cut")

    (released,) = events_of(initiative)
    assert isinstance(released, Initiative.ResourcesReleased)
    assert released.allocation == allocation
    assert released.reason == "budget cut"
    assert initiative.allocations == {}


def test_only_held_resources_are_released() -> None:
    initiative = proposed_and_classified_strategic()

    with pytest.raises(RuleViolation) as refused:
        initiative.release_resources(TEAM, Q1, by=bob, reason="budget cut")

    assert refused.value.code == "NOT_RESOURCED"
