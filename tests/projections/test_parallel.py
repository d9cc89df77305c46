"""Catching up with several processes gives the views one process would."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from projections.base import Projection
from projections.catalog import all_projections
from service.cli_projections import projections
from service.demo import load_demo
from service.parallel import catch_up_in_parallel, shares
from service.settings import Settings
from tests.projections.conftest import Reporting


class Weighing(Projection):
    def __init__(self, name: str, cost: float) -> None:
        self.name, self.cost = name, cost  # type: ignore[misc]


def test_views_are_dealt_costliest_first_to_the_lightest_share() -> None:
    views = [Weighing("a", 1), Weighing("b", 3), Weighing("c", 2), Weighing("d", 1)]

    assert shares(views, 2) == [["b", "d"], ["c", "a"]]
    assert shares(views, 9) == [["b"], ["c"], ["a"], ["d"]], "no process without a view"


def test_every_view_falls_in_exactly_one_share() -> None:
    catalog = [p.name for p in all_projections()]

    dealt = [name for share in shares(all_projections(), 2) for name in share]

    assert sorted(dealt) == sorted(catalog)


@pytest.mark.database
def test_two_processes_catch_up_every_view_as_one_process_does(reporting: Reporting) -> None:
    load_demo(reporting.app)
    names = list(reporting.projector.projections)

    read = catch_up_in_parallel(reporting.database, names, workers=2)

    assert read == reporting.app.store.max_notification_id()
    in_parallel = reporting.every_table()
    for name in names:
        reporting.projector.rebuild(name)
    assert reporting.every_table() == in_parallel
    assert {status.lag_events for status in reporting.projector.status()} == {0}


@pytest.mark.database
def test_catch_up_on_the_command_line_brings_every_view_to_the_head(reporting: Reporting) -> None:
    load_demo(reporting.app)
    settings = Settings(database_url=reporting.database.url)

    result = CliRunner().invoke(projections, ["catch-up", "--workers", "2"], obj=settings)

    assert result.exit_code == 0, result.output
    assert "Caught up" in result.output
    assert {status.lag_events for status in reporting.projector.status()} == {0}
