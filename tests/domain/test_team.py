"""Team capacity: allocations stay within it unless someone other than the requester approves."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import DomainError, InvalidInput, RuleViolation
from domain.team import Team
from domain.values import Approval, Period
from tests.domain.builders import (
    Q1,
    Q2,
    allocation_on,
    approved_by,
    bob,
    carol,
    dave,
    events_of,
    team_with_capacity,
)


def refused_grant(
    team: Team, fte: str, period: Period = Q1, approval: Approval | None = None
) -> str:
    allocation = allocation_on(team, fte, period=period, approval=approval)
    with pytest.raises(DomainError) as refused:
        team.grant(allocation, by=bob, reason="needed")
    return refused.value.code


# Capacity -------------------------------------------------------------------------------------


def test_registering_a_team_and_setting_capacity_records_both() -> None:
    team = team_with_capacity("4")

    registered, capacity_set = events_of(team)
    assert isinstance(registered, Team.Registered)
    assert isinstance(capacity_set, Team.CapacitySet)
    assert (capacity_set.period, capacity_set.fte) == (Q1, Decimal(4))
    assert (capacity_set.actor, capacity_set.reason) == (bob, "quarter plan")
    assert team.capacity_in(Q1) == Decimal(4)
    assert team.capacity_in(Q2) == Decimal(0)


def test_capacity_cannot_drop_below_what_is_allocated() -> None:
    team = team_with_capacity("4")
    team.grant(allocation_on(team, "3"), by=bob, reason="planned work")

    with pytest.raises(RuleViolation) as refused:
        team.set_capacity(Q1, Decimal("2.5"), by=bob, reason="two people left")

    assert refused.value.code == "CAPACITY_BELOW_ALLOCATED"
    assert team.capacity_in(Q1) == Decimal(4)


def test_capacity_can_drop_to_exactly_what_is_allocated() -> None:
    team = team_with_capacity("4")
    team.grant(allocation_on(team, "3"), by=bob, reason="planned work")

    team.set_capacity(Q1, Decimal(3), by=bob, reason="one person left")

    assert team.capacity_in(Q1) == Decimal(3)


def test_capacity_is_never_negative_and_is_set_with_a_reason() -> None:
    team = team_with_capacity()

    with pytest.raises(InvalidInput):
        team.set_capacity(Q1, Decimal(-1), by=bob, reason="r")
    with pytest.raises(InvalidInput) as no_reason:
        team.set_capacity(Q1, Decimal(3), by=bob, reason="")

    assert no_reason.value.code == "REASON_REQUIRED"


# Allocations ------------------------------------------------------------------------------------


def test_allocations_within_capacity_are_granted() -> None:
    team = team_with_capacity("4")
    events_of(team)

    team.grant(allocation_on(team, "3"), by=bob, reason="Nordic launch")
    team.grant(allocation_on(team, "1"), by=bob, reason="kaizen")

    assert team.allocated(Q1) == Decimal(4)
    assert not team.over_allocated(Q1)
    granted = events_of(team)
    assert all(isinstance(e, Team.AllocationGranted) and e.actor == bob for e in granted)


def test_allocating_beyond_capacity_needs_an_approval() -> None:
    team = team_with_capacity("4")
    team.grant(allocation_on(team, "3"), by=bob, reason="planned work")

    assert refused_grant(team, "2") == "OVER_ALLOCATION"
    assert team.allocated(Q1) == Decimal(3)


def test_a_period_without_capacity_takes_no_allocation_unapproved() -> None:
    team = team_with_capacity("4", Q1)

    assert refused_grant(team, "1", period=Q2) == "OVER_ALLOCATION"


def test_the_requester_cannot_approve_their_own_over_allocation() -> None:
    team = team_with_capacity("1")

    assert refused_grant(team, "2", approval=approved_by(bob)) == "SELF_APPROVAL"


def test_an_over_allocation_approved_by_someone_else_is_granted_and_visible() -> None:
    team = team_with_capacity("1")
    allocation = allocation_on(team, "2", approval=approved_by(dave))
    events_of(team)

    team.grant(allocation, by=bob, reason="launch peak")

    (granted,) = events_of(team)
    assert isinstance(granted, Team.AllocationGranted)
    assert granted.allocation.approval == approved_by(dave)
    assert team.over_allocated(Q1)


def test_an_approval_names_its_approver_and_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        Approval(approved_by="dave", reason=" ")

    assert refused.value.field == "approval.reason"


def test_each_over_allocation_needs_its_own_approval() -> None:
    team = team_with_capacity("1")
    team.grant(allocation_on(team, "2", approval=approved_by(dave)), by=bob, reason="planned work")

    assert refused_grant(team, "1") == "OVER_ALLOCATION"


def test_capacity_is_counted_per_period() -> None:
    team = team_with_capacity("2", Q1)
    team.set_capacity(Q2, Decimal(2), by=bob, reason="plan")
    team.grant(allocation_on(team, "2", period=Q1), by=bob, reason="planned work")

    team.grant(allocation_on(team, "2", period=Q2), by=bob, reason="planned work")

    assert (team.allocated(Q1), team.allocated(Q2)) == (Decimal(2), Decimal(2))


def test_a_work_item_holds_one_allocation_per_period() -> None:
    team = team_with_capacity("4")
    work = uuid4()
    team.grant(allocation_on(team, "1", work=work), by=bob, reason="planned work")

    with pytest.raises(RuleViolation) as refused:
        team.grant(allocation_on(team, "1", work=work), by=bob, reason="planned work")

    assert refused.value.code == "ALREADY_ALLOCATED"


def test_an_allocation_for_another_team_is_refused() -> None:
    team = team_with_capacity("4")
    other = team_with_capacity("4")

    with pytest.raises(RuleViolation) as refused:
        team.grant(allocation_on(other, "1"), by=bob, reason="planned work")

    assert refused.value.code == "WRONG_TEAM"


@pytest.mark.parametrize("fte", ["0", "-2"])
def test_an_allocation_takes_a_positive_share_of_capacity(fte: str) -> None:
    team = team_with_capacity("1")

    with pytest.raises(InvalidInput):
        team.grant(allocation_on(team, fte), by=bob, reason="r")


def test_granting_an_allocation_records_why() -> None:
    team = team_with_capacity("4")

    with pytest.raises(InvalidInput) as refused:
        team.grant(allocation_on(team, "1"), by=bob, reason=" ")

    assert refused.value.code == "REASON_REQUIRED"


# Releases -------------------------------------------------------------------------------------


def test_releasing_an_allocation_frees_capacity() -> None:
    team = team_with_capacity("2")
    work = uuid4()
    team.grant(allocation_on(team, "2", work=work), by=bob, reason="planned work")
    events_of(team)

    team.release(work, Q1, by=carol, reason="work killed at G3")

    (released,) = events_of(team)
    assert isinstance(released, Team.AllocationReleased)
    assert (released.actor, released.reason) == (carol, "work killed at G3")
    assert team.allocated(Q1) == Decimal(0)
    team.grant(allocation_on(team, "2"), by=bob, reason="planned work")


def test_only_a_held_allocation_is_released() -> None:
    team = team_with_capacity("2")

    with pytest.raises(RuleViolation) as refused:
        team.release(uuid4(), Q1, by=bob, reason="r")

    assert refused.value.code == "NOT_ALLOCATED"
