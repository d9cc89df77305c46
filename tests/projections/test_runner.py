"""The runner applies each event exactly once: through crashes, racing writers and rival runners."""

from __future__ import annotations

import gc
import random
import threading
import time
from decimal import Decimal
from typing import Any

import pytest

from domain.commands import ReleaseInitiativeResources, ReviewInitiative
from domain.values import ReviewStatus
from projections.base import Projection, Recorded
from projections.catalog import all_projections
from projections.portfolio import Portfolio
from projections.rows import State
from service.demo import load_demo
from service.projector import Projector
from tests.projections.conftest import Reporting
from tests.service.scenarios import (
    Q1,
    STEWARD,
    in_planning,
    raised_item,
    resourced,
    team_with_capacity,
)

pytestmark = pytest.mark.database

ROWS = "SELECT * FROM reporting.portfolio ORDER BY id"


class SimulatedCrash(BaseException):
    """The process dying (like KeyboardInterrupt, not an error of a view's): the runner rolls
    the batch back and sets nothing aside."""


class Crashes:
    """Now and then, after a view applies an event, the runner dies partway through its batch."""

    def __init__(self, chance: float, seed: int) -> None:
        self.chance = chance
        self.random = random.Random(seed)
        self.count = 0

    def maybe(self, view: str, recorded: Recorded) -> None:
        if self.chance and self.random.random() < self.chance:
            self.count += 1
            raise SimulatedCrash(f"{view} died after applying position {recorded.position}")


def crashing(projection: Projection, crashes: Crashes) -> Projection:
    class Crashing(type(projection)):  # type: ignore[misc]
        def apply(self, recorded: Recorded, state: State) -> None:
            super().apply(recorded, state)
            crashes.maybe(self.name, recorded)

    return Crashing()


def busy_history(reporting: Reporting, initiatives: int = 4) -> None:
    """Initiatives resourced, reviewed and released in turn: FTE sums expose double-applies."""
    app = reporting.app
    team = team_with_capacity(app, fte="50")
    for _ in range(initiatives):
        initiative = in_planning(app)
        for round_ in range(3):
            resourced(app, initiative, team, "1.5", budget="100", reason=f"round {round_}")
            app.handle(
                STEWARD,
                ReviewInitiative(
                    initiative,
                    period=f"2027-0{round_ + 1}",
                    status=ReviewStatus.GREEN,
                    summary="ok",
                    reason="monthly",
                ),
            )
            app.handle(
                STEWARD,
                ReleaseInitiativeResources(initiative, team_id=team, period=Q1, reason="rotate"),
            )
        raised_item(app)


def clean_rebuild(reporting: Reporting) -> list[dict[str, Any]]:
    reporting.projector.rebuild("portfolio")
    return reporting.rows(ROWS)


def test_a_runner_that_crashes_mid_batch_many_times_leaves_every_view_equal_to_a_rebuild(
    reporting_with: Any,
) -> None:
    crashes = Crashes(chance=0.01, seed=7)
    reporting: Reporting = reporting_with([crashing(p, crashes) for p in all_projections()])
    load_demo(reporting.app)
    busy_history(reporting)
    reporting.projector.batch_size = 17

    while True:
        try:
            if reporting.projector.catch_up() == 0:
                break
        except SimulatedCrash:
            continue

    assert crashes.count >= 20, "the test crashed the runner many times"
    caught_up = reporting.every_table()
    assert all(caught_up.values()), "every table has rows"
    crashes.chance = 0
    for name in reporting.projector.projections:
        reporting.projector.rebuild(name)
    assert reporting.every_table() == caught_up


class Watching(Portfolio):
    """Notes whether the cyclic garbage collector was on each time it applied an event."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[bool] = []
        self.fail = fail

    def apply(self, recorded: Recorded, state: State) -> None:
        self.seen.append(gc.isenabled())
        super().apply(recorded, state)
        if self.fail:
            raise SimulatedCrash("died mid-batch")


def collector_running_again(seconds: float = 5.0) -> bool:
    """Whether the collector runs again once no batch is applied in this process: another test's
    runner (an API test's service, still serving) may be in a batch of its own for a moment."""
    deadline = time.monotonic() + seconds
    while not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.01)
    return gc.isenabled()


def test_the_collector_is_paused_while_a_batch_applies_and_runs_again_after_it(
    reporting_with: Any,
) -> None:
    watching, failing = Watching(), Watching(fail=True)
    reporting: Reporting = reporting_with([watching])
    busy_history(reporting, initiatives=1)
    assert collector_running_again()

    reporting.projector.catch_up()
    assert watching.seen, "the view applied events"
    assert not any(watching.seen), "paused for every event"
    assert collector_running_again(), "running again after the batch"

    crashing_runner = Projector(reporting.app, reporting.database, [failing])
    with pytest.raises(SimulatedCrash):
        crashing_runner.rebuild("portfolio")
    assert failing.seen == [False]
    assert collector_running_again(), "running again after a failed batch"


def test_writers_and_the_runner_working_at_once_leave_the_view_equal_to_a_rebuild(
    reporting_with: Any,
) -> None:
    reporting: Reporting = reporting_with([Portfolio()])
    stop = threading.Event()
    runner = reporting.projector.start(stop)
    writers = [threading.Thread(target=busy_history, args=(reporting, 2)) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    runner.join(timeout=30)

    reporting.projector.catch_up()

    assert reporting.rows(ROWS) == clean_rebuild(reporting)
    (status,) = reporting.projector.status()
    assert status.lag_events == 0


def test_two_runners_never_apply_the_same_events_twice(reporting_with: Any) -> None:
    reporting: Reporting = reporting_with([Portfolio()])
    busy_history(reporting)
    rival = Projector(reporting.app, reporting.database, [Portfolio()], batch_size=5)
    reporting.projector.batch_size = 5
    barrier = threading.Barrier(2)

    def run(projector: Projector) -> None:
        barrier.wait()
        while projector.catch_up():
            pass

    threads = [threading.Thread(target=run, args=(p,)) for p in (reporting.projector, rival)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert reporting.rows(ROWS) == clean_rebuild(reporting)


def test_the_runner_wakes_on_new_events_without_waiting_for_its_timer(
    reporting_with: Any,
) -> None:
    reporting: Reporting = reporting_with([Portfolio()])
    stop = threading.Event()
    thread = threading.Thread(target=reporting.projector.run, args=(stop, 60.0), daemon=True)
    thread.start()
    try:
        item = raised_item(reporting.app)
        seen = threading.Event()
        for _ in range(100):
            if reporting.rows("SELECT id FROM reporting.portfolio WHERE id = %s", item):
                seen.set()
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert seen.is_set(), "the new item reached the view within 5 s, far inside the 60 s timer"


def test_a_runner_holding_the_view_reads_it_again_after_another_runner_wrote(
    reporting_with: Any,
) -> None:
    reporting: Reporting = reporting_with([Portfolio()])
    app, held = reporting.app, reporting.projector
    team = team_with_capacity(app, fte="50")
    initiative = in_planning(app)
    held.catch_up()  # this runner now holds the portfolio in memory
    rival = Projector(app, reporting.database, [Portfolio()])

    resourced(app, initiative, team, "1.5", reason="pilot")
    rival.catch_up()  # the rival applies the resourcing: the held rows are now stale
    app.handle(
        STEWARD, ReleaseInitiativeResources(initiative, team_id=team, period=Q1, reason="done")
    )
    held.catch_up()

    fte = "SELECT fte FROM reporting.portfolio WHERE id = %s"
    assert reporting.rows(fte, initiative) == [{"fte": Decimal("0.0")}], (
        "released from the rival's 1.5, not from the stale 0 (which would give -1.5)"
    )
    assert reporting.rows(ROWS) == clean_rebuild(reporting)


def test_a_runner_holding_a_row_or_two_a_table_builds_every_view_as_a_rebuild_does(
    reporting: Reporting,
) -> None:
    load_demo(reporting.app)
    busy_history(reporting)
    tables = sum(len(p.tables) for p in reporting.projector.projections.values())
    small = Projector(
        reporting.app, reporting.database, all_projections(), batch_size=50, cache_rows=tables
    )
    assert small.held_rows == 1

    while small.catch_up():
        pass
    built_by_the_small_runner = reporting.every_table()
    for name in reporting.projector.projections:
        reporting.projector.rebuild(name)

    assert all(built_by_the_small_runner.values()), "every table has rows"
    assert reporting.every_table() == built_by_the_small_runner
