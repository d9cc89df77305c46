"""Objects as they are now: read from the objects view, with the events it has not reached yet.

The runner applies events a moment after they are written; the few events of an object that it
has not applied yet are read in the same round and applied on top, so a read always shows every
write made before it, without replaying more than that tail. The tail is checked against the
hash chain as it is read (the runner checked what the view holds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from psycopg import AsyncConnection
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier
from strawberry.dataloader import DataLoader

from domain import improvement, initiative, objective, team
from projections.base import SCHEMA
from projections.objects import restore
from schema.context import RequestContext
from schema.paging import check_first, decode_position, encode_cursor
from service import damage

CREATED_TOPICS = {
    "Initiative": get_topic(initiative.Initiative.Proposed),
    "ImprovementItem": get_topic(improvement.ImprovementItem.Raised),
    "Objective": get_topic(objective.Objective.Defined),
    "Team": get_topic(team.Team.Registered),
}
OBJECTS = Identifier(SCHEMA, "objects")
APPLIED = SQL("(SELECT coalesce(max(position), 0) FROM {} WHERE projection = 'objects')").format(
    Identifier(SCHEMA, "tracking")
)

VIEWED = SQL("SELECT id, kind, version, state::text FROM {} WHERE id = ANY(%s)").format(OBJECTS)
TITLED = SQL("SELECT id, kind, state->>'title' AS title FROM {} WHERE id = ANY(%s)").format(OBJECTS)
NEWER = SQL(
    "JOIN unnest(%s::uuid[], %s::integer[]) AS viewed(id, version) "
    "ON e.originator_id = viewed.id AND e.originator_version > viewed.version "
    "ORDER BY e.originator_id, e.originator_version"
)
PAGE = """SELECT id, created_position AS position FROM {objects}
WHERE kind = %(kind)s AND created_position > %(after)s
UNION ALL
SELECT originator_id, notification_id FROM {events}
WHERE notification_id > greatest({applied}, %(after)s) AND topic = %(topic)s
ORDER BY position LIMIT %(limit)s"""
TOTAL = """SELECT (SELECT count(*) FROM {objects} WHERE kind = %(kind)s)
  + (SELECT count(*) FROM {events} WHERE notification_id > {applied} AND topic = %(topic)s)
  AS total"""


@dataclass(frozen=True)
class Page:
    objects: list[Any]  # aggregates, in the order they were created
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total: int


async def current(context: RequestContext, kind: str, ids: Sequence[UUID]) -> dict[UUID, Any]:
    """The objects of this kind with these ids, as they are now; absent ones are left out."""
    found = await current_of_any_kind(context, ids)
    return {i: aggregate for i, aggregate in found.items() if type(aggregate).__name__ == kind}


async def current_of_any_kind(context: RequestContext, ids: Sequence[UUID]) -> dict[UUID, Any]:
    """The objects with these ids, whatever their kind, as they are now; absent ones left out."""
    if not ids:
        return {}
    async with context.pool.connection() as conn:
        viewed = await (await conn.execute(VIEWED, (list(ids),))).fetchall()
        viewed_versions = {row["id"]: row["version"] for row in viewed}
        versions = {i: viewed_versions.get(i, 0) for i in ids}
        newer = await _newer_events(context, conn, versions)
    mapper = context.app.mapper
    found = {
        row["id"]: restore(row["kind"], row["id"], row["version"], row["state"], mapper.transcoder)
        for row in viewed
    }
    for stored in newer:
        event: Any = mapper.to_domain_event(stored)
        found[stored.originator_id] = event.mutate(found.get(stored.originator_id))
    return found


def now_loader(context: RequestContext) -> DataLoader[UUID, Any]:
    """Loads objects of any kind as they are now, the ids a request's resolvers ask for at once
    read in one round (a work item's teams and objectives); None for an id of nothing. Nothing
    is cached: a later mutation of the same request reads afresh."""
    loader: DataLoader[UUID, Any] | None = context.loaders.get("now")
    if loader is None:

        async def load(ids: list[UUID]) -> list[Any]:
            found = await current_of_any_kind(context, ids)
            return [found.get(i) for i in ids]

        loader = context.loaders["now"] = DataLoader(load_fn=load, cache=False)
    return loader


async def page(
    context: RequestContext, kind: str, first: int, after: str | None, count: bool = True
) -> Page:
    """One page of the objects of a kind, in the order they were created, with the total
    (0 unless `count`)."""
    check_first(first)
    start = decode_position(after) if after else 0
    parameters = {"kind": kind, "topic": CREATED_TOPICS[kind], "after": start, "limit": first + 1}
    async with context.pool.connection() as conn:
        listed = await (await conn.execute(_sql(context, PAGE), parameters)).fetchall()
        total = (
            await (await conn.execute(_sql(context, TOTAL), parameters)).fetchone()
            if count
            else None
        )
    shown = listed[:first]
    objects = await current(context, kind, [row["id"] for row in shown])
    kept = [row for row in shown if row["id"] in objects]
    return Page(
        objects=[objects[row["id"]] for row in kept],
        cursors=[encode_cursor(row["position"]) for row in kept],
        has_next=len(listed) > first,
        has_previous=start > 0,
        total=total["total"] if total else 0,
    )


async def kinds_and_titles(
    context: RequestContext, ids: Sequence[UUID]
) -> dict[UUID, tuple[str, str]]:
    """The kind and title of each of these objects. Both are fixed when an object is created,
    so they are read straight from the view's rows, without restoring the objects; only an
    object the view has not reached yet is read in full. Absent ones are left out."""
    if not ids:
        return {}
    async with context.pool.connection() as conn:
        rows = await (await conn.execute(TITLED, (list(ids),))).fetchall()
    found = {row["id"]: (row["kind"], row["title"]) for row in rows}
    missing = [i for i in ids if i not in found]
    for i, aggregate in (await current_of_any_kind(context, missing)).items():
        found[i] = (type(aggregate).__name__, aggregate.title)
    return found


async def _newer_events(
    context: RequestContext, conn: AsyncConnection[DictRow], versions: dict[UUID, int]
) -> list[StoredEvent]:
    """The events of these objects after the versions the view holds, each checked against
    the chain (an IntegrityViolation names the position of one that is damaged or missing)."""
    store = context.app.store
    read = damage.chained_read(store.datastore.schema, store.events_table_name)
    async with conn.cursor(row_factory=tuple_row) as cursor:
        await cursor.execute(read.select + NEWER, (list(versions), list(versions.values())))
        rows = [damage.Row.of(row) for row in await cursor.fetchall()]
    for aggregate_id, its_rows in groupby(rows, key=attrgetter("aggregate_id")):
        await damage.acheck_versions(conn, read, list(its_rows), versions[aggregate_id])
    return [StoredEvent(row.aggregate_id, row.version, row.topic, row.state) for row in rows]


def _sql(context: RequestContext, template: str) -> Composed:
    store = context.app.store
    events = Identifier(store.datastore.schema or "public", store.events_table_name)
    return SQL(template).format(objects=OBJECTS, events=events, applied=APPLIED)
