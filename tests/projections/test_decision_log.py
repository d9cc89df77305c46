"""The decision log: one row per decision with who, when and why, filtered and paginated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from domain.commands import (
    ApproveRequest,
    AssignSponsor,
    ClassifyImprovementItem,
    ClassifyInitiative,
    RequestApproval,
    ResourceInitiative,
    RetireObjective,
    ReviewInitiative,
)
from domain.gates import Gate
from domain.values import Actor, Path, ReviewStatus
from projections.base import Projection
from projections.decision_log import DecisionLog, decision_log
from service.application import Polarity
from service.projector import Projector
from service.unit_of_work import Context
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    OPERATIONAL,
    Q1,
    STEWARD,
    decide_gate,
    go,
    objective,
    proposed,
    raised_item,
    team_with_capacity,
)

pytestmark = pytest.mark.database

DANA = Context(Actor("dana", ("director", "steward"), on_behalf_of="ceo"))
VERA = Context(Actor("vera", ("sponsor",)))


@pytest.fixture
def reporting(reporting_with: Callable[[Sequence[Projection]], Reporting]) -> Reporting:
    return reporting_with([DecisionLog()])


@dataclass(frozen=True)
class Subjects:
    initiative: UUID
    team: UUID
    item: UUID
    objective: UUID


def decisions(app: Polarity) -> Subjects:
    """Fifteen decisions: dana takes four (asks for an override, two resourcing halves,
    retire), vera two (approves the override, which takes effect by her), gina and gus a vote
    each, gina the gate, stella six (opening the gate review among them)."""
    initiative, item, goal = proposed(app), raised_item(app), objective(app)  # not decisions
    override = ClassifyInitiative(
        initiative,
        criteria=OPERATIONAL,
        decided=Path.STRATEGIC,
        override_reason="board mandate",
        reason="strategic bet",
    )
    request = app.handle(DANA, RequestApproval(override, reason="board wants it")).id
    app.handle(VERA, ApproveRequest(request, reason="the board minutes say so"))  # 1 override
    app.handle(STEWARD, AssignSponsor(initiative, sponsor="sam"))  # 2 sponsor
    decide_gate(app, initiative, go(Gate.G1), reason="fits")  # 3
    team = team_with_capacity(app)  # 4 capacity
    app.handle(
        DANA,
        ResourceInitiative(
            initiative, team_id=team, period=Q1, fte=Decimal(1), budget=Decimal(100), reason="go"
        ),
    )  # 5, 6 resourcing: on the initiative and on the team
    review = app.handle(
        STEWARD,
        ReviewInitiative(
            initiative, period="2027-01", status=ReviewStatus.GREEN, summary="ok", reason="m"
        ),
    )  # 7 review
    app.handle(
        STEWARD,
        ReviewInitiative(
            initiative,
            period="2027-01",
            status=ReviewStatus.AMBER,
            summary="slipping",
            reason="misread the plan",
            corrects=review.version,
        ),
    )  # 8 review, correcting 7
    app.handle(STEWARD, ClassifyImprovementItem(item, criteria=OPERATIONAL, reason="local"))  # 9
    app.handle(DANA, RetireObjective(goal, reason="merged into another"))  # 10 retire
    return Subjects(initiative, team, item, goal)


async def read(reporting: Reporting, **filters: Any) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        return await decision_log(conn, **filters)


def test_each_decision_is_one_row_with_who_when_why_and_what(reporting: Reporting) -> None:
    s = decisions(reporting.app)

    rows = reporting.caught_up().rows("SELECT * FROM reporting.decision_log ORDER BY position")

    assert [(r["decision_type"], r["actor_id"]) for r in rows] == [
        ("approval_request", "dana"),
        ("approval", "vera"),
        ("override", "vera"),
        ("sponsor", "stella"),
        ("gate_review", "stella"),
        ("vote", "gina"),
        ("vote", "gus"),
        ("gate", "gina"),
        ("capacity", "stella"),
        ("resourcing", "dana"),
        ("resourcing", "dana"),
        ("review", "stella"),
        ("review", "stella"),
        ("classification", "stella"),
        ("retire", "dana"),
    ]
    request, approval, override, gate, capacity = rows[0], rows[1], rows[2], rows[7], rows[8]
    assert (request["actor_roles"], request["on_behalf_of"]) == (["director", "steward"], "ceo")
    assert request["summary"]["kind"] == "CLASSIFICATION_OVERRIDE"
    assert request["summary"]["subject_id"] == str(s.initiative)
    assert (approval["aggregate_id"], approval["reason"]) == (
        request["aggregate_id"],
        "the board minutes say so",
    )
    assert (override["aggregate_id"], override["aggregate_kind"]) == (s.initiative, "initiative")
    assert (override["actor_roles"], override["on_behalf_of"]) == (["sponsor"], None)
    assert (override["reason"], override["overridden"]) == ("strategic bet", True)
    summary = override["summary"]
    assert (summary["recommended"], summary["decided"]) == ("OPERATIONAL", "STRATEGIC")
    assert summary["override_reason"] == "board mandate"
    assert gate["summary"]["decision"]["outcome"] == "GO"
    assert gate["summary"]["decision"]["gatekeepers"] == ["gina", "gus"]
    assert (gate["event_type"], gate["version"]) == ("Initiative.GateDecided", 5)
    assert (capacity["aggregate_kind"], capacity["summary"]) == (
        "team",
        {"period": "2027-Q1", "fte": "4"},
    )
    on_team = next(r for r in rows if r["event_type"] == "Team.AllocationGranted")
    assert on_team["summary"]["allocation"]["period"] == "2027-Q1"
    assert on_team["summary"]["allocation"]["work_item_id"] == str(s.initiative)
    assert rows[12]["corrects"] == rows[11]["version"]
    assert rows[13]["overridden"] is False


def test_each_row_carries_the_title_of_its_subject(reporting: Reporting) -> None:
    s = decisions(reporting.app)

    rows = reporting.caught_up().rows("SELECT * FROM reporting.decision_log ORDER BY position")

    titles = {
        s.initiative: "Enter the Nordic market",
        s.team: "Line 3",
        s.item: "Cut changeover time on line 3",
        s.objective: "Grow service revenue to 30%",
    }
    request = rows[0]  # listed under the request: titled with what it asks about
    assert request["aggregate_kind"] == "approval_request"
    assert {r["subject_title"] for r in rows if r["aggregate_id"] == request["aggregate_id"]} == {
        titles[s.initiative]
    }
    for row in rows:
        if row["aggregate_id"] in titles:
            assert row["subject_title"] == titles[row["aggregate_id"]], row["decision_type"]
    assert {r["aggregate_id"] for r in rows} == {*titles, request["aggregate_id"]}


def test_rows_logged_before_titles_were_kept_get_them_when_a_runner_rebuilds_the_log(
    reporting: Reporting,
) -> None:
    decisions(reporting.app)
    reporting.caught_up()
    with psycopg.connect(reporting.database.conninfo) as conn:  # as version 1 left the view
        conn.execute("UPDATE reporting.decision_log SET subject_title = NULL")
        conn.execute("DELETE FROM reporting.decision_log_subjects")
        conn.execute("UPDATE reporting.tracking SET version = 1 WHERE projection = 'decision_log'")
    upgraded = Projector(reporting.app, reporting.database, [DecisionLog()])

    upgraded.catch_up()

    (status,) = upgraded.status()
    assert (status.version, status.rebuilding) == (DecisionLog.version, None)
    titled = reporting.rows("SELECT subject_title FROM reporting.decision_log")
    assert len(titled) == 15
    assert None not in {row["subject_title"] for row in titled}


def test_a_gate_review_lists_its_opening_and_each_vote_by_its_voter_under_the_initiative(
    reporting: Reporting,
) -> None:
    s = decisions(reporting.app)

    rows = reporting.caught_up().rows(
        "SELECT * FROM reporting.decision_log WHERE decision_type IN ('gate_review', 'vote') "
        "ORDER BY position"
    )

    opened, gina, gus = rows
    assert {r["aggregate_id"] for r in rows} == {s.initiative}
    assert {r["aggregate_kind"] for r in rows} == {"initiative"}
    assert opened["summary"]["review_id"] == gina["summary"]["review_id"]
    assert opened["summary"]["gatekeepers"] == ["gina", "gus"]
    assert (opened["summary"]["chair"], opened["actor_id"]) == ("gina", "stella")
    assert (gina["actor_id"], gina["event_type"]) == ("gina", "GateReview.Voted")
    assert gina["summary"]["vote"]["outcome"] == "GO"
    assert (gus["actor_id"], gus["reason"]) == ("gus", "fits")
    assert gus["summary"]["vote"]["gatekeeper"] == "gus"


async def test_the_log_is_filtered_by_actor_type_subject_and_time(reporting: Reporting) -> None:
    s = decisions(reporting.app)
    rows = reporting.caught_up().rows("SELECT * FROM reporting.decision_log ORDER BY position")

    by_dana = await read(reporting, actor="dana")
    resourcing = await read(reporting, decision_type="resourcing")
    on_initiative = await read(reporting, subject=s.initiative)
    window = await read(reporting, since=rows[5]["recorded_at"], until=rows[10]["recorded_at"])

    assert by_dana["total"] == 4  # asking for the override, two resourcing halves, retire
    assert [r["decision_type"] for r in by_dana["rows"]] == [
        "approval_request",
        "resourcing",
        "resourcing",
        "retire",
    ]
    assert {r["aggregate_kind"] for r in resourcing["rows"]} == {"initiative", "team"}
    assert on_initiative["total"] == 9  # override, sponsor, gate review, 2 votes, gate, ...
    assert [r["position"] for r in window["rows"]] == [r["position"] for r in rows[5:10]]


async def test_the_log_pages_by_position_with_the_total_of_every_page(
    reporting: Reporting,
) -> None:
    decisions(reporting.app)
    positions = [
        r["position"]
        for r in reporting.caught_up().rows("SELECT position FROM reporting.decision_log")
    ]

    first = await read(reporting, first=4)
    rest = await read(reporting, first=20, after=first["rows"][-1]["position"])
    newest = await read(reporting, first=3, newest_first=True)
    older = await read(reporting, first=20, newest_first=True, after=newest["rows"][-1]["position"])

    assert (first["total"], first["has_next_page"], len(first["rows"])) == (15, True, 4)
    assert (rest["total"], rest["has_next_page"], len(rest["rows"])) == (15, False, 11)  # 15 - 4
    assert [r["position"] for r in first["rows"] + rest["rows"]] == sorted(positions)
    assert [r["position"] for r in newest["rows"] + older["rows"]] == sorted(positions)[::-1]


def test_a_rebuild_gives_the_same_rows_as_the_live_view(reporting: Reporting) -> None:
    decisions(reporting.app)
    live = reporting.caught_up().rows("SELECT * FROM reporting.decision_log ORDER BY position")

    reporting.projector.rebuild("decision_log")

    assert reporting.rows("SELECT * FROM reporting.decision_log ORDER BY position") == live
    assert len(live) == 15
