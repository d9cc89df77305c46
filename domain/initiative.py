"""The strategic path: an initiative moves through Stage-Gate, decided by gatekeepers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.classification import Classification
from domain.errors import InvalidInput, RuleViolation, require_text
from domain.gate_review import GateVote
from domain.gates import Gate, GateDecision, Outcome, Stage, check_gate, standing_after
from domain.governed import Governed, decision_reason, optional_reason
from domain.values import (
    Actor,
    Allocation,
    Approval,
    Countermeasure,
    Indicator,
    Path,
    Period,
    ReviewStatus,
    Strength,
    allocation_key,
    non_negative,
)


@dataclass(frozen=True)
class GateRecord:
    """A gate decision as the initiative remembers it, with the stage it was taken from, who
    voted for it and why its chair overrode the votes, if they did."""

    version: int
    gate: Gate
    outcome: Outcome
    stage_before: Stage
    held_from_before: Stage | None
    # Added with gate reviews; a record made before has the defaults: decided without votes.
    voters: tuple[str, ...] = ()
    override: str | None = None

    @property
    def state_before(self) -> tuple[Stage, Stage | None]:
        return self.stage_before, self.held_from_before


class Initiative(Governed):
    """Changes what the organisation does or how it operates."""

    # The gate review open now, if any; a class default, so that an initiative stored (or
    # snapshotted) before reviews were tracked loads with none.
    open_review: UUID | None = None

    class Proposed(Governed.Created):
        title: str
        problem: str
        org_unit: str
        expected_benefits: str
        horizon_months: int
        escalated_from: UUID | None

    class Classified(Governed.Event):
        classification: Classification
        corrects: int | None

    class SponsorAssigned(Governed.Event):
        sponsor: str

    class SponsorReleased(Governed.Event):
        sponsor: str

    class AlignedToObjective(Governed.Event):
        objective_id: UUID
        strength: Strength

    class AlignmentRemoved(Governed.Event):
        objective_id: UUID

    class Resourced(Governed.Event):
        allocation: Allocation
        budget: Decimal

    class ResourcesReleased(Governed.Event):
        allocation: Allocation

    class GateReviewOpened(Governed.Event):
        """A gate review of this initiative opened: no other opens until it is decided or
        withdrawn (two panels never decide one gate)."""

        review_id: UUID
        gate: Gate

    class GateReviewWithdrawn(Governed.Event):
        review_id: UUID

    class GateDecided(Governed.Event):
        """Version 2 added the votes the decision rests on and the chair's override, if any;
        a decision stored before has neither: it was recorded without votes. Version 3 added
        the review's panel, which sets the quorum the votes are weighed against."""

        class_version = 3

        decision: GateDecision
        corrects: int | None
        votes: tuple[GateVote, ...]
        override: str | None
        panel: tuple[str, ...]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["votes"] = []
            state["override"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """The panel was not stored; its voters are the least it can have been."""
            state["panel"] = [vote.gatekeeper for vote in state["votes"]]  # decoded GateVotes

    class ConditionsCleared(Governed.Event):
        conditions: tuple[str, ...]
        evidence: str

    class Reviewed(Governed.Event):
        """Version 2 added leading indicators and risks to the monthly review."""

        class_version = 2

        period: str
        status: ReviewStatus
        summary: str
        indicators: tuple[Indicator, ...]
        risks: tuple[str, ...]
        countermeasure: Countermeasure | None
        corrects: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["indicators"] = []
            state["risks"] = []

    class BenefitRecorded(Governed.Event):
        benefit: str
        planned: Decimal
        realised: Decimal
        unit: str
        corrects: int | None

    class Redirected(Governed.Event):
        improvement_item_id: UUID

    class Closed(Governed.Event):
        outcome: str

    @event(Proposed)
    def __init__(
        self,
        title: str,
        problem: str,
        org_unit: str,
        expected_benefits: str,
        horizon_months: int,
        escalated_from: UUID | None,
        actor: Actor,
        reason: str | None,
    ) -> None:
        super().__init__()
        self.title = title
        self.problem = problem
        self.org_unit = org_unit
        self.expected_benefits = expected_benefits
        self.horizon_months = horizon_months
        self.escalated_from = escalated_from
        self.proposer = actor.id
        self.stage = Stage.PROPOSED
        self.held_from: Stage | None = None
        self.classification: Classification | None = None
        self.sponsor: str | None = None
        self.objectives: dict[str, Strength] = {}
        self.allocations: dict[str, Allocation] = {}
        self.budget = Decimal(0)
        # Aggregate state holds lists, not tuples, so that a snapshot restores it exactly.
        self.open_conditions: list[str] = []
        self.gates: list[GateRecord] = []
        self.benefits_reviewed = False
        self.last_review: ReviewStatus | None = None
        self.redirected_to: UUID | None = None
        self.outcome: str | None = None

    @classmethod
    def propose(
        cls,
        *,
        title: str,
        problem: str,
        org_unit: str,
        expected_benefits: str,
        horizon_months: int,
        by: Actor,
        reason: str | None = None,
        escalated_from: UUID | None = None,
    ) -> Initiative:
        if not 0 < horizon_months <= 240:
            raise InvalidInput(
                f"The target horizon must be 1 to 240 months, not {horizon_months}.",
                field="horizonMonths",
            )
        return cls(
            title=require_text(title, "title", "A title"),
            problem=require_text(problem, "problem", "The problem or opportunity"),
            org_unit=require_text(org_unit, "orgUnit", "The org unit"),
            expected_benefits=(expected_benefits or "").strip(),
            horizon_months=horizon_months,
            escalated_from=escalated_from,
            actor=by,
            reason=optional_reason(reason),
        )

    @property
    def path(self) -> Path:
        return Path.STRATEGIC

    @property
    def is_strategic(self) -> bool:
        return self.classification is not None and self.classification.decided is Path.STRATEGIC

    @property
    def next_gate(self) -> Gate | None:
        """The gate the initiative waits for; None once it is finished or its benefits reviewed."""
        if self.stage.is_terminal:
            return None
        if not self.gates:
            return Gate.G1
        last = self.gates[-1]
        return standing_after(last.gate, last.outcome).next_gate

    def _require_open(self) -> None:
        if self.stage.is_terminal:
            raise RuleViolation(
                f"This initiative is {self.stage.value.lower()}; nothing more can be recorded.",
                code="INITIATIVE_CLOSED",
            )

    # Classification ---------------------------------------------------------------------

    def classify(
        self,
        classification: Classification,
        by: Actor,
        reason: str,
        corrects: int | None = None,
    ) -> None:
        self._require_open()
        if self.gates:
            raise RuleViolation(
                "An initiative is classified before its first gate decision.",
                code="ALREADY_GATED",
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

    def redirect(self, improvement_item_id: UUID, by: Actor, reason: str) -> None:
        """Hand the work to the operational path: it was an improvement item after all."""
        self._require_open()
        if self.classification is None or self.classification.decided is not Path.OPERATIONAL:
            raise RuleViolation(
                "Only an initiative classified operational is redirected.",
                code="NOT_CLASSIFIED_OPERATIONAL",
            )
        reason = decision_reason(reason)
        self._release_everything(by, f"redirected: {reason}")
        self._redirected(improvement_item_id=improvement_item_id, actor=by, reason=reason)

    @event(Redirected)
    def _redirected(self, improvement_item_id: UUID, actor: Actor, reason: str) -> None:
        self.redirected_to = improvement_item_id
        self.stage = Stage.REDIRECTED

    # Sponsor and alignment --------------------------------------------------------------

    def assign_sponsor(self, sponsor: str, by: Actor, reason: str | None = None) -> None:
        self._require_open()
        sponsor = require_text(sponsor, "sponsor", "The sponsor")
        if sponsor == self.sponsor:
            raise RuleViolation(f"{sponsor} already sponsors this initiative.", code="NO_CHANGE")
        self._sponsor_assigned(sponsor=sponsor, actor=by, reason=optional_reason(reason))

    @event(SponsorAssigned)
    def _sponsor_assigned(self, sponsor: str, actor: Actor, reason: str | None) -> None:
        self.sponsor = sponsor

    def release_sponsor(self, by: Actor, reason: str) -> None:
        self._require_open()
        if self.sponsor is None:
            raise RuleViolation("This initiative has no sponsor to release.", code="NO_SPONSOR")
        self._sponsor_released(sponsor=self.sponsor, actor=by, reason=decision_reason(reason))

    @event(SponsorReleased)
    def _sponsor_released(self, sponsor: str, actor: Actor, reason: str) -> None:
        self.sponsor = None

    def align(
        self, objective_id: UUID, strength: Strength, by: Actor, reason: str | None = None
    ) -> None:
        self._require_open()
        if self.objectives.get(objective_id.hex) is strength:
            raise RuleViolation("The initiative is already aligned so.", code="NO_CHANGE")
        self._aligned(
            objective_id=objective_id, strength=strength, actor=by, reason=optional_reason(reason)
        )

    @event(AlignedToObjective)
    def _aligned(
        self, objective_id: UUID, strength: Strength, actor: Actor, reason: str | None
    ) -> None:
        self.objectives[objective_id.hex] = strength

    def remove_alignment(self, objective_id: UUID, by: Actor, reason: str) -> None:
        self._require_open()
        if objective_id.hex not in self.objectives:
            raise RuleViolation(
                "The initiative is not aligned to that objective.", code="NOT_ALIGNED"
            )
        self._alignment_removed(objective_id=objective_id, actor=by, reason=decision_reason(reason))

    @event(AlignmentRemoved)
    def _alignment_removed(self, objective_id: UUID, actor: Actor, reason: str) -> None:
        del self.objectives[objective_id.hex]

    # Resources ----------------------------------------------------------------------------

    def resource(
        self,
        *,
        team_id: UUID,
        period: Period,
        fte: Decimal,
        budget: Decimal,
        by: Actor,
        reason: str,
        approval: Approval | None = None,
    ) -> Allocation:
        self._require_open()
        allocation = Allocation(team_id, self.id, Path.STRATEGIC, period, fte, approval)
        if allocation.key in self.allocations:
            raise RuleViolation(
                f"The initiative already holds that team's time in {period}; release it first.",
                code="ALREADY_RESOURCED",
            )
        non_negative(budget, "budget", "The budget")
        self._resourced(
            allocation=allocation, budget=budget, actor=by, reason=decision_reason(reason)
        )
        return allocation

    @event(Resourced)
    def _resourced(
        self, allocation: Allocation, budget: Decimal, actor: Actor, reason: str
    ) -> None:
        self._remember_decision("Resourced")
        self.allocations[allocation.key] = allocation
        self.budget += budget

    def release_resources(
        self, team_id: UUID, period: Period, by: Actor, reason: str
    ) -> Allocation:
        self._require_open()
        allocation = self.allocations.get(allocation_key(team_id, self.id, period))
        if allocation is None:
            raise RuleViolation(
                f"No resources of that team are held for {period}.", code="NOT_RESOURCED"
            )
        self._resources_released(allocation=allocation, actor=by, reason=decision_reason(reason))
        return allocation

    @event(ResourcesReleased)
    def _resources_released(self, allocation: Allocation, actor: Actor, reason: str) -> None:
        del self.allocations[allocation.key]

    def _release_everything(self, by: Actor, reason: str) -> None:
        for allocation in list(self.allocations.values()):
            self._resources_released(allocation=allocation, actor=by, reason=reason)

    # Gates, conditions, closure ------------------------------------------------------------

    def decide_gate(
        self,
        decision: GateDecision,
        by: Actor,
        reason: str,
        corrects: int | None = None,
        votes: tuple[GateVote, ...] = (),
        override: str | None = None,
        panel: tuple[str, ...] = (),
        review_id: UUID | None = None,
    ) -> None:
        """Record a gate decision; through the application only a gate review's chair takes
        one, resting on the `votes` of the review `review_id` and its `panel` (or overriding
        the votes, saying why in `override`)."""
        if self.open_review is not None and review_id != self.open_review:
            raise RuleViolation(
                "A gate review is open for this initiative: the gate is decided there, or the "
                "review withdrawn first.",
                code="REVIEW_ALREADY_OPEN",
            )
        expected = self.gate_to_review(corrects)
        check_gate(
            decision,
            expected=expected,
            sponsor=self.sponsor,
            proposer=self.proposer,
            objectives=len(self.objectives),
            allocations=len(self.allocations),
            overridden=override is not None,
        )
        reason = decision_reason(reason)
        self._gate_decided(
            decision=decision,
            corrects=corrects,
            votes=votes,
            override=override,
            panel=panel,
            actor=by,
            reason=reason,
        )
        if decision.outcome is Outcome.KILL:
            self._release_everything(by, f"killed at {decision.gate.value}: {reason}")

    def gate_review_opened(
        self, review_id: UUID, gate: Gate, by: Actor, reason: str | None = None
    ) -> None:
        """Note the review opened for `gate`; refused while another is open."""
        if self.open_review is not None:
            raise RuleViolation(
                "A gate review is already open for this initiative; decide or withdraw it first.",
                code="REVIEW_ALREADY_OPEN",
            )
        self._gate_review_opened(
            review_id=review_id, gate=gate, actor=by, reason=optional_reason(reason)
        )

    @event(GateReviewOpened)
    def _gate_review_opened(
        self, review_id: UUID, gate: Gate, actor: Actor, reason: str | None
    ) -> None:
        self.open_review = review_id

    def gate_review_withdrawn(self, review_id: UUID, by: Actor, reason: str) -> None:
        if review_id != self.open_review:  # a review opened before they were tracked
            return
        self._gate_review_withdrawn(review_id=review_id, actor=by, reason=decision_reason(reason))

    @event(GateReviewWithdrawn)
    def _gate_review_withdrawn(self, review_id: UUID, actor: Actor, reason: str) -> None:
        self.open_review = None

    @property
    def interested(self) -> tuple[str, ...]:
        """Who may not decide this initiative's gates on their own: its proposer and sponsor."""
        return (self.proposer,) if self.sponsor is None else (self.proposer, self.sponsor)

    def gate_to_review(self, corrects: int | None = None) -> Gate:
        """The gate a decision (or a correction of the decision at version `corrects`) is for."""
        self._require_open()
        if not self.is_strategic:
            raise RuleViolation(
                "No gate decision before the initiative is classified strategic.",
                code="NOT_CLASSIFIED_STRATEGIC",
            )
        if corrects is not None:  # a correction is decided at the gate it corrects a decision of
            expected: Gate | None = self._corrected_gate(corrects).gate
        elif self.open_conditions:
            raise RuleViolation(
                "The conditions of the last conditional go must be cleared first: "
                + "; ".join(self.open_conditions),
                code="CONDITIONS_OPEN",
            )
        else:
            expected = self.next_gate
        if expected is None:
            raise RuleViolation("No gate is pending for this initiative.", code="NO_GATE_PENDING")
        return expected

    def _corrected_gate(self, corrects: int) -> GateRecord:
        self._check_correction(corrects, "GateDecided")
        if self.gates[-1].version != corrects:
            raise RuleViolation(
                "Only the latest gate decision can be corrected.",
                code="CORRECTION_TARGET_INVALID",
                field="corrects",
            )
        return self.gates[-1]

    @event(GateDecided)
    def _gate_decided(
        self,
        decision: GateDecision,
        corrects: int | None,
        votes: tuple[GateVote, ...],
        override: str | None,
        panel: tuple[str, ...],
        actor: Actor,
        reason: str,
    ) -> None:
        self.open_review = None
        if corrects is not None:
            undone = self.gates.pop()
            self.stage, self.held_from = undone.state_before
            self.open_conditions = []
            self.benefits_reviewed = False
        record = GateRecord(
            self.version + 1,
            decision.gate,
            decision.outcome,
            self.stage,
            self.held_from,
            tuple(vote.gatekeeper for vote in votes),
            override,
        )
        self._remember_decision("GateDecided")
        self.gates.append(record)
        after = decision.standing_after
        self.stage, self.held_from = after.stage, after.held_from
        self.open_conditions = list(decision.conditions)
        if decision.gate is Gate.G5 and decision.outcome is Outcome.GO:
            self.benefits_reviewed = True

    def clear_conditions(self, evidence: str, by: Actor, reason: str) -> None:
        self._require_open()
        if not self.open_conditions:
            raise RuleViolation("There are no open conditions to clear.", code="NO_OPEN_CONDITIONS")
        self._conditions_cleared(
            conditions=tuple(self.open_conditions),
            evidence=require_text(evidence, "evidence", "Evidence that the conditions are met"),
            actor=by,
            reason=decision_reason(reason),
        )

    @event(ConditionsCleared)
    def _conditions_cleared(
        self, conditions: tuple[str, ...], evidence: str, actor: Actor, reason: str
    ) -> None:
        self.open_conditions = []

    def close(self, outcome: str, by: Actor, reason: str) -> None:
        self._require_open()
        if not self.benefits_reviewed:
            raise RuleViolation(
                "An initiative closes after a GO at G5, the benefits review.",
                code="BENEFITS_NOT_REVIEWED",
            )
        reason = decision_reason(reason)
        self._closed(
            outcome=require_text(outcome, "outcome", "The outcome"), actor=by, reason=reason
        )
        self._release_everything(by, f"closed: {reason}")

    @event(Closed)
    def _closed(self, outcome: str, actor: Actor, reason: str) -> None:
        self.stage = Stage.CLOSED
        self.outcome = outcome

    # Reviews and benefits -------------------------------------------------------------------

    def review(
        self,
        *,
        period: str,
        status: ReviewStatus,
        summary: str,
        by: Actor,
        reason: str,
        indicators: tuple[Indicator, ...] = (),
        risks: tuple[str, ...] = (),
        countermeasure: Countermeasure | None = None,
        corrects: int | None = None,
    ) -> None:
        self._require_open()
        if status is ReviewStatus.RED and countermeasure is None:
            raise RuleViolation(
                "A RED review carries a countermeasure: root cause, action, owner, due date.",
                code="COUNTERMEASURE_REQUIRED",
                field="countermeasure",
            )
        self._check_correction(corrects, "Reviewed")
        self._reviewed(
            period=require_text(period, "period", "The review period"),
            status=status,
            summary=require_text(summary, "summary", "A progress summary"),
            indicators=indicators,
            risks=tuple(risk.strip() for risk in risks if risk.strip()),
            countermeasure=countermeasure,
            corrects=corrects,
            actor=by,
            reason=decision_reason(reason),
        )

    @event(Reviewed)
    def _reviewed(
        self,
        period: str,
        status: ReviewStatus,
        summary: str,
        indicators: tuple[Indicator, ...],
        risks: tuple[str, ...],
        countermeasure: Countermeasure | None,
        corrects: int | None,
        actor: Actor,
        reason: str,
    ) -> None:
        self._remember_decision("Reviewed")
        self.last_review = status

    def record_benefit(
        self,
        *,
        benefit: str,
        planned: Decimal,
        realised: Decimal,
        unit: str,
        by: Actor,
        reason: str,
        corrects: int | None = None,
    ) -> None:
        """Benefits are the one thing still recorded after closure."""
        if self.stage in (Stage.KILLED, Stage.REDIRECTED):
            self._require_open()
        effective = self.held_from if self.stage is Stage.ON_HOLD else self.stage
        if effective in (Stage.PROPOSED, Stage.SCOPING):
            raise RuleViolation(
                "Benefits are recorded once the initiative is planned.", code="TOO_EARLY"
            )
        self._check_correction(corrects, "BenefitRecorded")
        self._benefit_recorded(
            benefit=require_text(benefit, "benefit", "The benefit"),
            planned=planned,
            realised=realised,
            unit=(unit or "").strip(),
            corrects=corrects,
            actor=by,
            reason=decision_reason(reason),
        )

    @event(BenefitRecorded)
    def _benefit_recorded(
        self,
        benefit: str,
        planned: Decimal,
        realised: Decimal,
        unit: str,
        corrects: int | None,
        actor: Actor,
        reason: str,
    ) -> None:
        self._remember_decision("BenefitRecorded")
