"""Reads that meet a damaged store report where, and never replay what cannot be trusted."""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner

from domain.initiative import Initiative
from service.cli import main
from service.damage import Damage, IntegrityViolation
from tests.service.conftest import Store

pytestmark = pytest.mark.database

EVENTS = "polarity_events"


def tamper(store: Store, statement: str) -> None:
    with psycopg.connect(store.database.conninfo, autocommit=True) as conn:
        conn.execute(statement.encode())


def second_initiative(store: Store) -> UUID:
    """The initiative of positions 4 to 6 (versions 1 to 3)."""
    with psycopg.connect(store.database.conninfo) as conn:
        row = conn.execute(f"SELECT originator_id FROM {EVENTS} WHERE notification_id = 4")
        found = row.fetchone()
    assert found is not None
    return UUID(str(found[0]))


def test_an_untouched_aggregate_reads_at_every_version(store: Store) -> None:
    initiative = second_initiative(store)

    assert [store.app.get_as_of(initiative, Initiative, version=v).version for v in (1, 2, 3)] == [
        1,
        2,
        3,
    ]


def test_a_version_read_past_a_deleted_event_names_its_position(store: Store) -> None:
    initiative = second_initiative(store)
    tamper(store, f"DELETE FROM {EVENTS} WHERE notification_id = 5")

    with pytest.raises(IntegrityViolation) as raised:
        store.app.get_as_of(initiative, Initiative, version=3)

    assert (raised.value.position, raised.value.damage) == (5, Damage.MISSING)
    assert store.app.get_as_of(initiative, Initiative, version=1).version == 1  # before the gap


def test_a_version_read_over_a_changed_byte_names_its_position(store: Store) -> None:
    initiative = second_initiative(store)
    tamper(
        store,
        f"UPDATE {EVENTS} SET state = overlay(state placing 'X'::bytea from 20) "
        "WHERE notification_id = 6",
    )

    with pytest.raises(IntegrityViolation) as raised:
        store.app.get_as_of(initiative, Initiative)

    assert (raised.value.position, raised.value.damage) == (6, Damage.ALTERED)


def test_a_command_on_an_aggregate_with_a_gap_is_refused_as_damage_not_a_crash(
    store: Store,
) -> None:
    initiative = second_initiative(store)
    tamper(store, f"DELETE FROM {EVENTS} WHERE notification_id = 5")

    with pytest.raises(IntegrityViolation) as raised:
        store.app.get(initiative, Initiative)

    assert raised.value.position == 5


def test_a_command_never_decides_on_a_forged_event_that_still_reads_well(store: Store) -> None:
    initiative = second_initiative(store)
    tamper(  # the sponsor assigned at position 6, rewritten as valid JSON
        store,
        f"UPDATE {EVENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "'\"sam\"', '\"eve\"'), 'UTF8') WHERE notification_id = 6",
    )

    with pytest.raises(IntegrityViolation) as raised:
        store.app.get(initiative, Initiative)

    assert (raised.value.position, raised.value.damage) == (6, Damage.ALTERED)


def test_the_history_command_names_the_position_of_a_changed_byte_and_fails(
    store: Store,
) -> None:
    initiative = second_initiative(store)
    tamper(
        store,
        f"UPDATE {EVENTS} SET state = overlay(state placing 'X'::bytea from 20) "
        "WHERE notification_id = 5",
    )
    env = {"POLARITY_DATABASE_URL": store.database.url}

    answer = CliRunner().invoke(main, ["history", str(initiative)], env=env)

    assert answer.exit_code == 1
    assert "damaged at position 5 (altered)" in answer.output
    with pytest.raises(IntegrityViolation):
        store.app.history(initiative)
