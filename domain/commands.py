"""What people ask of Polarity: one frozen dataclass per command, holding plain values and the
roles that may ask it. The service handles each one (service/handlers.py); the API, the CLI and the
demo only build them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from domain.classification import Criteria
from domain.errors import DomainError
from domain.gates import Criterion, Outcome
from domain.improvement import ActDecision, MeasuredResult, PdcaStage
from domain.objective import Kpi, Level
from domain.values import (
    Actor,
    Countermeasure,
    Indicator,
    Path,
    Period,
    ReviewStatus,
    Strength,
)

ROLES = frozenset({"contributor", "steward", "sponsor", "gatekeeper", "auditor", "admin"})
ADMIN = "admin"  # may issue every command; auditors issue none (they only read)


def may(roles: str) -> frozenset[str]:
    """The roles allowed to issue a command: those named, and admin."""
    allowed = frozenset(roles.split()) | {ADMIN}
    assert allowed <= ROLES, allowed - ROLES
    return allowed


class Forbidden(DomainError):
    default_code = "FORBIDDEN"


@dataclass(frozen=True)
class Command:
    """A request to change what Polarity records; `roles` says who may make it."""

    roles: ClassVar[frozenset[str]] = frozenset()

    def authorise(self, actor: Actor) -> None:
        """Refuse an actor who holds none of the roles this command needs."""
        if self.roles.intersection(actor.roles):
            return
        needed = ", ".join(sorted(self.roles))
        held = ", ".join(sorted(actor.roles)) or "none"
        raise Forbidden(f"{type(self).__name__} needs one of the roles {needed}; you have {held}.")

    @property
    def target(self) -> UUID | None:
        """The aggregate whose expected version the command may name; None when it creates one."""
        return None


@dataclass(frozen=True)
class Change(Command):
    """A command on an aggregate that exists: `id` is the aggregate's."""

    id: UUID

    @property
    def target(self) -> UUID:
        return self.id


# The strategic path ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeInitiative(Command):
    roles = may("contributor steward sponsor")
    title: str
    problem: str
    org_unit: str
    expected_benefits: str = ""
    horizon_months: int = 12
    reason: str | None = None


@dataclass(frozen=True)
class Classify(Change):
    """Decide a work item's path from its criteria; `decided` overrides the recommendation,
    saying why in `override_reason`."""

    criteria: Criteria
    reason: str
    decided: Path | None = None
    override_reason: str | None = None
    corrects: int | None = None


@dataclass(frozen=True)
class Align(Change):
    """Say that a work item serves an objective, and how strongly."""

    objective_id: UUID
    strength: Strength = Strength.MODERATE
    reason: str | None = None


@dataclass(frozen=True)
class ClassifyInitiative(Classify):
    """Work found operational is redirected into a new improvement item."""

    roles = may("steward")


@dataclass(frozen=True)
class AssignSponsor(Change):
    roles = may("steward sponsor")
    sponsor: str
    reason: str | None = None


@dataclass(frozen=True)
class ReleaseSponsor(Change):
    roles = may("steward sponsor")
    reason: str


@dataclass(frozen=True)
class AlignInitiative(Align):
    roles = may("steward sponsor")


@dataclass(frozen=True)
class RemoveAlignment(Change):
    roles = may("steward sponsor")
    objective_id: UUID
    reason: str


@dataclass(frozen=True)
class ResourceInitiative(Change):
    """Resourcing books the team's capacity in the same save; beyond the team's capacity it
    is first requested (RequestApproval) and booked when a second person approves."""

    roles = may("steward")
    team_id: UUID
    period: Period
    fte: Decimal
    reason: str
    budget: Decimal = Decimal(0)


@dataclass(frozen=True)
class ReleaseInitiativeResources(Change):
    roles = may("steward")
    team_id: UUID
    period: Period
    reason: str


# Gate reviews: the panel votes, each under their own identity; the chair decides -----------


@dataclass(frozen=True)
class OpenGateReview(Command):
    """Open the review of the initiative's pending gate (or of a correction of the decision at
    version `corrects`); `gatekeepers` are the panel, `chair` one of them."""

    roles = may("steward sponsor gatekeeper")
    initiative_id: UUID
    gatekeepers: tuple[str, ...]
    chair: str
    reason: str | None = None
    corrects: int | None = None

    @property
    def target(self) -> UUID:
        """The initiative, which notes the review it opens: one open review per initiative."""
        return self.initiative_id


@dataclass(frozen=True)
class VoteAtGate(Change):
    """A gatekeeper of the review `id` votes, as the actor who sends it."""

    roles = may("gatekeeper")
    outcome: Outcome
    reason: str
    must_meet: tuple[Criterion, ...] = ()
    should_meet_score: int | None = None
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecideGateReview(Change):
    """The chair of the review `id` decides its gate. A KILL releases every allocation, on the
    initiative and on its teams, in one save."""

    roles = may("gatekeeper")
    outcome: Outcome
    reason: str
    next_gate_date: date | None = None
    conditions: tuple[str, ...] = ()
    override: str | None = None


@dataclass(frozen=True)
class WithdrawGateReview(Change):
    """Close the review `id` without a decision, saying why, so that another can be opened."""

    roles = may("steward sponsor gatekeeper")
    reason: str


@dataclass(frozen=True)
class ClearConditions(Change):
    roles = may("gatekeeper")
    evidence: str
    reason: str


@dataclass(frozen=True)
class ReviewInitiative(Change):
    roles = may("steward sponsor")
    period: str
    status: ReviewStatus
    summary: str
    reason: str
    indicators: tuple[Indicator, ...] = ()
    risks: tuple[str, ...] = ()
    countermeasure: Countermeasure | None = None
    corrects: int | None = None


@dataclass(frozen=True)
class RecordBenefit(Change):
    roles = may("steward sponsor")
    benefit: str
    planned: Decimal
    realised: Decimal
    reason: str
    unit: str = ""
    corrects: int | None = None


@dataclass(frozen=True)
class CloseInitiative(Change):
    roles = may("steward sponsor")
    outcome: str
    reason: str


# The operational path ----------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseImprovementItem(Command):
    roles = may("contributor steward")
    title: str
    problem: str
    area: str
    metric: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class ClassifyImprovementItem(Classify):
    """Work found strategic is escalated into a new initiative, in one save."""

    roles = may("steward")


@dataclass(frozen=True)
class ResourceImprovementItem(Change):
    """An owner and a due date, and the team's time booked in the same save."""

    roles = may("steward")
    owner: str
    due: date
    reason: str
    hours: Decimal | None = None
    team_id: UUID | None = None
    period: Period | None = None
    fte: Decimal | None = None


@dataclass(frozen=True)
class ReleaseImprovementItemResources(Change):
    roles = may("steward")
    reason: str


@dataclass(frozen=True)
class AdvanceImprovementItem(Change):
    roles = may("contributor steward")
    to: PdcaStage
    evidence: str = ""
    result: MeasuredResult | None = None
    decision: ActDecision | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReviewImprovementItem(Change):
    roles = may("contributor steward")
    status: ReviewStatus
    reason: str
    metric_value: Decimal | None = None
    blockers: tuple[str, ...] = ()
    corrects: int | None = None


@dataclass(frozen=True)
class AlignImprovementItem(Align):
    roles = may("steward")


@dataclass(frozen=True)
class StandardiseImprovementItem(Change):
    roles = may("steward")
    standard_reference: str
    reason: str | None = None


@dataclass(frozen=True)
class AbandonImprovementItem(Change):
    roles = may("steward")
    lesson_learned: str
    reason: str


# Objectives and teams ----------------------------------------------------------------------


@dataclass(frozen=True)
class DefineObjective(Command):
    """An annual objective may serve a breakthrough objective (`parent_id`)."""

    roles = may("steward sponsor")
    title: str
    level: Level
    owner: str
    kpis: tuple[Kpi, ...]
    due: date
    parent_id: UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RetargetObjective(Change):
    roles = may("steward sponsor")
    kpis: tuple[Kpi, ...]
    due: date
    reason: str


@dataclass(frozen=True)
class RetireObjective(Change):
    roles = may("steward sponsor")
    reason: str


@dataclass(frozen=True)
class RegisterTeam(Command):
    roles = may("steward")
    name: str
    org_unit: str


@dataclass(frozen=True)
class SetTeamCapacity(Change):
    roles = may("steward")
    period: Period
    fte: Decimal
    reason: str


# Approvals: decisions that need a second person ------------------------------------------

NEEDS_SECOND_PERSON = (
    ResourceInitiative | ResourceImprovementItem | ClassifyInitiative | ClassifyImprovementItem
)


@dataclass(frozen=True)
class RequestApproval(Command):
    """Ask for `action` to take effect once a second person approves it: a resourcing beyond
    a team's capacity, or a classification that overrides the policy's recommendation."""

    roles = may("steward")
    action: NEEDS_SECOND_PERSON
    reason: str


@dataclass(frozen=True)
class ApproveRequest(Change):
    """Approve as someone other than the requester; the requested action takes effect in the
    same save. Over-allocations are approved by a sponsor, classification overrides by a
    sponsor or a gatekeeper (and admins approve both)."""

    roles = may("sponsor gatekeeper")
    reason: str


@dataclass(frozen=True)
class RejectRequest(Change):
    """Close a request without effect, saying why."""

    roles = may("sponsor gatekeeper")
    reason: str
