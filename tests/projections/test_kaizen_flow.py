"""The kaizen flow view: flow per ISO week, unassigned and stagnant items, standardisation rate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain import clock as application_clock
from domain.commands import (
    AbandonImprovementItem,
    AdvanceImprovementItem,
    ClassifyImprovementItem,
    ReleaseImprovementItemResources,
    ResourceImprovementItem,
    ReviewImprovementItem,
    StandardiseImprovementItem,
)
from domain.improvement import ActDecision, MeasuredResult, PdcaStage
from domain.values import ReviewStatus
from projections.base import Projection
from projections.kaizen_flow import (
    KaizenFlow,
    StandardisationRate,
    WeekFlow,
    stagnant_items,
    standardisation_rate,
    unassigned_items,
    weekly_flow,
)
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import OPERATIONAL, STEWARD, STRATEGIC, raised_item

pytestmark = pytest.mark.database

T = TypeVar("T")
ReportingWith = Callable[[Sequence[Projection]], Reporting]
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday: ISO weeks start 4, 11 and 18 Jan
WEEK_1, WEEK_2, WEEK_3 = date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)


@dataclass
class Clock:
    """Stands in for the application's clock (domain.clock), which stamps every event."""

    moment: datetime

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.moment

    def day(self, n: int) -> None:
        self.moment = day(n)


def day(n: int) -> datetime:
    return START + timedelta(days=n)


@dataclass
class Flow:
    reporting: Reporting
    a: UUID  # owned and in ACT from day 1, standardised on day 15
    b: UUID  # raised on day 0, abandoned on day 2, never assigned
    c: UUID  # raised and escalated on day 15
    d: UUID  # raised on day 16, untouched since
    e: UUID  # raised on day 1, owner from day 3 to day 5, reviewed on day 20


def taken_to_act(app: Polarity, item: UUID) -> None:
    """Owned, then through PLAN, DO and CHECK to ACT with the decision to standardise."""
    app.handle(
        STEWARD, ResourceImprovementItem(item, owner="olga", due=date(2027, 3, 1), reason="hers")
    )
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.PLAN))
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.DO))
    result = MeasuredResult(Decimal(60), Decimal(45), "minutes")
    app.handle(STEWARD, AdvanceImprovementItem(item, to=PdcaStage.CHECK, result=result))
    decision = ActDecision.STANDARDISE
    app.handle(
        STEWARD, AdvanceImprovementItem(item, to=PdcaStage.ACT, decision=decision, reason="works")
    )


@pytest.fixture
def flow(reporting_with: ReportingWith, monkeypatch: pytest.MonkeyPatch) -> Flow:
    reporting = reporting_with([KaizenFlow()])
    app, clock = reporting.app, Clock(day(0))
    monkeypatch.setattr(application_clock, "now", clock.now)
    a, b = raised_item(app), raised_item(app)
    app.handle(STEWARD, ClassifyImprovementItem(a, criteria=OPERATIONAL, reason="local"))
    clock.day(1)
    taken_to_act(app, a)
    e = raised_item(app)
    app.handle(STEWARD, ClassifyImprovementItem(e, criteria=OPERATIONAL, reason="local"))
    clock.day(2)
    app.handle(STEWARD, AbandonImprovementItem(b, lesson_learned="not worth it", reason="dropped"))
    clock.day(3)
    app.handle(
        STEWARD, ResourceImprovementItem(e, owner="omar", due=date(2027, 3, 1), reason="his")
    )
    app.handle(STEWARD, AdvanceImprovementItem(e, to=PdcaStage.PLAN))
    clock.day(5)
    app.handle(STEWARD, ReleaseImprovementItemResources(e, reason="omar moved team"))
    clock.day(15)
    app.handle(STEWARD, StandardiseImprovementItem(a, standard_reference="SW-12"))
    c = raised_item(app)
    app.handle(
        STEWARD, ClassifyImprovementItem(c, criteria=STRATEGIC, reason="bigger than it looked")
    )
    clock.day(16)
    d = raised_item(app)
    clock.day(20)
    app.handle(STEWARD, ReviewImprovementItem(e, status=ReviewStatus.AMBER, reason="huddle"))
    return Flow(reporting.caught_up(), a, b, c, d, e)


async def read(reporting: Reporting, query: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await query(conn, **kwargs)


def test_each_item_row_records_when_it_was_raised_assigned_finished_and_last_active(
    flow: Flow,
) -> None:
    rows = {r["id"]: r for r in flow.reporting.rows("SELECT * FROM reporting.kaizen_flow")}

    a, e = rows[flow.a], rows[flow.e]
    assert (a["raised_at"], a["raised_week"], a["owner_assigned_at"]) == (day(0), WEEK_1, day(1))
    assert (a["stage"], a["completion"], a["completed_at"]) == ("STANDARDISED",) * 2 + (day(15),)
    assert (a["completed_week"], a["last_activity_at"], a["owner"]) == (WEEK_3, day(15), None)
    # e got an owner on day 3 and lost it on day 5: the first assignment stays on record.
    assert (e["stage"], e["owner"], e["owner_assigned_at"]) == ("PLAN", None, day(3))
    assert (e["unassigned_since"], e["last_activity_at"], e["completed_at"]) == (
        day(5),
        day(20),
        None,
    )
    assert (rows[flow.b]["completion"], rows[flow.b]["owner_assigned_at"]) == ("ABANDONED", None)
    assert (rows[flow.c]["completion"], rows[flow.c]["completed_week"]) == ("ESCALATED", WEEK_3)
    assert rows[flow.d]["unassigned_since"] == day(16)


async def test_raised_and_completed_are_counted_per_iso_week_with_quiet_weeks_as_zeros(
    flow: Flow,
) -> None:
    weeks = await read(flow.reporting, weekly_flow)

    # Week 1: a, b, e raised; b abandoned. Week 2: nothing. Week 3: c, d raised; a, c finished.
    assert weeks == [
        WeekFlow(WEEK_1, raised=3, completed=1, standardised=0, abandoned=1, escalated=0),
        WeekFlow(WEEK_2, raised=0, completed=0, standardised=0, abandoned=0, escalated=0),
        WeekFlow(WEEK_3, raised=2, completed=2, standardised=1, abandoned=0, escalated=1),
    ]
    assert await read(flow.reporting, weekly_flow, since=WEEK_2) == weeks[2:]
    assert await read(flow.reporting, weekly_flow, area="Nowhere") == []


async def test_items_without_an_owner_for_more_than_seven_days_are_listed(flow: Flow) -> None:
    # On day 22: e has waited since day 5 (17 days), d since day 16 (6 days, not yet 7).
    waiting = await read(flow.reporting, unassigned_items, now=day(22))
    assert [(w.id, w.since, w.days) for w in waiting] == [(flow.e, day(5), 17)]

    # On day 30: e 25 days, d 14 days; b and c finished, a finished with an owner released.
    waiting = await read(flow.reporting, unassigned_items, now=day(30))
    assert [(w.id, w.days) for w in waiting] == [(flow.e, 25), (flow.d, 14)]


async def test_unfinished_items_with_no_event_for_more_than_thirty_days_are_stagnant(
    flow: Flow,
) -> None:
    # d's last event was on day 16, e's on day 20 (its review).
    assert await read(flow.reporting, stagnant_items, now=day(46)) == []
    stagnant = await read(flow.reporting, stagnant_items, now=day(46) + timedelta(seconds=1))
    assert [(s.id, s.stage, s.since, s.days) for s in stagnant] == [(flow.d, "RAISED", day(16), 30)]
    later = await read(flow.reporting, stagnant_items, now=day(51))
    assert [(s.id, s.days) for s in later] == [(flow.d, 35), (flow.e, 31)]


async def test_the_standardisation_rate_is_standardised_over_finished(flow: Flow) -> None:
    # Finished: a standardised, b abandoned, c escalated: 1 / 3 = 0.3333.
    rate = await read(flow.reporting, standardisation_rate, now=day(30))
    assert rate == StandardisationRate(3, 1, 1, 1, Decimal("0.3333"))

    # Up to day 10 only b had finished: 0 / 1. From day 10 on: a and c, 1 / 2.
    assert (await read(flow.reporting, standardisation_rate, now=day(10))).rate == 0
    since_day_10 = await read(flow.reporting, standardisation_rate, since=day(10), now=day(30))
    assert (since_day_10.finished, since_day_10.rate) == (2, Decimal("0.5000"))


async def test_nothing_finished_gives_no_rate(
    reporting_with: ReportingWith,
) -> None:
    reporting = reporting_with([KaizenFlow()])
    raised_item(reporting.app)

    rate = await read(reporting.caught_up(), standardisation_rate)

    assert rate == StandardisationRate(0, 0, 0, 0, None)


def test_a_rebuild_gives_the_same_rows_as_the_live_view(flow: Flow) -> None:
    live = flow.reporting.rows("SELECT * FROM reporting.kaizen_flow ORDER BY id")

    flow.reporting.projector.rebuild("kaizen_flow")

    assert flow.reporting.rows("SELECT * FROM reporting.kaizen_flow ORDER BY id") == live
