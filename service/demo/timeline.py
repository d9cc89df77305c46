"""The demo's time: a calendar of working days before today, a clock that only moves forward, and
stories told step by step in the order of their moments."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from domain.commands import Command
from domain.values import Period
from service.demo.people import Person
from service.unit_of_work import Context, Result

HISTORY = 390  # working days of history: about eighteen months


class Recorder(Protocol):
    """What the demo needs of the application: to handle commands, and to say whether it
    holds any events already."""

    def handle(self, context: Context, command: Command) -> Result: ...

    def holds_events(self) -> bool: ...


@dataclass(frozen=True)
class Calendar:
    """Moments counted in working days (Monday to Friday) before `today`: `ago(1)` is the last
    working day before it, so that the whole history lies in the past."""

    today: date

    def day(self, workdays: int) -> date:
        """The working day `workdays` working days before today."""
        weeks, weekday = divmod(_index(self.today) - workdays, 5)
        return MONDAY + timedelta(weeks=weeks, days=weekday)

    def ago(self, workdays: int, hour: int = 9, minute: int = 0) -> datetime:
        return datetime.combine(self.day(workdays), time(hour, minute), UTC)

    def workdays_before(self, day: date) -> int:
        """How many working days `day` lies before today: `ago` of it is `day` (or, for a
        weekend, the Monday after)."""
        return _index(self.today) - _index(day)

    @property
    def first_day(self) -> date:
        return self.day(HISTORY)

    def quarters(self) -> list[Period]:
        """Every quarter the history touches, and the next one (planned before it starts)."""
        period = quarter_of(self.first_day)
        last = next_quarter(quarter_of(self.today))
        found = [period]
        while period < last:
            period = next_quarter(period)
            found.append(period)
        return found


MONDAY = date(2001, 1, 1)


def _index(day: date) -> int:
    """The working days from MONDAY up to `day`, not counting `day` itself."""
    return (day - MONDAY).days // 7 * 5 + min(day.weekday(), 5)


def quarter_of(day: date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)


def next_quarter(period: Period) -> Period:
    if period.quarter == 4:
        return Period(period.year + 1, 1)
    return Period(period.year, period.quarter + 1)


def first_day_of(period: Period) -> date:
    return date(period.year, 3 * period.quarter - 2, 1)


class SimulatedClock:
    """The application's clock while the demo records its history: it reads the moment of the
    step being recorded, and refuses to go back in time."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def move_to(self, moment: datetime) -> None:
        if moment < self.moment:
            raise ValueError(f"The demo's clock cannot go back from {self.moment} to {moment}.")
        self.moment = moment


@dataclass(frozen=True)
class Step:
    """One command, issued by one person at one moment."""

    at: datetime
    by: Person
    command: Command


# A story yields its steps in time order and is sent each step's result. It may use what
# existed when its previous step ran: a step's command is built before the story waits for it.
Story = Generator[Step, Result, None]


Queue = list[tuple[datetime, int, Step, Story]]


def play(
    app: Recorder, clock: SimulatedClock, stories: Iterable[Story], until: datetime
) -> Counter[Person]:
    """Tell the stories together, each step at its moment, up to `until`: the earliest step of
    any story goes next, so that positions and recorded times rise together. A story's steps
    from `until` on are its plans, not yet history. Returns how many steps each person took."""
    queue: Queue = []
    for order, story in enumerate(stories):
        _wait(queue, order, story, next(story, None), until)
    taken: Counter[Person] = Counter()
    while queue:
        moment, order, step, story = heapq.heappop(queue)
        clock.move_to(moment)
        result = app.handle(Context(step.by.actor), step.command)
        taken[step.by] += 1
        following = _send(story, result)
        if following is not None and following.at < moment:
            raise ValueError(f"A demo story went back in time: {following}")
        _wait(queue, order, story, following, until)
    return taken


def _wait(queue: Queue, order: int, story: Story, step: Step | None, until: datetime) -> None:
    if step is None:
        return
    if step.at >= until:
        story.close()
        return
    heapq.heappush(queue, (step.at, order, step, story))


def _send(story: Story, result: Result) -> Step | None:
    try:
        return story.send(result)
    except StopIteration:
        return None
