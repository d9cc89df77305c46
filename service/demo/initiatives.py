"""How an initiative's story is told: proposed, classified, sponsored, taken through its gates by
the investment committee, reviewed monthly by its sponsor, resourced quarter by quarter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from domain.classification import Criteria
from domain.commands import (
    AlignInitiative,
    ApproveRequest,
    AssignSponsor,
    ClassifyInitiative,
    ClearConditions,
    CloseInitiative,
    DecideGateReview,
    OpenGateReview,
    ProposeInitiative,
    RecordBenefit,
    RequestApproval,
    ResourceInitiative,
    ReviewInitiative,
    VoteAtGate,
)
from domain.gates import Criterion, Gate, Outcome
from domain.values import Countermeasure, Indicator, Path, ReviewStatus, Strength
from service.demo.organisation import Organisation
from service.demo.people import GATEKEEPERS, PRIYA, Person
from service.demo.timeline import Step, Story, first_day_of, next_quarter, quarter_of

MONTH = 21  # working days between monthly reviews


@dataclass(frozen=True)
class Decision:
    """What the committee decided at a gate, when (working days ago) and why."""

    ago: int
    outcome: Outcome
    reason: str
    conditions: tuple[str, ...] = ()
    cleared: int | None = None  # when the conditions were cleared
    evidence: str = ""  # that they were met


@dataclass(frozen=True)
class Booking:
    """Team time booked while scoping; beyond what the team had, requested by the portfolio
    office and approved by a second person, a sponsor."""

    team: str
    fte: Decimal
    reason: str
    approved_by: Person | None = None
    why_approved: str = ""


@dataclass(frozen=True)
class Setback:
    """What went wrong, found at a monthly review (RED), and what was done about it."""

    ago: int
    root_cause: str
    action: str
    risk: str


@dataclass(frozen=True)
class Benefit:
    name: str
    planned: Decimal
    realised: Decimal
    unit: str


@dataclass(frozen=True)
class Venture:
    """An initiative's plan: what it is, who is behind it, and what happened to it when."""

    title: str
    problem: str
    org_unit: str
    benefits: str
    proposer: Person
    sponsor: Person
    criteria: Criteria
    objective: str  # the breakthrough objective it serves
    team: str
    fte: Decimal
    budget: Decimal
    proposed: int
    gates: tuple[Decision, ...] = ()
    override: str | None = None  # why it was decided strategic against the policy
    scoping: Booking | None = None
    benefit: Benefit | None = None
    setback: Setback | None = None
    reviews_stop: int = 0  # the sponsor stopped reviewing it then


def initiative(org: Organisation, venture: Venture, number: int) -> Story:
    """Proposed by its proposer; then everything else in the order it happened."""
    calendar = org.calendar
    proposal = ProposeInitiative(
        title=venture.title,
        problem=venture.problem,
        org_unit=venture.org_unit,
        expected_benefits=venture.benefits,
        horizon_months=venture.criteria.horizon_months,
    )
    proposed = yield Step(calendar.ago(venture.proposed, 9, 30), venture.proposer, proposal)
    org.initiatives.append(proposed.id)
    classify = ClassifyInitiative(
        proposed.id,
        criteria=venture.criteria,
        reason="classified at the portfolio review",
        decided=Path.STRATEGIC if venture.override else None,
        override_reason=venture.override,
    )
    if venture.override is None:
        yield Step(calendar.ago(venture.proposed - 3, 10), PRIYA, classify)
    else:  # against the policy's recommendation: the sponsor approves it as a second person
        why = "classified at the portfolio review, against the policy"
        asked = yield Step(
            calendar.ago(venture.proposed - 3, 10), PRIYA, RequestApproval(classify, why)
        )
        approve = ApproveRequest(asked.id, reason=venture.override)
        yield Step(calendar.ago(venture.proposed - 3, 15), venture.sponsor, approve)
    yield from governed(org, venture, number, proposed.id)


def governed(org: Organisation, venture: Venture, number: int, initiative: UUID) -> Story:
    """The life of a classified initiative, from its sponsor on."""
    steps = [*_sponsorship(org, venture, initiative), *_gates(org, venture, number, initiative)]
    steps += [*_resourcing(org, venture, initiative), *_reviews(org, venture, initiative)]
    steps += _closure(org, venture, initiative)
    steps.sort(key=lambda step: step.at)
    review = REVIEW_TO_COME
    while steps:
        step = steps.pop(0)
        if isinstance(step.command, VoteAtGate | DecideGateReview):
            step = replace(step, command=replace(step.command, id=review))
        result = yield step
        if isinstance(step.command, OpenGateReview):
            review = result.id
        if isinstance(step.command, RequestApproval) and venture.scoping is not None:
            booking = venture.scoping
            assert booking.approved_by is not None
            approve = ApproveRequest(result.id, reason=booking.why_approved)
            steps.insert(0, Step(step.at + timedelta(hours=2), booking.approved_by, approve))


def _sponsorship(org: Organisation, venture: Venture, initiative: UUID) -> Iterator[Step]:
    calendar, sponsor = org.calendar, venture.sponsor
    assign = AssignSponsor(
        initiative, sponsor=sponsor.id, reason="accepted at the executive meeting"
    )
    yield Step(calendar.ago(venture.proposed - 4, 11), PRIYA, assign)
    if venture.gates:
        objective = org.objectives[venture.objective]
        align = AlignInitiative(initiative, objective, Strength.STRONG, reason="hoshin matrix")
        yield Step(calendar.ago(venture.gates[0].ago - 3, 15), sponsor, align)


REVIEW_TO_COME = UUID(int=0)  # stands for the id of a gate review until it is opened
# Each gate's must-meet criteria and the evidence the committee reads for them.
CRITERIA = {
    Gate.G1: (("strategic fit", "strategy review minutes"), ("sponsor named", "sponsor letter")),
    Gate.G2: (("business case approved", "NPV at 8%"), ("objective served", "hoshin matrix")),
    Gate.G3: (("team and budget committed", "resource plan"), ("risks owned", "risk register")),
    Gate.G4: (("operations accept it", "handover checklist"), ("KPIs reported", "dashboard")),
    Gate.G5: (("benefits realised against plan", "finance benefits report"),),
}


def _gates(org: Organisation, venture: Venture, number: int, initiative: UUID) -> Iterator[Step]:
    """Each gate reviewed by a panel of three gatekeepers, chaired in turn: opened in the
    morning, each member votes under their own name, the chair decides; the next gate is planned
    for when it was decided (or about three months on). The review's id is filled in by
    `governed` once the review is open."""
    calendar = org.calendar
    for index, (gate, decided) in enumerate(zip(Gate, venture.gates, strict=False)):
        turn = (number + index) % len(GATEKEEPERS)
        panel = (GATEKEEPERS * 2)[turn : turn + 3]
        chair = panel[0]
        opened = OpenGateReview(initiative, tuple(keeper.id for keeper in panel), chair.id)
        yield Step(calendar.ago(decided.ago, 9), PRIYA, opened)
        passed = decided.outcome in (Outcome.GO, Outcome.CONDITIONAL_GO)
        for seat, keeper in enumerate(panel):
            vote = VoteAtGate(
                REVIEW_TO_COME,
                decided.outcome,
                decided.reason,
                must_meet=tuple(
                    Criterion(name, passed or n > 0, evidence)
                    for n, (name, evidence) in enumerate(CRITERIA[gate])
                ),
                should_meet_score=60 + (number * 7 + index * 11 + seat * 5) % 35,
                conditions=decided.conditions,
            )
            yield Step(calendar.ago(decided.ago, 13, 10 * seat), keeper, vote)
        following = venture.gates[index + 1].ago if index + 1 < len(venture.gates) else None
        decide = DecideGateReview(
            REVIEW_TO_COME,
            decided.outcome,
            decided.reason,
            next_gate_date=_next_gate(org, decided, following) if passed else None,
        )
        yield Step(calendar.ago(decided.ago, 14), chair, decide)
        if decided.cleared is not None:
            clear = ClearConditions(initiative, evidence=decided.evidence, reason="conditions met")
            yield Step(calendar.ago(decided.cleared, 16), chair, clear)


def _next_gate(org: Organisation, decided: Decision, following: int | None) -> date:
    return org.calendar.day(following if following is not None else decided.ago - 3 * MONTH)


def _resourcing(org: Organisation, venture: Venture, initiative: UUID) -> Iterator[Step]:
    """Scoping time if it was booked; from G3, the team each quarter until the handover."""
    calendar, gates = org.calendar, venture.gates
    if venture.scoping and gates:
        booking = venture.scoping
        at = calendar.ago(gates[0].ago - 5, 11)
        resource = ResourceInitiative(
            initiative, org.teams[booking.team], quarter_of(at.date()), booking.fte, booking.reason
        )
        asked = RequestApproval(resource, booking.reason) if booking.approved_by else None
        yield Step(at, PRIYA, asked or resource)
    if len(gates) < 3 or gates[2].outcome is not Outcome.GO:
        return
    start, end = gates[2].ago + 5, gates[3].ago if len(gates) > 3 else 0
    quarter = quarter_of(calendar.day(start))
    while (booked := min(calendar.workdays_before(first_day_of(quarter)) + 5, start)) > end:
        command = ResourceInitiative(
            initiative,
            team_id=org.teams[venture.team],
            period=quarter,
            fte=venture.fte,
            budget=venture.budget / 4,
            reason=f"dedicated team for {quarter}",
        )
        yield Step(calendar.ago(booked, 11, 30), PRIYA, command)
        quarter = next_quarter(quarter)


def _reviews(org: Organisation, venture: Venture, initiative: UUID) -> Iterator[Step]:
    """Monthly, by the sponsor, from G1 until it is killed or closed, or the sponsor stops: a
    setback turns the next review RED and the one after AMBER."""
    if not venture.gates:
        return
    calendar, setback = org.calendar, venture.setback
    ended = [d.ago for d in venture.gates if d.outcome is Outcome.KILL]
    ended += [d.ago for d in venture.gates[4:] if d.outcome is Outcome.GO]
    last = max([venture.reviews_stop, *ended])
    since_setback = 0
    for month, ago in enumerate(range(venture.gates[0].ago - MONTH, last, -MONTH)):
        status = ReviewStatus.AMBER if month % 5 == 3 else ReviewStatus.GREEN
        if setback is not None and ago <= setback.ago:
            since_setback += 1
            status = {1: ReviewStatus.RED, 2: ReviewStatus.AMBER}.get(since_setback, status)
        review = _review(venture, initiative, calendar.day(ago), status, month)
        yield Step(calendar.ago(ago, 10), venture.sponsor, review)


def _review(
    venture: Venture, initiative: UUID, day: date, status: ReviewStatus, month: int
) -> ReviewInitiative:
    setback, countermeasure = venture.setback, None
    if status is ReviewStatus.RED and setback is not None:
        due = day + timedelta(days=45)
        countermeasure = Countermeasure(
            setback.root_cause, setback.action, venture.proposer.id, due
        )
    risks = (setback.risk,) if setback and status is not ReviewStatus.GREEN else ()
    return ReviewInitiative(
        initiative,
        period=f"{day:%Y-%m}",
        status=status,
        summary=SUMMARIES[status],
        reason="monthly review",
        indicators=(
            Indicator("milestones met", Decimal(min(100, 55 + 5 * month)), Decimal(100), "%"),
        ),
        risks=risks,
        countermeasure=countermeasure,
    )


SUMMARIES = {
    ReviewStatus.GREEN: "milestones on plan",
    ReviewStatus.AMBER: "one milestone slipped; recovery plan agreed",
    ReviewStatus.RED: "critical milestone missed",
}


def _closure(org: Organisation, venture: Venture, initiative: UUID) -> list[Step]:
    """Early benefits after the handover; after a GO at G5, the final count and the closure."""
    calendar, benefit, steps = org.calendar, venture.benefit, []
    if benefit and len(venture.gates) > 3:
        early = RecordBenefit(
            initiative, benefit.name, benefit.planned, benefit.realised * Decimal("0.6"),
            "first quarter after handover", unit=benefit.unit,
        )  # fmt: skip
        steps.append(Step(calendar.ago(venture.gates[3].ago - MONTH * 3, 15), PRIYA, early))
    if len(venture.gates) == 5 and venture.gates[4].outcome is Outcome.GO:
        g5 = venture.gates[4].ago
        if benefit:
            final = RecordBenefit(
                initiative, benefit.name, benefit.planned, benefit.realised, "benefits review",
                unit=benefit.unit,
            )  # fmt: skip
            steps.append(Step(calendar.ago(g5 - 1, 15), PRIYA, final))
        close = CloseInitiative(initiative, outcome="benefits realised", reason="G5 passed")
        steps.append(Step(calendar.ago(g5 - 3, 11), venture.sponsor, close))
    return steps
