"""Decisions that need a second person, through the service: requested by one authenticated
person, booked or applied only when another, holding an approving role, approves in time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain import clock
from domain.approval import ApprovalRequest, ApprovalStatus
from domain.commands import (
    ApproveRequest,
    ClassifyImprovementItem,
    ClassifyInitiative,
    Command,
    RejectRequest,
    RequestApproval,
    ResourceInitiative,
)
from domain.errors import DomainError
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.team import Team
from domain.values import Actor, Path
from service.application import Polarity
from service.settings import Settings, SettingsError
from service.unit_of_work import Context
from tests.service.scenarios import (
    GATEKEEPER,
    OPERATIONAL,
    Q1,
    SPONSOR,
    STEWARD,
    STRATEGIC,
    in_planning,
    proposed,
    raised_item,
    team_with_capacity,
)

pytestmark = pytest.mark.database

STEWARD_AND_SPONSOR = Context(Actor("stella", ("steward", "sponsor")))


def refused(app: Polarity, context: Context, command: Command) -> str:
    with pytest.raises(DomainError) as refusal:
        app.handle(context, command)
    return refusal.value.code


def beyond_capacity(app: Polarity) -> tuple[ResourceInitiative, UUID, UUID]:
    """3 FTE asked of a team with 2 in Q1."""
    team, initiative = team_with_capacity(app, fte="2"), in_planning(app)
    action = ResourceInitiative(initiative, team, Q1, Decimal(3), "launch", Decimal(100))
    return action, team, initiative


def booked(app: Polarity, team: UUID, initiative: UUID) -> tuple[int, int]:
    """FTE booked on the team in Q1 (whole numbers here), allocations the initiative holds."""
    fte = app.get(team, Team).allocated(Q1)
    return int(fte), len(app.get(initiative, Initiative).allocations)


# Over-allocations ----------------------------------------------------------------------------


def test_resourcing_beyond_capacity_directly_is_refused(app: Polarity) -> None:
    action, team, initiative = beyond_capacity(app)

    assert refused(app, STEWARD, action) == "OVER_ALLOCATION"
    assert booked(app, team, initiative) == (0, 0)


def test_a_request_books_nothing_on_the_team_or_the_work(app: Polarity) -> None:
    action, team, initiative = beyond_capacity(app)

    request = app.handle(STEWARD, RequestApproval(action, reason="launch window")).id

    pending = app.get(request, ApprovalRequest)
    assert (pending.status, pending.requested_by, pending.action) == (
        ApprovalStatus.PENDING,
        "stella",
        action,
    )
    assert booked(app, team, initiative) == (0, 0)


def test_a_sponsor_s_approval_books_it_on_both_with_an_approval_naming_both(
    app: Polarity,
) -> None:
    action, team, initiative = beyond_capacity(app)
    request = app.handle(STEWARD, RequestApproval(action, reason="launch window")).id

    app.handle(SPONSOR, ApproveRequest(request, reason="the launch cannot wait"))

    assert booked(app, team, initiative) == (3, 1)
    (allocation,) = app.get(team, Team).allocations.values()
    assert allocation.approval is not None
    assert (allocation.approval.approved_by, allocation.approval.requested_by) == ("vera", "stella")
    assert allocation.approval.request_id == request
    assert app.get(request, ApprovalRequest).status is ApprovalStatus.APPROVED


def test_the_requester_cannot_approve_even_holding_an_approving_role(app: Polarity) -> None:
    action, team, initiative = beyond_capacity(app)
    request = app.handle(STEWARD_AND_SPONSOR, RequestApproval(action, reason="mine")).id

    assert refused(app, STEWARD_AND_SPONSOR, ApproveRequest(request, "me")) == "SELF_APPROVAL"
    assert booked(app, team, initiative) == (0, 0)


def test_a_gatekeeper_may_not_approve_an_over_allocation(app: Polarity) -> None:
    action, team, initiative = beyond_capacity(app)
    request = app.handle(STEWARD, RequestApproval(action, reason="launch window")).id

    assert refused(app, GATEKEEPER, ApproveRequest(request, "fine")) == "NOT_AN_APPROVER"
    assert refused(app, STEWARD, ApproveRequest(request, "fine")) == "FORBIDDEN"
    assert booked(app, team, initiative) == (0, 0)


def test_a_rejected_request_books_nothing_and_cannot_be_approved_later(app: Polarity) -> None:
    action, team, initiative = beyond_capacity(app)
    request = app.handle(STEWARD, RequestApproval(action, reason="launch window")).id

    app.handle(SPONSOR, RejectRequest(request, reason="no budget this quarter"))

    assert refused(app, SPONSOR, ApproveRequest(request, "after all")) == "APPROVAL_CLOSED"
    assert app.get(request, ApprovalRequest).status is ApprovalStatus.REJECTED
    assert booked(app, team, initiative) == (0, 0)


def test_a_request_older_than_the_configured_limit_cannot_be_approved(
    app: Polarity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "approval_hours", 2)
    action, team, initiative = beyond_capacity(app)
    request = app.handle(STEWARD, RequestApproval(action, reason="launch window")).id
    later = clock.now() + timedelta(hours=2, minutes=1)

    with clock.running_on(lambda: later):
        assert refused(app, SPONSOR, ApproveRequest(request, "too late")) == "APPROVAL_EXPIRED"
    assert booked(app, team, initiative) == (0, 0)


def test_a_request_that_needs_no_second_person_is_refused(app: Polarity) -> None:
    team, initiative = team_with_capacity(app, fte="4"), in_planning(app)
    within = ResourceInitiative(initiative, team, Q1, Decimal(1), "fits")

    assert refused(app, STEWARD, RequestApproval(within, "why not")) == "APPROVAL_NOT_NEEDED"


def test_an_approval_that_can_no_longer_take_effect_is_refused_whole(app: Polarity) -> None:
    action, team, initiative = beyond_capacity(app)
    request = app.handle(STEWARD, RequestApproval(action, reason="launch window")).id
    app.handle(STEWARD, ResourceInitiative(initiative, team, Q1, Decimal(1), "meanwhile"))

    assert refused(app, SPONSOR, ApproveRequest(request, "ok")) == "ALREADY_RESOURCED"
    assert app.get(request, ApprovalRequest).status is ApprovalStatus.PENDING


# Classification overrides -------------------------------------------------------------------


def test_classifying_against_the_policy_directly_is_refused(app: Polarity) -> None:
    initiative = proposed(app)
    override = ClassifyInitiative(
        initiative, OPERATIONAL, "board bet", Path.STRATEGIC, "board mandate"
    )

    assert refused(app, STEWARD, override) == "APPROVAL_REQUIRED"
    assert app.get(initiative, Initiative).classification is None


def test_an_approved_override_classifies_the_initiative_by_the_approver(app: Polarity) -> None:
    initiative = proposed(app)
    override = ClassifyInitiative(
        initiative, OPERATIONAL, "board bet", Path.STRATEGIC, "board mandate"
    )
    request = app.handle(STEWARD, RequestApproval(override, reason="board mandate")).id

    app.handle(GATEKEEPER, ApproveRequest(request, reason="minutes of the board"))

    classified = app.get(initiative, Initiative)
    assert classified.classification is not None
    assert classified.classification.decided is Path.STRATEGIC


def test_an_approved_override_toward_operational_keeps_the_item_on_its_path(
    app: Polarity,
) -> None:
    item = raised_item(app)
    override = ClassifyImprovementItem(item, STRATEGIC, "small", Path.OPERATIONAL, "one line only")
    request = app.handle(STEWARD, RequestApproval(override, reason="it is small")).id

    app.handle(SPONSOR, ApproveRequest(request, reason="agreed"))

    kept = app.get(item, ImprovementItem)
    assert kept.classification is not None
    assert kept.classification.overridden
    assert kept.escalated_to is None


# Settings ------------------------------------------------------------------------------------


def test_the_approval_limit_comes_from_the_environment_in_whole_positive_hours() -> None:
    assert Settings.from_env({}).approval_hours == 72
    assert Settings.from_env({"POLARITY_APPROVAL_HOURS": "24"}).approval_hours == 24
    with pytest.raises(SettingsError, match="POLARITY_APPROVAL_HOURS"):
        Settings.from_env({"POLARITY_APPROVAL_HOURS": "0"})
