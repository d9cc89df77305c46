"""Gate reviews: named gatekeepers vote under their own identity; the chair decides on the votes."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.gate_review import GateReview, GateVote
from domain.gates import Criterion, Gate, Outcome, Stage
from domain.values import Actor
from tests.domain.builders import events_of, replayed, sponsored

gina = Actor("gina", ("gatekeeper",))
gus = Actor("gus", ("gatekeeper",))
gail = Actor("gail", ("gatekeeper",))
sam = Actor("sam", ("sponsor", "gatekeeper"))  # the initiative's sponsor
stella = Actor("stella", ("steward",))
FIT = Criterion("strategic fit", True, "minutes")
UNFIT = Criterion("strategic fit", False, "no case")


def review(
    *panel: Actor, chair: Actor = gina, interested: tuple[str, ...] = ("sam",)
) -> GateReview:
    return GateReview.open(
        initiative_id=uuid4(),
        gate=Gate.G1,
        gatekeepers=tuple(keeper.id for keeper in panel or (gina, gus, gail)),
        chair=chair.id,
        interested=interested,
        by=stella,
    )


def vote(
    by: Actor, outcome: Outcome = Outcome.GO, *criteria: Criterion, **more: object
) -> GateVote:
    return GateVote(by.id, outcome, f"{by.id}'s view", criteria or (FIT,), **more)  # type: ignore[arg-type]


def voted(the_review: GateReview, *votes: tuple[Actor, GateVote]) -> GateReview:
    for by, cast in votes:
        the_review.vote(cast, by)
    return the_review


# Opening --------------------------------------------------------------------------------------


def test_a_review_needs_two_distinct_gatekeepers() -> None:
    with pytest.raises(InvalidInput) as refused:
        review(gina, gina)
    assert refused.value.code == "PANEL_TOO_SMALL"


def test_the_chair_sits_on_the_panel() -> None:
    with pytest.raises(RuleViolation) as refused:
        review(gina, gus, chair=gail)
    assert refused.value.code == "CHAIR_NOT_ON_PANEL"


def test_the_sponsor_may_sit_on_the_panel_but_not_chair_it() -> None:
    assert review(sam, gus, chair=gus).gatekeepers == ["sam", "gus"]
    with pytest.raises(RuleViolation) as refused:
        review(sam, gus, chair=sam)
    assert refused.value.code == "CHAIR_NOT_INDEPENDENT"


# Voting ---------------------------------------------------------------------------------------


def test_only_a_named_gatekeeper_votes_and_only_as_themselves() -> None:
    the_review = review(gina, gus)
    with pytest.raises(RuleViolation) as stranger:
        the_review.vote(vote(gail), gail)
    with pytest.raises(RuleViolation) as impostor:
        the_review.vote(vote(gus), gina)  # gina casting the vote that names gus
    assert stranger.value.code == impostor.value.code == "NOT_ON_PANEL"


def test_nobody_votes_twice() -> None:
    the_review = voted(review(), (gus, vote(gus)))
    with pytest.raises(RuleViolation) as refused:
        the_review.vote(vote(gus, Outcome.KILL), gus)
    assert refused.value.code == "ALREADY_VOTED"


# Deciding -------------------------------------------------------------------------------------


def test_the_chair_decides_once_a_majority_has_voted_and_the_decision_rests_on_the_votes() -> None:
    the_review = voted(
        review(), (gina, vote(gina, should_meet_score=70)), (gus, vote(gus, should_meet_score=80))
    )

    decision = the_review.decide(Outcome.GO, gina, "fits the strategy")

    assert decision.gatekeepers == ("gina", "gus")
    assert decision.must_meet == (Criterion("strategic fit", True, "minutes; minutes"),)
    assert decision.should_meet_score == 75
    assert replayed(events_of(the_review), GateReview).decided


def test_only_the_chair_decides() -> None:
    the_review = voted(review(), (gina, vote(gina)), (gus, vote(gus)))
    with pytest.raises(RuleViolation) as refused:
        the_review.decide(Outcome.GO, gus, "fits")
    assert refused.value.code == "NOT_CHAIR"


def test_without_a_quorum_there_is_no_decision() -> None:
    the_review = voted(review(), (gina, vote(gina)))
    with pytest.raises(RuleViolation) as refused:
        the_review.decide(Outcome.GO, gina, "fits")
    assert refused.value.code == "NO_QUORUM"


def test_a_sponsor_deciding_with_a_named_absent_colleague_is_refused() -> None:
    """Issue 15's case: the sponsor, a gatekeeper, names a colleague who never takes part."""
    with pytest.raises(RuleViolation) as chairing:
        review(sam, gus, chair=sam)
    the_review = voted(review(sam, gina), (sam, vote(sam)))
    with pytest.raises(RuleViolation) as alone:
        the_review.decide(Outcome.GO, gina, "fits")
    assert (chairing.value.code, alone.value.code) == ("CHAIR_NOT_INDEPENDENT", "NO_QUORUM")


def test_the_proposer_and_the_sponsor_never_make_up_the_quorum_on_their_own() -> None:
    alice = Actor("alice", ("gatekeeper",))
    panel = review(gina, sam, alice, interested=("alice", "sam"))
    the_review = voted(panel, (sam, vote(sam)), (alice, vote(alice)))
    with pytest.raises(RuleViolation) as refused:
        the_review.decide(Outcome.GO, gina, "fits")
    assert refused.value.code == "SEGREGATION_OF_DUTIES"


@pytest.mark.parametrize(
    ("votes", "outcome"),
    [
        ((vote(gina), vote(gus, Outcome.KILL)), Outcome.GO),  # a vote to kill
        ((vote(gina), vote(gus, Outcome.GO, UNFIT)), Outcome.GO),  # a criterion failed
        ((vote(gina), vote(gus)), Outcome.HOLD),  # nobody voted to hold
    ],
)
def test_a_decision_the_votes_do_not_support_is_refused(
    votes: tuple[GateVote, GateVote], outcome: Outcome
) -> None:
    the_review = voted(review(), (gina, votes[0]), (gus, votes[1]))
    with pytest.raises(RuleViolation) as refused:
        the_review.decide(outcome, gina, "decided")
    assert refused.value.code == "DECISION_AGAINST_VOTES"


def test_a_chair_who_overrides_the_votes_says_why_and_the_override_is_recorded() -> None:
    the_review = voted(review(), (gina, vote(gina)), (gus, vote(gus, Outcome.GO, UNFIT)))

    decision = the_review.decide(Outcome.GO, gina, "go", override="the board instructed it")

    assert decision.failed_criteria == ("strategic fit",)
    assert events_of(the_review)[-1].override == "the board instructed it"  # type: ignore[attr-defined]


def test_the_conditions_of_a_conditional_go_come_from_the_votes() -> None:
    conditional = vote(gus, Outcome.CONDITIONAL_GO, FIT, conditions=("hire a lead",))
    the_review = voted(review(), (gina, vote(gina)), (gus, conditional))

    decision = the_review.decide(Outcome.CONDITIONAL_GO, gina, "go, once hired")

    assert decision.conditions == ("hire a lead",)


def test_a_decided_review_takes_no_more_votes() -> None:
    the_review = voted(review(), (gina, vote(gina)), (gus, vote(gus)))
    the_review.decide(Outcome.GO, gina, "fits")
    with pytest.raises(RuleViolation) as refused:
        the_review.vote(vote(gail), gail)
    assert refused.value.code == "REVIEW_DECIDED"


def test_the_initiative_records_the_votes_its_gate_decision_rests_on() -> None:
    initiative = sponsored()
    the_review = voted(review(), (gina, vote(gina)), (gus, vote(gus)))
    decision = the_review.decide(Outcome.GO, gina, "fits")

    initiative.decide_gate(decision, gina, "fits", votes=tuple(the_review.votes))

    events = events_of(initiative)
    assert replayed(events, type(initiative)).stage is Stage.SCOPING
    assert [v.gatekeeper for v in events[-1].votes] == ["gina", "gus"]  # type: ignore[attr-defined]


def test_a_chair_named_sponsor_after_the_review_opened_may_no_longer_decide_it() -> None:
    the_review = voted(
        review(gina, gus, interested=("alice",)), (gina, vote(gina)), (gus, vote(gus))
    )
    with pytest.raises(RuleViolation) as refused:
        the_review.decide(Outcome.GO, gina, "fits", interested=("alice", "gina"))
    assert refused.value.code == "CHAIR_NOT_INDEPENDENT"


# One review at a time, and withdrawal -----------------------------------------------------------


def test_a_second_review_of_an_initiative_is_refused_while_one_is_open() -> None:
    initiative = sponsored()
    initiative.gate_review_opened(uuid4(), Gate.G1, stella)

    with pytest.raises(RuleViolation) as refused:
        initiative.gate_review_opened(uuid4(), Gate.G1, stella)
    assert refused.value.code == "REVIEW_ALREADY_OPEN"


def test_while_a_review_is_open_no_other_decision_is_recorded_for_the_gate() -> None:
    initiative = sponsored()
    initiative.gate_review_opened(uuid4(), Gate.G1, stella)
    other = voted(review(), (gina, vote(gina)), (gus, vote(gus)))
    decision = other.decide(Outcome.GO, gina, "fits")

    with pytest.raises(RuleViolation) as refused:
        initiative.decide_gate(decision, gina, "fits", votes=tuple(other.votes), review_id=other.id)
    assert refused.value.code == "REVIEW_ALREADY_OPEN"


def test_the_open_reviews_decision_closes_it_and_records_its_panel() -> None:
    initiative = sponsored()
    the_review = voted(review(), (gina, vote(gina)), (gus, vote(gus)))
    initiative.gate_review_opened(the_review.id, Gate.G1, stella)
    decision = the_review.decide(Outcome.GO, gina, "fits")

    initiative.decide_gate(
        decision,
        gina,
        "fits",
        votes=tuple(the_review.votes),
        panel=tuple(the_review.gatekeepers),
        review_id=the_review.id,
    )

    events = events_of(initiative)
    assert initiative.open_review is None
    assert events[-1].panel == ("gina", "gus", "gail")  # type: ignore[attr-defined]
    assert replayed(events, type(initiative)).open_review is None


def test_a_withdrawn_review_takes_no_votes_and_frees_the_gate_for_another() -> None:
    initiative = sponsored()
    the_review = voted(review(), (gina, vote(gina)))
    initiative.gate_review_opened(the_review.id, Gate.G1, stella)

    the_review.withdraw(stella, "the panel cannot meet before the budget round")
    initiative.gate_review_withdrawn(the_review.id, stella, "the panel cannot meet")

    with pytest.raises(RuleViolation) as refused:
        the_review.vote(vote(gus), gus)
    assert refused.value.code == "REVIEW_WITHDRAWN"
    initiative.gate_review_opened(uuid4(), Gate.G1, stella)  # another may open now
    assert [v.gatekeeper for v in the_review.votes] == ["gina"]  # its votes stay on record


def test_a_withdrawal_says_why() -> None:
    with pytest.raises(InvalidInput) as refused:
        review().withdraw(stella, "  ")
    assert refused.value.field == "reason"
