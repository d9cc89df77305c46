"""The audit trail over GraphQL: the events of one aggregate with their envelopes and what each
changed, a page at a time (an aggregate may hold thousands)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from anyio import to_thread
from eventsourcing.persistence import Notification
from psycopg.rows import tuple_row
from strawberry import relay
from strawberry.scalars import JSON

from domain.governed import Governed
from schema.context import RequestContext
from schema.ids import uuid_beside
from schema.paging import check_first, decode_cursor, encode_cursor, position_of
from schema.types import Actor
from service import damage
from service.application import Polarity
from service.application import RecordedEvent as Recorded
from service.changes import Change, replayed_changes
from service.persistence import event_data


@strawberry.type(
    description="A field one event changed, worked out by replay (not stored). `from` and `to` "
    "are JSON; `from` is null when the field did not exist before (the event created the "
    "object, or an entry `capacity.2027-Q1` of a mapping), `to` when the event removed it."
)
class FieldChange:
    field: str
    from_: str | None = strawberry.field(name="from")
    to: str | None

    @classmethod
    def of(cls, change: Change) -> FieldChange:
        return cls(field=change.field, from_=change.before, to=change.after)


@strawberry.type(description="One stored event, its envelope, and what it changed.")
class RecordedEvent:
    event_id: str
    aggregate_id: relay.GlobalID
    aggregate_uuid = uuid_beside("aggregate_id")
    version: int
    position: int
    type: str
    schema_version: int
    recorded_at: datetime
    actor: Actor
    reason: str | None
    correlation_id: str | None
    causation_id: str | None
    request_id: str | None
    data: JSON
    changes: list[FieldChange] = strawberry.field(
        description="The fields this event changed, worked out by replay."
    )

    @classmethod
    def of(
        cls, recorded: Recorded, type_name: str, changes: Sequence[Change] = ()
    ) -> RecordedEvent:
        envelope = recorded.envelope
        data: Any = event_data(recorded.event)
        return cls(
            event_id=envelope.event_id,
            aggregate_id=relay.GlobalID(type_name, str(envelope.aggregate_id)),
            version=envelope.version,
            position=envelope.position,
            type=envelope.event_type,
            schema_version=envelope.schema_version,
            recorded_at=envelope.recorded_at,
            actor=Actor.of(recorded.actor),
            reason=recorded.reason,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.causation_id,
            request_id=envelope.request_id,
            data=data,
            changes=[FieldChange.of(change) for change in changes],
        )


@strawberry.type
class RecordedEventEdge:
    cursor: str
    node: RecordedEvent


@strawberry.type(description="A page of one object's events, oldest first, with their number.")
class RecordedEventConnection:
    edges: list[RecordedEventEdge]
    page_info: relay.PageInfo
    total_count: int


EMPTY = RecordedEventConnection(
    edges=[],
    page_info=relay.PageInfo(
        has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
    ),
    total_count=0,
)


async def history_page(
    context: RequestContext,
    type_name: str,
    aggregate_id: UUID,
    first: int,
    after: str | None,
    with_changes: bool = True,
) -> RecordedEventConnection:
    """`first` events of the aggregate after the version the cursor `after` names: only those
    are read, each checked against the chain; what each changed is worked out only if asked
    for, by one replay from the version before the page."""
    check_first(first)
    start = position_of(decode_cursor(after, "version"), after) if after else 0
    store = context.app.store
    read = damage.chained_read(store.datastore.schema, store.events_table_name)
    async with context.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
        await cursor.execute(read.versions(), (aggregate_id, start, first + 1), prepare=True)
        rows = [damage.Row.of(row) for row in await cursor.fetchall()]
        await damage.acheck_versions(conn, read, rows, start)  # IntegrityViolation if damaged
        await cursor.execute(read.last_version, (aggregate_id,), prepare=True)
        (last,) = await cursor.fetchone() or (0,)
    mapper = context.app.mapper_with_envelopes
    recorded = [Recorded(*mapper.envelope(_notification(row))) for row in rows[:first]]
    changes: list[tuple[Change, ...]] = [()] * len(recorded)
    if with_changes and recorded:
        changes = await to_thread.run_sync(replayed, context.app, aggregate_id, start, recorded)
    edges = [
        RecordedEventEdge(
            cursor=encode_cursor(one.envelope.version, "version"),
            node=RecordedEvent.of(one, type_name, changed),
        )
        for one, changed in zip(recorded, changes, strict=True)
    ]
    return RecordedEventConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=last or 0,  # versions follow one another from 1: the last is the count
    )


def replayed(
    app: Polarity, aggregate_id: UUID, start: int, page: list[Recorded]
) -> list[tuple[Change, ...]]:
    """What each event of the page changed: one replay from the aggregate at version `start`
    (loaded from its nearest snapshot, checked), not one per event."""
    before = app.get_as_of(aggregate_id, Governed, version=start) if start else None
    return replayed_changes(before, (one.event for one in page))


def _notification(row: damage.Row) -> Notification:
    return Notification(
        id=row.position,
        originator_id=row.aggregate_id,
        originator_version=row.version,
        topic=row.topic,
        state=row.state,
    )
