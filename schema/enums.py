"""The fixed sets of values the API filters by and returns, each a GraphQL enum whose values are
UPPER_CASE names, so a wrong value is refused by validation, saying which ones there are.

The domain's own enums are served as they are. Those only the reporting views name (a work
item's kind, a decision's type …) have as their Python values the text a view stores, so a row's
text is served as its enum's name: 'improvement_item' as IMPROVEMENT_ITEM."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry

from domain import approval, classification, gates, improvement, objective, values
from domain.commands import ROLES
from service import audit

STAGES = (*gates.Stage, *improvement.PdcaStage)

# The domain's enums, served as they are (strawberry.enum registers the class itself).
Path = values.Path
ReviewStatus = values.ReviewStatus
Strength = values.Strength
Scope = classification.Scope
InitiativeStage = gates.Stage
Gate = gates.Gate
GateOutcome = gates.Outcome
PdcaStage = improvement.PdcaStage
ActDecision = improvement.ActDecision
ObjectiveLevel = objective.Level
ApprovalKind = approval.ApprovalKind
for served in (Path, ReviewStatus, Strength, Scope, Gate, PdcaStage, ActDecision):
    strawberry.enum(served)
strawberry.enum(InitiativeStage, name="InitiativeStage")
strawberry.enum(GateOutcome, name="GateOutcome")
strawberry.enum(ObjectiveLevel, name="ObjectiveLevel")
strawberry.enum(ApprovalKind, description="The action a request for approval asks for.")
IntegrityBreakKind = audit.Kind
strawberry.enum(
    IntegrityBreakKind,
    name="IntegrityBreakKind",
    description="What a break in the hash chain is: an event ALTERED, MISSING, INSERTED or "
    "REORDERED; the chain TRUNCATED or REWRITTEN before a signed checkpoint; or a checkpoint "
    "whose SIGNATURE fails.",
)
WorkStage = strawberry.enum(
    cast("type[Enum]", Enum("WorkStage", [(s.name, s.value) for s in STAGES])),
    description="A work item's stage: an initiative's Stage-Gate stage (PROPOSED … REDIRECTED) "
    "or an improvement item's PDCA stage (RAISED … ESCALATED).",
)
Role = strawberry.enum(
    cast("type[Enum]", Enum("Role", [(role.upper(), role) for role in sorted(ROLES)])),
    description="A role a token grants; the lower-case name is the one tokens carry.",
)


@strawberry.enum(description="The two kinds of work item.")
class WorkKind(Enum):
    INITIATIVE = "initiative"
    IMPROVEMENT_ITEM = "improvement_item"

    @property
    def type_name(self) -> str:
        """The GraphQL type of a work item of this kind, which its global id names."""
        return self.name.title().replace("_", "")


@strawberry.enum(description="What a decision is about.")
class SubjectKind(Enum):
    INITIATIVE = "initiative"
    IMPROVEMENT_ITEM = "improvement_item"
    TEAM = "team"
    OBJECTIVE = "objective"
    APPROVAL_REQUEST = "approval_request"

    @property
    def type_name(self) -> str:
        """The GraphQL type (or, for an approval request, the kind its global id names)."""
        return self.name.title().replace("_", "")


@strawberry.enum(
    description="What kind of decision the decision log records: a CLASSIFICATION as the policy "
    "recommends or an OVERRIDE against it, a GATE decision (KILL included), CONDITIONS cleared, "
    "RESOURCING or its RELEASE, a REVIEW, a BENEFIT, a SPONSOR assigned or released, an "
    "ALIGNMENT, the PDCA decision to ACT, CLOSE, REDIRECT, ESCALATE, STANDARDISE, ABANDON, a "
    "team's CAPACITY, an objective's RETARGET or RETIRE; an APPROVAL_REQUEST and its APPROVAL or "
    "REJECTION; a GATE_REVIEW opened, each gatekeeper's VOTE, or its WITHDRAWAL."
)
class DecisionType(Enum):
    CLASSIFICATION = "classification"
    OVERRIDE = "override"
    GATE = "gate"
    CONDITIONS = "conditions"
    RESOURCING = "resourcing"
    RELEASE = "release"
    REVIEW = "review"
    BENEFIT = "benefit"
    SPONSOR = "sponsor"
    ALIGNMENT = "alignment"
    ACT = "act"
    CLOSE = "close"
    REDIRECT = "redirect"
    ESCALATE = "escalate"
    STANDARDISE = "standardise"
    ABANDON = "abandon"
    CAPACITY = "capacity"
    RETARGET = "retarget"
    RETIRE = "retire"
    APPROVAL_REQUEST = "approval_request"
    APPROVAL = "approval"
    REJECTION = "rejection"
    GATE_REVIEW = "gate_review"
    VOTE = "vote"
    WITHDRAWAL = "withdrawal"


@strawberry.enum(
    description="How often work is reviewed: improvement items weekly, initiatives monthly."
)
class Cadence(Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@strawberry.enum(description="What a health check's ids name.")
class HealthSubject(Enum):
    WORK_ITEM = "work_item"
    TEAM = "team"
    PERIOD = "period"
    APPROVAL_REQUEST = "approval_request"


@strawberry.enum(description="Where a gate review stands.")
class GateReviewStatus(Enum):
    OPEN = "OPEN"
    DECIDED = "DECIDED"
    WITHDRAWN = "WITHDRAWN"


@strawberry.enum(description="What the service's verification of the hash chain found.")
class IntegrityStatus(Enum):
    INTACT = "intact"
    BROKEN = "broken"
    UNVERIFIED = "unverified"
