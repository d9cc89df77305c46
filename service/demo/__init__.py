"""The demo: eighteen months of a manufacturer's improvement work, recorded through
`Polarity.handle` by the people who hold the roles the rules need, on a simulated clock.

The clock is set here and nowhere else, and only on an empty event store: a store that holds
events refuses the demo, so that recorded times never go back against positions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from uuid import UUID

from domain import clock
from service.demo.improvements import item
from service.demo.initiatives import initiative
from service.demo.operations import KAIZENS
from service.demo.organisation import Organisation, objectives, teams
from service.demo.people import PEOPLE, Person
from service.demo.strategy import VENTURES, escalated, redirected
from service.demo.timeline import HISTORY, Calendar, Recorder, SimulatedClock, Story, play


class StoreNotEmpty(Exception):
    """The demo sets the clock, so it records only into an empty event store."""


@dataclass(frozen=True)
class DemoPortfolio:
    """What the demo made, who recorded it, and the span of its history."""

    teams: dict[str, UUID]
    objectives: list[UUID]
    initiatives: list[UUID]
    items: list[UUID]
    commands: Counter[Person]  # how many commands each person issued
    began: datetime
    ended: datetime

    @property
    def people(self) -> tuple[Person, ...]:
        return PEOPLE


def load_demo(
    app: Recorder,
    now: datetime | None = None,
    more: Callable[[Organisation], Iterable[Story]] | None = None,
) -> DemoPortfolio:
    """Record the demo's history into an empty store, on a clock that runs from eighteen months
    before `now` (real time unless given) to the last working day before it. `more` tells
    stories of its own beside the demo's, on the same clock (a benchmark's extra work)."""
    if app.holds_events():
        raise StoreNotEmpty(
            "The demo records its history with a simulated clock, so it loads only into an "
            "empty event store; this one already holds events."
        )
    today = (now or clock.now()).astimezone(UTC).date()
    org = Organisation(Calendar(today))
    simulated = SimulatedClock(org.calendar.ago(HISTORY, 0))
    until = datetime.combine(today, time(0), UTC)
    with clock.running_on(simulated):
        stories = [*_stories(org), *(more(org) if more else ())]
        commands = play(app, simulated, stories, until)
    return DemoPortfolio(
        teams=dict(org.teams),
        objectives=list(org.objectives.values()),
        initiatives=org.initiatives,
        items=org.items,
        commands=commands,
        began=org.calendar.ago(HISTORY, 0),
        ended=simulated.moment,
    )


def _stories(org: Organisation) -> list[Story]:
    """The organisation first; then every initiative and item, each told in its own story."""
    stories = [teams(org), objectives(org)]
    stories += [initiative(org, venture, n) for n, venture in enumerate(VENTURES)]
    stories += [escalated(org, len(VENTURES)), redirected(org, len(VENTURES) + 1)]
    stories += [item(org, kaizen, n) for n, kaizen in enumerate(KAIZENS)]
    return stories
