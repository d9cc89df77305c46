"""Whatever anyone does, in any order, no gate is decided by the initiative's own people: a
hypothesis state machine issuing commands through Polarity.handle as a cast in which the
proposer and the sponsor are gatekeepers too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from domain.commands import (
    AssignSponsor,
    ClassifyInitiative,
    Command,
    DecideGateReview,
    OpenGateReview,
    ProposeInitiative,
    ReleaseSponsor,
    VoteAtGate,
    WithdrawGateReview,
)
from domain.errors import DomainError
from domain.gate_review import GateReview
from domain.gates import Outcome
from domain.initiative import Initiative
from domain.values import Actor
from service.application import Polarity
from service.unit_of_work import Context
from tests.service.scenarios import STRATEGIC

pytestmark = pytest.mark.database

PAT = Context(Actor("pat", ("contributor", "gatekeeper")))  # proposes, and is a gatekeeper
SAM = Context(Actor("sam", ("sponsor", "gatekeeper")))  # sponsors, and is a gatekeeper
STELLA = Context(Actor("stella", ("steward",)))
CAST = [
    PAT,
    SAM,
    Context(Actor("gina", ("gatekeeper",))),
    Context(Actor("gus", ("gatekeeper",))),
    STELLA,
]
NAMES = [person.actor.id for person in CAST]
PERSON = st.sampled_from(CAST)
NAME = st.sampled_from(NAMES)
GATEKEEPER = st.sampled_from(NAMES[:4])  # the steward on a panel could neither vote nor chair
PANEL = st.lists(st.one_of(GATEKEEPER, NAME), min_size=2, max_size=4)
OUTCOME = st.sampled_from([Outcome.GO, Outcome.HOLD, Outcome.RECYCLE, Outcome.KILL])


@dataclass(frozen=True)
class Decision:
    """A gate decision the machine saw recorded: the review and the initiative's version."""

    review: UUID
    initiative: UUID
    version: int


def test_no_sequence_of_commands_lets_one_person_make_up_the_quorum_of_their_gate(
    app: Polarity,
) -> None:
    tried: Counter[str] = Counter()  # every command: its name if it went through, else the refusal
    outcomes: Counter[str] = Counter()  # of the decisions tried: "decided" or the refusal

    class OwnGate(RuleBasedStateMachine):
        initiatives = Bundle("initiatives")
        reviews = Bundle("reviews")

        def __init__(self) -> None:
            super().__init__()
            self.known: list[UUID] = []
            self.opened: list[UUID] = []
            self.decisions: list[Decision] = []

        def attempt(self, by: Context, command: Command) -> UUID | None:
            try:
                result = app.handle(by, command).id
                tried[type(command).__name__] += 1
                return result
            except DomainError as e:
                tried[e.code] += 1
                return None

        @initialize(target=initiatives)
        def strategic_and_sponsored(self) -> UUID:
            """One initiative pat proposed and sam sponsors, ready for its first gate."""
            initiative = app.handle(PAT, ProposeInitiative("Enter Norway", "Stalled", "Sales")).id
            app.handle(STELLA, ClassifyInitiative(initiative, STRATEGIC, "new region"))
            app.handle(STELLA, AssignSponsor(initiative, sponsor="sam"))
            self.known.append(initiative)
            return initiative

        @rule(target=initiatives, by=PERSON)
        def propose(self, by: Context) -> UUID | MultipleResults[UUID]:
            initiative = self.attempt(by, ProposeInitiative("Enter Chile", "Stalled", "Sales"))
            if initiative is None:
                return multiple()  # nothing to draw on later
            self.known.append(initiative)
            return initiative

        @rule(by=PERSON, initiative=initiatives)
        def classify(self, by: Context, initiative: UUID) -> None:
            if initiative is not None:
                self.attempt(by, ClassifyInitiative(initiative, STRATEGIC, "new region"))

        @rule(by=PERSON, initiative=initiatives, sponsor=NAME)
        def sponsor(self, by: Context, initiative: UUID, sponsor: str) -> None:
            if initiative is not None:
                self.attempt(by, AssignSponsor(initiative, sponsor=sponsor))

        @rule(by=PERSON, initiative=initiatives)
        def release_sponsor(self, by: Context, initiative: UUID) -> None:
            if initiative is not None:
                self.attempt(by, ReleaseSponsor(initiative, reason="moved on"))

        @rule(target=reviews, by=PERSON, initiative=initiatives, panel=PANEL, chair=NAME)
        def open_review(
            self, by: Context, initiative: UUID, panel: list[str], chair: str
        ) -> UUID | MultipleResults[UUID]:
            if initiative is None:
                return None
            review = self.attempt(by, OpenGateReview(initiative, tuple(panel), chair))
            if review is None:
                return multiple()
            self.opened.append(review)
            return review

        @rule(target=reviews, initiative=initiatives, panel=PANEL, data=st.data())
        def open_review_chaired_from_the_panel(
            self, initiative: UUID, panel: list[str], data: st.DataObject
        ) -> UUID | MultipleResults[UUID]:
            """The steward opens it, naming one of the panel (any of them) to chair."""
            return self.open_review(STELLA, initiative, panel, data.draw(st.sampled_from(panel)))

        @rule(by=PERSON, review=reviews, outcome=OUTCOME)
        def vote(self, by: Context, review: UUID, outcome: Outcome) -> None:
            if review is not None:
                self.attempt(by, VoteAtGate(review, outcome, "my view"))

        @rule(by=PERSON, review=reviews, now=st.integers(0, 3))
        def withdraw(self, by: Context, review: UUID, now: int) -> None:
            """Now and then a review nobody can decide is withdrawn, so that another opens."""
            if review is not None and now == 0:
                self.attempt(by, WithdrawGateReview(review, "the panel cannot meet"))

        @rule(review=reviews, data=st.data())
        def panel_votes(self, review: UUID, data: st.DataObject) -> None:
            """Some of those the review names vote, each as they choose: arbitrary voters rarely
            reach a quorum."""
            panel = app.get(review, GateReview).gatekeepers
            voters = data.draw(st.permutations([p for p in CAST if p.actor.id in panel]))
            for by in voters[: data.draw(st.integers(1, len(voters)))]:
                self.vote(by, review, data.draw(OUTCOME))

        @rule(
            review=reviews, outcome=OUTCOME, override=st.sampled_from([None, "the board insists"])
        )
        def decide_as_the_chair(self, review: UUID, outcome: Outcome, override: str | None) -> None:
            if review is not None:
                chair = app.get(review, GateReview).chair
                by = next(p for p in CAST if p.actor.id == chair)
                self.decide(by, review, outcome, override)

        @rule(
            by=PERSON,
            review=reviews,
            outcome=OUTCOME,
            override=st.sampled_from([None, "the board insists"]),
        )
        def decide(self, by: Context, review: UUID, outcome: Outcome, override: str | None) -> None:
            if review is None:
                return
            try:
                result = app.handle(
                    by, DecideGateReview(review, outcome, "decided", override=override)
                )
            except DomainError as refusal:
                outcomes[refusal.code] += 1
                return
            outcomes["decided"] += 1
            self.decisions.append(Decision(review, result.id, result.version))

        @invariant()
        def every_vote_is_cast_once_by_the_gatekeeper_it_names(self) -> None:
            for review_id in self.opened:
                opened, *rest = app.events.get(review_id)
                assert isinstance(opened, GateReview.Opened)
                voters = [e.vote.gatekeeper for e in rest if isinstance(e, GateReview.Voted)]
                assert len(voters) == len(set(voters))
                assert set(voters) <= set(opened.gatekeepers)
                for voted in rest:
                    if isinstance(voted, GateReview.Voted):
                        assert voted.actor.id == voted.vote.gatekeeper

        @invariant()
        def every_gate_decision_rests_on_an_independent_quorum(self) -> None:
            by_version = {(d.initiative, d.version): d.review for d in self.decisions}
            for initiative_id in self.known:
                proposer, sponsor = "", None
                for e in app.events.get(initiative_id):
                    if isinstance(e, Initiative.Proposed):
                        proposer = e.actor.id
                    elif isinstance(e, Initiative.SponsorAssigned):
                        sponsor = e.sponsor
                    elif isinstance(e, Initiative.SponsorReleased):
                        sponsor = None
                    elif isinstance(e, Initiative.GateDecided):
                        review = by_version[(initiative_id, e.originator_version)]
                        self.check(e, review, interested={proposer, sponsor})

        def check(
            self, decided: Initiative.GateDecided, review: UUID, interested: set[str | None]
        ) -> None:
            opened, *rest = app.events.get(review)
            assert isinstance(opened, GateReview.Opened)
            closing = [e for e in rest if isinstance(e, GateReview.Decided)]
            assert len(closing) == 1
            assert not any(isinstance(e, GateReview.Withdrawn) for e in rest)
            assert decided.panel == opened.gatekeepers
            voters = [vote.gatekeeper for vote in decided.votes]
            panel = set(opened.gatekeepers)
            assert len(voters) == len(set(voters)), voters
            assert set(voters) <= panel
            assert len(voters) > len(panel) / 2, (voters, panel)
            assert set(voters) - interested, (voters, interested)
            assert decided.actor.id == opened.chair == closing[0].actor.id
            assert opened.chair not in interested, (opened.chair, interested)
            assert tuple(decided.decision.gatekeepers) == tuple(voters)

    run_state_machine_as_test(
        OwnGate,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert outcomes["decided"], (outcomes, tried)  # decisions were reached, so the checks bit
