"""The audit trail over GraphQL: the events of one aggregate with their envelopes, a page at a
time (an aggregate may hold thousands)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from eventsourcing.persistence import Notification
from psycopg.sql import SQL, Identifier
from strawberry import relay
from strawberry.scalars import JSON

from schema.context import RequestContext
from schema.paging import check_first, decode_cursor, encode_cursor, position_of
from schema.types import Actor
from service.application import RecordedEvent as Recorded
from service.persistence import event_data

PAGE = """SELECT originator_id, originator_version, topic, state, notification_id FROM {events}
WHERE originator_id = %s AND originator_version > %s ORDER BY originator_version LIMIT %s"""
TOTAL = "SELECT count(*) AS total FROM {events} WHERE originator_id = %s"


@strawberry.type(description="One stored event and its envelope.")
class RecordedEvent:
    event_id: str
    aggregate_id: relay.GlobalID
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

    @classmethod
    def of(cls, recorded: Recorded, type_name: str) -> RecordedEvent:
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
    context: RequestContext, type_name: str, aggregate_id: UUID, first: int, after: str | None
) -> RecordedEventConnection:
    """`first` events of the aggregate after the version the cursor `after` names."""
    check_first(first)
    start = position_of(decode_cursor(after, "version"), after) if after else 0
    store = context.app.store
    events = Identifier(store.datastore.schema or "public", store.events_table_name)
    async with context.pool.connection() as conn:
        page = SQL(PAGE).format(events=events)
        rows = await (await conn.execute(page, (aggregate_id, start, first + 1))).fetchall()
        total = await (
            await conn.execute(SQL(TOTAL).format(events=events), (aggregate_id,))
        ).fetchone()
    mapper = context.app.mapper_with_envelopes
    edges = [
        RecordedEventEdge(
            cursor=encode_cursor(row["originator_version"], "version"),
            node=RecordedEvent.of(Recorded(*mapper.envelope(_notification(row))), type_name),
        )
        for row in rows[:first]
    ]
    return RecordedEventConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total["total"] if total else 0,
    )


def _notification(row: dict[str, Any]) -> Notification:
    return Notification(
        id=row["notification_id"],
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
