"""The operational path: an improvement item runs PDCA cycles until it becomes standard work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from domain.classification import Classification
from domain.errors import InvalidInput, RuleViolation, require_text
from domain.governed import Governed, decision_reason, optional_reason
from domain.values import (
    Actor,
    Allocation,
    Approval,
    Path,
    Period,
    ReviewStatus,
    Strength,
)


class PdcaStage(Enum):
    RAISED = "RAISED"
    PLAN = "PLAN"
    DO = "DO"
    CHECK = "CHECK"
    ACT = "ACT"
    STANDARDISED = "STANDARDISED"
    ABANDONED = "ABANDONED"
    ESCALATED = "ESCALATED"

    @property
    def is_terminal(self) -> bool:
        return self in (PdcaStage.STANDARDISED, PdcaStage.ABANDONED, PdcaStage.ESCALATED)


class ActDecision(Enum):
    STANDARDISE = "STANDARDISE"
    ADJUST = "ADJUST"
    ABANDON = "ABANDON"


@dataclass(frozen=True)
class MeasuredResult:
    """What CHECK found: the metric expected against the metric measured."""

    expected: Decimal
    actual: Decimal
    unit: str = ""


# The moves PDCA allows; ACT → PLAN starts another cycle after an ADJUST decision.
_NEXT = {
    PdcaStage.RAISED: PdcaStage.PLAN,
    PdcaStage.PLAN: PdcaStage.DO,
    PdcaStage.DO: PdcaStage.CHECK,
    PdcaStage.CHECK: PdcaStage.ACT,
    PdcaStage.ACT: PdcaStage.PLAN,
}


@dataclass(frozen=True)
class Assignment:
    """Who owns the item, by when, and the team time it draws on."""

    owner: str
    due: date
    hours: Decimal | None = None
    allocation: Allocation | None = None


class ImprovementItem(Governed):
    """Makes an existing system work better."""

    class Raised(Governed.Created):
        title: str
        problem: str
        area: str
        metric: str
        redirected_from: UUID | None

    class Classified(Governed.Event):
        classification: Classification
        corrects: int | None

    class Resourced(Governed.Event):
        assignment: Assignment

    class ResourcesReleased(Governed.Event):
        assignment: Assignment

    class StageAdvanced(Governed.Event):
        from_stage: PdcaStage
        to_stage: PdcaStage
        evidence: str
        result: MeasuredResult | None
        decision: ActDecision | None

    class Reviewed(Governed.Event):
        status: ReviewStatus
        metric_value: Decimal | None
        blockers: tuple[str, ...]
        corrects: int | None

    class AlignedToObjective(Governed.Event):
        objective_id: UUID
        strength: Strength

    class Standardised(Governed.Event):
        standard_reference: str

    class Abandoned(Governed.Event):
        lesson_learned: str

    class Escalated(Governed.Event):
        initiative_id: UUID

    @event(Raised)
    def __init__(
        self,
        title: str,
        problem: str,
        area: str,
        metric: str,
        redirected_from: UUID | None,
        actor: Actor,
        reason: str | None,
    ) -> None:
        super().__init__()
        self.title = title
        self.problem = problem
        self.area = area
        self.metric = metric
        self.redirected_from = redirected_from
        self.raised_by = actor.id
        self.stage = PdcaStage.RAISED
        self.classification: Classification | None = None
        self.assignment: Assignment | None = None
        self.result: MeasuredResult | None = None
        self.act_decision: ActDecision | None = None
        self.objectives: dict[str, Strength] = {}
        self.last_review: ReviewStatus | None = None
        self.escalated_to: UUID | None = None

    @classmethod
    def raise_item(
        cls,
        *,
        title: str,
        problem: str,
        area: str,
        metric: str,
        by: Actor,
        reason: str | None = None,
        redirected_from: UUID | None = None,
    ) -> ImprovementItem:
        return cls(
            title=require_text(title, "title", "A title"),
            problem=require_text(problem, "problem", "The problem"),
            area=require_text(area, "area", "The area or team"),
            metric=(metric or "").strip(),
            redirected_from=redirected_from,
            actor=by,
            reason=optional_reason(reason),
        )

    @property
    def path(self) -> Path:
        return Path.OPERATIONAL

    @property
    def allocations(self) -> dict[str, Allocation]:
        allocation = self.assignment.allocation if self.assignment else None
        return {allocation.key: allocation} if allocation else {}

    def _require_open(self) -> None:
        if self.stage.is_terminal:
            raise RuleViolation(
                f"This improvement item is {self.stage.value.lower()}; "
                "nothing more can be recorded.",
                code="ITEM_CLOSED",
            )

    def classify(
        self, classification: Classification, by: Actor, reason: str, corrects: int | None = None
    ) -> None:
        self._require_open()
        if self.stage not in (PdcaStage.RAISED, PdcaStage.PLAN):
            raise RuleViolation(
                "An improvement item is classified before work on it starts.",
                code="ALREADY_STARTED",
            )
        self._check_reclassification(self.classification is not None, corrects)
        self._classified(
            classification=classification,
            corrects=corrects,
            actor=by,
            reason=decision_reason(reason),
        )

    @event(Classified)
    def _classified(
        self, classification: Classification, corrects: int | None, actor: Actor, reason: str
    ) -> None:
        self._remember_decision("Classified")
        self.classification = classification

    def escalate(self, initiative_id: UUID, by: Actor, reason: str) -> None:
        """Hand the work to the strategic path: it was an initiative after all."""
        self._require_open()
        if self.classification is None or self.classification.decided is not Path.STRATEGIC:
            raise RuleViolation(
                "Only an item classified strategic is escalated.", code="NOT_CLASSIFIED_STRATEGIC"
            )
        reason = decision_reason(reason)
        self._release_assignment(by, f"escalated: {reason}")
        self._escalated(initiative_id=initiative_id, actor=by, reason=reason)

    @event(Escalated)
    def _escalated(self, initiative_id: UUID, actor: Actor, reason: str) -> None:
        self.escalated_to = initiative_id
        self.stage = PdcaStage.ESCALATED

    def resource(
        self,
        *,
        owner: str,
        due: date,
        by: Actor,
        reason: str,
        hours: Decimal | None = None,
        team_id: UUID | None = None,
        period: Period | None = None,
        fte: Decimal | None = None,
        approval: Approval | None = None,
    ) -> Assignment:
        self._require_open()
        if self.assignment is not None:
            raise RuleViolation(
                "The item is already resourced; release its resources first.",
                code="ALREADY_RESOURCED",
            )
        allocation = None
        if team_id is not None:
            if period is None or fte is None:
                raise InvalidInput(
                    "Drawing on a team's capacity needs a period and an FTE.", field="period"
                )
            allocation = Allocation(team_id, self.id, Path.OPERATIONAL, period, fte, approval)
        if hours is not None and hours <= 0:
            raise InvalidInput("Hours must be above zero.", field="hours")
        assignment = Assignment(require_text(owner, "owner", "An owner"), due, hours, allocation)
        self._resourced(assignment=assignment, actor=by, reason=decision_reason(reason))
        return assignment

    @event(Resourced)
    def _resourced(self, assignment: Assignment, actor: Actor, reason: str) -> None:
        self._remember_decision("Resourced")
        self.assignment = assignment

    def release_resources(self, by: Actor, reason: str) -> Assignment:
        self._require_open()
        if self.assignment is None:
            raise RuleViolation("The item holds no resources.", code="NOT_RESOURCED")
        assignment = self.assignment
        self._resources_released(assignment=assignment, actor=by, reason=decision_reason(reason))
        return assignment

    def _release_assignment(self, by: Actor, reason: str) -> None:
        if self.assignment is not None:
            self._resources_released(assignment=self.assignment, actor=by, reason=reason)

    @event(ResourcesReleased)
    def _resources_released(self, assignment: Assignment, actor: Actor, reason: str) -> None:
        self.assignment = None

    def advance(
        self,
        to: PdcaStage,
        by: Actor,
        evidence: str = "",
        result: MeasuredResult | None = None,
        decision: ActDecision | None = None,
        reason: str | None = None,
    ) -> None:
        """Move one PDCA step; entering ACT is a decision, so it needs a reason."""
        self._require_open()
        check_pdca_move(self, to, result, decision)
        self._stage_advanced(
            from_stage=self.stage,
            to_stage=to,
            evidence=(evidence or "").strip(),
            result=result,
            decision=decision,
            actor=by,
            reason=decision_reason(reason) if to is PdcaStage.ACT else optional_reason(reason),
        )

    @event(StageAdvanced)
    def _stage_advanced(
        self,
        from_stage: PdcaStage,
        to_stage: PdcaStage,
        evidence: str,
        result: MeasuredResult | None,
        decision: ActDecision | None,
        actor: Actor,
        reason: str | None,
    ) -> None:
        self.stage = to_stage
        if to_stage is PdcaStage.CHECK:
            self.result = result
        if to_stage is PdcaStage.ACT:
            self.act_decision = decision
        if to_stage is PdcaStage.PLAN:
            self.act_decision = None

    def review(
        self,
        *,
        status: ReviewStatus,
        by: Actor,
        reason: str,
        metric_value: Decimal | None = None,
        blockers: tuple[str, ...] = (),
        corrects: int | None = None,
    ) -> None:
        self._require_open()
        self._check_correction(corrects, "Reviewed")
        self._reviewed(
            status=status,
            metric_value=metric_value,
            blockers=tuple(blocker.strip() for blocker in blockers if blocker.strip()),
            corrects=corrects,
            actor=by,
            reason=decision_reason(reason),
        )

    @event(Reviewed)
    def _reviewed(
        self,
        status: ReviewStatus,
        metric_value: Decimal | None,
        blockers: tuple[str, ...],
        corrects: int | None,
        actor: Actor,
        reason: str,
    ) -> None:
        self._remember_decision("Reviewed")
        self.last_review = status

    def align(
        self, objective_id: UUID, strength: Strength, by: Actor, reason: str | None = None
    ) -> None:
        self._require_open()
        if self.objectives.get(objective_id.hex) is strength:
            raise RuleViolation("The item is already aligned so.", code="NO_CHANGE")
        self._aligned(
            objective_id=objective_id, strength=strength, actor=by, reason=optional_reason(reason)
        )

    @event(AlignedToObjective)
    def _aligned(
        self, objective_id: UUID, strength: Strength, actor: Actor, reason: str | None
    ) -> None:
        self.objectives[objective_id.hex] = strength

    def standardise(self, standard_reference: str, by: Actor, reason: str | None = None) -> None:
        self._require_open()
        if self.result is None:
            raise RuleViolation(
                "An item cannot be standardised without a CHECK result.",
                code="CHECK_RESULT_REQUIRED",
            )
        if self.stage is not PdcaStage.ACT or self.act_decision is not ActDecision.STANDARDISE:
            raise RuleViolation(
                "An item is standardised from ACT, after deciding to standardise.",
                code="NOT_READY_TO_STANDARDISE",
            )
        reference = require_text(standard_reference, "standardReference", "The standard work")
        self._release_assignment(by, f"standardised as {reference}")
        self._standardised(standard_reference=reference, actor=by, reason=optional_reason(reason))

    @event(Standardised)
    def _standardised(self, standard_reference: str, actor: Actor, reason: str | None) -> None:
        self.stage = PdcaStage.STANDARDISED

    def abandon(self, lesson_learned: str, by: Actor, reason: str) -> None:
        self._require_open()
        lesson = require_text(lesson_learned, "lessonLearned", "The lesson learned")
        reason = decision_reason(reason)
        self._release_assignment(by, f"abandoned: {reason}")
        self._abandoned(lesson_learned=lesson, actor=by, reason=reason)

    @event(Abandoned)
    def _abandoned(self, lesson_learned: str, actor: Actor, reason: str) -> None:
        self.stage = PdcaStage.ABANDONED


def check_pdca_move(
    item: ImprovementItem,
    to: PdcaStage,
    result: MeasuredResult | None,
    decision: ActDecision | None,
) -> None:
    """PDCA moves one step at a time, and some steps need something in hand first."""
    if _NEXT.get(item.stage) is not to:
        raise RuleViolation(
            f"An item in {item.stage.value} cannot move to {to.value}.",
            code="INVALID_TRANSITION",
            field="to",
        )
    operational = (
        item.classification is not None and item.classification.decided is Path.OPERATIONAL
    )
    if item.stage is PdcaStage.RAISED and not operational:
        raise RuleViolation(
            "An item is classified operational before planning starts.",
            code="NOT_CLASSIFIED_OPERATIONAL",
        )
    if item.stage is PdcaStage.ACT and item.act_decision is not ActDecision.ADJUST:
        raise RuleViolation(
            "Another PDCA cycle starts only after deciding to adjust.",
            code="INVALID_TRANSITION",
            field="to",
        )
    if to is PdcaStage.DO and item.assignment is None:
        raise RuleViolation(
            "An item needs an owner and a due date before DO.", code="OWNER_REQUIRED"
        )
    if to is PdcaStage.CHECK and result is None:
        raise RuleViolation(
            "Entering CHECK needs a measured result: expected against actual.",
            code="RESULT_REQUIRED",
            field="result",
        )
    if to is PdcaStage.ACT and decision is None:
        raise RuleViolation(
            "Entering ACT needs a decision: standardise, adjust or abandon.",
            code="DECISION_REQUIRED",
            field="decision",
        )
