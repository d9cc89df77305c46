"""Stage-Gate: the stages of an initiative, its five gates and the decisions taken at them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from domain.errors import InvalidInput, RuleViolation, require_text


class Stage(Enum):
    PROPOSED = "PROPOSED"
    SCOPING = "SCOPING"
    PLANNING = "PLANNING"
    EXECUTING = "EXECUTING"
    SUSTAINING = "SUSTAINING"
    CLOSED = "CLOSED"
    ON_HOLD = "ON_HOLD"
    KILLED = "KILLED"
    REDIRECTED = "REDIRECTED"

    @property
    def is_terminal(self) -> bool:
        return self in (Stage.CLOSED, Stage.KILLED, Stage.REDIRECTED)


class Gate(Enum):
    G1 = "G1"
    G2 = "G2"
    G3 = "G3"
    G4 = "G4"
    G5 = "G5"

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def guards(self) -> Stage:
        """The stage an initiative is in while it waits for this gate."""
        return _GUARDS[self]

    @property
    def opens(self) -> Stage:
        """The stage a GO at this gate moves the initiative into (G5 keeps it sustaining)."""
        return _OPENS[self]

    @property
    def following(self) -> Gate | None:
        """The gate a go at this one leads to; none after G5, the last."""
        return _FOLLOWING[self]

    @classmethod
    def after(cls, stage: Stage) -> Gate | None:
        return next((gate for gate in cls if gate.guards is stage), None)


_TITLES = {
    Gate.G1: "strategic fit",
    Gate.G2: "business case",
    Gate.G3: "commit to execute",
    Gate.G4: "handover",
    Gate.G5: "benefits review",
}
_GUARDS = {
    Gate.G1: Stage.PROPOSED,
    Gate.G2: Stage.SCOPING,
    Gate.G3: Stage.PLANNING,
    Gate.G4: Stage.EXECUTING,
    Gate.G5: Stage.SUSTAINING,
}
_OPENS = {
    Gate.G1: Stage.SCOPING,
    Gate.G2: Stage.PLANNING,
    Gate.G3: Stage.EXECUTING,
    Gate.G4: Stage.SUSTAINING,
    Gate.G5: Stage.SUSTAINING,
}
_FOLLOWING = {Gate.G1: Gate.G2, Gate.G2: Gate.G3, Gate.G3: Gate.G4, Gate.G4: Gate.G5, Gate.G5: None}


class Outcome(Enum):
    GO = "GO"
    CONDITIONAL_GO = "CONDITIONAL_GO"
    HOLD = "HOLD"
    RECYCLE = "RECYCLE"
    KILL = "KILL"

    @property
    def advances(self) -> bool:
        return self in (Outcome.GO, Outcome.CONDITIONAL_GO)


@dataclass(frozen=True)
class Criterion:
    """A must-meet criterion, whether it passed, and the evidence for that."""

    name: str
    passed: bool
    evidence: str = ""

    def __post_init__(self) -> None:
        require_text(self.name, "mustMeet.name", "A criterion's name")


@dataclass(frozen=True)
class GateDecision:
    """What the gatekeepers decided at one gate, against which criteria, on what conditions."""

    gate: Gate
    outcome: Outcome
    gatekeepers: tuple[str, ...]
    must_meet: tuple[Criterion, ...] = ()
    should_meet_score: int | None = None
    conditions: tuple[str, ...] = ()
    next_gate_date: date | None = None

    def __post_init__(self) -> None:
        if not self.gatekeepers or not all(keeper.strip() for keeper in self.gatekeepers):
            raise InvalidInput(
                "A gate decision names its gatekeepers, none of them blank.", field="gatekeepers"
            )
        if self.should_meet_score is not None and not 0 <= self.should_meet_score <= 100:
            raise InvalidInput(
                "The should-meet score is a percentage from 0 to 100.", field="shouldMeetScore"
            )
        if self.outcome is Outcome.CONDITIONAL_GO and not self.conditions:
            raise InvalidInput(
                "A conditional go states its conditions.",
                code="CONDITIONS_REQUIRED",
                field="conditions",
            )
        if self.conditions and self.outcome is not Outcome.CONDITIONAL_GO:
            raise InvalidInput("Only a conditional go carries conditions.", field="conditions")
        if self.outcome is Outcome.CONDITIONAL_GO and self.gate is Gate.G5:
            raise RuleViolation(
                "A conditional go is not allowed at G5, the benefits review.",
                code="CONDITIONAL_GO_NOT_ALLOWED",
                field="outcome",
            )

    @property
    def failed_criteria(self) -> tuple[str, ...]:
        return tuple(criterion.name for criterion in self.must_meet if not criterion.passed)

    @property
    def standing_after(self) -> Standing:
        return standing_after(self.gate, self.outcome)


@dataclass(frozen=True)
class Standing:
    """Where a gate decision leaves an initiative: its stage, the stage it resumes while on hold,
    and the gate it waits for next (None when no gate is pending)."""

    stage: Stage
    held_from: Stage | None
    next_gate: Gate | None


def standing_after(gate: Gate, outcome: Outcome) -> Standing:
    """Where a decision at `gate` leaves an initiative, whatever stage it was decided in.

    A gate is decided only in the stage it guards, or on hold from it, and a correction is decided
    from where the decision it corrects was: so the gate and the outcome say where it leads."""
    if outcome.advances:
        return Standing(gate.opens, None, gate.following)
    if outcome is Outcome.HOLD:
        return Standing(Stage.ON_HOLD, gate.guards, gate)
    if outcome is Outcome.KILL:
        return Standing(Stage.KILLED, None, None)
    return Standing(gate.guards, None, gate)  # RECYCLE: more work in the stage, same gate


def check_gate(
    decision: GateDecision,
    *,
    expected: Gate,
    sponsor: str | None,
    proposer: str,
    objectives: int,
    allocations: int,
    overridden: bool = False,
) -> None:
    """The rules a gate decision must meet, given what the initiative has in place; a chair who
    overrides the votes may record a GO against failed must-meet criteria."""
    if decision.gate is not expected:
        raise RuleViolation(
            f"The pending gate is {expected.value} ({expected.title}), not {decision.gate.value}.",
            code="WRONG_GATE",
            field="gate",
        )
    if decision.outcome.advances:
        _check_prerequisites(decision.gate, sponsor, objectives, allocations)
    if decision.outcome is Outcome.GO and decision.failed_criteria and not overridden:
        raise RuleViolation(
            "A GO needs every must-meet criterion passed; failed: "
            + ", ".join(decision.failed_criteria),
            code="MUST_MEET_FAILED",
            field="mustMeet",
        )
    interested = {proposer, sponsor}
    if {keeper.strip() for keeper in decision.gatekeepers} <= interested:
        raise RuleViolation(
            "The proposer and the sponsor cannot be the sole gatekeepers of their own gate.",
            code="SEGREGATION_OF_DUTIES",
            field="gatekeepers",
        )


def _check_prerequisites(
    gate: Gate, sponsor: str | None, objectives: int, allocations: int
) -> None:
    if gate is Gate.G1 and sponsor is None:
        raise RuleViolation(
            "A go at G1 needs an executive sponsor.", code="SPONSOR_REQUIRED", field="outcome"
        )
    if gate is Gate.G2 and objectives == 0:
        raise RuleViolation(
            "A go at G2 needs at least one aligned objective.",
            code="ALIGNMENT_REQUIRED",
            field="outcome",
        )
    if gate is Gate.G3 and allocations == 0:
        raise RuleViolation(
            "A go at G3 needs dedicated resources for the next stage.",
            code="RESOURCES_REQUIRED",
            field="outcome",
        )
