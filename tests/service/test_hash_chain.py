"""The audit trail's hash chain: every stored event linked to the one before it, and each kind of
tampering made directly in PostgreSQL found by `verify` at its position."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from domain.commands import ProposeInitiative
from domain.initiative import Initiative
from domain.values import Actor
from service.application import Polarity
from service.audit import Break, Kind, verify
from service.chain import GENESIS, link
from service.cli import main
from service.database import Database
from service.persistence import Stamp, current_envelope
from service.unit_of_work import Context
from tests.service.conftest import Store

pytestmark = pytest.mark.database

EVENTS = "polarity_events"
CHAIN = "polarity_events_chain"


def sql(database: Database, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def breaks_after(store: Store, *statements: str) -> list[Break]:
    for statement in statements:
        sql(store.database, statement)
    return verify(store.app.store).breaks


def test_an_untouched_store_verifies_and_each_link_can_be_recomputed_with_a_few_lines(
    store: Store,
) -> None:
    rows = sql(
        store.database,
        f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        f"c.hash FROM {EVENTS} e JOIN {CHAIN} c ON c.position = e.notification_id "
        "ORDER BY e.notification_id",
    )
    previous = GENESIS
    for position, aggregate_id, version, topic, state, chained in rows:
        previous = link(previous, position, aggregate_id, version, topic, bytes(state))
        assert previous == bytes(chained)

    verification = verify(store.app.store)

    assert verification.intact
    assert (verification.verified, verification.through) == (9, 9)


def test_one_save_of_many_events_chains_each_from_the_one_before_as_link_computes(
    store: Store,
) -> None:
    proposed = [
        Initiative.propose(
            title=f"Initiative {i}",
            problem="p",
            org_unit="Ops",
            expected_benefits="",
            horizon_months=12,
            by=Actor("ada", ("contributor",)),
        )
        for i in range(300)
    ]
    token = current_envelope.set(Stamp("one-save", "one-save", None))
    try:
        store.app.save(*proposed)
    finally:
        current_envelope.reset(token)

    rows = sql(
        store.database,
        f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        f"c.prev_position, c.hash FROM {EVENTS} e JOIN {CHAIN} c ON c.position = e.notification_id "
        "WHERE e.notification_id > 9 ORDER BY e.notification_id",
    )
    (previous,) = sql(store.database, f"SELECT hash FROM {CHAIN} WHERE position = 9")[0]
    before = 9
    for position, aggregate_id, version, topic, state, prev_position, chained in rows:
        previous = link(bytes(previous), position, aggregate_id, version, topic, bytes(state))
        assert (prev_position, bytes(chained)) == (before, previous)
        before = position
    assert len(rows) == 300
    assert verify(store.app.store).intact


def test_a_changed_byte_of_state_is_an_altered_event_at_its_position(store: Store) -> None:
    assert breaks_after(
        store,
        f"UPDATE {EVENTS} SET state = overlay(state placing 'X'::bytea from 20) "
        "WHERE notification_id = 4",
    ) == [Break(4, Kind.ALTERED)]


def test_a_changed_envelope_field_is_an_altered_event(store: Store) -> None:
    forged = (
        f"UPDATE {EVENTS} SET state = convert_to(regexp_replace(convert_from(state, 'UTF8'), "
        '\'"request_id":"[0-9a-f]+"\', \'"request_id":"forged"\'), \'UTF8\') '
        "WHERE notification_id = 6"
    )
    assert breaks_after(store, forged) == [Break(6, Kind.ALTERED)]


def test_a_deleted_event_is_missing_at_its_position(store: Store) -> None:
    assert breaks_after(store, f"DELETE FROM {EVENTS} WHERE notification_id = 5") == [
        Break(5, Kind.MISSING)
    ]


def test_an_event_deleted_with_its_link_is_missing_at_its_position(store: Store) -> None:
    assert breaks_after(
        store,
        f"DELETE FROM {EVENTS} WHERE notification_id = 5",
        f"DELETE FROM {CHAIN} WHERE position = 5",
    ) == [Break(5, Kind.MISSING)]


def test_two_swapped_events_are_reordered_at_both_positions(store: Store) -> None:
    assert breaks_after(
        store,
        f"UPDATE {EVENTS} SET notification_id = -3 WHERE notification_id = 3",
        f"UPDATE {EVENTS} SET notification_id = 3 WHERE notification_id = 7",
        f"UPDATE {EVENTS} SET notification_id = 7 WHERE notification_id = -3",
    ) == [Break(3, Kind.REORDERED), Break(7, Kind.REORDERED)]


def test_a_forged_event_inserted_is_found_where_it_was_put(store: Store) -> None:
    copy = (
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        f"SELECT originator_id, 99, topic, state FROM {EVENTS} WHERE notification_id = 2"
    )
    assert breaks_after(store, copy) == [Break(10, Kind.INSERTED)]


def test_an_event_replaced_by_a_forged_one_is_missing_and_the_forgery_inserted(
    store: Store,
) -> None:
    database = store.database
    sql(database, f"DELETE FROM {EVENTS} WHERE notification_id = 5")
    sql(database, f"DELETE FROM {CHAIN} WHERE position = 5")
    sql(
        database,
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state, notification_id) "
        f"SELECT originator_id, 99, topic, state, 5 FROM {EVENTS} WHERE notification_id = 4",
    )
    assert verify(store.app.store).breaks == [Break(5, Kind.INSERTED), Break(5, Kind.MISSING)]


def test_verifying_from_a_position_trusts_the_link_before_it(store: Store) -> None:
    breaks = breaks_after(store, f"DELETE FROM {EVENTS} WHERE notification_id = 2")

    later = verify(store.app.store, start=3)

    assert breaks == [Break(2, Kind.MISSING)]
    assert later.intact
    assert later.verified == 7


def test_events_stored_before_the_chain_are_chained_once_by_the_migration(
    store: Store,
) -> None:
    database = store.database
    chained = sql(database, f"SELECT position, hash FROM {CHAIN} ORDER BY position")
    sql(database, f"DELETE FROM {CHAIN}")  # as the store was before the chain

    Polarity(database).close()
    Polarity(database).close()  # a second start finds nothing to do

    assert sql(database, f"SELECT position, hash FROM {CHAIN} ORDER BY position") == chained
    assert verify(store.app.store).intact


def test_thirty_two_concurrent_writers_leave_a_chain_that_verifies(store: Store) -> None:
    def writer(n: int) -> None:
        context = Context(Actor(f"writer-{n}", ("steward",)))
        for i in range(5):
            store.app.handle(
                context, ProposeInitiative(title=f"{n}/{i}", problem="p", org_unit="o")
            )

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(writer, range(32)))

    verification = verify(store.app.store)
    assert verification.intact
    assert verification.verified == 9 + 32 * 5


def test_polarity_audit_verify_says_intact_in_one_line_and_exits_zero(store: Store) -> None:
    printed = CliRunner().invoke(main, ["--database-url", store.database.url, "audit", "verify"])

    assert printed.exit_code == 0, printed.output
    assert "9 events verified through position 9: intact" in printed.stdout
    assert "events/s" in printed.stdout


def test_polarity_audit_verify_reports_each_break_and_exits_non_zero(store: Store) -> None:
    sql(store.database, f"DELETE FROM {EVENTS} WHERE notification_id = 8")

    printed = CliRunner().invoke(
        main, ["--database-url", store.database.url, "audit", "verify", "--from", "4"]
    )

    assert printed.exit_code == 1
    assert "position 8: missing" in printed.stdout
    assert "5 events verified through position 9: 1 break(s)" in printed.stdout
