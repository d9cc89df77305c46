"""Catching up with several processes gives the views one process would."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from domain.initiative import Initiative
from domain.team import Team
from projections.base import Projection
from projections.catalog import all_projections
from service.cli_projections import projections
from service.demo import load_demo
from service.parallel import catch_up_in_parallel, shares
from service.settings import Settings
from tests.projections.conftest import Reporting


class Weighing(Projection):
    """A view that costs `cost` per event it handles, of the classes in `handled`."""

    def __init__(self, name: str, cost: float, handled: set[type]) -> None:
        self.name, self.cost = name, cost  # type: ignore[misc]
        self.handled = handled

    def applies_to(self, event_class: type) -> bool:
        return event_class in self.handled


class A:
    pass


class B:
    pass


class C:
    pass


WAITING = {A: 100, B: 100, C: 100}


def test_views_that_handle_the_same_events_share_a_process_so_they_are_decoded_once() -> None:
    everything = Weighing("everything", 3, {A, B, C})
    views = [Weighing("x", 1, {A}), everything, Weighing("y", 1, {A}), Weighing("z", 1, {B})]

    assert shares(views, 2, WAITING) == [["everything"], ["x", "y", "z"]]


def test_no_process_is_left_without_a_view() -> None:
    views = [Weighing("x", 1, {A}), Weighing("y", 2, {B}), Weighing("z", 1, {A, C})]

    assert shares(views, 9, WAITING) == [["z"], ["y"], ["x"]], "heaviest first, one each"


def test_every_view_falls_in_exactly_one_share() -> None:
    catalog = [p.name for p in all_projections()]
    waiting: dict[type, int] = {Initiative.Proposed: 10, Initiative.Resourced: 20}
    waiting[Team.Registered] = 3

    dealt = [name for share in shares(all_projections(), 2, waiting) for name in share]

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
