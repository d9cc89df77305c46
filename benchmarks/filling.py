"""Filling the event store fast: the demo's commands run in memory, saved in big batches."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from domain.classification import DEFAULT_POLICY
from domain.commands import Command, ReviewImprovementItem, ReviewInitiative, SetTeamCapacity
from domain.governed import Governed
from domain.improvement import ImprovementItem, PdcaStage
from domain.initiative import Initiative
from domain.values import ReviewStatus
from service.application import Polarity
from service.demo import DemoPortfolio, load_demo
from service.demo.people import PRIYA, TOMAS
from service.demo.timeline import next_quarter, quarter_of
from service.handlers import HANDLERS
from service.persistence import Stamp, current_envelope
from service.unit_of_work import Context, NotFound, Result, Session

G = TypeVar("G", bound=Governed)
FOLLOW_UP_MONTHS = 2
HUDDLES_PER_MONTH = 4
IN_PROGRESS = (PdcaStage.DO, PdcaStage.CHECK, PdcaStage.ACT)


class InMemoryPolarity:
    """Polarity's commands run by their handlers against aggregates held in memory: each one
    loads, decides and keeps its new events in command order (the order the service would store
    them in)."""

    def __init__(self) -> None:
        self.policy = DEFAULT_POLICY
        self.approval_hours = 72
        self.aggregates: dict[UUID, Governed] = {}
        self.pending: list[Any] = []

    def get(self, aggregate_id: UUID, kind: type[G], version: int | None = None) -> G:
        found = self.aggregates.get(aggregate_id)
        if not isinstance(found, kind):
            raise NotFound(f"No {kind.__name__} has the id {aggregate_id}.", field="id")
        return found

    def holds_events(self) -> bool:
        return bool(self.aggregates)

    def handle(self, context: Context, command: Command) -> Result:
        command.authorise(context.actor)
        session = Session(self, context, command.target)
        primary = HANDLERS[type(command)](session, command)
        for aggregate in session.aggregates.values():  # saved in this order by the service too
            self.aggregates[aggregate.id] = aggregate
            self.pending.extend(aggregate.collect_events())
        return Result(primary.id, primary.version, 0, tuple(session.related))


def one_portfolio() -> InMemoryPolarity:
    """The demo portfolio, then two months of follow-up: monthly reviews of open initiatives,
    weekly huddles on items in progress, and capacity for the next quarter."""
    memory = InMemoryPolarity()
    # load_demo only handles commands, which InMemoryPolarity does.
    demo = load_demo(cast(Polarity, memory))
    for month in range(FOLLOW_UP_MONTHS):
        _monthly_reviews(memory, demo, month)
        for week in range(HUDDLES_PER_MONTH):
            _huddle(memory, demo, month * HUDDLES_PER_MONTH + week)
    following = next_quarter(next_quarter(quarter_of(demo.ended.date())))
    for team in demo.teams.values():
        memory.handle(
            Context(PRIYA.actor),
            SetTeamCapacity(team, period=following, fte=Decimal(8), reason="next quarter"),
        )
    return memory


def _monthly_reviews(memory: InMemoryPolarity, demo: DemoPortfolio, month: int) -> None:
    for initiative_id in demo.initiatives:
        if memory.get(initiative_id, Initiative).stage.is_terminal:
            continue
        memory.handle(
            Context(PRIYA.actor),
            ReviewInitiative(
                initiative_id,
                period=f"follow-up month {month + 1}",
                status=ReviewStatus.AMBER if month % 2 else ReviewStatus.GREEN,
                summary="milestones on plan",
                reason="monthly review",
            ),
        )


def _huddle(memory: InMemoryPolarity, demo: DemoPortfolio, week: int) -> None:
    for index, item_id in enumerate(demo.items):
        if memory.get(item_id, ImprovementItem).stage not in IN_PROGRESS:
            continue
        memory.handle(
            Context(TOMAS.actor),
            ReviewImprovementItem(
                item_id,
                status=ReviewStatus.GREEN if (index + week) % 3 else ReviewStatus.AMBER,
                reason="weekly huddle",
                metric_value=Decimal(30 - week + index % 5),
            ),
        )


@dataclass
class Filled:
    """What went into the store, and how long saving it took."""

    events: int = 0
    saves: int = 0
    seconds: float = 0.0
    event_types: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, summary: dict[str, Any]) -> Filled:
        """What `summary` says was filled (a kept store's note)."""
        return cls(
            summary["events"], summary["saves"], summary["seconds"], Counter(summary["event_types"])
        )

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "saves": self.saves,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(self.events / self.seconds, 1) if self.seconds else None,
            "event_types": dict(self.event_types.most_common()),
        }


def fill(app: Polarity, at_least: int, batch: int) -> Filled:
    """Whole portfolios until `at_least` events, saved `batch` or more events per `app.save`."""
    filled = Filled()
    portfolios: list[InMemoryPolarity] = []
    pending = 0
    started = time.perf_counter()
    while filled.events + pending < at_least:
        portfolios.append(one_portfolio())
        pending += len(portfolios[-1].pending)
        if pending >= batch:
            _save(app, portfolios, filled)
            portfolios, pending = [], 0
    _save(app, portfolios, filled)
    filled.seconds = time.perf_counter() - started
    return filled


def _save(app: Polarity, portfolios: list[InMemoryPolarity], filled: Filled) -> None:
    """One transaction, under one envelope as a command's save would be. The aggregates follow
    their events so that the library takes snapshots where the service would."""
    if not portfolios:
        return
    events = [event for p in portfolios for event in p.pending]
    aggregates = [aggregate for p in portfolios for aggregate in p.aggregates.values()]
    request_id = uuid4().hex
    token = current_envelope.set(Stamp(request_id, request_id, None))
    try:
        app.save(*events, *aggregates)
    finally:
        current_envelope.reset(token)
    filled.events += len(events)
    filled.saves += 1
    filled.event_types.update(type(event).__qualname__ for event in events)
