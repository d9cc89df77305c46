"""The demo and thousands more work items, recorded fast: the extra work told by the demo's own
stories (its initiatives and improvement items again, each by a team of its own and at a later
start), on the demo's clock beside the demo, against InMemoryPolarity, and saved to the store
every few thousand events."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from benchmarks.filling import InMemoryPolarity
from domain.commands import Command, RegisterTeam, SetTeamCapacity
from service.application import Polarity
from service.demo import DemoPortfolio, load_demo
from service.demo.improvements import LEADS, Kaizen, item
from service.demo.initiatives import Venture, initiative
from service.demo.operations import KAIZENS
from service.demo.organisation import TEAMS, Organisation
from service.demo.people import PRIYA, Person
from service.demo.strategy import VENTURES
from service.demo.timeline import HISTORY, Step, Story
from service.persistence import Stamp, current_envelope
from service.unit_of_work import Context, Result

SAVE_EVERY = 5000  # events a save, as benchmarks.projections fills
TEAMS_EACH = 4  # more teams like each of the demo's
CAPACITY = Decimal(400)  # FTE a quarter: more than the extra work ever books on one team
INITIATIVE_EVERY = 6  # one extra work item in six is an initiative, as in the demo
LETTERS = "BCDEFGHIJ"


@dataclass(frozen=True)
class KaizenElsewhere(Kaizen):
    """A demo kaizen run by another team of the same kind, led by that team's leader."""

    like: str = ""  # the demo team it copies

    @property
    def lead(self) -> Person:
        return LEADS[self.like]


class SavedInBatches(InMemoryPolarity):
    """Commands run on aggregates in memory; every `batch` events, the new events go to the
    store in one save, under one envelope, with the aggregates they belong to (so the library
    takes snapshots where the service would)."""

    def __init__(self, app: Polarity, batch: int = SAVE_EVERY) -> None:
        super().__init__()
        self.app = app
        self.batch = batch
        self.saved = 0

    def handle(self, context: Context, command: Command) -> Result:
        result = super().handle(context, command)
        if len(self.pending) >= self.batch:
            self.save()
        return result

    def save(self) -> None:
        if not self.pending:
            return
        owners = {event.originator_id for event in self.pending}
        aggregates = [self.aggregates[owner] for owner in owners]
        request_id = uuid4().hex
        token = current_envelope.set(Stamp(request_id, request_id, None))
        try:
            self.app.save(*self.pending, *aggregates)
        finally:
            current_envelope.reset(token)
        self.saved += len(self.pending)
        self.pending = []


@dataclass(frozen=True)
class Generated:
    """What went into the store: the demo with its extra work, and how long it took."""

    demo: DemoPortfolio
    work_items: int  # in all, the demo's included
    events: int
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "work_items": self.work_items,
            "initiatives": len(self.demo.initiatives),
            "improvement_items": len(self.demo.items),
            "events": self.events,
            "seconds": round(self.seconds, 1),
        }


def demo_and_more(app: Polarity, extra: int) -> Generated:
    """The demo and `extra` more work items, in an empty store."""
    started = time.perf_counter()
    memory = SavedInBatches(app)
    demo = load_demo(memory, more=lambda org: more_work(org, extra))
    memory.save()
    work_items = len(demo.initiatives) + len(demo.items)
    return Generated(demo, work_items, memory.saved, time.perf_counter() - started)


def more_work(org: Organisation, extra: int) -> list[Story]:
    """Teams to do it, then `extra` work items: every sixth an initiative."""
    if extra == 0:
        return []
    initiatives = extra // INITIATIVE_EVERY
    stories = [more_teams(org)]
    stories += [initiative(org, venture_like(n), n) for n in range(initiatives)]
    stories += [item(org, kaizen_like(n), n) for n in range(extra - initiatives)]
    return stories


def more_teams(org: Organisation) -> Story:
    """On the first day, TEAMS_EACH more teams like each of the demo's, each with ample
    capacity for every quarter, so that no booking of the extra work needs an approval."""
    at = org.calendar.ago(HISTORY, 10)
    for name, unit, _ in TEAMS:
        for letter in LETTERS[:TEAMS_EACH]:
            registered = yield Step(at, PRIYA, RegisterTeam(name=f"{name} {letter}", org_unit=unit))
            org.teams[f"{name} {letter}"] = registered.id
            for period in org.calendar.quarters():
                capacity = SetTeamCapacity(registered.id, period, CAPACITY, reason="bench plan")
                yield Step(at, PRIYA, capacity)
            at += timedelta(minutes=1)


def venture_like(n: int) -> Venture:
    """Demo venture n % 11 again, proposed up to its whole history later (its later gates are
    then still to come), by a team of its kind, its scoping booked without an approval."""
    like = VENTURES[n % len(VENTURES)]
    shift = (n * 37) % max(like.proposed - 5, 1)
    gates = tuple(
        replace(
            gate,
            ago=gate.ago - shift,
            cleared=None if gate.cleared is None else gate.cleared - shift,
        )
        for gate in like.gates
    )
    return replace(
        like,
        title=f"{like.title} ({n + 1})",
        team=f"{like.team} {LETTERS[n % TEAMS_EACH]}",
        proposed=like.proposed - shift,
        gates=gates,
        scoping=None,
        setback=like.setback and replace(like.setback, ago=like.setback.ago - shift),
        reviews_stop=like.reviews_stop - shift,
    )


def kaizen_like(n: int) -> KaizenElsewhere:
    """Demo kaizen n % 49 again, raised up to its whole history later, by a team of its kind."""
    like = KAIZENS[n % len(KAIZENS)]
    shift = (n * 53) % max(like.raised - 10, 1)
    return KaizenElsewhere(
        title=f"{like.title} ({n + 1})",
        team=f"{like.team} {LETTERS[n % TEAMS_EACH]}",
        metric=like.metric,
        baseline=like.baseline,
        target=like.target,
        raised=like.raised - shift,
        objective=like.objective,
        weeks=like.weeks,
        fate=like.fate,
        fte=like.fte,
        like=like.team,
    )
