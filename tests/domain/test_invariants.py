"""Random command sequences keep capacity, kill and Stage-Gate invariants, and replay exactly."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.classification import DEFAULT_POLICY, Classification
from domain.errors import DomainError
from domain.gates import Criterion, Gate, GateDecision, Outcome, Stage
from domain.governed import Governed
from domain.improvement import ActDecision, ImprovementItem, PdcaStage
from domain.initiative import Initiative
from domain.team import Team
from domain.values import Actor, Allocation, Approval, Path, Period, ReviewStatus, Strength
from tests.domain.builders import (
    GATEKEEPERS,
    OPERATIONAL_CRITERIA,
    Q1,
    Q2,
    STRATEGIC_CRITERIA,
    alice,
    bob,
    carol,
    countermeasure,
    dave,
    measured,
    owned,
    proposed_initiative,
    raised_item,
    replayed,
)

INITIATIVE = st.integers(0, 1)
ITEM = st.integers(0, 1)
PERIOD = st.sampled_from([Q1, Q2])
FTE = st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(2), Decimal(3)])
CAPACITY = st.sampled_from([Decimal(0), Decimal(1), Decimal(2), Decimal(4)])
REQUESTER = st.sampled_from([bob, carol])
APPROVER = st.sampled_from([None, "bob", "carol", "dave"])
ANYONE = st.sampled_from([alice, bob, carol, dave])
# Weighted towards decisions that pass and holds that repeat, so that sequences go deep.
KEEPERS = st.sampled_from([GATEKEEPERS] * 4 + [("carol",), ("alice",), ("sam",), ("alice", "sam")])
OUTCOME = st.sampled_from([Outcome.GO, Outcome.GO, *Outcome])
LIKELY = st.sampled_from([True, True, True, False])
BOARD_OUTCOME = st.sampled_from([Outcome.HOLD] * 3 + [Outcome.RECYCLE, Outcome.GO, Outcome.KILL])
OBJECTIVES = (uuid4(), uuid4())
OTHER_WORK = (uuid4(), uuid4())

WAITING = (Stage.PROPOSED, Stage.SCOPING, Stage.PLANNING, Stage.EXECUTING, Stage.SUSTAINING)
PDCA_MOVES = {
    PdcaStage.RAISED: {PdcaStage.PLAN},
    PdcaStage.PLAN: {PdcaStage.DO},
    PdcaStage.DO: {PdcaStage.CHECK},
    PdcaStage.CHECK: {PdcaStage.ACT},
    PdcaStage.ACT: {PdcaStage.PLAN, PdcaStage.STANDARDISED},
}


def waiting_stage(stage: Stage, held_from: Stage | None) -> Stage:
    return held_from if stage is Stage.ON_HOLD and held_from else stage


def stage_gate_moves(stage: Stage, held_from: Stage | None) -> set[Stage]:
    """Where one command may take an initiative: its pending gate's outcomes, closure, redirect."""
    if stage.is_terminal:
        return {stage}
    waiting = waiting_stage(stage, held_from)
    moves = {stage, waiting, Stage.ON_HOLD, Stage.KILLED}
    gate = Gate.after(waiting)
    if gate is not None:
        moves.add(gate.opens)
    if waiting is Stage.SUSTAINING:
        moves.add(Stage.CLOSED)
    if stage is Stage.PROPOSED:
        moves.add(Stage.REDIRECTED)
    return moves


def stage_after(decision: GateDecision, waiting: Stage) -> Stage:
    """The one stage a gate decision leads to from the stage that waited for its gate."""
    assert decision.gate is Gate.after(waiting), f"{decision.gate} decided in {waiting}"
    if decision.outcome.advances:
        return decision.gate.opens
    return {Outcome.HOLD: Stage.ON_HOLD, Outcome.KILL: Stage.KILLED}.get(decision.outcome, waiting)


def pdca_moves(stage: PdcaStage) -> set[PdcaStage]:
    if stage.is_terminal:
        return {stage}
    return {stage, PdcaStage.ABANDONED, PdcaStage.ESCALATED} | PDCA_MOVES[stage]


def approval(approver: str | None, requester: Actor) -> Approval | None:
    """What an approved request carries (domain.approval): its approver may be its requester
    here, which the team must refuse."""
    if approver is None:
        return None
    return Approval(approver, "peak season", requested_by=requester.id, request_id=uuid4())


def classification(path: Path) -> Classification:
    criteria = STRATEGIC_CRITERIA if path is Path.STRATEGIC else OPERATIONAL_CRITERIA
    return Classification.decide(DEFAULT_POLICY, criteria)


class Portfolio(RuleBasedStateMachine):
    """One team, two initiatives, two improvement items, saved together as the service would."""

    def __init__(self) -> None:
        super().__init__()
        self.team = Team.register(name="Line 3", org_unit="Plant North", by=bob)
        self.initiatives = [proposed_initiative() for _ in range(2)]
        self.items = [raised_item() for _ in range(2)]
        self.history: dict[UUID, list[Governed.Event]] = {}
        self.killed: set[UUID] = set()
        self._collect()

    # Unit of work --------------------------------------------------------------------------

    def _aggregates(self) -> list[Governed]:
        return [self.team, *self.initiatives, *self.items]

    def _collect(self) -> None:
        for aggregate in self._aggregates():
            for domain_event in aggregate.collect_events():
                assert isinstance(domain_event, Governed.Event)
                self.history.setdefault(aggregate.id, []).append(domain_event)

    def _atomically(self, command: Callable[[], object]) -> bool:
        """Run a command over several aggregates; a refusal leaves them all as stored."""
        try:
            command()
        except DomainError:
            self._reload()
            return False
        self._collect()
        return True

    def _reload(self) -> None:
        """Drop pending events by rebuilding every aggregate from the events already saved."""
        self.team = replayed(self.history[self.team.id], Team)
        self.initiatives = [replayed(self.history[i.id], Initiative) for i in self.initiatives]
        self.items = [replayed(self.history[i.id], ImprovementItem) for i in self.items]

    def _release_on_team(self, held: dict[str, Allocation], still: dict[str, Allocation]) -> None:
        for key in held.keys() - still.keys():
            allocation = held[key]
            self.team.release(allocation.work_item_id, allocation.period, by=bob, reason="freed")

    def _on_initiative(
        self, i: int, command: Callable[[Initiative], object], corrects: bool = False
    ) -> None:
        initiative = self.initiatives[i]
        before = (initiative.stage, initiative.held_from)
        if corrects and initiative.gates:
            before = initiative.gates[-1].state_before
        held = dict(initiative.allocations)
        saved = len(self.history[initiative.id])

        def unit_of_work() -> None:
            command(initiative)
            self._release_on_team(held, initiative.allocations)

        done = self._atomically(unit_of_work)
        after = self.initiatives[i].stage
        if initiative.id in self.killed:
            assert not done, "a killed initiative accepted a command"
        assert after in stage_gate_moves(*before), f"{before[0]} -> {after}"
        for decided in self.history[initiative.id][saved:]:
            if isinstance(decided, Initiative.GateDecided):
                assert after is stage_after(decided.decision, waiting_stage(*before))
        if after is Stage.KILLED:
            self.killed.add(initiative.id)

    def _on_item(self, j: int, command: Callable[[ImprovementItem], object]) -> None:
        item = self.items[j]
        before = item.stage
        held = dict(item.allocations)

        def unit_of_work() -> None:
            command(item)
            self._release_on_team(held, item.allocations)

        self._atomically(unit_of_work)
        assert self.items[j].stage in pdca_moves(before), f"{before} -> {self.items[j].stage}"

    @initialize()
    def strategic_initiatives_an_operational_item_and_a_team_with_capacity(self) -> None:
        for initiative in self.initiatives:
            initiative.classify(classification(Path.STRATEGIC), bob, "new region")
        self.initiatives[0].assign_sponsor("sam", bob)
        self.initiatives[0].align(OBJECTIVES[0], Strength.STRONG, bob)
        self.items[0].classify(classification(Path.OPERATIONAL), bob, "one line")
        self.team.set_capacity(Q1, Decimal(2), bob, "quarter plan")
        self._collect()

    # Team ----------------------------------------------------------------------------------

    @rule(period=PERIOD, fte=CAPACITY)
    def set_capacity(self, period: Period, fte: Decimal) -> None:
        self._atomically(lambda: self.team.set_capacity(period, fte, bob, "quarter plan"))

    @rule(work=st.sampled_from(OTHER_WORK), period=PERIOD, fte=FTE, by=REQUESTER, approver=APPROVER)
    def grant_other_work(
        self, work: UUID, period: Period, fte: Decimal, by: Actor, approver: str | None
    ) -> None:
        allocation = Allocation(
            self.team.id, work, Path.OPERATIONAL, period, fte, approval(approver, by)
        )
        self._atomically(lambda: self.team.grant(allocation, by, "other work"))

    @rule(work=st.sampled_from(OTHER_WORK), period=PERIOD)
    def release_other_work(self, work: UUID, period: Period) -> None:
        self._atomically(lambda: self.team.release(work, period, bob, "done"))

    # Initiatives ---------------------------------------------------------------------------

    @rule(i=INITIATIVE, path=st.sampled_from(Path), by=ANYONE)
    def classify_initiative(self, i: int, path: Path, by: Actor) -> None:
        self._on_initiative(i, lambda x: x.classify(classification(path), by, "policy"))

    @rule(i=INITIATIVE, sponsor=st.sampled_from(["sam", "alice", "carol"]))
    def assign_sponsor(self, i: int, sponsor: str) -> None:
        self._on_initiative(i, lambda x: x.assign_sponsor(sponsor, bob))

    @rule(i=INITIATIVE)
    def release_sponsor(self, i: int) -> None:
        self._on_initiative(i, lambda x: x.release_sponsor(bob, "moved on"))

    @rule(i=INITIATIVE, objective=st.sampled_from(OBJECTIVES), strength=st.sampled_from(Strength))
    def align(self, i: int, objective: UUID, strength: Strength) -> None:
        self._on_initiative(i, lambda x: x.align(objective, strength, bob))

    @rule(i=INITIATIVE, objective=st.sampled_from(OBJECTIVES))
    def remove_alignment(self, i: int, objective: UUID) -> None:
        self._on_initiative(i, lambda x: x.remove_alignment(objective, bob, "wrong objective"))

    @rule(i=INITIATIVE, period=PERIOD, fte=FTE, by=REQUESTER, approver=APPROVER)
    def resource_initiative(
        self, i: int, period: Period, fte: Decimal, by: Actor, approver: str | None
    ) -> None:
        def resource(initiative: Initiative) -> None:
            allocation = initiative.resource(
                team_id=self.team.id,
                period=period,
                fte=fte,
                budget=Decimal(1000),
                by=by,
                reason="next stage",
                approval=approval(approver, by),
            )
            self.team.grant(allocation, by, "next stage")

        self._on_initiative(i, resource)

    @rule(i=INITIATIVE, period=PERIOD)
    def release_initiative_resources(self, i: int, period: Period) -> None:
        self._on_initiative(
            i, lambda x: x.release_resources(self.team.id, period, bob, "not needed")
        )

    @rule(
        i=INITIATIVE,
        pending=LIKELY,
        gate=st.sampled_from(Gate),
        outcome=OUTCOME,
        keepers=KEEPERS,
        passed=LIKELY,
    )
    def decide_gate(
        self,
        i: int,
        pending: bool,
        gate: Gate,
        outcome: Outcome,
        keepers: tuple[str, ...],
        passed: bool,
    ) -> None:
        def decide(initiative: Initiative) -> None:
            at = gate
            if pending:
                at = Gate.after(waiting_stage(initiative.stage, initiative.held_from)) or gate
            initiative.decide_gate(gate_decision(at, outcome, keepers, passed), carol, "review")

        self._on_initiative(i, decide)

    @rule(i=INITIATIVE, meetings=st.lists(BOARD_OUTCOME, min_size=1, max_size=3))
    def board_meetings_hold_or_resume_the_pending_gate(
        self, i: int, meetings: list[Outcome]
    ) -> None:
        for outcome in meetings:

            def decide(initiative: Initiative, outcome: Outcome = outcome) -> None:
                waiting = waiting_stage(initiative.stage, initiative.held_from)
                decision = gate_decision(Gate.after(waiting) or Gate.G1, outcome, GATEKEEPERS)
                initiative.decide_gate(decision, dave, "board meeting")

            self._on_initiative(i, decide)

    @rule(i=INITIATIVE, outcome=st.sampled_from(Outcome), keepers=KEEPERS)
    def correct_latest_gate(self, i: int, outcome: Outcome, keepers: tuple[str, ...]) -> None:
        def correct(initiative: Initiative) -> None:
            latest = initiative.gates[-1] if initiative.gates else None
            gate, corrects = (latest.gate, latest.version) if latest else (Gate.G1, 1)
            decision = gate_decision(gate, outcome, keepers)
            initiative.decide_gate(decision, carol, "minutes corrected", corrects=corrects)

        self._on_initiative(i, correct, corrects=True)

    @rule(i=INITIATIVE)
    def clear_conditions(self, i: int) -> None:
        self._on_initiative(i, lambda x: x.clear_conditions("evidence", carol, "met"))

    @rule(i=INITIATIVE, status=st.sampled_from(ReviewStatus), with_countermeasure=st.booleans())
    def review_initiative(self, i: int, status: ReviewStatus, with_countermeasure: bool) -> None:
        measure = countermeasure() if with_countermeasure else None

        def review(initiative: Initiative) -> None:
            initiative.review(
                period="2027-03",
                status=status,
                summary="monthly",
                by=bob,
                reason="monthly review",
                countermeasure=measure,
            )

        self._on_initiative(i, review)

    @rule(i=INITIATIVE)
    def record_benefit(self, i: int) -> None:
        def record(initiative: Initiative) -> None:
            initiative.record_benefit(
                benefit="revenue",
                planned=Decimal(10),
                realised=Decimal(9),
                unit="MEUR",
                by=bob,
                reason="accounts",
            )

        self._on_initiative(i, record)

    @rule(i=INITIATIVE)
    def close(self, i: int) -> None:
        self._on_initiative(i, lambda x: x.close("done", carol, "benefits realised"))

    @rule(i=INITIATIVE)
    def redirect(self, i: int) -> None:
        self._on_initiative(i, lambda x: x.redirect(uuid4(), bob, "kaizen after all"))

    @rule(i=INITIATIVE, steps=st.integers(1, 6))
    def take_the_next_steps_with_an_initiative(self, i: int, steps: int) -> None:
        """What a diligent steward would do next, so that sequences reach the later gates."""

        def next_step(initiative: Initiative) -> None:
            gate = Gate.after(waiting_stage(initiative.stage, initiative.held_from))
            if initiative.open_conditions:
                initiative.clear_conditions("evidence", carol, "met")
            elif initiative.sponsor is None:
                initiative.assign_sponsor("sam", bob)
            elif not initiative.objectives:
                initiative.align(OBJECTIVES[1], Strength.MODERATE, bob)
            elif not initiative.allocations and gate is Gate.G3:
                allocation = initiative.resource(
                    team_id=self.team.id,
                    period=Q1,
                    fte=Decimal(1),
                    budget=Decimal(1000),
                    by=bob,
                    reason="next stage",
                    approval=approval("dave", bob),
                )
                self.team.grant(allocation, bob, "next stage")
            elif initiative.benefits_reviewed:
                initiative.close("done", carol, "benefits realised")
            else:
                decision = gate_decision(gate or Gate.G1, Outcome.GO)
                initiative.decide_gate(decision, carol, "ready")

        for _ in range(steps):
            self._on_initiative(i, next_step)

    # Improvement items ---------------------------------------------------------------------

    @rule(j=ITEM, path=st.sampled_from(Path))
    def classify_item(self, j: int, path: Path) -> None:
        self._on_item(j, lambda x: x.classify(classification(path), bob, "policy"))

    @rule(j=ITEM, on_team=st.booleans(), by=REQUESTER, approver=APPROVER)
    def resource_item(self, j: int, on_team: bool, by: Actor, approver: str | None) -> None:
        def resource(item: ImprovementItem) -> None:
            owned(item, team=self.team.id if on_team else None, approval=approval(approver, by))
            allocation = item.assignment.allocation if item.assignment else None
            if allocation is not None:
                self.team.grant(allocation, by, "kaizen")

        self._on_item(j, resource)

    @rule(j=ITEM)
    def release_item(self, j: int) -> None:
        self._on_item(j, lambda x: x.release_resources(bob, "done"))

    @rule(
        j=ITEM,
        to=st.sampled_from(PdcaStage),
        with_result=st.booleans(),
        decision=st.none() | st.sampled_from(ActDecision),
    )
    def advance(
        self, j: int, to: PdcaStage, with_result: bool, decision: ActDecision | None
    ) -> None:
        result = measured() if with_result else None
        self._on_item(j, lambda x: x.advance(to, alice, "evidence", result, decision))

    @rule(j=ITEM, decision=st.sampled_from(ActDecision), steps=st.integers(1, 6))
    def take_the_next_steps_with_an_item(self, j: int, decision: ActDecision, steps: int) -> None:
        """What a diligent process owner would do next."""

        def next_step(item: ImprovementItem) -> None:
            if item.stage is PdcaStage.PLAN and item.assignment is None:
                owned(item)
            elif item.stage is PdcaStage.ACT and item.act_decision is ActDecision.STANDARDISE:
                item.standardise("SOP-1", alice)
            else:
                following = PDCA_MOVES.get(item.stage, {PdcaStage.PLAN})
                to = min(following, key=lambda stage: stage is PdcaStage.STANDARDISED)
                item.advance(to, alice, "evidence", measured(), decision)

        for _ in range(steps):
            self._on_item(j, next_step)

    @rule(j=ITEM)
    def standardise(self, j: int) -> None:
        def standardise(item: ImprovementItem) -> None:
            before = (item.stage, item.act_decision, item.result)
            item.standardise("SOP-1", alice)
            assert before[:2] == (PdcaStage.ACT, ActDecision.STANDARDISE)
            assert before[2] is not None

        self._on_item(j, standardise)

    @rule(j=ITEM)
    def abandon(self, j: int) -> None:
        self._on_item(j, lambda x: x.abandon("lesson", bob, "no gain"))

    @rule(j=ITEM)
    def escalate(self, j: int) -> None:
        self._on_item(j, lambda x: x.escalate(uuid4(), bob, "strategic after all"))

    # Invariants ----------------------------------------------------------------------------

    @invariant()
    def allocations_beyond_capacity_carry_an_approval_by_someone_else(self) -> None:
        for period in (Q1, Q2):
            if self.team.allocated(period) > self.team.capacity_in(period):
                approved = [
                    a
                    for a in self.team.allocations.values()
                    if a.period == period
                    and a.approval is not None
                    and a.approval.approved_by != a.approval.requested_by
                ]
                assert approved, f"{period} is over-allocated without an approval"

    @invariant()
    def a_killed_initiative_stays_killed(self) -> None:
        for initiative in self.initiatives:
            assert (initiative.id in self.killed) == (initiative.stage is Stage.KILLED)

    @invariant()
    def a_held_initiative_remembers_the_stage_it_resumes(self) -> None:
        for initiative in self.initiatives:
            if initiative.stage is Stage.ON_HOLD:
                assert initiative.held_from in WAITING

    @invariant()
    def the_gate_pending_is_the_one_guarding_the_stage_the_initiative_waits_in(self) -> None:
        for initiative in self.initiatives:
            waiting = waiting_stage(initiative.stage, initiative.held_from)
            pending = None if initiative.benefits_reviewed else Gate.after(waiting)
            assert initiative.next_gate is pending, f"{initiative.stage} waits for {pending}"

    @invariant()
    def finished_work_holds_no_allocations(self) -> None:
        work_items: list[Initiative | ImprovementItem] = [*self.initiatives, *self.items]
        for work in work_items:
            assert not (work.stage.is_terminal and work.allocations), f"{work.stage} holds time"

    @invariant()
    def the_team_holds_exactly_the_allocations_its_work_holds(self) -> None:
        work: list[Initiative | ImprovementItem] = [*self.initiatives, *self.items]
        held = {key: a for w in work for key, a in w.allocations.items()}
        ids = {w.id for w in work}
        on_team = {k: a for k, a in self.team.allocations.items() if a.work_item_id in ids}
        assert on_team == held

    def teardown(self) -> None:
        for aggregate in self._aggregates():
            rebuilt = replayed(self.history[aggregate.id], type(aggregate))
            assert vars(rebuilt) == vars(aggregate)


def gate_decision(
    gate: Gate, outcome: Outcome, keepers: tuple[str, ...] = GATEKEEPERS, passed: bool = True
) -> GateDecision:
    conditions = ("name a lead",) if outcome is Outcome.CONDITIONAL_GO else ()
    must_meet = (Criterion("strategic fit", passed),)
    return GateDecision(gate, outcome, keepers, must_meet, conditions=conditions)


Portfolio.TestCase.settings = settings(max_examples=75, stateful_step_count=30, deadline=None)
TestPortfolio = Portfolio.TestCase
