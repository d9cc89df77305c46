"""A gate review: the meeting at which named gatekeepers each vote under their own identity and
the chair records the decision the votes support (or says why it overrides them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain.errors import InvalidInput, RuleViolation, require_text
from domain.gates import Criterion, Gate, GateDecision, Outcome
from domain.governed import Governed, decision_reason, optional_reason
from domain.values import Actor


@dataclass(frozen=True)
class GateVote:
    """One gatekeeper's vote: an outcome, each must-meet criterion assessed, should-meet score."""

    gatekeeper: str
    outcome: Outcome
    reason: str
    must_meet: tuple[Criterion, ...] = ()
    should_meet_score: int | None = None
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.should_meet_score is not None and not 0 <= self.should_meet_score <= 100:
            raise InvalidInput(
                "The should-meet score is a percentage from 0 to 100.", field="shouldMeetScore"
            )


def passed_by_every_vote(votes: tuple[GateVote, ...]) -> tuple[Criterion, ...]:
    """Each criterion any vote assessed; it passes only if every vote assessed it as passed."""
    names = dict.fromkeys(c.name for vote in votes for c in vote.must_meet)
    return tuple(
        Criterion(
            name,
            all(any(c.name == name and c.passed for c in vote.must_meet) for vote in votes),
            "; ".join(
                c.evidence for v in votes for c in v.must_meet if c.name == name and c.evidence
            ),
        )
        for name in names
    )


def supported_by(outcome: Outcome, votes: tuple[GateVote, ...]) -> bool:
    """Whether the votes support `outcome`: a go needs every must-meet criterion passed by every
    vote and no vote to kill; any other outcome needs a vote for it."""
    if outcome.advances:
        killed = any(vote.outcome is Outcome.KILL for vote in votes)
        failed = any(not c.passed for c in passed_by_every_vote(votes))
        conditional = any(vote.conditions for vote in votes)
        return not killed and not failed and (outcome is Outcome.CONDITIONAL_GO) == conditional
    return any(vote.outcome is outcome for vote in votes)


def quorum_of(panel: int) -> int:
    """How many of a panel of `panel` gatekeepers must vote before the chair decides: more than
    half of them."""
    return panel // 2 + 1


class GateReview(Governed):
    """The review of one initiative's pending gate by a panel of gatekeepers and its chair."""

    class Opened(Governed.Created):
        initiative_id: UUID
        gate: Gate
        gatekeepers: tuple[str, ...]
        chair: str
        interested: tuple[str, ...]
        corrects: int | None

    class Voted(Governed.Event):
        vote: GateVote

    class Decided(Governed.Event):
        decision: GateDecision
        override: str | None

    class Withdrawn(Governed.Event):
        """The review closed without a decision (a panel that cannot meet, a gate overtaken)."""

    withdrawn = False  # a class default, so that a review snapshotted before withdrawal loads

    @event(Opened)
    def __init__(
        self,
        initiative_id: UUID,
        gate: Gate,
        gatekeepers: tuple[str, ...],
        chair: str,
        interested: tuple[str, ...],
        corrects: int | None,
        actor: Actor,
        reason: str | None,
    ) -> None:
        super().__init__()
        self.initiative_id = initiative_id
        self.gate = gate
        self.gatekeepers = list(gatekeepers)
        self.chair = chair
        self.interested = list(interested)
        self.corrects = corrects
        self.votes: list[GateVote] = []
        self.decided = False
        self.override: str | None = None

    @classmethod
    def open(
        cls,
        *,
        initiative_id: UUID,
        gate: Gate,
        gatekeepers: tuple[str, ...],
        chair: str,
        interested: tuple[str, ...],
        by: Actor,
        reason: str | None = None,
        corrects: int | None = None,
    ) -> GateReview:
        """`interested` are the initiative's proposer and sponsor: they may sit on the panel but
        not chair it, and the panel needs someone else."""
        panel = tuple(dict.fromkeys(gatekeepers))  # actors' ids, exactly as they sign in
        if len(panel) < 2 or not all(keeper.strip() for keeper in panel):
            raise InvalidInput(
                "A gate review names at least two distinct gatekeepers, none of them blank.",
                code="PANEL_TOO_SMALL",
                field="gatekeepers",
            )
        require_text(chair, "chair", "The chair")
        if chair not in panel:
            raise RuleViolation(
                "The chair is one of the review's gatekeepers.", code="CHAIR_NOT_ON_PANEL",
                field="chair",
            )  # fmt: skip
        if chair in interested:
            raise RuleViolation(
                "The initiative's proposer or sponsor cannot chair its gate.",
                code="CHAIR_NOT_INDEPENDENT",
                field="chair",
            )
        return cls(
            initiative_id=initiative_id,
            gate=gate,
            gatekeepers=panel,
            chair=chair,
            interested=tuple(interested),
            corrects=corrects,
            actor=by,
            reason=optional_reason(reason),
        )

    @property
    def quorum(self) -> int:
        return quorum_of(len(self.gatekeepers))

    def vote(self, vote: GateVote, by: Actor) -> None:
        self._require_open()
        if vote.gatekeeper != by.id or by.id not in self.gatekeepers:
            raise RuleViolation(
                f"Only a gatekeeper named on this review votes, under their own identity; "
                f"{by.id} is not one of {', '.join(self.gatekeepers)}.",
                code="NOT_ON_PANEL",
            )
        if any(cast.gatekeeper == by.id for cast in self.votes):
            raise RuleViolation(f"{by.id} has already voted.", code="ALREADY_VOTED")
        self._voted(vote=vote, actor=by, reason=decision_reason(vote.reason))

    @event(Voted)
    def _voted(self, vote: GateVote, actor: Actor, reason: str) -> None:
        self.votes.append(vote)

    def decide(
        self,
        outcome: Outcome,
        by: Actor,
        reason: str,
        next_gate_date: date | None = None,
        conditions: tuple[str, ...] = (),
        override: str | None = None,
        interested: tuple[str, ...] | None = None,
    ) -> GateDecision:
        """The chair's decision, resting on the votes cast: consistent with them, or overriding
        them with a reason that every report shows. `interested` are the initiative's proposer
        and sponsor now (a sponsor may have been named since the review opened)."""
        self._require_open()
        if by.id != self.chair:
            raise RuleViolation(
                f"Only the chair, {self.chair}, records this review's decision.", code="NOT_CHAIR"
            )
        now: Sequence[str] = self.interested if interested is None else interested
        if self.chair in now:
            raise RuleViolation(
                "The initiative's proposer or sponsor cannot chair its gate.",
                code="CHAIR_NOT_INDEPENDENT",
                field="chair",
            )
        self._check_quorum(now)
        votes = tuple(self.votes)
        override = optional_reason(override)
        if override is None and not supported_by(outcome, votes):
            raise RuleViolation(
                f"The votes do not support {outcome.value}; record the votes' outcome, or say "
                "why you override them.",
                code="DECISION_AGAINST_VOTES",
                field="outcome",
            )
        from_votes = tuple(dict.fromkeys(c for vote in votes for c in vote.conditions))
        scores = [v.should_meet_score for v in votes if v.should_meet_score is not None]
        decision = GateDecision(
            self.gate,
            outcome,
            tuple(vote.gatekeeper for vote in votes),
            must_meet=passed_by_every_vote(votes),
            should_meet_score=round(sum(scores) / len(scores)) if scores else None,
            conditions=(conditions or from_votes) if outcome is Outcome.CONDITIONAL_GO else (),
            next_gate_date=next_gate_date,
        )
        self._decided(
            decision=decision, override=override, actor=by, reason=decision_reason(reason)
        )
        return decision

    @event(Decided)
    def _decided(
        self, decision: GateDecision, override: str | None, actor: Actor, reason: str
    ) -> None:
        self.decided = True
        self.override = override

    def withdraw(self, by: Actor, reason: str) -> None:
        """Close the review undecided, saying why; its votes stay on record."""
        self._require_open()
        self._withdrawn(actor=by, reason=decision_reason(reason))

    @event(Withdrawn)
    def _withdrawn(self, actor: Actor, reason: str) -> None:
        self.withdrawn = True

    def _check_quorum(self, interested: Sequence[str]) -> None:
        if len(self.votes) < self.quorum:
            raise RuleViolation(
                f"The quorum is {self.quorum} of the {len(self.gatekeepers)} gatekeepers; "
                f"{len(self.votes)} voted.",
                code="NO_QUORUM",
            )
        if all(vote.gatekeeper in interested for vote in self.votes):
            raise RuleViolation(
                "The proposer and the sponsor cannot make up the quorum of their own gate.",
                code="SEGREGATION_OF_DUTIES",
            )

    def _require_open(self) -> None:
        if self.decided:
            raise RuleViolation("This gate review is already decided.", code="REVIEW_DECIDED")
        if self.withdrawn:
            raise RuleViolation("This gate review was withdrawn.", code="REVIEW_WITHDRAWN")
