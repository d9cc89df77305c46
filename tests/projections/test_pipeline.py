"""The pipeline view: stages and time in them, gate decisions, kill rate, open conditional gos."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain.commands import (
    AdvanceImprovementItem,
    ClassifyImprovementItem,
    ClearConditions,
)
from domain.gates import Gate, GateDecision, Outcome
from domain.improvement import PdcaStage
from projections.base import Projection
from projections.pipeline import (
    Pipeline,
    decisions_by_gate,
    items_per_stage,
    kill_rate,
    open_conditional_gos,
    time_in_stage,
)
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    GATEKEEPER,
    OPERATIONAL,
    STEWARD,
    decide_gate,
    go,
    in_planning,
    proposed,
    raised_item,
    resourced,
    strategic_with_sponsor,
    team_with_capacity,
)

pytestmark = pytest.mark.database


@pytest.fixture
def reporting(reporting_with: Callable[[Sequence[Projection]], Reporting]) -> Reporting:
    return reporting_with([Pipeline()])


@dataclass(frozen=True)
class WorkInFlight:
    executing: UUID  # G1 GO, G2 GO, G3 CONDITIONAL_GO with two conditions still open
    killed: UUID  # G1 KILL
    recycled: UUID  # G1 GO, corrected to RECYCLE: back in PROPOSED
    cleared: UUID  # G1 CONDITIONAL_GO, its condition cleared: SCOPING
    waiting: UUID  # proposed only
    raised: UUID  # RAISED
    planned: UUID  # classified operational, in PLAN


def decide(app: Polarity, initiative: UUID, decision: GateDecision, **more: Any) -> int:
    return decide_gate(app, initiative, decision, "gate meeting", **more).version


def work_in_flight(app: Polarity) -> WorkInFlight:
    executing = in_planning(app)
    resourced(app, executing, team_with_capacity(app), "2", budget="500")
    conditions = ("hire a lead", "sign the lease")
    decide(
        app,
        executing,
        GateDecision(Gate.G3, Outcome.CONDITIONAL_GO, ("gina", "gus"), conditions=conditions),
    )
    killed = strategic_with_sponsor(app)
    decide(app, killed, go(Gate.G1, Outcome.KILL))
    recycled = strategic_with_sponsor(app)
    premature = decide(app, recycled, go(Gate.G1))
    decide(app, recycled, go(Gate.G1, Outcome.RECYCLE), corrects=premature)
    cleared = strategic_with_sponsor(app)
    decide(
        app,
        cleared,
        GateDecision(Gate.G1, Outcome.CONDITIONAL_GO, ("gus", "gina"), conditions=("name a PM",)),
    )
    app.handle(GATEKEEPER, ClearConditions(cleared, evidence="PM named", reason="done"))
    planned = raised_item(app)
    app.handle(STEWARD, ClassifyImprovementItem(planned, criteria=OPERATIONAL, reason="local"))
    app.handle(STEWARD, AdvanceImprovementItem(planned, to=PdcaStage.PLAN))
    return WorkInFlight(
        executing, killed, recycled, cleared, proposed(app), raised_item(app), planned
    )


async def read(reporting: Reporting, query: Any, **filters: Any) -> Any:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await query(conn, **filters)


def test_each_work_item_is_in_the_stage_its_decisions_put_it(reporting: Reporting) -> None:
    p = work_in_flight(reporting.app)

    rows = reporting.caught_up().rows("SELECT * FROM reporting.pipeline_stages")

    stages = {r["work_item_id"]: r["stage"] for r in rows}
    assert stages == {
        p.executing: "EXECUTING",
        p.killed: "KILLED",
        p.recycled: "PROPOSED",
        p.cleared: "SCOPING",
        p.waiting: "PROPOSED",
        p.raised: "RAISED",
        p.planned: "PLAN",
    }


def test_every_gate_decision_is_kept_and_a_corrected_one_is_marked_superseded(
    reporting: Reporting,
) -> None:
    p = work_in_flight(reporting.app)

    rows = reporting.caught_up().rows(
        "SELECT * FROM reporting.pipeline_gates WHERE initiative_id = ANY(%s) ORDER BY position",
        [p.recycled, p.cleared, p.executing],
    )

    summary = [
        (
            r["gate"],
            r["outcome"],
            r["superseded_by"] is not None,
            r["conditions"],
            r["conditions_open"],
        )
        for r in rows
    ]
    assert summary == [
        ("G1", "GO", False, 0, False),  # executing
        ("G2", "GO", False, 0, False),
        ("G3", "CONDITIONAL_GO", False, 2, True),
        ("G1", "GO", True, 0, False),  # recycled: corrected by the RECYCLE below
        ("G1", "RECYCLE", False, 0, False),
        ("G1", "CONDITIONAL_GO", False, 1, False),  # cleared
    ]
    go_row, recycle = rows[3], rows[4]
    assert recycle["corrects"] == go_row["version"]
    assert go_row["superseded_by"] == recycle["version"]
    assert (recycle["stage_before"], recycle["stage_after"]) == ("PROPOSED", "PROPOSED")
    assert rows[5]["conditions_cleared_at"] is not None


def test_an_initiative_on_hold_keeps_the_stage_it_resumes_and_its_clock(
    reporting: Reporting,
) -> None:
    app = reporting.app
    initiative = strategic_with_sponsor(app)
    decide(app, initiative, go(Gate.G1, Outcome.HOLD))
    (held,) = reporting.caught_up().rows("SELECT * FROM reporting.pipeline_stages")
    decide(app, initiative, go(Gate.G1, Outcome.HOLD))  # still on hold: the clock runs on
    (still,) = reporting.caught_up().rows("SELECT * FROM reporting.pipeline_stages")
    decide(app, initiative, go(Gate.G1))

    (resumed,) = reporting.caught_up().rows("SELECT * FROM reporting.pipeline_stages")
    last = reporting.rows("SELECT * FROM reporting.pipeline_gates ORDER BY version DESC LIMIT 1")

    assert (held["stage"], held["held_from"]) == ("ON_HOLD", "PROPOSED")
    assert still["entered_at"] == held["entered_at"]
    assert (resumed["stage"], resumed["held_from"]) == ("SCOPING", None)
    assert resumed["entered_at"] > held["entered_at"]
    assert (last[0]["stage_before"], last[0]["held_from_before"]) == ("ON_HOLD", "PROPOSED")


async def test_the_read_queries_count_stages_decisions_and_the_kill_rate(
    reporting: Reporting,
) -> None:
    p = work_in_flight(reporting.app)
    reporting.caught_up()

    stages = await read(reporting, items_per_stage)
    by_gate = await read(reporting, decisions_by_gate)
    with_corrected = await read(reporting, decisions_by_gate, gate="G1", include_superseded=True)
    rates = await read(reporting, kill_rate)
    conditional = await read(reporting, open_conditional_gos)

    assert [(r["path"], r["stage"], r["items"]) for r in stages] == [
        ("OPERATIONAL", "RAISED", 1),
        ("OPERATIONAL", "PLAN", 1),
        ("STRATEGIC", "PROPOSED", 2),  # recycled and waiting
        ("STRATEGIC", "SCOPING", 1),
        ("STRATEGIC", "EXECUTING", 1),
        ("STRATEGIC", "KILLED", 1),
    ]
    assert [(r["gate"], r["outcome"], r["decisions"]) for r in by_gate] == [
        ("G1", "CONDITIONAL_GO", 1),
        ("G1", "GO", 1),  # the corrected GO no longer stands
        ("G1", "KILL", 1),
        ("G1", "RECYCLE", 1),
        ("G2", "GO", 1),
        ("G3", "CONDITIONAL_GO", 1),
    ]
    assert ("G1", "GO", 2) in [(r["gate"], r["outcome"], r["decisions"]) for r in with_corrected]
    assert [(r["gate"], r["decided"], r["killed"], r["kill_rate"]) for r in rates] == [
        ("G1", 3, 1, Decimal("0.3333")),  # executing GO, killed KILL, cleared CONDITIONAL_GO
        ("G2", 1, 0, 0),
        ("G3", 1, 0, 0),
        (None, 3, 1, Decimal("0.3333")),  # 1 killed of 3 initiatives decided at any gate
    ]
    assert [(r["initiative_id"], r["gate"], r["conditions"]) for r in conditional] == [
        (p.executing, "G3", 2)
    ]


async def test_time_in_stage_is_counted_from_entry_to_now_for_open_stages(
    reporting: Reporting,
) -> None:
    p = work_in_flight(reporting.app)
    reporting.caught_up()
    # Entry times set by hand, so that the days are exact: the scenario ran within a second.
    start = datetime(2027, 1, 1, tzinfo=UTC)
    entered = {p.recycled: start, p.waiting: start + timedelta(days=4), p.killed: start}
    for item, at in entered.items():
        reporting.rows(
            "UPDATE reporting.pipeline_stages SET entered_at = %s WHERE work_item_id = %s "
            "RETURNING stage",
            at,
            item,
        )
    now = start + timedelta(days=10)

    (proposed_row,) = await read(reporting, time_in_stage, stage="PROPOSED", now=now)
    terminal = await read(reporting, time_in_stage, stage="KILLED", now=now)

    assert proposed_row["items"] == 2
    assert proposed_row["avg_days"] == 8  # (10 + 6) / 2
    assert proposed_row["max_days"] == 10
    assert terminal == []  # a killed initiative has no time in stage to speak of


def test_a_rebuild_gives_the_same_rows_as_the_live_view(reporting: Reporting) -> None:
    work_in_flight(reporting.app)
    queries = [
        "SELECT * FROM reporting.pipeline_stages ORDER BY work_item_id",
        "SELECT * FROM reporting.pipeline_gates ORDER BY initiative_id, version",
    ]
    live = [reporting.caught_up().rows(query) for query in queries]

    reporting.projector.rebuild("pipeline")

    assert [reporting.rows(query) for query in queries] == live
