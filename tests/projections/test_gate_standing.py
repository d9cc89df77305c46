"""After every gate decision, corrections and holds included, each view puts an initiative where
its aggregate is: the stage, the stage it resumes while on hold, and the gate it waits for."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from psycopg.rows import dict_row

from domain.commands import DecideGateReview, OpenGateReview, VoteAtGate
from domain.gates import Gate, Outcome
from domain.initiative import Initiative
from projections import pipeline
from projections.governance_health import governance_health
from service.application import Polarity
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    STEWARD,
    decide_gate,
    gatekeeper,
    go,
    in_planning,
    resourced,
    strategic_with_sponsor,
    team_with_capacity,
)

pytestmark = pytest.mark.database


def value(member: Enum | None) -> str | None:
    return member.value if member else None


def decide(
    app: Polarity, initiative: UUID, gate: Gate, outcome: Outcome, corrects: int | None = None
) -> int:
    return decide_gate(app, initiative, go(gate, outcome), "gate meeting", corrects).version


def histories(app: Polarity) -> list[UUID]:
    """Holds, resumptions from hold, and corrections of decisions taken on hold or at G5."""
    resumed = strategic_with_sponsor(app)
    decide(app, resumed, Gate.G1, Outcome.HOLD)
    decide(app, resumed, Gate.G1, Outcome.HOLD)
    decide(app, resumed, Gate.G1, Outcome.GO)
    recycled = strategic_with_sponsor(app)
    decide(app, recycled, Gate.G1, Outcome.HOLD)
    taken_on_hold = decide(app, recycled, Gate.G1, Outcome.GO)
    decide(app, recycled, Gate.G1, Outcome.RECYCLE, corrects=taken_on_hold)
    held_again = strategic_with_sponsor(app)
    premature = decide(app, held_again, Gate.G1, Outcome.GO)
    decide(app, held_again, Gate.G1, Outcome.HOLD, corrects=premature)
    reviewed = in_planning(app)
    resourced(app, reviewed, team_with_capacity(app), "1")
    for gate in (Gate.G3, Gate.G4, Gate.G5):
        benefits = decide(app, reviewed, gate, Outcome.GO)
    decide(app, reviewed, Gate.G5, Outcome.HOLD, corrects=benefits)
    killed = in_planning(app)
    decide(app, killed, Gate.G3, Outcome.KILL)
    return [resumed, recycled, held_again, reviewed, killed]


def test_every_view_puts_an_initiative_where_its_aggregate_is(reporting: Reporting) -> None:
    app = reporting.app
    initiatives = histories(app)
    reporting.caught_up()

    for initiative_id in initiatives:
        initiative = app.get(initiative_id, Initiative)
        standing = (initiative.stage.value, value(initiative.held_from))
        (portfolio,) = reporting.rows(
            "SELECT stage, held_from, next_gate FROM reporting.portfolio WHERE id = %s",
            initiative_id,
        )
        (pipeline,) = reporting.rows(
            "SELECT stage, held_from FROM reporting.pipeline_stages WHERE work_item_id = %s",
            initiative_id,
        )
        (health,) = reporting.rows(
            "SELECT stage, held_from FROM reporting.governance_work WHERE id = %s", initiative_id
        )
        assert tuple(portfolio.values()) == (*standing, value(initiative.next_gate))
        assert tuple(pipeline.values()) == standing
        assert tuple(health.values()) == standing


def test_the_standing_gate_decisions_start_where_the_aggregate_remembers(
    reporting: Reporting,
) -> None:
    app = reporting.app
    initiatives = histories(app)
    reporting.caught_up()

    for initiative_id in initiatives:
        remembered = [
            (
                r.version,
                r.gate.value,
                r.outcome.value,
                r.stage_before.value,
                value(r.held_from_before),
            )
            for r in app.get(initiative_id, Initiative).gates
        ]
        rows = reporting.rows(
            "SELECT version, gate, outcome, stage_before, held_from_before "
            "FROM reporting.pipeline_gates WHERE initiative_id = %s AND superseded_by IS NULL "
            "ORDER BY version",
            initiative_id,
        )
        assert [tuple(row.values()) for row in rows] == remembered


def stored_long_ago(app: Polarity, initiative: UUID, outcome: str) -> None:
    """A G1 decision stored as gate decisions always have been: version 1, no stage in it."""
    state = (
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2025-03-03T09:00:00+00:00"},'
        b'"actor":{"_type_":"Actor","_data_":{"id":"gina","roles":["gatekeeper"],'
        b'"on_behalf_of":null}},"reason":"gate meeting","decision":{"_type_":"GateDecision",'
        b'"_data_":{"gate":{"_type_":"Gate","_data_":"G1"},"outcome":{"_type_":"Outcome",'
        b'"_data_":"' + outcome.encode() + b'"},"gatekeepers":["gina","gus"],"must_meet":[],'
        b'"should_meet_score":null,"conditions":[],"next_gate_date":null}},"corrects":null}'
    )
    version = app.get(initiative, Initiative).version + 1
    topic = "domain.initiative:Initiative.GateDecided"
    app.recorder.insert_events([StoredEvent(initiative, version, topic, state)])


# Versions differ: a decision taken today follows its review's opening, an event of its own.
VIEWED = {
    "portfolio": ("id", "stage, held_from, next_gate, open_conditions"),
    "pipeline_stages": ("work_item_id", "stage, held_from"),
    "governance_work": ("id", "stage, held_from, 1 AS version"),
    "pipeline_gates": ("initiative_id", "gate, outcome, stage_before, stage_after"),
}


def test_a_gate_decision_stored_long_ago_projects_the_rows_of_one_decided_today(
    reporting: Reporting,
) -> None:
    app = reporting.app
    today, long_ago = strategic_with_sponsor(app), strategic_with_sponsor(app)
    for outcome in (Outcome.HOLD, Outcome.GO):
        decide(app, today, Gate.G1, outcome)
        stored_long_ago(app, long_ago, outcome.value)
    reporting.caught_up()

    def viewed(initiative: UUID) -> dict[str, list[dict[str, object]]]:
        return {
            table: reporting.rows(
                f"SELECT {columns} FROM reporting.{table} WHERE {key} = %s ORDER BY version",
                initiative,
            )
            for table, (key, columns) in VIEWED.items()
        }

    assert viewed(long_ago) == viewed(today)
    assert app.get(long_ago, Initiative).next_gate is Gate.G2


def test_a_gate_decision_stored_before_gate_reviews_stays_in_the_log_marked_without_votes(
    reporting: Reporting,
) -> None:
    app = reporting.app
    long_ago, today = strategic_with_sponsor(app), strategic_with_sponsor(app)
    stored_long_ago(app, long_ago, Outcome.HOLD.value)
    decide(app, today, Gate.G1, Outcome.HOLD)
    reporting.caught_up()

    def logged(initiative: UUID) -> dict[str, object]:
        (row,) = reporting.rows(
            "SELECT overridden, summary FROM reporting.decision_log "
            "WHERE aggregate_id = %s AND decision_type = 'gate'",
            initiative,
        )
        return row

    old, new = logged(long_ago), logged(today)
    assert old["summary"]["recorded_without_votes"] is True  # type: ignore[index]
    assert old["summary"]["votes"] == []  # type: ignore[index]
    assert new["summary"]["recorded_without_votes"] is False  # type: ignore[index]
    voters = [v["gatekeeper"] for v in new["summary"]["votes"]]  # type: ignore[index]
    assert voters == ["gina", "gus"]
    assert old["overridden"] is new["overridden"] is False
    (decided,) = [e for e in app.history(long_ago) if e.envelope.event_type.endswith("Decided")]
    assert (decided.event.votes, decided.event.override) == ((), None)  # upcast from v1
    (record,) = app.get(long_ago, Initiative).gates
    assert (record.voters, record.override, record.gate) == ((), None, Gate.G1)


def test_a_chair_overriding_the_votes_shows_as_overridden_in_the_decision_log(
    reporting: Reporting,
) -> None:
    app = reporting.app
    initiative = strategic_with_sponsor(app)
    review = app.handle(STEWARD, OpenGateReview(initiative, ("gina", "gus"), chair="gina")).id
    for keeper in ("gina", "gus"):
        app.handle(gatekeeper(keeper), VoteAtGate(review, Outcome.KILL, "no market"))

    overriding = DecideGateReview(review, Outcome.HOLD, "wait", override="the board asked to wait")
    app.handle(gatekeeper("gina"), overriding)

    (row,) = reporting.caught_up().rows(
        "SELECT overridden, summary FROM reporting.decision_log "
        "WHERE aggregate_id = %s AND decision_type = 'gate'",
        initiative,
    )
    assert row["overridden"] is True
    assert row["summary"]["override"] == "the board asked to wait"
    assert app.get(initiative, Initiative).gates[-1].override == "the board asked to wait"


async def test_governance_health_names_gates_decided_against_the_votes_or_without_a_quorum(
    reporting: Reporting,
) -> None:
    app = reporting.app
    long_ago, overridden, followed = (strategic_with_sponsor(app) for _ in range(3))
    stored_long_ago(app, long_ago, Outcome.HOLD.value)
    decide_gate(app, overridden, go(Gate.G1), "board wants it", override="board mandate")
    decide(app, followed, Gate.G1, Outcome.GO)
    reporting.caught_up()

    rows = reporting.rows(
        "SELECT initiative_id, votes, overridden FROM reporting.governance_gates "
        "ORDER BY decided_at"
    )
    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        failing = {check.name: set(check.ids) for check in await governance_health(conn)}

    assert [(r["initiative_id"], r["votes"], r["overridden"]) for r in rows] == [
        (long_ago, 0, False),
        (overridden, 2, True),
        (followed, 2, False),
    ]
    assert failing["gates_decided_against_votes"] == {str(overridden)}
    assert failing["decisions_without_quorum"] == {str(long_ago)}


async def test_the_pipeline_lists_open_gate_reviews_with_their_votes_and_age(
    reporting: Reporting,
) -> None:
    app = reporting.app
    waiting, decided = strategic_with_sponsor(app), strategic_with_sponsor(app)
    review = app.handle(STEWARD, OpenGateReview(waiting, ("gina", "gus", "gil"), "gina")).id
    app.handle(gatekeeper("gus"), VoteAtGate(review, Outcome.GO, "fits"))
    decide(app, decided, Gate.G1, Outcome.GO)
    reporting.caught_up()

    async with await psycopg.AsyncConnection.connect(
        reporting.database.conninfo, row_factory=dict_row
    ) as conn:
        (open_review,) = await pipeline.open_gate_reviews(conn)

    assert (open_review["review_id"], open_review["initiative_id"]) == (review, waiting)
    assert (open_review["gate"], open_review["chair"]) == ("G1", "gina")
    assert (open_review["panel"], open_review["votes"]) == (3, 1)
    assert open_review["days_open"] >= 0
