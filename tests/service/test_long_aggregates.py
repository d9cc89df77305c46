"""Long-lived aggregates: their snapshots stay small, those stored in an older form load, and any
version loads from the nearest snapshot with the events after it checked against the chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.commands import ProposeInitiative, ReviewInitiative
from domain.errors import RuleViolation
from domain.initiative import Initiative
from domain.values import ReviewStatus
from service.application import Polarity
from service.damage import Damage, IntegrityViolation
from service.database import Database
from tests.service.conftest import Store
from tests.service.scenarios import STEWARD

pytestmark = pytest.mark.database

SNAPSHOTS = "polarity_snapshots"


def reviewed(app: Polarity, times: int) -> UUID:
    """An initiative proposed (version 1), then reviewed `times` times (versions 2 on)."""
    initiative = app.handle(STEWARD, ProposeInitiative("Long-lived", "grows", "Ops")).id
    for week in range(times):
        review(app, initiative, f"week {week + 1}")
    return initiative


def review(app: Polarity, initiative: UUID, period: str, corrects: int | None = None) -> int:
    command = ReviewInitiative(
        initiative, period, ReviewStatus.GREEN, "on plan", "huddle", corrects=corrects
    )
    return app.handle(STEWARD, command).version


def snapshot_bytes(database: Database, initiative: UUID, version: int) -> bytes:
    with psycopg.connect(database.conninfo) as conn:
        row = conn.execute(
            f"SELECT state FROM {SNAPSHOTS} WHERE originator_id = %s AND originator_version = %s",
            (initiative, version),
        ).fetchone()
    assert row is not None, f"no snapshot at version {version}"
    return bytes(row[0])


def store_in_version_1_form(store: Store, initiative: UUID, version: int) -> None:
    """Rewrite the snapshot at `version` as the aggregate's version 1 stored it: no class
    version, and the kind of each decision under its version; version 4 left out."""
    transcoder = store.app.mapper.transcoder
    stored = transcoder.decode(snapshot_bytes(store.database, initiative, version))
    state: dict[str, Any] = stored["state"]
    assert state.pop("class_version") == 2
    state["decisions"] = {str(v): "Reviewed" for v in range(2, version + 1) if v != 4}
    with psycopg.connect(store.database.conninfo) as conn:
        conn.execute(
            f"UPDATE {SNAPSHOTS} SET state = %s WHERE originator_id = %s "
            "AND originator_version = %s",
            (transcoder.encode(stored), initiative, version),
        )


@pytest.fixture
def store(own_database: Database) -> Iterator[Store]:
    """An empty store of its own, snapshotting every 5 versions."""
    app = Polarity(own_database, snapshot_interval=5)
    try:
        yield Store(app, own_database)
    finally:
        app.close()


def test_an_initiative_snapshotted_in_the_old_form_still_knows_its_decisions(store: Store) -> None:
    app = store.app
    initiative = reviewed(app, 5)  # versions 1 to 6; the snapshot at 5
    store_in_version_1_form(store, initiative, 5)  # which says version 4 was no review

    corrected = review(app, initiative, "week 2", corrects=3)
    with pytest.raises(RuleViolation) as not_a_review:
        review(app, initiative, "week 3", corrects=4)
    with pytest.raises(RuleViolation) as the_proposal:
        review(app, initiative, "week 1", corrects=1)

    assert corrected == 7
    assert not_a_review.value.code == the_proposal.value.code == "CORRECTION_TARGET_INVALID"
    assert app.get_as_of(initiative, Initiative, version=5).decisions == {
        "Reviewed": format(sum(1 << v for v in (2, 3, 5)), "x")
    }


def test_a_snapshot_does_not_grow_with_every_decision(store: Store) -> None:
    app = store.app
    initiative = reviewed(app, 199)  # versions 1 to 200, a snapshot every 5

    early = snapshot_bytes(store.database, initiative, 20)
    late = snapshot_bytes(store.database, initiative, 200)

    # 180 more reviews: 45 hexadecimal digits more, not an entry for each
    assert len(late) - len(early) < 60
    loaded = app.get(initiative, Initiative)
    assert (loaded.version, review(app, initiative, "week 1", corrects=2)) == (200, 201)


# Loading at a version: from the nearest snapshot, the events after it checked -----------------

EVENTS = "polarity_events"


def position_of(store: Store, initiative: UUID, version: int) -> int:
    with psycopg.connect(store.database.conninfo) as conn:
        row = conn.execute(
            f"SELECT notification_id FROM {EVENTS} WHERE originator_id = %s "
            "AND originator_version = %s",
            (initiative, version),
        ).fetchone()
    assert row is not None
    return int(row[0])


def tamper(store: Store, statement: str, position: int) -> None:
    with psycopg.connect(store.database.conninfo, autocommit=True) as conn:
        conn.execute(statement.format(events=EVENTS).encode(), (position,))


def replayed_from_zero(app: Polarity, initiative: UUID, version: int) -> Any:
    """The initiative at `version` from every one of its events, no snapshot."""
    aggregate = None
    event: Any
    for event in app.events.get(initiative, lte=version):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_every_version_of_a_long_initiative_loads_as_replaying_all_its_events_builds_it(
    store: Store,
) -> None:
    app = store.app
    initiative = reviewed(app, 62)  # versions 1 to 63, a snapshot every 5

    for version in (1, 4, 5, 6, 31, 59, 60, 61, 63, 64, 1000):
        loaded = app.get_as_of(initiative, Initiative, version=version)
        assert vars(loaded) == vars(replayed_from_zero(app, initiative, version)), version
    assert app.get_as_of(initiative, Initiative).version == 63


def test_a_long_initiative_loads_as_it_was_at_a_moment(store: Store) -> None:
    app = store.app
    initiative = reviewed(app, 30)
    moments = {e.envelope.version: e.event.timestamp for e in app.history(initiative)}

    loaded = {v: app.get_as_of(initiative, Initiative, at=moments[v]).version for v in (1, 17, 31)}

    assert loaded == {1: 1, 17: 17, 31: 31}


def test_a_changed_byte_after_the_nearest_snapshot_is_found_and_before_it_is_not_replayed(
    store: Store,
) -> None:
    app = store.app
    initiative = reviewed(app, 62)
    altered = position_of(store, initiative, 58)  # the snapshot at 55 comes before it
    tamper(
        store,
        "UPDATE {events} SET state = overlay(state placing 'X'::bytea from 20) "
        "WHERE notification_id = %s",
        altered,
    )

    with pytest.raises(IntegrityViolation) as raised:
        app.get_as_of(initiative, Initiative, version=59)

    assert (raised.value.position, raised.value.damage) == (altered, Damage.ALTERED)
    assert app.get_as_of(initiative, Initiative, version=57).version == 57
    assert app.get_as_of(initiative, Initiative, version=61).version == 61  # from 60's snapshot


def test_an_event_deleted_after_the_nearest_snapshot_is_found(store: Store) -> None:
    app = store.app
    initiative = reviewed(app, 62)
    deleted = position_of(store, initiative, 56)  # the first after the snapshot at 55
    tamper(store, "DELETE FROM {events} WHERE notification_id = %s", deleted)

    with pytest.raises(IntegrityViolation) as raised:
        app.get_as_of(initiative, Initiative, version=58)

    assert (raised.value.position, raised.value.damage) == (deleted, Damage.MISSING)


def test_a_moment_looked_for_past_a_deleted_event_names_its_position(store: Store) -> None:
    app = store.app
    initiative = reviewed(app, 62)
    moment = next(e.event.timestamp for e in app.history(initiative) if e.envelope.version == 40)
    deleted = position_of(store, initiative, 32)  # the first version the search looks at
    tamper(store, "DELETE FROM {events} WHERE notification_id = %s", deleted)

    with pytest.raises(IntegrityViolation) as raised:
        app.get_as_of(initiative, Initiative, at=moment)

    assert (raised.value.position, raised.value.damage) == (deleted, Damage.MISSING)
