"""The runner never applies a damaged event: each view that would stops before it, with the
position in its status; the others go on."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from click.testing import CliRunner
from eventsourcing.utils import resolve_topic

from domain.commands import SetTeamCapacity
from domain.initiative import Initiative
from service.cli import main
from service.projector import Status
from tests.projections.conftest import Reporting
from tests.service.scenarios import Q1, STEWARD, proposed, team_with_capacity

pytestmark = pytest.mark.database

EVENTS = "polarity_events"


def tamper(reporting: Reporting, statement: str) -> None:
    with psycopg.connect(reporting.database.conninfo, autocommit=True) as conn:
        conn.execute(statement.encode())


def more_capacity(reporting: Reporting) -> None:
    team = reporting.rows(f"SELECT originator_id FROM {EVENTS} WHERE notification_id = 1")
    reporting.app.handle(
        STEWARD,
        SetTeamCapacity(team[0]["originator_id"], period=Q1, fte=Decimal(5), reason="more"),
    )


def statuses(reporting: Reporting) -> dict[str, Status]:
    return {row.projection: row for row in reporting.projector.status()}


def handles_proposals(reporting: Reporting) -> set[str]:
    proposed_class = resolve_topic(
        reporting.rows(f"SELECT topic FROM {EVENTS} WHERE notification_id = 3")[0]["topic"]
    )
    assert proposed_class is Initiative.Proposed
    return {
        name
        for name, projection in reporting.projector.projections.items()
        if projection.applies_to(proposed_class)
    }


def test_a_view_stops_before_an_altered_event_and_the_others_stay_current(
    reporting: Reporting,
) -> None:
    team_with_capacity(reporting.app)  # positions 1 and 2
    proposed(reporting.app)  # 3
    more_capacity(reporting)  # 4
    stopping = handles_proposals(reporting)
    tamper(
        reporting,
        f"UPDATE {EVENTS} SET state = overlay(state placing 'X'::bytea from 30) "
        "WHERE notification_id = 3",
    )

    reporting.caught_up()
    more_capacity(reporting)  # 5
    reporting.caught_up()

    status = statuses(reporting)
    assert stopping
    assert stopping != set(status)
    assert {name for name, row in status.items() if row.stopped_at == 3} == stopping
    assert all(status[name].position == 2 for name in stopping)
    assert all(row.position == 5 for name, row in status.items() if name not in stopping)
    assert reporting.rows("SELECT * FROM reporting.portfolio WHERE path = 'STRATEGIC'") == []


def test_every_view_stops_before_a_deleted_event(reporting: Reporting) -> None:
    team_with_capacity(reporting.app)  # positions 1 and 2
    reporting.caught_up()
    proposed(reporting.app)  # 3
    more_capacity(reporting)  # 4
    tamper(reporting, f"DELETE FROM {EVENTS} WHERE notification_id = 3")

    reporting.caught_up()

    assert {(row.position, row.stopped_at) for row in statuses(reporting).values()} == {(2, 3)}


def test_a_rebuild_clears_a_stop_once_the_store_is_whole_again(reporting: Reporting) -> None:
    team_with_capacity(reporting.app)
    proposed(reporting.app)
    tamper(reporting, f"UPDATE {EVENTS} SET topic = topic || 'x' WHERE notification_id = 3")
    reporting.caught_up()
    assert statuses(reporting)["portfolio"].stopped_at == 3
    tamper(reporting, f"UPDATE {EVENTS} SET topic = rtrim(topic, 'x') WHERE notification_id = 3")

    reporting.projector.rebuild("portfolio")

    assert (
        statuses(reporting)["portfolio"].stopped_at,
        statuses(reporting)["portfolio"].position,
    ) == (None, 3)


def test_projections_status_shows_where_a_view_stopped(reporting: Reporting) -> None:
    team_with_capacity(reporting.app)
    proposed(reporting.app)
    tamper(reporting, f"DELETE FROM {EVENTS} WHERE notification_id = 2")
    reporting.caught_up()
    shown = CliRunner().invoke(
        main, ["--database-url", reporting.database.url, "projections", "status"]
    )

    assert "portfolio: stopped at 2: integrity violation" in shown.output
