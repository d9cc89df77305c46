"""Approval requests: a decision that needs a second person takes effect only when someone
else, holding an approving role, approves it before it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain import clock
from domain.approval import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    check_override_approved,
)
from domain.classification import DEFAULT_POLICY, Classification
from domain.errors import DomainError, RuleViolation
from domain.values import Actor, Path
from tests.domain.builders import OPERATIONAL_CRITERIA, bob, carol, events_of

sam = Actor("sam", ("sponsor",))
admin = Actor("ida", ("admin",))
steward_and_sponsor = Actor("bob", ("steward", "sponsor"))
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def requested(
    kind: ApprovalKind = ApprovalKind.OVER_ALLOCATION, hours: int = 72
) -> ApprovalRequest:
    with clock.running_on(lambda: START):
        request = ApprovalRequest.request(
            kind=kind, subject_id=uuid4(), action="the action", hours=hours, by=bob, reason="peak"
        )
    events_of(request)
    return request


def refused(act: object) -> str:
    with pytest.raises(DomainError) as refusal:
        act()  # type: ignore[operator]
    return refusal.value.code


# Requested -------------------------------------------------------------------------------------


def test_a_request_records_what_is_asked_by_whom_and_until_when() -> None:
    request = requested(hours=48)

    assert request.status is ApprovalStatus.PENDING
    assert request.requested_by == "bob"
    assert request.expires_at == START + timedelta(hours=48)
    assert request.action == "the action"


def test_a_request_says_why() -> None:
    with pytest.raises(DomainError) as refusal:
        ApprovalRequest.request(
            kind=ApprovalKind.OVER_ALLOCATION, subject_id=uuid4(), action="a", hours=1, by=bob,
            reason=" ",
        )  # fmt: skip

    assert refusal.value.field == "reason"


def test_another_person_with_an_approving_role_approves_and_gets_an_approval_naming_both() -> None:
    request = requested()

    with clock.running_on(lambda: START + timedelta(hours=1)):
        approval = request.approve(sam, "launch window")

    (approved,) = events_of(request)
    assert isinstance(approved, ApprovalRequest.Approved)
    assert (approved.actor, approved.reason) == (sam, "launch window")
    assert (approval.approved_by, approval.requested_by, approval.request_id) == (
        "sam",
        "bob",
        request.id,
    )
    assert (request.status, request.decided_by) == (ApprovalStatus.APPROVED, "sam")


def test_the_requester_cannot_approve_their_own_request_whatever_roles_they_hold() -> None:
    request = requested()

    with clock.running_on(lambda: START):
        assert refused(lambda: request.approve(steward_and_sponsor, "mine")) == "SELF_APPROVAL"
    assert refused(lambda: request.reject(steward_and_sponsor, "mine")) == "SELF_APPROVAL"
    assert request.status is ApprovalStatus.PENDING


def test_someone_without_an_approving_role_cannot_approve() -> None:
    request = requested()

    with clock.running_on(lambda: START):
        assert refused(lambda: request.approve(carol, "fine")) == "NOT_AN_APPROVER"


def test_a_gatekeeper_approves_a_classification_override_but_not_an_over_allocation() -> None:
    override, over = requested(ApprovalKind.CLASSIFICATION_OVERRIDE), requested()

    with clock.running_on(lambda: START):
        override.approve(carol, "the board decided")
        assert refused(lambda: over.approve(carol, "fine")) == "NOT_AN_APPROVER"
    assert override.status is ApprovalStatus.APPROVED


def test_an_admin_approves_any_kind() -> None:
    request = requested(ApprovalKind.CLASSIFICATION_OVERRIDE)

    with clock.running_on(lambda: START):
        request.approve(admin, "ok")

    assert request.decided_by == "ida"


def test_an_approval_says_why() -> None:
    request = requested()

    with clock.running_on(lambda: START):
        assert refused(lambda: request.approve(sam, "  ")) == "REASON_REQUIRED"
    assert request.status is ApprovalStatus.PENDING


def test_a_request_past_its_limit_can_no_longer_be_approved() -> None:
    request = requested(hours=72)

    with clock.running_on(lambda: START + timedelta(hours=72, seconds=1)):
        assert refused(lambda: request.approve(sam, "late")) == "APPROVAL_EXPIRED"
    assert request.expired(START + timedelta(hours=73))
    assert request.status is ApprovalStatus.PENDING


def test_a_request_at_its_limit_can_still_be_approved() -> None:
    request = requested(hours=72)

    with clock.running_on(lambda: START + timedelta(hours=72)):
        request.approve(sam, "just in time")

    assert request.status is ApprovalStatus.APPROVED


def test_a_rejection_closes_the_request_with_its_reason_and_actor() -> None:
    request = requested()

    request.reject(sam, "no budget this quarter")

    (rejected,) = events_of(request)
    assert isinstance(rejected, ApprovalRequest.Rejected)
    assert (rejected.actor.id, rejected.reason) == ("sam", "no budget this quarter")
    assert request.status is ApprovalStatus.REJECTED


def test_a_decided_request_is_decided_once() -> None:
    approved, rejected = requested(), requested()
    with clock.running_on(lambda: START):
        approved.approve(sam, "ok")
    rejected.reject(sam, "no")

    with clock.running_on(lambda: START):
        assert refused(lambda: approved.approve(admin, "again")) == "APPROVAL_CLOSED"
        assert refused(lambda: rejected.approve(admin, "after all")) == "APPROVAL_CLOSED"
    assert refused(lambda: approved.reject(admin, "changed my mind")) == "APPROVAL_CLOSED"


# Classification overrides -------------------------------------------------------------------


def test_a_classification_against_the_policy_needs_an_approval() -> None:
    override = Classification.decide(
        DEFAULT_POLICY, OPERATIONAL_CRITERIA, Path.STRATEGIC, "board mandate"
    )

    with pytest.raises(RuleViolation) as refusal:
        check_override_approved(override, None)

    assert (refusal.value.code, refusal.value.field) == ("APPROVAL_REQUIRED", "decided")


def test_a_classification_as_the_policy_recommends_needs_none() -> None:
    check_override_approved(Classification.decide(DEFAULT_POLICY, OPERATIONAL_CRITERIA), None)
