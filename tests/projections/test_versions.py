"""A view whose code has a new version is rebuilt by the runners in fresh tables and swapped in,
while its old rows keep serving."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from uuid import uuid4

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import make_conninfo
from psycopg.sql import SQL, Identifier

from domain.initiative import Initiative
from projections.base import Projection, Recorded, handles
from projections.catalog import all_projections
from projections.portfolio import DDL, INDEXES, Portfolio
from projections.rows import State
from service import roles
from service.application import Polarity
from service.bi import grant_bi
from service.cli import main
from service.database import Database
from service.projector import Projector
from service.startup import prepare
from service.versions import Rebuilding
from tests.api.conftest import TEST_SETTINGS, bearer, serving
from tests.api.graphql import Caller
from tests.projections.conftest import Reporting
from tests.projections.test_runner import SimulatedCrash, busy_history
from tests.service.scenarios import proposed, raised_item

pytestmark = pytest.mark.database

TITLES = "SELECT title FROM reporting.portfolio"
FRESH_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'reporting' "
    "AND tablename LIKE 'portfolio\\_\\_%%'"
)
NORDIC, CHANGEOVER = "Enter the Nordic market", "Cut changeover time on line 3"


def in_fresh_tables(state: State) -> bool:
    return state.rows("portfolio").layout.stored != "portfolio"


class Shouting(Portfolio):
    """The portfolio's version 2: an initiative's title in capitals."""

    version = 2

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        super().proposed(recorded, state)
        state.rows("portfolio").update(recorded.aggregate_id, title=recorded.event.title.upper())


class Pausing(Shouting):
    """Version 2, which waits, the `at`-th time it applies an initiative to fresh tables, until
    it is let go."""

    def __init__(self, at: int) -> None:
        self.at, self.seen = at, 0
        self.reached, self.go = threading.Event(), threading.Event()

    @handles(Initiative.Proposed)
    def proposed(self, recorded: Recorded, state: State) -> None:
        if in_fresh_tables(state):
            self.seen += 1
            if self.seen == self.at:
                self.reached.set()
                self.go.wait(30)
        super().proposed(recorded, state)


def titles(reporting: Reporting) -> list[str]:
    return sorted(row["title"] for row in reporting.rows(TITLES))


@pytest.fixture
def built(reporting_with: Callable[[Sequence[Projection]], Reporting]) -> Reporting:
    """Two initiatives and an item in the portfolio, as version 1 of its code built it."""
    reporting = reporting_with([Portfolio()])
    proposed(reporting.app)
    raised_item(reporting.app)
    proposed(reporting.app)
    reporting.caught_up()
    assert titles(reporting) == [CHANGEOVER, NORDIC, NORDIC]
    return reporting


def runner(reporting: Reporting, projection: Projection, batch_size: int = 100) -> Projector:
    return Projector(reporting.app, reporting.database, [projection], batch_size=batch_size)


@contextmanager
def paused_rebuild(reporting: Reporting, at: int) -> Iterator[Pausing]:
    """A runner of version 2 rebuilding the portfolio, one event a step, paused at the `at`-th
    initiative."""
    pausing = Pausing(at)
    rebuilding = threading.Thread(target=runner(reporting, pausing, batch_size=1).catch_up)
    rebuilding.start()
    try:
        assert pausing.reached.wait(30), "the rebuild reached the initiative"
        yield pausing
    finally:
        pausing.go.set()
        rebuilding.join(30)
    assert not rebuilding.is_alive()


def test_a_runner_rebuilds_a_view_built_by_an_older_version_and_swaps_it_in(
    built: Reporting,
) -> None:
    reporting = built
    upgraded = runner(reporting, Shouting())

    upgraded.catch_up()

    assert titles(reporting) == [CHANGEOVER, NORDIC.upper(), NORDIC.upper()]
    (status,) = upgraded.status()
    assert (status.version, status.code_version, status.rebuilding) == (2, 2, None)
    assert status.lag_events == 0
    assert reporting.rows(FRESH_TABLES) == [], "the fresh tables are dropped after the swap"
    swapped = reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id")
    upgraded.rebuild("portfolio")
    assert reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id") == swapped


def test_while_a_view_is_rebuilt_reads_see_its_old_rows_kept_current(
    built: Reporting,
) -> None:
    reporting = built

    with paused_rebuild(reporting, at=2):
        raised_item(reporting.app)  # a write while the rebuild is under way
        another = runner(reporting, Shouting())
        another.catch_up()  # applies the old tables; the rebuild is the paused runner's

        assert titles(reporting) == [CHANGEOVER, CHANGEOVER, NORDIC, NORDIC]
        (status,) = another.status()
        assert status.lag_events == 0, "a read waiting for the write is not held up"
        assert (status.version, status.code_version) == (1, 2)
        assert status.rebuilding == Rebuilding(version=2, position=2)

    assert titles(reporting) == [CHANGEOVER, CHANGEOVER, NORDIC.upper(), NORDIC.upper()]
    (status,) = another.status()
    assert (status.version, status.rebuilding, status.lag_events) == (2, None, 0)


def test_projections_status_shows_how_far_a_rebuild_has_come(
    built: Reporting, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporting = built
    for module in ("service.cli_projections", "service.startup"):
        monkeypatch.setattr(f"{module}.all_projections", lambda: [Shouting()])
    status = ["--database-url", reporting.database.url, "projections", "status"]

    with paused_rebuild(reporting, at=2):
        during = CliRunner().invoke(main, status)
    after = CliRunner().invoke(main, status)

    assert during.exit_code == 0, during.output
    assert during.output.splitlines()[1].split()[:2] == ["portfolio", "1*"]
    assert (
        "portfolio: built by version 1; rebuilding with version 2 (2 of 3 events); the old rows "
        "serve until it is swapped in" in during.output
    )
    assert after.output.splitlines()[1].split()[:2] == ["portfolio", "2"]
    assert "rebuilding" not in after.output


def test_the_bi_views_read_the_rows_swapped_in_with_their_grants(
    built: Reporting, bi_role: str
) -> None:
    reporting = built
    with psycopg.connect(reporting.database.conninfo) as conn:
        grant_bi(conn, bi_role, projections=[Portfolio()])

    runner(reporting, Shouting()).catch_up()

    conninfo = make_conninfo(reporting.database.conninfo, user=bi_role, password="")
    with psycopg.connect(conninfo) as conn:
        shown = conn.execute("SELECT title FROM reporting.v1_portfolio").fetchall()
    assert sorted(shown) == [(CHANGEOVER,), (NORDIC.upper(),), (NORDIC.upper(),)]


@pytest.fixture
def bi_role(built: Reporting) -> Iterator[str]:
    """A role of its own, dropped afterwards with its grants."""
    role = f"bi_test_{uuid4().hex[:10]}"
    yield role
    with psycopg.connect(built.database.conninfo, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(SQL("DROP OWNED BY {}").format(Identifier(role)))
            conn.execute(SQL("DROP ROLE {}").format(Identifier(role)))


class Crashing(Shouting):
    """Version 2, whose process dies after applying `after` events to fresh tables."""

    def __init__(self, after: int) -> None:
        self.left = after

    def apply(self, recorded: Recorded, state: State) -> None:
        super().apply(recorded, state)
        if in_fresh_tables(state):
            self.left -= 1
            if self.left == 0:
                raise SimulatedCrash(f"died rebuilding, at position {recorded.position}")


def test_a_rebuild_cut_short_by_a_crash_leaves_the_old_rows_serving_and_goes_on_after(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
) -> None:
    reporting = reporting_with([Portfolio()])
    busy_history(reporting)
    reporting.caught_up()
    before = reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id")
    head = reporting.app.store.max_notification_id() or 0

    with pytest.raises(SimulatedCrash):
        runner(reporting, Crashing(after=30), batch_size=5).catch_up()

    assert reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id") == before
    (crashed,) = runner(reporting, Shouting()).status()
    assert crashed.version == 1
    assert crashed.rebuilding is not None
    assert 0 < crashed.rebuilding.position < head
    restarted = runner(reporting, Shouting())
    assert restarted.catch_up() == head - crashed.rebuilding.position, "it goes on from there"
    swapped = reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id")
    restarted.rebuild("portfolio")
    assert reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id") == swapped
    assert swapped != before


class Counting(Shouting):
    """Version 2, noting each position it applies to fresh tables."""

    def __init__(self, applied: list[int]) -> None:
        self.applied = applied

    def apply(self, recorded: Recorded, state: State) -> None:
        super().apply(recorded, state)
        if in_fresh_tables(state) and self.applies_to(type(recorded.event)):
            self.applied.append(recorded.position)


def test_runners_side_by_side_rebuild_a_view_one_at_a_time(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
) -> None:
    reporting = reporting_with([Portfolio()])
    busy_history(reporting)
    reporting.caught_up()
    applied: list[int] = []
    runners = [runner(reporting, Counting(applied), batch_size=5) for _ in range(2)]
    barrier = threading.Barrier(2)

    def run(projector: Projector) -> None:
        barrier.wait()
        while projector.catch_up():
            pass

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert applied, "the view was rebuilt"
    assert [p for p, times in Counter(applied).items() if times > 1] == []
    swapped = reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id")
    runners[0].rebuild("portfolio")
    assert reporting.rows("SELECT * FROM reporting.portfolio ORDER BY id") == swapped


def test_a_runner_of_older_code_leaves_a_view_built_by_newer_code_alone(
    built: Reporting, caplog: pytest.LogCaptureFixture
) -> None:
    reporting = built
    runner(reporting, Shouting()).catch_up()
    raised_item(reporting.app)

    older = runner(reporting, Portfolio())
    with caplog.at_level(logging.WARNING, "polarity.projections"):
        older.catch_up()

    (status,) = older.status()
    assert (status.version, status.code_version, status.lag_events) == (2, 1, 1)
    assert "newer than this code's 1" in caplog.text
    runner(reporting, Shouting()).catch_up()
    assert titles(reporting) == [CHANGEOVER, CHANGEOVER, NORDIC.upper(), NORDIC.upper()]


class Widened(Portfolio):
    """Version 2 with a column its DDL creates, but does not add to the live table."""

    version = 2
    ddl = (DDL.replace("position bigint", "risk integer,\n    position bigint"), *INDEXES)


def test_a_rebuild_whose_tables_would_not_fit_the_live_ones_is_refused_and_says_why(
    built: Reporting, caplog: pytest.LogCaptureFixture
) -> None:
    reporting = built
    widened = runner(reporting, Widened())

    with caplog.at_level(logging.WARNING, "polarity.projections"):
        widened.catch_up()
        widened.catch_up()

    (status,) = widened.status()
    assert (status.version, status.rebuilding) == (1, None)
    assert reporting.rows(FRESH_TABLES) == []
    refusals = [r.getMessage() for r in caplog.records if "cannot be rebuilt" in r.getMessage()]
    assert len(refusals) == 1, "said once"
    assert "reporting.portfolio.risk" in refusals[0]
    assert "polarity projections rebuild portfolio" in refusals[0]
    widened.rebuild("portfolio")
    assert widened.status()[0].version == 2


def test_views_built_before_versions_were_recorded_count_as_version_1(
    built: Reporting,
) -> None:
    reporting = built
    with psycopg.connect(reporting.database.conninfo) as conn:
        conn.execute("ALTER TABLE reporting.tracking DROP COLUMN version")

    reporting.projector.setup()

    assert [status.version for status in reporting.projector.status()] == [1]


# As the service runs: prepare starts the rebuild, the service's own role fills and swaps it ---


def test_the_services_own_role_completes_a_rebuild_that_prepare_started(
    own_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    roles.init(own_database)
    app = Polarity(own_database, create_tables=False)
    service_role = roles.as_app(own_database)
    try:
        proposed(app)
        Projector(app, service_role, all_projections()).catch_up()
        upgraded = [Shouting() if p.name == "portfolio" else p for p in all_projections()]
        monkeypatch.setattr("service.startup.all_projections", lambda: upgraded)

        prepare(own_database)  # as the service starts: as configured, which may create tables
        Projector(app, service_role, upgraded).catch_up()

        fresh = Reporting(app, own_database, Projector(app, own_database, upgraded))
        assert titles(fresh) == [NORDIC.upper()]
        assert fresh.rows("SELECT count(*) FROM reporting.portfolio__v2") == [{"count": 0}]
        prepare(own_database)  # the next start drops what the service's role could only empty
        assert fresh.rows(FRESH_TABLES) == []
    finally:
        app.close()


def test_a_rebuild_is_swapped_in_while_writes_go_on(built: Reporting) -> None:
    """Each step of the rebuild finds the event written since the one before: it is swapped in
    once it is within a step of the head, not only after a step that finds nothing."""
    reporting = built
    upgraded = runner(reporting, Shouting())

    with upgraded.connect() as conn:
        for _ in range(3):
            upgraded.versions.advance(conn)  # a step of the rebuild, between the runner's batches
            proposed(reporting.app)
    upgraded.run_batch()

    (status,) = upgraded.status()
    assert (status.version, status.rebuilding, status.lag_events) == (2, None, 0)
    assert titles(reporting) == [CHANGEOVER] + [NORDIC.upper()] * 5


PORTFOLIO = """query($unit: String!, $at: Int) {
  portfolio(filter: {orgUnit: $unit}, first: 10, consistentWith: $at) {
    edges { node { title } } } }"""


def test_the_service_answers_reads_consistent_with_a_write_while_a_view_is_rebuilt(
    own_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = f"unit-{uuid4().hex[:8]}"

    def shown(steward: Caller, at: int | None = None) -> list[str]:
        edges = steward.query(PORTFOLIO, unit=unit, at=at)["portfolio"]["edges"]
        return sorted(edge["node"]["title"] for edge in edges)

    with serving(TEST_SETTINGS, own_database) as api:
        steward = Caller(api, bearer("stella", "steward"))
        quiet = steward.ok("initiativePropose", title="Quiet", problem="p", orgUnit=unit)
        # Applied by the old code before the service stops: else the new code applies it.
        assert shown(steward, at=quiet["position"]) == ["Quiet"]
    upgraded = [Shouting() if p.name == "portfolio" else p for p in all_projections()]
    for module in ("service.startup", "service.web"):
        monkeypatch.setattr(f"{module}.all_projections", lambda: upgraded)
    prepare(own_database)  # the upgrade's start begins the rebuild

    with psycopg.connect(own_database.conninfo) as holding:
        holding.execute("SELECT 1 FROM reporting.rebuilds FOR UPDATE")  # a runner mid-step
        with serving(TEST_SETTINGS, own_database) as api:
            steward = Caller(api, bearer("stella", "steward"))
            loud = steward.ok("initiativePropose", title="Loud", problem="p", orgUnit=unit)
            during = shown(steward, at=loud["position"])  # waits for its own write, not the rebuild
            holding.rollback()
            later = steward.ok("initiativePropose", title="Later", problem="p", orgUnit=unit)
            after, deadline = shown(steward, at=later["position"]), time.monotonic() + 15
            while after != ["LATER", "LOUD", "QUIET"] and time.monotonic() < deadline:
                time.sleep(0.1)
                after = shown(steward)

    assert during == ["LOUD", "Quiet"], "the old row, and the write the new code applied"
    assert after == ["LATER", "LOUD", "QUIET"], "swapped in by the service's own runner"
