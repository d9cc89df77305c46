"""Loading an aggregate as it was at a version in one read: its nearest snapshot at or below that
version and the events after it, each event checked against the hash chain before it is replayed.

However long the aggregate's history, a load reads and replays at most a snapshot interval of
events, and the chain's guarantee holds for every one of them (`service.damage`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Mapper, StoredEvent
from psycopg.rows import tuple_row

from service import damage
from service.persistence import PolarityRecorder

LATEST = 2**62  # a version above any recorded: the latest


def load_checked(
    store: PolarityRecorder, mapper: Mapper[UUID], aggregate_id: UUID, version: int | None
) -> BaseAggregate[UUID] | None:
    """The aggregate at `version` (the latest if None), None if nothing was recorded for it by
    then; an IntegrityViolation if an event replayed for it is damaged or missing."""
    read = damage.chained_read(store.datastore.schema, store.events_table_name)
    wanted = {"id": aggregate_id, "last": LATEST if version is None else version}
    with store.datastore.get_connection() as conn:
        with conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(read.at_version, wanted, prepare=True)
            found = cursor.fetchall()
        snapshot = found.pop(0) if found and found[0][0] is None else None
        events = [damage.Row.of(row) for row in found]
        damage.check_versions(conn, read, events, snapshot[2] if snapshot else 0)

    def decoded(version: int, topic: str, state: bytes) -> Any:
        return mapper.to_domain_event(StoredEvent(aggregate_id, version, topic, bytes(state)))

    aggregate = None if snapshot is None else decoded(*snapshot[2:5]).mutate(None)
    for event in events:
        aggregate = decoded(event.version, event.topic, event.state).mutate(aggregate)
    return aggregate


def version_at(
    store: PolarityRecorder, mapper: Mapper[UUID], aggregate_id: UUID, at: datetime
) -> int:
    """The last version recorded at or before `at` (0 if none), found by bisecting the versions
    on one connection: events are made in version order, each after the one before was stored."""
    read = damage.chained_read(store.datastore.schema, store.events_table_name)
    with store.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:

        def made_by(version: int) -> bool:
            cursor.execute(read.event_at, (aggregate_id, version), prepare=True)
            found = cursor.fetchone()
            if found is None:  # a version missing: damage, named by the versions before it
                cursor.execute(read.versions(), (aggregate_id, 0, version))
                rows = [damage.Row.of(row) for row in cursor.fetchall()]
                damage.check_versions(conn, read, rows, 0)
                return False
            topic, state = found
            event: Any = mapper.to_domain_event(
                StoredEvent(aggregate_id, version, topic, bytes(state))
            )
            return bool(event.timestamp <= at)

        cursor.execute(read.last_version, (aggregate_id,), prepare=True)
        low, high = 0, (cursor.fetchone() or (0,))[0] or 0
        while low < high:  # made_by(low) holds (or low is 0); made_by(high + 1) does not
            middle = (low + high + 1) // 2
            if made_by(middle):
                low = middle
            else:
                high = middle - 1
    return low
