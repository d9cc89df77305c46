"""The objects view: each aggregate as its events have made it, stored and read back exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from domain.initiative import Initiative
from projections.base import Projection
from projections.objects import Objects, restore
from service.application import Polarity
from service.demo import load_demo
from service.projector import Projector
from tests.projections.conftest import Reporting
from tests.service.scenarios import in_planning, resourced, team_with_capacity

pytestmark = pytest.mark.database

ROWS = "SELECT id, kind, version, created_position, position, state::text FROM reporting.objects"


@pytest.fixture
def reporting(reporting_with: Callable[[Sequence[Projection]], Reporting]) -> Reporting:
    return reporting_with([Objects()])


def restored(app: Polarity, row: dict[str, Any]) -> Any:
    return restore(row["kind"], row["id"], row["version"], row["state"], app.mapper.transcoder)


def assert_each_row_is_its_aggregate(app: Polarity, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        loaded: Any = app.repository.get(row["id"])
        assert type(loaded).__name__ == row["kind"]
        assert row["version"] == loaded.version
        assert vars(restored(app, row)) == vars(loaded)


def test_every_object_reads_back_as_loading_its_events_would_build_it(
    reporting: Reporting,
) -> None:
    demo = load_demo(reporting.app)

    rows = reporting.caught_up().rows(ROWS + " ORDER BY created_position")

    kinds = {row["kind"] for row in rows}
    assert kinds == {"Initiative", "ImprovementItem", "Objective", "Team", "ApprovalRequest"}
    made = (demo.teams, demo.objectives, demo.initiatives, demo.items)
    requests = [row for row in rows if row["kind"] == "ApprovalRequest"]
    assert len(rows) - len(requests) == sum(len(ids) for ids in made)
    assert_each_row_is_its_aggregate(reporting.app, rows)


def test_a_runner_that_reads_the_view_from_the_table_goes_on_from_the_stored_state(
    reporting: Reporting,
) -> None:
    app = reporting.app
    team = team_with_capacity(app, fte="50")
    initiative = in_planning(app)
    reporting.caught_up()
    resourced(app, initiative, team, "2.5", reason="pilot")

    fresh = Projector(app, reporting.database, [Objects()])  # holds nothing yet: reads the table
    fresh.catch_up()

    rows = reporting.rows(ROWS + " WHERE id = %s", initiative)
    assert_each_row_is_its_aggregate(app, rows)
    initiative_now = restored(app, rows[0])
    assert isinstance(initiative_now, Initiative)
    assert [a.fte for a in initiative_now.allocations.values()] == [Decimal("2.5")]


def test_a_rebuild_gives_the_same_rows_as_the_live_view(reporting: Reporting) -> None:
    load_demo(reporting.app)
    live = reporting.caught_up().rows(ROWS + " ORDER BY id")

    reporting.projector.rebuild("objects")

    assert reporting.rows(ROWS + " ORDER BY id") == live


def in_version_1_form(app: Polarity, state: str) -> str:
    """A row's state as the aggregates' version 1 stored it: each decision under its version."""
    stored = app.mapper.transcoder.decode(state.encode())
    assert stored.pop("class_version") == 2
    stored["decisions"] = {
        str(version): kind
        for kind, versions in stored["decisions"].items()
        for version in range(int(versions, 16).bit_length())
        if int(versions, 16) >> version & 1
    }
    return app.mapper.transcoder.encode(stored).decode()


def decisions_of(app: Polarity, row: dict[str, Any]) -> dict[str, str]:
    decisions: dict[str, str] = app.mapper.transcoder.decode(row["state"].encode())["decisions"]
    return decisions


def test_rows_built_before_decisions_were_bitsets_read_back_and_are_rebuilt(
    reporting: Reporting,
) -> None:
    load_demo(reporting.app)
    new_form = reporting.caught_up().rows(ROWS + " ORDER BY id")
    with psycopg.connect(reporting.database.conninfo) as conn:
        for row in new_form:
            old = in_version_1_form(reporting.app, row["state"])
            conn.execute("UPDATE reporting.objects SET state = %s WHERE id = %s", (old, row["id"]))
        conn.execute("UPDATE reporting.tracking SET version = 1 WHERE projection = 'objects'")
    old_form = reporting.rows(ROWS + " ORDER BY id")
    old_keys = {version for row in old_form for version in decisions_of(reporting.app, row)}
    assert old_keys
    assert all(version.isdigit() for version in old_keys)  # the versions, not the kinds
    assert_each_row_is_its_aggregate(reporting.app, old_form)

    Projector(reporting.app, reporting.database, [Objects()]).catch_up()

    assert reporting.rows(ROWS + " ORDER BY id") == new_form
    assert reporting.rows("SELECT version FROM reporting.tracking") == [{"version": 2}]


def test_the_view_is_not_published_to_bi_tools(reporting: Reporting) -> None:
    views = reporting.rows(
        "SELECT table_name FROM information_schema.views WHERE table_schema = 'reporting'"
    )
    assert "v1_objects" not in {view["table_name"] for view in views}
