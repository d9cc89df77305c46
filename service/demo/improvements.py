"""How an improvement item's story is told: raised by a team leader, classified and resourced by
the improvement office, taken through PDCA with a huddle review every week."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from uuid import UUID

from domain.classification import Criteria, Scope
from domain.commands import (
    AbandonImprovementItem,
    AdvanceImprovementItem,
    AlignImprovementItem,
    ClassifyImprovementItem,
    RaiseImprovementItem,
    ResourceImprovementItem,
    ReviewImprovementItem,
    StandardiseImprovementItem,
)
from domain.improvement import ActDecision, MeasuredResult, PdcaStage
from domain.values import ReviewStatus, Strength
from service.demo.organisation import Organisation
from service.demo.people import CHEN, EVA, FATIMA, JAKOB, SAM, TOMAS, Person
from service.demo.timeline import Step, Story, quarter_of
from service.unit_of_work import Result

WEEK = 5  # working days between huddles
LOCAL = Criteria(Scope.TEAM, 3, False, False, Decimal(0), True)
LEADS = {
    "Line 3 Production": JAKOB,
    "Finance Operations": FATIMA,
    "Supply Chain": CHEN,
    "Customer Service": EVA,
    "Digital Factory": SAM,
}


class Fate(Enum):
    """How the item's PDCA ends (unless today comes first)."""

    STANDARDISE = "standardise"
    ADJUST = "adjust"  # a second cycle, then standardise
    ABANDON = "abandon"
    STALL = "stall"  # the huddles stop in DO
    WAIT = "wait"  # no owner is found: it waits in PLAN
    UNCLASSIFIED = "unclassified"  # nobody has classified it yet


@dataclass(frozen=True)
class Kaizen:
    """An improvement item's plan: the problem, its metric from baseline to target, its pace."""

    title: str
    team: str
    metric: str
    baseline: Decimal
    target: Decimal
    raised: int  # working days ago
    objective: str  # the annual objective it serves
    weeks: int = 4  # weeks in DO
    fate: Fate = Fate.STANDARDISE
    fte: Decimal = Decimal(1)

    @property
    def lead(self) -> Person:
        return LEADS[self.team]


def item(org: Organisation, kaizen: Kaizen, number: int) -> Story:
    """Raised by the team leader; then everything else in the order it happened."""
    raised = yield from raise_item(org, kaizen, number)
    if kaizen.fate is Fate.UNCLASSIFIED:
        return
    classify = ClassifyImprovementItem(raised, criteria=LOCAL, reason="refines work in one team")
    yield Step(org.calendar.ago(kaizen.raised - 1, 10, number % 60), TOMAS, classify)
    yield from improved(org, kaizen, number, raised)


def raise_item(org: Organisation, kaizen: Kaizen, number: int) -> Generator[Step, Result, UUID]:
    problem = f"{kaizen.metric} is {kaizen.baseline}; the team wants {kaizen.target}"
    command = RaiseImprovementItem(kaizen.title, problem, area=kaizen.team, metric=kaizen.metric)
    raised = yield Step(org.calendar.ago(kaizen.raised, 9, number % 60), kaizen.lead, command)
    org.items.append(raised.id)
    return raised.id


def improved(org: Organisation, kaizen: Kaizen, number: int, item_id: UUID) -> Story:
    """The PDCA of a classified item."""
    calendar, lead, day = org.calendar, kaizen.lead, kaizen.raised - 1
    year = calendar.day(kaizen.raised).year
    objective = org.annual(kaizen.objective, year)
    align = AlignImprovementItem(item_id, objective, Strength.MODERATE, reason="serves the plan")
    yield Step(calendar.ago(day, 13), TOMAS, align)
    plan = AdvanceImprovementItem(item_id, PdcaStage.PLAN, evidence="baseline measured")
    yield Step(calendar.ago(day - 1, 11), lead, plan)
    if kaizen.fate is Fate.WAIT:
        return
    day -= 3
    yield Step(calendar.ago(day, 14), TOMAS, _resource(org, kaizen, item_id, day))
    day -= 1
    for cycle in range(2 if kaizen.fate is Fate.ADJUST else 1):
        yield from _cycle(org, kaizen, item_id, day, cycle)
        day -= WEEK * kaizen.weeks + 4


def _resource(
    org: Organisation, kaizen: Kaizen, item_id: UUID, day: int
) -> ResourceImprovementItem:
    calendar = org.calendar
    due = calendar.day(day - WEEK * (kaizen.weeks + 2))
    return ResourceImprovementItem(
        item_id,
        owner=kaizen.lead.id,
        due=due,
        reason="owner and time agreed at the huddle",
        team_id=org.teams[kaizen.team],
        period=quarter_of(calendar.day(day)),
        fte=kaizen.fte,
    )


def _cycle(
    org: Organisation, kaizen: Kaizen, item_id: UUID, day: int, cycle: int
) -> Iterator[Step]:
    """DO with a weekly huddle, CHECK against the target, ACT on what it showed."""
    calendar, lead = org.calendar, kaizen.lead
    if cycle:
        again = AdvanceImprovementItem(item_id, PdcaStage.PLAN, evidence="adjusted plan")
        yield Step(calendar.ago(day, 10), lead, again)
    start = AdvanceImprovementItem(item_id, PdcaStage.DO, evidence="countermeasure trial started")
    yield Step(calendar.ago(day, 11), lead, start)
    weeks = 2 if kaizen.fate is Fate.STALL else kaizen.weeks
    for week in range(1, weeks + 1):
        day -= WEEK
        yield Step(calendar.ago(day, 8, 30), lead, _huddle(kaizen, item_id, week, cycle))
    if kaizen.fate is Fate.STALL:
        return
    actual = _metric(kaizen, kaizen.weeks, cycle)
    result = MeasuredResult(kaizen.target, actual, kaizen.metric)
    check = AdvanceImprovementItem(
        item_id, PdcaStage.CHECK, evidence=f"{kaizen.weeks} weeks of data", result=result
    )
    yield Step(calendar.ago(day - 1, 15), lead, check)
    decision = _decision(kaizen, cycle)
    act = AdvanceImprovementItem(item_id, PdcaStage.ACT, decision=decision, reason=WHY[decision])
    yield Step(calendar.ago(day - 3, 15), lead, act)
    if decision is ActDecision.STANDARDISE:
        standard = f"SOP-{kaizen.team[:3].upper()}-{kaizen.raised:03d}"
        standardise = StandardiseImprovementItem(item_id, standard_reference=standard)
        yield Step(calendar.ago(day - 4, 16), TOMAS, standardise)
    if decision is ActDecision.ABANDON:
        lesson = "the cause lies upstream, with the supplier"
        abandon = AbandonImprovementItem(item_id, lesson, reason="no effect on the metric")
        yield Step(calendar.ago(day - 4, 16), TOMAS, abandon)


WHY = {
    ActDecision.STANDARDISE: "the new method held at the target",
    ActDecision.ADJUST: "half the gain; the method needs a second cycle",
    ActDecision.ABANDON: "the metric did not move",
}


def _decision(kaizen: Kaizen, cycle: int) -> ActDecision:
    if kaizen.fate is Fate.ABANDON:
        return ActDecision.ABANDON
    if kaizen.fate is Fate.ADJUST and cycle == 0:
        return ActDecision.ADJUST
    return ActDecision.STANDARDISE


def _metric(kaizen: Kaizen, week: int, cycle: int) -> Decimal:
    """The metric after `week` weeks of DO: the target by the end; a cycle to be adjusted gets
    half way, the next one the rest; an abandoned one barely moves."""
    progress = Decimal(week) / Decimal(kaizen.weeks)
    if kaizen.fate is Fate.ABANDON:
        progress /= 10
    elif kaizen.fate is Fate.ADJUST:
        progress = (cycle + progress) / 2
    gain = (kaizen.target - kaizen.baseline) * progress
    return (kaizen.baseline + gain).quantize(Decimal("0.1"))


def _huddle(kaizen: Kaizen, item_id: UUID, week: int, cycle: int) -> ReviewImprovementItem:
    behind = week == 2 and kaizen.fate in (Fate.STALL, Fate.ADJUST)
    return ReviewImprovementItem(
        item_id,
        status=ReviewStatus.AMBER if behind else ReviewStatus.GREEN,
        reason="weekly huddle",
        metric_value=_metric(kaizen, week, cycle),
        blockers=("waiting for maintenance to fit the change",) if behind else (),
    )
