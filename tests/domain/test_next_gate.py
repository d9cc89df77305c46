"""Where a gate decision leaves an initiative, and the gate it waits for next: one rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.gates import Gate, Outcome, Stage, Standing, standing_after
from domain.initiative import Initiative
from tests.domain.builders import (
    benefits_reviewed,
    carol,
    closed,
    decided,
    go_at,
    in_scoping,
    killed,
    proposed_initiative,
    redirected,
    sponsored,
)

P, SC, PL, EX, SU = Stage.PROPOSED, Stage.SCOPING, Stage.PLANNING, Stage.EXECUTING, Stage.SUSTAINING
HELD, KILLED = Stage.ON_HOLD, Stage.KILLED


@pytest.mark.parametrize(
    ("gate", "outcome", "standing"),
    [
        (Gate.G1, Outcome.GO, Standing(SC, None, Gate.G2)),
        (Gate.G2, Outcome.CONDITIONAL_GO, Standing(PL, None, Gate.G3)),
        (Gate.G3, Outcome.GO, Standing(EX, None, Gate.G4)),
        (Gate.G4, Outcome.GO, Standing(SU, None, Gate.G5)),
        (Gate.G5, Outcome.GO, Standing(SU, None, None)),
        (Gate.G2, Outcome.HOLD, Standing(HELD, SC, Gate.G2)),
        (Gate.G5, Outcome.HOLD, Standing(HELD, SU, Gate.G5)),
        (Gate.G1, Outcome.RECYCLE, Standing(P, None, Gate.G1)),
        (Gate.G4, Outcome.RECYCLE, Standing(EX, None, Gate.G4)),
        (Gate.G3, Outcome.KILL, Standing(KILLED, None, None)),
    ],
)
def test_the_gate_and_the_outcome_say_where_a_decision_leaves_an_initiative(
    gate: Gate, outcome: Outcome, standing: Standing
) -> None:
    assert standing_after(gate, outcome) == standing


def test_a_proposal_waits_for_g1() -> None:
    assert proposed_initiative().next_gate is Gate.G1


def test_a_go_moves_the_wait_to_the_following_gate() -> None:
    assert in_scoping().next_gate is Gate.G2


def test_a_held_initiative_waits_for_the_gate_that_held_it() -> None:
    initiative = in_scoping()

    initiative.decide_gate(decided(Gate.G2, Outcome.HOLD), by=carol, reason="budget freeze")

    assert (initiative.stage, initiative.held_from, initiative.next_gate) == (HELD, SC, Gate.G2)


def test_a_correction_leaves_the_initiative_where_the_correcting_decision_leads() -> None:
    initiative = sponsored()
    initiative.decide_gate(decided(Gate.G1, Outcome.HOLD), by=carol, reason="wait")
    initiative.decide_gate(go_at(Gate.G1), by=carol, reason="resume")

    initiative.decide_gate(
        decided(Gate.G1, Outcome.RECYCLE), by=carol, reason="minutes", corrects=initiative.version
    )

    assert (initiative.stage, initiative.held_from, initiative.next_gate) == (P, None, Gate.G1)
    assert initiative.gates[-1].state_before == (HELD, P)


def test_correcting_the_benefits_review_makes_g5_pending_again() -> None:
    initiative = benefits_reviewed()

    initiative.decide_gate(
        decided(Gate.G5, Outcome.RECYCLE), by=carol, reason="minutes", corrects=initiative.version
    )

    assert initiative.next_gate is Gate.G5


@pytest.mark.parametrize("finished", [benefits_reviewed, closed, killed, redirected])
def test_no_gate_is_pending_once_the_initiative_is_finished_or_its_benefits_reviewed(
    finished: Callable[[], Initiative],
) -> None:
    assert finished().next_gate is None
