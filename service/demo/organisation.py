"""Nordwerk's teams, their capacity quarter by quarter, and the objectives it aims at each year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from domain.commands import DefineObjective, RegisterTeam, RetireObjective, SetTeamCapacity
from domain.objective import Kpi, Level
from service.demo.people import ANNA, DAVID, MARIA, PRIYA, Person
from service.demo.timeline import HISTORY, Calendar, Step, Story, first_day_of, quarter_of

# Name, org unit, FTE a quarter.
TEAMS = (
    ("Line 3 Production", "Plant North", 12),
    ("Finance Operations", "Finance", 8),
    ("Supply Chain", "Operations", 10),
    ("Digital Factory", "IT", 9),
    ("Customer Service", "Sales", 7),
    ("Nordic Expansion", "Sales", 6),
)
# This quarter Supply Chain has lent two planners to the distribution-centre study.
LENT = ("Supply Chain", Decimal(8), "two planners lent to the distribution-centre study")


@dataclass
class Organisation:
    """The ids of what the founding stories made, for the other stories to refer to."""

    calendar: Calendar
    teams: dict[str, UUID] = field(default_factory=dict)
    objectives: dict[str, UUID] = field(default_factory=dict)  # key, or key/year for annual ones
    initiatives: list[UUID] = field(default_factory=list)
    items: list[UUID] = field(default_factory=list)

    def annual(self, key: str, year: int) -> UUID:
        return self.objectives[f"{key}/{year}"]


def teams(org: Organisation) -> Story:
    """The steward registers the teams on the first day, and sets each quarter's capacity two
    weeks before the quarter starts (the first ones on the first day)."""
    calendar = org.calendar
    for minute, (name, unit, _) in enumerate(TEAMS):
        at = calendar.ago(HISTORY, 9, minute)
        org.teams[name] = (yield Step(at, PRIYA, RegisterTeam(name=name, org_unit=unit))).id
    this_quarter, at = quarter_of(calendar.today), calendar.ago(HISTORY, 11)
    for period in calendar.quarters():
        at = max(at, calendar.ago(calendar.workdays_before(first_day_of(period)) + 10, 11))
        for name, _, fte in TEAMS:
            planned, reason = Decimal(fte), f"capacity plan for {period}"
            if (name, period) == (LENT[0], this_quarter):
                planned, reason = LENT[1:]
            command = SetTeamCapacity(org.teams[name], period=period, fte=planned, reason=reason)
            yield Step(at, PRIYA, command)
            at += timedelta(minutes=1)


@dataclass(frozen=True)
class Aim:
    """An objective: its key, who owns it, its title (with {year}), KPI and when it is due."""

    key: str
    owner: Person
    title: str
    kpi: Kpi
    years: int = 0  # breakthroughs: how many years out; annual objectives: 0
    parent: str | None = None


BREAKTHROUGHS = (
    Aim("services", MARIA, "Services are 30% of revenue by {year}",
        Kpi("service revenue share", Decimal(30), "%", Decimal(8)), years=4),
    Aim("markets", MARIA, "A quarter of revenue from outside the home region by {year}",
        Kpi("revenue outside the home region", Decimal(25), "%", Decimal(6)), years=5),
    Aim("delivery", ANNA, "Order to delivery in 3 days by {year}",
        Kpi("order-to-delivery", Decimal(3), "days", Decimal(9)), years=3),
    Aim("cost", DAVID, "Cost to serve down 15% by {year}",
        Kpi("cost to serve index", Decimal(85), "", Decimal(100)), years=3),
)  # fmt: skip
ANNUAL = (
    Aim("contracts", MARIA, "Win 40 service contracts in {year}",
        Kpi("service contracts signed", Decimal(40)), parent="services"),
    Aim("defects", ANNA, "Halve internal defects in {year}",
        Kpi("defects per 1000", Decimal(4), "", Decimal(8)), parent="delivery"),
    Aim("on_time", ANNA, "Ship 95% of orders on time in {year}",
        Kpi("orders shipped on time", Decimal(95), "%", Decimal(82)), parent="delivery"),
    Aim("close", DAVID, "Close the books in 4 days in {year}",
        Kpi("days to close", Decimal(4), "days", Decimal(7)), parent="cost"),
)  # fmt: skip


def objectives(org: Organisation) -> Story:
    """The executives set the breakthrough objectives and the year's annual ones on the second
    day; each new year brings its annual objectives, and the last year's are retired."""
    calendar = org.calendar
    first = calendar.day(HISTORY - 1).year
    for minute, aim in enumerate(BREAKTHROUGHS):
        yield from _define(org, aim, calendar.ago(HISTORY - 1, 10, minute), first + aim.years)
    for minute, aim in enumerate(ANNUAL):
        yield from _define(org, aim, calendar.ago(HISTORY - 1, 11, minute), first)
    for year in range(first + 1, calendar.today.year + 1):
        new_year = calendar.workdays_before(date(year, 1, 1))
        for minute, aim in enumerate(ANNUAL):
            yield from _define(org, aim, calendar.ago(new_year, 8, minute), year)
        for minute, aim in enumerate(ANNUAL):
            closed = RetireObjective(org.annual(aim.key, year - 1), reason=f"{year - 1} closed")
            yield Step(calendar.ago(new_year - 5, 16, minute), aim.owner, closed)


def _define(org: Organisation, aim: Aim, at: datetime, year: int) -> Story:
    level = Level.ANNUAL if aim.parent else Level.BREAKTHROUGH
    command = DefineObjective(
        title=aim.title.format(year=year),
        level=level,
        owner=aim.owner.id,
        kpis=(aim.kpi,),
        due=date(year, 12, 31),
        parent_id=org.objectives[aim.parent] if aim.parent else None,
        reason="hoshin planning",
    )
    defined = yield Step(at, aim.owner, command)
    org.objectives[f"{aim.key}/{year}" if aim.parent else aim.key] = defined.id
