"""An event a view cannot apply is set aside for that view alone, and every view goes on."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from click.testing import CliRunner
from eventsourcing.utils import get_topic

from domain.commands import AssignSponsor, ProposeInitiative
from domain.initiative import Initiative
from domain.team import Team
from domain.values import Actor, Period
from projections.base import Projection, Recorded, handles
from projections.catalog import all_projections
from projections.portfolio import Portfolio
from projections.rows import State
from service.application import Polarity
from service.cli import main
from service.parallel import catch_up_in_parallel
from service.projector import Projector
from service.set_aside import ERROR_LENGTH
from tests.projections.conftest import Reporting
from tests.projections.test_runner import busy_history
from tests.service.scenarios import STEWARD, proposed, raised_item, team_with_capacity

pytestmark = pytest.mark.database

STELLA = Actor("stella", ("steward",))
REFUSED = "Refused by the view"


# Events stored below the domain, as a bug or an older release might have stored them -------


def stored_below_the_domain(
    app: Polarity, event: Any, raw: tuple[bytes, bytes] = (b"", b"")
) -> int:
    """Store `event` through the library, without the domain's checks, with `raw`'s first
    bytes replaced by its second in the stored JSON; returns the event's position."""
    stored = app.mapper.to_stored_event(event)
    if raw[0]:
        stored = dataclasses.replace(stored, state=stored.state.replace(*raw))
    (position,) = app.recorder.insert_events([stored]) or [0]
    return position


def unchecked(cls: type[Any], **fields: Any) -> Any:
    """An event of `cls` made as the library loads a stored one: without the domain's checks."""
    event = object.__new__(cls)
    event.__dict__.update(fields)
    return event


def team_named(app: Polarity, name: str, raw: tuple[bytes, bytes] = (b"", b"")) -> int:
    registered: dict[str, Any] = {
        "originator_topic": get_topic(Team),
        "originator_id": uuid4(),
        "originator_version": 1,
        "timestamp": Team.Registered.create_timestamp(),
        "name": name,
        "org_unit": "Plant North",
        "actor": STELLA,
        "reason": None,
    }
    return stored_below_the_domain(app, unchecked(Team.Registered, **registered), raw)


def capacity_of(app: Polarity, team: UUID, fte: Decimal) -> int:
    capacity_set: dict[str, Any] = {
        "originator_id": team,
        "originator_version": app.get(team, Team).version + 1,
        "timestamp": Team.CapacitySet.create_timestamp(),
        "period": Period(2027, 2),
        "fte": fte,
        "actor": STELLA,
        "reason": "a figure no column holds",
    }
    return stored_below_the_domain(app, unchecked(Team.CapacitySet, **capacity_set))


def bad_events(app: Polarity) -> dict[int, set[str]]:
    """Three events some views cannot store, and which views those are."""
    team = team_with_capacity(app, name="Before")
    nul = team_named(app, "Line\x00 3")  # PostgreSQL's text refuses NUL; json escapes it
    surrogate = team_named(app, "Line ?", raw=(b"?", b"\\udc80"))  # no UTF-8 for it
    huge = capacity_of(app, team, Decimal("1e200000"))  # beyond what numeric holds
    return {  # the decision log keeps team names too, for the titles of their decisions
        nul: {"capacity", "decision_log"},
        surrogate: {"capacity", "objects", "decision_log"},
        huge: {"capacity", "governance_health"},
    }


def set_aside_by_position(projector: Projector) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for event in projector.set_aside_events():
        found.setdefault(event.position, set()).add(event.projection)
    return found


# A view whose handler fails --------------------------------------------------------------


class Fussy(Portfolio):
    """The portfolio, whose handler refuses initiatives titled REFUSED until it is fixed."""

    def __init__(self) -> None:
        self.fixed = False

    @handles(Initiative.Proposed)
    def proposed(self, r: Recorded, s: State) -> None:
        if not self.fixed and r.event.title == REFUSED:
            raise ValueError(f"cannot take \x00 nor \udc80 in {r.event.title}: " + "x" * 5000)
        super().proposed(r, s)


def refused_initiative(app: Polarity) -> tuple[UUID, int]:
    initiative = app.handle(
        STEWARD,
        ProposeInitiative(
            title=REFUSED,
            problem="The view's handler has a bug",
            org_unit="Sales",
            expected_benefits="none",
            horizon_months=12,
        ),
    )
    return initiative.id, initiative.position


def portfolio_ids(reporting: Reporting) -> set[UUID]:
    return {row["id"] for row in reporting.rows("SELECT id FROM reporting.portfolio")}


# Stored events a view cannot write -------------------------------------------------------


def test_every_view_reaches_the_head_past_events_some_views_cannot_store(
    reporting: Reporting,
) -> None:
    app = reporting.app
    expected = bad_events(app)
    after = team_with_capacity(app, name="After")

    reporting.caught_up()

    head = app.store.max_notification_id()
    assert {s.lag_events for s in reporting.projector.status()} == {0}
    assert set_aside_by_position(reporting.projector) == expected
    teams = reporting.rows("SELECT team_id, capacity_fte FROM reporting.capacity")
    assert len(teams) == 2, "the good team before and the one after, each with its capacity"
    assert after in {row["team_id"] for row in teams}
    objects = reporting.rows("SELECT count(*) AS n FROM reporting.objects")
    assert objects == [{"n": 3}], "the two good teams and the one named with a NUL"
    (capacity,) = [s for s in reporting.projector.status() if s.projection == "capacity"]
    assert (capacity.set_aside, capacity.first_set_aside) == (3, min(expected))
    assert capacity.position == head


def test_the_error_is_stored_with_the_event_s_identity(reporting: Reporting) -> None:
    app = reporting.app
    team_with_capacity(app)
    nul = team_named(app, "Line\x00 3")

    reporting.caught_up()

    (event,) = reporting.projector.set_aside_events("capacity")
    (stored,) = app.store.select_notifications(nul, 1)
    assert (event.position, event.aggregate_id, event.version) == (nul, stored.originator_id, 1)
    assert event.event_type == "Team.Registered"
    assert event.error.startswith("psycopg.errors.CharacterNotInRepertoire: ")
    assert event.set_aside_at is not None


def test_a_bad_event_in_the_middle_of_a_batch_leaves_every_other_event_applied_once(
    reporting: Reporting,
) -> None:
    app = reporting.app
    busy_history(reporting, initiatives=2)
    expected = bad_events(app)
    busy_history(reporting, initiatives=2)
    assert reporting.projector.catch_up() == app.store.max_notification_id(), "one batch"
    caught_up = reporting.every_table()

    reporting.projector.batch_size = 1  # each event alone: nothing to find within a batch
    for name in reporting.projector.projections:
        reporting.projector.rebuild(name)

    assert reporting.every_table() == caught_up
    assert set_aside_by_position(reporting.projector) == expected


def test_catching_up_with_several_processes_sets_the_same_events_aside(
    reporting: Reporting,
) -> None:
    app = reporting.app
    expected = bad_events(app)
    raised_item(app)
    names = list(reporting.projector.projections)

    catch_up_in_parallel(reporting.database, names, workers=2)

    assert {s.lag_events for s in reporting.projector.status()} == {0}
    assert set_aside_by_position(reporting.projector) == expected


# A handler that fails, fixed, and the view rebuilt ---------------------------------------


def test_an_event_whose_handler_fails_is_set_aside_and_the_view_goes_on(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
) -> None:
    reporting = reporting_with([Fussy(), *all_projections()[1:]])
    app = reporting.app
    before = proposed(app)
    refused, position = refused_initiative(app)
    app.handle(STEWARD, AssignSponsor(refused, sponsor="sam"))
    after = proposed(app)

    reporting.caught_up()

    assert portfolio_ids(reporting) == {before, after}
    (event,) = reporting.projector.set_aside_events()
    assert (event.projection, event.position, event.aggregate_id) == (
        "portfolio",
        position,
        refused,
    )
    assert event.error.startswith("ValueError: cannot take \\x00 nor \\udc80 in " + REFUSED)
    assert len(event.error) == ERROR_LENGTH
    objects = reporting.rows("SELECT id FROM reporting.objects WHERE id = %s", refused)
    assert objects == [{"id": refused}], "every other view applied it"


def test_after_a_fix_a_rebuild_brings_the_view_back_whole(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
) -> None:
    fussy = Fussy()
    reporting = reporting_with([fussy])
    app = reporting.app
    refused, position = refused_initiative(app)
    app.handle(STEWARD, AssignSponsor(refused, sponsor="sam"))
    reporting.caught_up()

    reporting.projector.rebuild("portfolio")  # not fixed yet: set aside again, no failure
    assert [e.position for e in reporting.projector.set_aside_events()] == [position]
    assert portfolio_ids(reporting) == set()

    fussy.fixed = True
    reporting.projector.rebuild("portfolio")

    assert reporting.projector.set_aside_events() == []
    rows = reporting.rows("SELECT id, sponsor FROM reporting.portfolio")
    assert rows == [{"id": refused, "sponsor": "sam"}]
    (status,) = reporting.projector.status()
    assert (status.set_aside, status.first_set_aside, status.lag_events) == (0, None, 0)


def test_setting_an_event_aside_raises_one_alert_with_its_traceback(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
    caplog: pytest.LogCaptureFixture,
) -> None:
    reporting = reporting_with([Fussy()])
    _, position = refused_initiative(reporting.app)
    proposed(reporting.app)

    with caplog.at_level(logging.INFO, logger="polarity.projections"):
        reporting.caught_up()

    (alert,) = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    message = alert.getMessage()
    assert f"portfolio set aside the event at position {position} (Initiative.Proposed" in message
    assert "ValueError: cannot take" in message
    assert message.count("Traceback (most recent call last)") == 1
    assert "in proposed" in message, "the traceback reaches the handler"
    assert all(r.levelno < logging.ERROR for r in caplog.records if r is not alert)


# The database gone: nothing set aside --------------------------------------------------------


class Unreachable(Portfolio):
    """The portfolio, as if the database went away while it applied an event: at once, or
    after a first error had set the batch apart."""

    def __init__(self, first: Exception) -> None:
        self.failures = [first]

    @handles(Initiative.Proposed)
    def proposed(self, r: Recorded, s: State) -> None:
        self.failures.append(psycopg.OperationalError("server closed the connection"))
        raise self.failures.pop(0)


@pytest.mark.parametrize(
    "first",
    [psycopg.OperationalError("server closed the connection"), ValueError("a bug")],
    ids=["at-once", "while-set-apart"],
)
def test_a_batch_that_fails_for_want_of_the_database_is_retried_not_set_aside(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
    caplog: pytest.LogCaptureFixture,
    first: Exception,
) -> None:
    reporting = reporting_with([Unreachable(first)])
    proposed(reporting.app)

    with (
        caplog.at_level(logging.INFO, logger="polarity.projections"),
        pytest.raises(psycopg.OperationalError),
    ):
        reporting.projector.catch_up()

    assert reporting.projector.set_aside_events() == []
    (status,) = reporting.projector.status()
    assert status.position == 0
    set_apart = [r for r in caplog.records if "view by view" in r.getMessage()]
    assert len(set_apart) == (0 if isinstance(first, psycopg.OperationalError) else 1)
    assert all(r.levelno < logging.ERROR for r in caplog.records)


# The command line ----------------------------------------------------------------------------


def test_status_counts_and_set_aside_lists_what_a_view_set_aside(reporting: Reporting) -> None:
    app = reporting.app
    team_with_capacity(app)
    nul = team_named(app, "Line\x00 3")
    reporting.caught_up()
    url = ["--database-url", reporting.database.url, "projections"]

    status = CliRunner().invoke(main, [*url, "status"])
    listed = CliRunner().invoke(main, [*url, "set-aside", "capacity"])
    none = CliRunner().invoke(main, [*url, "set-aside", "portfolio"])
    unknown = CliRunner().invoke(main, [*url, "set-aside", "no_such_view"])

    assert status.exit_code == 0, status.output
    lines = {line.split()[0]: line.split() for line in status.output.splitlines()[1:-1]}
    assert lines["capacity"][-2:] == ["1", str(nul)]
    assert lines["portfolio"][-1] == "0"
    assert "projections set-aside" in status.output.splitlines()[-1]
    assert listed.exit_code == 0, listed.output
    assert f"capacity {nul} Team.Registered" in " ".join(listed.output.split())
    assert "CharacterNotInRepertoire" in listed.output
    assert none.output == "No events are set aside.\n"
    assert unknown.exit_code != 0
    assert "no view no_such_view" in unknown.output
