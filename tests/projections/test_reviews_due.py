"""The reviews-due view: each active work item's next review, and which are overdue by cadence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain import clock as application_clock
from domain.commands import (
    AbandonImprovementItem,
    ClassifyImprovementItem,
    ClassifyInitiative,
    CloseInitiative,
    RecordBenefit,
    ResourceInitiative,
    ReviewImprovementItem,
    ReviewInitiative,
)
from domain.gates import Gate, Outcome
from domain.initiative import Initiative
from domain.values import ReviewStatus
from projections.base import Projection
from projections.reviews_due import (
    CadenceSummary,
    ReviewsDue,
    overdue_by_cadence,
    overdue_reviews,
)
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    OPERATIONAL,
    Q1,
    STEWARD,
    decide_gate,
    go,
    in_planning,
    proposed,
    raised_item,
    strategic_with_sponsor,
    team_with_capacity,
)

pytestmark = pytest.mark.database

T = TypeVar("T")
ReportingWith = Callable[[Sequence[Projection]], Reporting]
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


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


def closed_with_a_benefit_recorded_later(app: Polarity, clock: Clock) -> UUID:
    initiative = in_planning(app)
    team = team_with_capacity(app)
    app.handle(
        STEWARD,
        ResourceInitiative(
            initiative, team_id=team, period=Q1, fte=Decimal(1), budget=Decimal(0), reason="go"
        ),
    )
    for gate in (Gate.G3, Gate.G4, Gate.G5):
        decide_gate(app, initiative, go(gate), reason="on track")
    app.handle(STEWARD, CloseInitiative(initiative, outcome="delivered", reason="benefits in"))
    clock.day(1)
    app.handle(
        STEWARD,
        RecordBenefit(
            initiative,
            benefit="revenue",
            planned=Decimal(10),
            realised=Decimal(12),
            unit="%",
            reason="year one",
        ),
    )
    return initiative


@dataclass
class Scenario:
    reporting: Reporting
    i1: UUID  # initiative, never reviewed: due day 30
    i2: UUID  # initiative reviewed on day 2: due day 32
    i4: UUID  # closed on day 0, a benefit recorded on day 1
    a: UUID  # item, never reviewed: due day 7
    b: UUID  # item reviewed on day 2: due day 9
    r: UUID  # item raised on day 4 when i5 was redirected: due day 11


@pytest.fixture
def scenario(reporting_with: ReportingWith, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    reporting = reporting_with([ReviewsDue()])
    app, clock = reporting.app, Clock(day(0))
    monkeypatch.setattr(application_clock, "now", clock.now)
    i1, i2, i5 = proposed(app), proposed(app), proposed(app)
    killed = strategic_with_sponsor(app)
    decide_gate(app, killed, go(Gate.G1, Outcome.KILL), reason="no")
    i4 = closed_with_a_benefit_recorded_later(app, clock)
    clock.day(0)
    a, b, c = raised_item(app), raised_item(app), raised_item(app)
    app.handle(STEWARD, ClassifyImprovementItem(b, criteria=OPERATIONAL, reason="local"))
    clock.day(2)
    app.handle(
        STEWARD,
        ReviewInitiative(
            i2, period="2027-03", status=ReviewStatus.GREEN, summary="fine", reason="monthly"
        ),
    )
    app.handle(STEWARD, ReviewImprovementItem(b, status=ReviewStatus.AMBER, reason="huddle"))
    clock.day(3)
    app.handle(STEWARD, AbandonImprovementItem(c, lesson_learned="duplicate", reason="dropped"))
    clock.day(4)
    app.handle(STEWARD, ClassifyInitiative(i5, criteria=OPERATIONAL, reason="local fix"))
    r = app.get(i5, Initiative).redirected_to
    assert r is not None
    return Scenario(reporting.caught_up(), i1, i2, i4, a, b, r)


async def read(reporting: Reporting, query: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await query(conn, **kwargs)


def test_each_work_item_has_its_cadence_and_next_review_due(scenario: Scenario) -> None:
    rows = {r["id"]: r for r in scenario.reporting.rows("SELECT * FROM reporting.reviews_due")}

    i2, b, r = rows[scenario.i2], rows[scenario.b], rows[scenario.r]
    assert (i2["cadence"], i2["cadence_days"], i2["last_reviewed_at"]) == ("monthly", 30, day(2))
    assert (i2["last_review_status"], i2["next_review_due"]) == ("GREEN", day(32))  # 2 + 30
    assert (b["cadence"], b["cadence_days"], b["next_review_due"]) == ("weekly", 7, day(9))
    assert (r["kind"], r["next_review_due"], r["active"]) == ("improvement_item", day(11), True)
    assert rows[scenario.i1]["next_review_due"] == day(30)  # created on day 0, never reviewed
    # Initiatives i1, i2, i4 (closed), i5 (redirected) and the killed one; items a, b, c, r.
    assert sum(row["kind"] == "initiative" for row in rows.values()) == 5
    assert sorted(row["id"] for row in rows.values() if row["active"]) == sorted(
        [scenario.i1, scenario.i2, scenario.a, scenario.b, scenario.r]
    )


def test_a_benefit_recorded_after_closure_leaves_the_initiative_inactive(
    scenario: Scenario,
) -> None:
    (closed,) = scenario.reporting.rows(
        "SELECT * FROM reporting.reviews_due WHERE id = %s", scenario.i4
    )

    assert (closed["active"], closed["ended_at"]) == (False, day(0))


async def test_overdue_reviews_are_listed_with_whole_days_overdue(scenario: Scenario) -> None:
    overdue = await read(scenario.reporting, overdue_reviews, now=day(31))

    # Day 31: a due day 7 (24 days), b day 9 (22), r day 11 (20), i1 day 30 (1); i2 due day 32.
    # The killed, closed, redirected and abandoned work was due by day 30 too, but is inactive.
    assert [(o.id, o.days_overdue) for o in overdue] == [
        (scenario.a, 24),
        (scenario.b, 22),
        (scenario.r, 20),
        (scenario.i1, 1),
    ]
    assert [o.cadence for o in overdue] == ["weekly"] * 3 + ["monthly"]


async def test_a_review_is_overdue_only_once_its_due_moment_has_passed(scenario: Scenario) -> None:
    at_due = await read(scenario.reporting, overdue_reviews, kind="initiative", now=day(30))
    just_after = timedelta(hours=1)
    after = await read(
        scenario.reporting, overdue_reviews, kind="initiative", now=day(30) + just_after
    )

    assert at_due == []
    assert [(o.id, o.days_overdue) for o in after] == [(scenario.i1, 0)]


async def test_overdue_reviews_can_be_narrowed_to_a_cadence(scenario: Scenario) -> None:
    weekly = await read(scenario.reporting, overdue_reviews, cadence="weekly", now=day(31))
    monthly = await read(scenario.reporting, overdue_reviews, cadence="monthly", now=day(31))

    assert {o.id for o in weekly} == {scenario.a, scenario.b, scenario.r}
    assert [o.id for o in monthly] == [scenario.i1]


async def test_overdue_reviews_are_counted_per_cadence(scenario: Scenario) -> None:
    summary = await read(scenario.reporting, overdue_by_cadence, now=day(31))

    # Weekly: a, b, r active, all overdue, a by most (24 days). Monthly: i1, i2 active, i1 overdue.
    assert summary == [
        CadenceSummary("weekly", 7, active=3, overdue=3, most_days_overdue=24),
        CadenceSummary("monthly", 30, active=2, overdue=1, most_days_overdue=1),
    ]
    at_day_8 = await read(scenario.reporting, overdue_by_cadence, now=day(8))
    assert at_day_8 == [
        CadenceSummary("weekly", 7, active=3, overdue=1, most_days_overdue=1),
        CadenceSummary("monthly", 30, active=2, overdue=0, most_days_overdue=None),
    ]


def test_a_rebuild_gives_the_same_rows_as_the_live_view(scenario: Scenario) -> None:
    live = scenario.reporting.rows("SELECT * FROM reporting.reviews_due ORDER BY id")

    scenario.reporting.projector.rebuild("reviews_due")

    assert scenario.reporting.rows("SELECT * FROM reporting.reviews_due ORDER BY id") == live
