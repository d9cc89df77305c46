"""The governance-health view: the article's reflection questions as checks on a small portfolio."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain import clock as application_clock
from domain.commands import (
    AdvanceImprovementItem,
    AlignImprovementItem,
    ClassifyImprovementItem,
    ClassifyInitiative,
    ReleaseInitiativeResources,
    ReleaseSponsor,
    RequestApproval,
    ResourceImprovementItem,
    ResourceInitiative,
    RetireObjective,
    ReviewImprovementItem,
    ReviewInitiative,
    SetTeamCapacity,
)
from domain.gates import Gate, Outcome
from domain.improvement import PdcaStage
from domain.values import Path, Period, ReviewStatus, Strength
from projections.base import Projection
from projections.governance_health import Check, GovernanceHealth, governance_health
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    OPERATIONAL,
    Q1,
    STEWARD,
    STRATEGIC,
    approved,
    decide_gate,
    go,
    in_planning,
    objective,
    proposed,
    raised_item,
    resourced,
    strategic_with_sponsor,
    team_with_capacity,
)

pytestmark = pytest.mark.database

ReportingWith = Callable[[Sequence[Projection]], Reporting]
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
Q2 = Period(2027, 2)
DUE = date(2027, 6, 30)


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
class Portfolio:
    """Day 0 unless said otherwise. Teams: t1 has 4 FTE in Q1; t2 has 2 in Q1 and 2 in Q2."""

    reporting: Reporting
    t1: UUID
    t2: UUID
    p: UUID  # planned, 3 FTE of t1 in Q1, executing from day 10, reviewed day 60
    x: UUID  # executing from day 0; its 1 FTE of t2 in Q1 released on day 1
    s: UUID  # past G1 (scoping from day 0); sponsor released on day 1
    h: UUID  # past G1; put on hold at G2 on day 5
    k: UUID  # killed at G1
    n: UUID  # proposed on day 50
    m: UUID  # proposed on day 50, decided strategic against the policy
    a: UUID  # item with a 2-month horizon, 1 FTE of t1 in Q1, in PLAN, aligned, reviewed day 65
    b: UUID  # item raised day 50, decided operational against the policy
    c: UUID  # item raised day 50 with 3 FTE of t2 in Q2: an approved over-allocation
    d: UUID  # item raised day 2 with 2 FTE of t2 in Q1; its objective retired on day 3
    r: UUID  # a request on day 50 for 5 FTE of t2 in Q2 for n, never decided (72 hours)


def resource_item(
    app: Polarity,
    item: UUID,
    team: UUID,
    period: Period,
    fte: int,
    over_capacity: bool = False,
) -> None:
    command = ResourceImprovementItem(
        item, owner="olga", due=DUE, reason="booked", team_id=team, period=period, fte=Decimal(fte)
    )
    if over_capacity:
        approved(app, command)
    else:
        app.handle(STEWARD, command)


def past_g1(app: Polarity, outcome: Outcome = Outcome.GO) -> UUID:
    initiative = strategic_with_sponsor(app)
    decide_gate(app, initiative, go(Gate.G1, outcome), reason="g1")
    return initiative


def day_0(app: Polarity, t1: UUID, t2: UUID) -> tuple[UUID, ...]:
    p, x = in_planning(app), in_planning(app)
    for initiative, team, fte in ((p, t1, 3), (x, t2, 1)):
        resourced(app, initiative, team, fte, reason="r")
    decide_gate(app, x, go(Gate.G3), reason="resourced")
    s, h, k = past_g1(app), past_g1(app), past_g1(app, Outcome.KILL)
    a = raised_item(app)
    app.handle(
        STEWARD, ClassifyImprovementItem(a, criteria=OPERATIONAL, reason="local")
    )  # 2 months
    resource_item(app, a, t1, Q1, 1)
    app.handle(STEWARD, AdvanceImprovementItem(a, to=PdcaStage.PLAN))
    app.handle(
        STEWARD, AlignImprovementItem(a, objective_id=objective(app), strength=Strength.WEAK)
    )
    return p, x, s, h, k, a


@pytest.fixture
def portfolio(reporting_with: ReportingWith, monkeypatch: pytest.MonkeyPatch) -> Portfolio:
    reporting = reporting_with([GovernanceHealth()])
    app, clock = reporting.app, Clock(day(0))
    monkeypatch.setattr(application_clock, "now", clock.now)
    t1, t2 = team_with_capacity(app), team_with_capacity(app, fte="2", name="Line 4")
    app.handle(STEWARD, SetTeamCapacity(t2, period=Q2, fte=Decimal(2), reason="quarter plan"))
    retiring = objective(app)
    p, x, s, h, k, a = day_0(app, t1, t2)
    clock.day(1)
    app.handle(STEWARD, ReleaseInitiativeResources(x, team_id=t2, period=Q1, reason="moved"))
    app.handle(STEWARD, ReleaseSponsor(s, reason="left the company"))
    clock.day(2)
    d = raised_item(app)
    resource_item(app, d, t2, Q1, 2)
    app.handle(STEWARD, AlignImprovementItem(d, objective_id=retiring, strength=Strength.STRONG))
    clock.day(3)
    app.handle(STEWARD, RetireObjective(retiring, reason="dropped from the plan"))
    clock.day(5)
    decide_gate(app, h, go(Gate.G2, Outcome.HOLD), reason="wait")
    clock.day(10)
    decide_gate(app, p, go(Gate.G3), reason="resourced")
    clock.day(50)
    n, m, b, c = proposed(app), proposed(app), raised_item(app), raised_item(app)
    approved(
        app,
        ClassifyInitiative(
            m, criteria=OPERATIONAL, reason="r", decided=Path.STRATEGIC, override_reason="board"
        ),
    )
    approved(
        app,
        ClassifyImprovementItem(
            b, criteria=STRATEGIC, reason="r", decided=Path.OPERATIONAL, override_reason="small"
        ),
    )
    resource_item(app, c, t2, Q2, 3, over_capacity=True)
    over = ResourceInitiative(n, team_id=t2, period=Q2, fte=Decimal(5), reason="launch")
    r = app.handle(STEWARD, RequestApproval(over, reason="launch window")).id
    clock.day(60)
    app.handle(
        STEWARD,
        ReviewInitiative(
            p, period="2027-03", status=ReviewStatus.GREEN, summary="ok", reason="monthly"
        ),
    )
    clock.day(65)
    app.handle(STEWARD, ReviewImprovementItem(a, status=ReviewStatus.GREEN, reason="huddle"))
    return Portfolio(reporting.caught_up(), t1, t2, p, x, s, h, k, n, m, a, b, c, d, r)


async def checks(reporting: Reporting, now: datetime, **options: Any) -> dict[str, set[Any]]:
    """Each check's name to the ids it concerns (UUIDs, or periods for the path balance)."""
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        found = await governance_health(conn, now=now, **options)
    assert all(check.count == len(check.ids) for check in found)
    return {check.name: {subject(check, i) for i in check.ids} for check in found}


def subject(check: Check, id: str) -> UUID | str:
    return id if check.subject == "period" else UUID(id)


def test_each_work_item_keeps_the_facts_the_checks_weigh(portfolio: Portfolio) -> None:
    rows = {r["id"]: r for r in portfolio.reporting.rows("SELECT * FROM reporting.governance_work")}

    p, x, h = rows[portfolio.p], rows[portfolio.x], rows[portfolio.h]
    assert (p["stage"], p["stage_entered_at"], p["fte"], p["has_sponsor"]) == (
        "EXECUTING",
        day(10),
        3,
        True,
    )
    assert (p["next_review_due"], p["aligned"], p["active"]) == (day(90), True, True)
    assert (x["stage"], x["fte"], x["has_dedicated_resources"]) == ("EXECUTING", 0, False)
    assert (h["stage"], h["held_from"], h["stage_entered_at"]) == ("ON_HOLD", "SCOPING", day(5))
    assert (rows[portfolio.s]["sponsor"], rows[portfolio.s]["has_sponsor"]) == (None, False)
    assert (rows[portfolio.k]["stage"], rows[portfolio.k]["active"]) == ("KILLED", False)
    m, a, d = rows[portfolio.m], rows[portfolio.a], rows[portfolio.d]
    assert (m["recommended_path"], m["decided_path"], m["overridden"]) == (
        "OPERATIONAL",
        "STRATEGIC",
        True,
    )
    # a was classified on day 0 (4 January 09:00) with a 2-month horizon: 4 March 09:00.
    assert a["horizon_ends_at"] == datetime(2027, 3, 4, 9, 0, tzinfo=UTC)
    assert (a["stage"], a["fte"], a["aligned"], a["next_review_due"]) == ("PLAN", 1, True, day(72))
    assert (d["objective_ids"], d["aligned"]) == ([], False)  # its objective was retired


def test_capacity_is_kept_per_team_and_period_with_allocations_by_path(
    portfolio: Portfolio,
) -> None:
    rows = portfolio.reporting.rows(
        "SELECT team_id, period, capacity, allocated, strategic, operational, over_allocated "
        "FROM reporting.governance_capacity"
    )

    figures = {(r["team_id"], r["period"]): tuple(r.values())[2:] for r in rows}
    # t1 Q1: p 3 strategic + a 1 operational. t2 Q1: x's 1 released, d 2. t2 Q2: c 3 of 2.
    assert figures == {
        (portfolio.t1, "2027-Q1"): (4, 4, 3, 1, False),
        (portfolio.t2, "2027-Q1"): (2, 2, 0, 2, False),
        (portfolio.t2, "2027-Q2"): (2, 3, 0, 3, True),
    }


async def test_every_reflection_question_names_the_work_teams_and_periods_failing_it(
    portfolio: Portfolio,
) -> None:
    v = portfolio
    found = await checks(v.reporting, now=day(70))

    assert found == {
        # Past PROPOSED without a sponsor: s (h still has one; n and m are proposals).
        "strategic_without_sponsor": {v.s},
        # Executing with 0 FTE: x (p holds 3).
        "strategic_without_dedicated_resources": {v.x},
        # p, x and a are aligned; d's only objective was retired; k is killed.
        "not_aligned": {v.s, v.h, v.n, v.m, v.b, v.c, v.d},
        # Due before day 70: x, s, h (day 30), b and c (day 57), d (day 9). Not p (day 90),
        # n and m (day 80), a (day 72).
        "reviews_overdue": {v.x, v.s, v.h, v.b, v.c, v.d},
        # Items more than 30 days in a stage: a (PLAN since day 0), d (RAISED since day 2).
        "stuck_in_stage": {v.a, v.d},
        # m and b overrode the policy; a's 2-month horizon ended on day 59.
        "likely_misclassified": {v.m, v.b, v.a},
        # t2 holds 3 FTE against 2 in Q2.
        "teams_over_allocated": {v.t2},
        # Q1: 3 strategic of 6 allocated = 0.5, inside [0.3, 0.5]. Q2: 0 of 3 = 0, outside.
        "path_balance_outside_band": {"2027-Q2"},
        # r expired on day 53 undecided; the requests for m, b and c were approved.
        "approvals_pending_beyond_limit": {v.r},
        # every gate here was decided by a review, on its votes (see test_gate_standing)
        "gates_decided_against_votes": set(),
        "decisions_without_quorum": set(),
    }


async def test_the_checks_come_in_the_articles_order_with_their_questions(
    portfolio: Portfolio,
) -> None:
    async with await psycopg.AsyncConnection.connect(
        portfolio.reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        found = await governance_health(conn, now=day(70))

    assert [(c.name, c.subject) for c in found] == [
        ("strategic_without_sponsor", "work_item"),
        ("strategic_without_dedicated_resources", "work_item"),
        ("not_aligned", "work_item"),
        ("reviews_overdue", "work_item"),
        ("stuck_in_stage", "work_item"),
        ("likely_misclassified", "work_item"),
        ("teams_over_allocated", "team"),
        ("path_balance_outside_band", "period"),
        ("approvals_pending_beyond_limit", "approval_request"),
        ("gates_decided_against_votes", "work_item"),
        ("decisions_without_quorum", "work_item"),
    ]
    assert all(c.question.endswith("?") and c.definition for c in found)
    healthy = [c.name for c in found if c.healthy]  # the gate checks fail in test_gate_standing
    assert healthy == ["gates_decided_against_votes", "decisions_without_quorum"]


async def test_stuck_counts_whole_days_beyond_the_threshold_of_each_kind(
    portfolio: Portfolio,
) -> None:
    v = portfolio
    found = await checks(v.reporting, now=day(70), initiative_stuck_days=60)

    # 60 days for initiatives: x and s (70 days in stage), h (65 on hold); p entered
    # EXECUTING on day 10, exactly 60 days ago, which is not more than 60.
    assert found["stuck_in_stage"] == {v.x, v.s, v.h, v.a, v.d}


async def test_an_item_outgrows_its_path_only_after_its_classified_horizon(
    portfolio: Portfolio,
) -> None:
    found = await checks(portfolio.reporting, now=day(58))

    assert found["likely_misclassified"] == {portfolio.m, portfolio.b}


async def test_the_band_and_the_period_narrow_the_capacity_checks(portfolio: Portfolio) -> None:
    wide = await checks(portfolio.reporting, now=day(70), band=(0.0, 0.4))
    q1 = await checks(portfolio.reporting, now=day(70), period="2027-Q1")

    # Within [0, 0.4]: Q2 (0) is inside and Q1 (0.5) outside.
    assert wide["path_balance_outside_band"] == {"2027-Q1"}
    assert (q1["teams_over_allocated"], q1["path_balance_outside_band"]) == (set(), set())


def test_a_rebuild_gives_the_same_rows_as_the_live_view(portfolio: Portfolio) -> None:
    queries = (
        "SELECT * FROM reporting.governance_work ORDER BY id",
        "SELECT * FROM reporting.governance_capacity ORDER BY team_id, period",
    )
    live = [portfolio.reporting.rows(query) for query in queries]

    portfolio.reporting.projector.rebuild("governance_health")

    assert [portfolio.reporting.rows(query) for query in queries] == live
