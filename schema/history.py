"""The audit trail over GraphQL: the events of one aggregate with their envelopes and what each
changed, a page at a time (an aggregate may hold thousands)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from anyio import to_thread
from eventsourcing.persistence import Notification
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
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

TOTAL = "SELECT count(*) AS total FROM {events} WHERE originator_id = %s"


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
    replay: strawberry.Private[PageReplay]

    @strawberry.field(description="The fields this event changed, worked out by replay.")
    async def changes(self) -> list[FieldChange]:
        changed = await self.replay.changes()
        return [FieldChange.of(change) for change in changed[self.version]]

    @classmethod
    def of(cls, recorded: Recorded, type_name: str, replay: PageReplay) -> RecordedEvent:
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
            replay=replay,
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
    read = damage.chained_read(store.datastore.schema, store.events_table_name)
    async with context.pool.connection() as conn:
        async with conn.cursor(row_factory=tuple_row) as cursor:
            await cursor.execute(read.versions(), (aggregate_id, start, first + 1))
            rows = [damage.Row.of(row) for row in await cursor.fetchall()]
        await damage.acheck_versions(conn, read, rows, start)  # IntegrityViolation if damaged
        total = await (
            await conn.execute(SQL(TOTAL).format(events=events), (aggregate_id,))
        ).fetchone()
    mapper = context.app.mapper_with_envelopes
    recorded = [Recorded(*mapper.envelope(_notification(row))) for row in rows[:first]]
    replay = PageReplay(context.app, aggregate_id, start, recorded)
    edges = [
        RecordedEventEdge(
            cursor=encode_cursor(one.envelope.version, "version"),
            node=RecordedEvent.of(one, type_name, replay),
        )
        for one in recorded
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


class PageReplay:
    """What each event of one page changed, worked out once for the page and only if a client
    asks: one replay from the version before the page (its snapshot), not one per event."""

    def __init__(self, app: Polarity, aggregate_id: UUID, start: int, page: list[Recorded]):
        self.app, self.aggregate_id, self.start, self.page = app, aggregate_id, start, page
        self._lock = asyncio.Lock()
        self._changes: dict[int, tuple[Change, ...]] | None = None

    async def changes(self) -> dict[int, tuple[Change, ...]]:
        """Each version's changes; the nodes of a page resolve together, so the first replays."""
        async with self._lock:
            if self._changes is None:
                self._changes = await to_thread.run_sync(self._replay)
        return self._changes

    def _replay(self) -> dict[int, tuple[Change, ...]]:
        start = self.app.get(self.aggregate_id, Governed, self.start) if self.start else None
        changes = replayed_changes(start, (one.event for one in self.page))
        return {one.envelope.version: c for one, c in zip(self.page, changes, strict=True)}


def _notification(row: damage.Row) -> Notification:
    return Notification(
        id=row.position,
        originator_id=row.aggregate_id,
        originator_version=row.version,
        topic=row.topic,
        state=row.state,
    )
