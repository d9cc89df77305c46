"""The alignment view: objectives with the work serving them; unaligned work; unserved ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain.commands import (
    AbandonImprovementItem,
    AlignImprovementItem,
    AlignInitiative,
    DefineObjective,
    RemoveAlignment,
    RetargetObjective,
    RetireObjective,
)
from domain.gates import Gate, Outcome
from domain.objective import Kpi, Level
from domain.values import Strength
from projections.alignment import (
    Alignment,
    objectives_served,
    unaligned_work,
    unserved_objectives,
    work_serving,
)
from projections.base import Projection
from service.application import Polarity
from service.projector import Projector
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    STEWARD,
    decide_gate,
    go,
    objective,
    proposed,
    raised_item,
    strategic_with_sponsor,
)

pytestmark = pytest.mark.database

T = TypeVar("T")
ReportingWith = Callable[[Sequence[Projection]], Reporting]
SHARE = Kpi("service revenue share", Decimal(30), "%")


def annual(app: Polarity, title: str, parent: UUID) -> UUID:
    kpis = (Kpi("contracts signed", Decimal(40)), Kpi("margin", Decimal("22.5"), "%", Decimal(18)))
    return app.handle(
        STEWARD,
        DefineObjective(
            title=title,
            level=Level.ANNUAL,
            owner="coo",
            kpis=kpis,
            due=date(2027, 12, 31),
            parent_id=parent,
        ),
    ).id


@dataclass
class Scenario:
    reporting: Reporting
    b1: UUID  # breakthrough: i1 strong, k2 weak (first moderate), and k1 through a1
    b2: UUID  # breakthrough: only killed work, and a2 under it with only abandoned work
    b3: UUID  # breakthrough, retired: k4's link to it no longer counts
    a1: UUID  # annual under b1: k1 weak
    a2: UUID  # annual under b2: k3, abandoned
    i1: UUID
    i2: UUID  # aligned to b1, then the alignment removed
    k1: UUID
    k2: UUID
    k3: UUID
    k4: UUID
    k5: UUID  # never aligned


def align(app: Polarity, work: UUID, to: UUID, strength: Strength, initiative: bool) -> None:
    kind = AlignInitiative if initiative else AlignImprovementItem
    app.handle(STEWARD, kind(work, objective_id=to, strength=strength))


@pytest.fixture
def scenario(reporting_with: ReportingWith) -> Scenario:
    reporting = reporting_with([Alignment()])
    app = reporting.app
    b1, b2, b3 = objective(app), objective(app), objective(app)
    a1, a2 = annual(app, "Sign 40 service contracts", b1), annual(app, "Open two depots", b2)
    i1, i2, killed = proposed(app), proposed(app), strategic_with_sponsor(app)
    k1, k2, k3, k4, k5 = (raised_item(app) for _ in range(5))
    align(app, i1, b1, Strength.STRONG, initiative=True)
    align(app, i2, b1, Strength.MODERATE, initiative=True)
    app.handle(STEWARD, RemoveAlignment(i2, objective_id=b1, reason="does not serve it"))
    align(app, killed, b2, Strength.STRONG, initiative=True)
    decide_gate(app, killed, go(Gate.G1, Outcome.KILL), reason="no")
    align(app, k1, a1, Strength.WEAK, initiative=False)
    align(app, k2, b1, Strength.MODERATE, initiative=False)
    align(app, k2, b1, Strength.WEAK, initiative=False)  # re-aligned, weaker
    align(app, k3, a2, Strength.STRONG, initiative=False)
    app.handle(
        STEWARD, AbandonImprovementItem(k3, lesson_learned="no depot site", reason="dropped")
    )
    align(app, k4, b3, Strength.STRONG, initiative=False)
    app.handle(STEWARD, RetireObjective(b3, reason="market exited"))
    app.handle(
        STEWARD,
        RetargetObjective(
            b1, kpis=(SHARE, Kpi("churn", Decimal("4.5"), "%")), due=date(2031, 6, 30), reason="x"
        ),
    )
    return Scenario(reporting.caught_up(), b1, b2, b3, a1, a2, i1, i2, k1, k2, k3, k4, k5)


async def read(reporting: Reporting, query: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await query(conn, **kwargs)


def test_objectives_keep_their_level_parent_owner_exact_kpis_due_date_and_retirement(
    scenario: Scenario,
) -> None:
    rows = {
        r["id"]: r
        for r in scenario.reporting.rows(
            "SELECT *, kpis->1->>'target' AS exact_target FROM reporting.alignment_objectives"
        )
    }

    b1, a1 = rows[scenario.b1], rows[scenario.a1]
    assert (b1["level"], b1["owner"], b1["due"], b1["parent_id"]) == (
        "BREAKTHROUGH",
        "ceo",
        date(2031, 6, 30),  # retargeted
        None,
    )
    assert b1["kpis"] == [
        {"name": "service revenue share", "target": 30, "unit": "%"},
        {"name": "churn", "target": 4.5, "unit": "%"},
    ]
    assert (a1["level"], a1["parent_id"], a1["exact_target"]) == ("ANNUAL", scenario.b1, "22.5")
    assert a1["kpis"][1]["baseline"] == 18
    assert (rows[scenario.b3]["retired"], rows[scenario.b1]["retired"]) == (True, False)


def test_links_follow_alignment_realignment_and_removal(scenario: Scenario) -> None:
    links = scenario.reporting.rows(
        "SELECT work_item_id, objective_id, strength FROM reporting.alignment_links"
    )

    pairs = {(link["work_item_id"], link["objective_id"]): link["strength"] for link in links}
    assert pairs[(scenario.k2, scenario.b1)] == "WEAK"
    assert pairs[(scenario.i1, scenario.b1)] == "STRONG"
    assert (scenario.i2, scenario.b1) not in pairs
    assert len(pairs) == 6  # i1, killed, k1, k2, k3, k4


async def test_objectives_show_the_active_work_serving_them_by_path_and_strength(
    scenario: Scenario,
) -> None:
    served = {o.id: o for o in await read(scenario.reporting, objectives_served)}

    # b1: i1 (strategic, strong) and k2 (operational, weak); k1 serves it through a1.
    b1 = served[scenario.b1]
    assert (b1.work, b1.strategic, b1.operational) == (2, 1, 1)
    assert (b1.strong, b1.moderate, b1.weak, b1.via_children) == (1, 0, 1, 1)
    a1 = served[scenario.a1]
    assert (a1.work, a1.operational, a1.weak, a1.via_children) == (1, 1, 1, 0)
    # b2's killed initiative and a2's abandoned item no longer count.
    assert (served[scenario.b2].work, served[scenario.b2].via_children) == (0, 0)
    assert served[scenario.a2].work == 0
    assert scenario.b3 not in served  # retired
    with_retired = await read(scenario.reporting, objectives_served, include_retired=True)
    assert {o.id for o in with_retired} == {*served, scenario.b3}
    assert [o.id for o in await read(scenario.reporting, objectives_served, level="ANNUAL")] == [
        scenario.a2,  # "Open two depots" sorts before "Sign 40 service contracts"
        scenario.a1,
    ]


async def test_the_work_serving_an_objective_lists_strategic_work_first(scenario: Scenario) -> None:
    work = await read(scenario.reporting, work_serving, objective_id=scenario.b1)

    assert [(w.id, w.path, w.strength) for w in work] == [
        (scenario.i1, "STRATEGIC", "STRONG"),
        (scenario.k2, "OPERATIONAL", "WEAK"),
    ]
    finished = await read(
        scenario.reporting, work_serving, objective_id=scenario.a2, include_finished=True
    )
    assert [(w.id, w.active) for w in finished] == [(scenario.k3, False)]


async def test_active_work_aligned_to_no_active_objective_is_unaligned(scenario: Scenario) -> None:
    unaligned = await read(scenario.reporting, unaligned_work)

    # i2 lost its alignment, k4's objective was retired, k5 was never aligned.
    assert [w.id for w in unaligned] == [scenario.i2, scenario.k4, scenario.k5]
    only_items = await read(scenario.reporting, unaligned_work, kind="improvement_item")
    assert [w.id for w in only_items] == [scenario.k4, scenario.k5]


async def test_objectives_no_active_work_serves_directly_or_through_children_are_unserved(
    scenario: Scenario,
) -> None:
    unserved = await read(scenario.reporting, unserved_objectives)

    # a2's only item was abandoned; b2's only initiative was killed and a2 serves nothing.
    assert [o.id for o in unserved] == [scenario.a2, scenario.b2]


def test_a_rebuild_gives_the_same_rows_as_the_live_view(scenario: Scenario) -> None:
    queries = {
        "alignment_objectives": "SELECT * FROM reporting.alignment_objectives ORDER BY id",
        "alignment_work": "SELECT * FROM reporting.alignment_work ORDER BY id",
        "alignment_links": "SELECT * FROM reporting.alignment_links "
        "ORDER BY work_item_id, objective_id",
    }
    live = {table: scenario.reporting.rows(query) for table, query in queries.items()}

    scenario.reporting.projector.rebuild("alignment")

    assert {table: scenario.reporting.rows(query) for table, query in queries.items()} == live


def test_an_objective_retired_after_the_runner_restarts_keeps_its_exact_kpis(
    reporting_with: ReportingWith,
) -> None:
    reporting = reporting_with([Alignment()])
    b1 = reporting.app.handle(
        STEWARD,
        DefineObjective(
            title="Widen the margin",
            level=Level.BREAKTHROUGH,
            owner="ceo",
            kpis=(Kpi("margin", Decimal("22.50"), "%", Decimal("18.0")),),
            due=date(2030, 12, 31),
        ),
    ).id
    reporting.caught_up()
    restarted = Projector(reporting.app, reporting.database, [Alignment()])  # reads the rows

    reporting.app.handle(STEWARD, RetireObjective(b1, reason="merged"))
    restarted.catch_up()

    (row,) = reporting.rows(
        "SELECT retired, kpis::text AS kpis FROM reporting.alignment_objectives WHERE id = %s", b1
    )
    assert row == {
        "retired": True,
        "kpis": '[{"name": "margin", "unit": "%", "target": 22.50, "baseline": 18.0}]',
    }
