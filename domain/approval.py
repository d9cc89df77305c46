"""Four eyes: a decision the domain marks as needing a second person is first requested, and
takes effect only when a different person with an approving role approves it in time."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.classification import Classification
from domain.errors import RuleViolation
from domain.governed import Governed, decision_reason
from domain.values import Actor, Approval


class ApprovalKind(Enum):
    OVER_ALLOCATION = "OVER_ALLOCATION"
    CLASSIFICATION_OVERRIDE = "CLASSIFICATION_OVERRIDE"

    @property
    def approvers(self) -> frozenset[str]:
        """The roles that may approve a request of this kind."""
        return APPROVERS[self]


APPROVERS = {
    ApprovalKind.OVER_ALLOCATION: frozenset({"sponsor", "admin"}),
    ApprovalKind.CLASSIFICATION_OVERRIDE: frozenset({"sponsor", "gatekeeper", "admin"}),
}


class ApprovalStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ApprovalRequest(Governed):
    """What was asked (a command, kept as data), by whom, until when, and how it was decided."""

    class Requested(Governed.Created):
        kind: ApprovalKind
        subject_id: UUID
        action: object
        expires_at: datetime

    class Approved(Governed.Event):
        pass

    class Rejected(Governed.Event):
        pass

    @event(Requested)
    def __init__(
        self,
        kind: ApprovalKind,
        subject_id: UUID,
        action: object,
        expires_at: datetime,
        actor: Actor,
        reason: str | None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.subject_id = subject_id
        self.action = action
        self.expires_at = expires_at
        self.requested_by = actor.id
        self.status = ApprovalStatus.PENDING
        self.decided_by: str | None = None

    @classmethod
    def request(
        cls,
        *,
        kind: ApprovalKind,
        subject_id: UUID,
        action: object,
        hours: float,
        by: Actor,
        reason: str,
    ) -> ApprovalRequest:
        return cls(
            kind=kind,
            subject_id=subject_id,
            action=action,
            expires_at=clock.now() + timedelta(hours=hours),
            actor=by,
            reason=decision_reason(reason),
        )

    def expired(self, at: datetime) -> bool:
        return self.status is ApprovalStatus.PENDING and at > self.expires_at

    def approve(self, by: Actor, reason: str) -> Approval:
        """Approve as a second person; the returned approval lets the action take effect."""
        self._check_decidable(by, "approve")
        if self.expired(clock.now()):
            raise RuleViolation(
                f"This request expired at {self.expires_at:%Y-%m-%d %H:%M} UTC; request it again.",
                code="APPROVAL_EXPIRED",
            )
        reason = decision_reason(reason)
        self._approved(actor=by, reason=reason)
        return Approval(by.id, reason, requested_by=self.requested_by, request_id=self.id)

    @event(Approved)
    def _approved(self, actor: Actor, reason: str) -> None:
        self.status = ApprovalStatus.APPROVED
        self.decided_by = actor.id

    def reject(self, by: Actor, reason: str) -> None:
        self._check_decidable(by, "reject")
        self._rejected(actor=by, reason=decision_reason(reason))

    @event(Rejected)
    def _rejected(self, actor: Actor, reason: str) -> None:
        self.status = ApprovalStatus.REJECTED
        self.decided_by = actor.id

    def _check_decidable(self, by: Actor, act: str) -> None:
        if self.status is not ApprovalStatus.PENDING:
            raise RuleViolation(
                f"This request is already {self.status.value.lower()}.", code="APPROVAL_CLOSED"
            )
        if by.id == self.requested_by:
            raise RuleViolation(
                f"A request is approved or rejected by someone other than its requester; "
                f"{by.id} asked for it and cannot {act} it.",
                code="SELF_APPROVAL",
            )
        if not self.kind.approvers.intersection(by.roles):
            needed = ", ".join(sorted(self.kind.approvers))
            raise RuleViolation(
                f"Only a person holding one of the roles {needed} may {act} this request.",
                code="NOT_AN_APPROVER",
            )


def check_override_approved(classification: Classification, approval: Approval | None) -> None:
    """Overriding the policy's recommendation, toward or away from strategic work, takes a
    second person: it is requested, and takes effect on approval."""
    if classification.overridden and approval is None:
        raise RuleViolation(
            f"Deciding {classification.decided.value} against the policy's recommendation of "
            f"{classification.recommended.value} needs a second person's approval; request one.",
            code="APPROVAL_REQUIRED",
            field="decided",
        )
