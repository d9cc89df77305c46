"""Reporting out over HTTP: a CSV export of each v1 view, and an NDJSON change feed of events.

`GET /exports/<view>.csv` streams `reporting.v1_<view>` with a header row, straight from
PostgreSQL's COPY. Reporting and oversight roles may export; contributors may not (they read the
same rows a page at a time over GraphQL, but bulk extracts are for those who govern). A cell
that a spreadsheet would run as a formula goes out with a ' in front: see `safe_csv_copy`.

`GET /feeds/events?after=<position>&limit=<n>` returns the stored events after `after` in
position order, one JSON object per line, each with its envelope. Auditors and admins read it.
The response header `X-Next-After` is the position to ask after next: the last one returned, or
`after` itself when nothing newer is stored yet. Positions follow commit order, so resuming from
it never skips or repeats an event; fewer lines than `limit` means the feed has caught up. Each
event is checked against the hash chain as it is read: a page that meets a missing or altered
event is a 409 whose JSON body names the position (`code` INTEGRITY_VIOLATION)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, Protocol

from anyio import to_thread
from eventsourcing.persistence import Notification
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Stream
from litestar.security.jwt import Token
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from domain.values import Actor
from projections import decision_log
from projections.bi import View, bi_views
from projections.catalog import all_projections
from service import access_log, damage
from service.application import Polarity
from service.damage import IntegrityViolation
from service.persistence import Envelope, EnvelopeMapper, event_data

EXPORTERS = frozenset({"auditor", "steward", "sponsor", "gatekeeper", "admin"})
FEED_READERS = frozenset({"auditor", "admin"})
FEED_LIMIT, FEED_LIMIT_MAX = 100, 1000
NDJSON = "application/x-ndjson"

AuthRequest = Request[Actor, Token, State]


def problem(status: int, detail: str, **more: Any) -> Response[Any]:
    return Response({"status_code": status, "detail": detail, **more}, status_code=status)


def refusal(actor: Actor, allowed: frozenset[str], what: str) -> str | None:
    """Why `actor` may not read `what`, or None if one of their roles is `allowed`."""
    if allowed.intersection(actor.roles):
        return None
    return f"Only these roles may read {what}: {', '.join(sorted(allowed))}."


def refused(actor: Actor, allowed: frozenset[str], what: str) -> Response[Any] | None:
    said = refusal(actor, allowed, what)
    return None if said is None else problem(HTTP_403_FORBIDDEN, said)


# CSV exports ---------------------------------------------------------------------------------

# Spreadsheets run a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = "=+-@\t\r"
# Numbers, truth values, dates and times (pg_type.typcategory N, B, D) and uuids: the database
# holds nothing else in such a column (and the domain nothing infinite), so their cells go out as
# they are and -1.5 stays a number. Every other column (text, arrays, JSON, enums) is text-like.
TYPED_CATEGORIES = frozenset("NBD")
TYPED_TYPES = frozenset({"uuid"})
COLUMN_TYPES = """
    SELECT a.attname AS name, t.typcategory AS category, t.typname AS type
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""


@cache
def exportable() -> dict[str, View]:
    return {view.table: view for view in bi_views(all_projections())}


@get("/exports/{filename:str}")
async def export_csv(request: AuthRequest, state: State, filename: str) -> Response[Any]:
    """One v1 view as CSV with a header row, streamed as PostgreSQL produces it."""
    if denied := refused(request.user, EXPORTERS, "CSV exports"):
        return denied
    name = filename.removesuffix(".csv")
    view = exportable().get(name) if name != filename else None
    if view is None:
        known = sorted(f"{table}.csv" for table in exportable())
        detail = f"No export is called {filename}; there are {', '.join(known)}."
        return problem(HTTP_404_NOT_FOUND, detail, exports=known)
    return await view_csv(state, view)


async def view_csv(state: State, view: View, rows: Rows | None = None) -> Response[Any]:
    """`view` as CSV with a header row, streamed as PostgreSQL produces it: every row, or those
    `rows` selects, in its order. The API's exports and the portal's downloads both send this."""
    return await csv_download(state, view, view.qualified, f"{view.table}.csv", rows)


async def csv_download(
    state: State, copied: Copied, qualified: str, filename: str, rows: Rows | None = None
) -> Response[Any]:
    async with state.pool.connection() as connection:
        cursor = await connection.execute(COLUMN_TYPES, (qualified,))
        columns = await cursor.fetchall()
    if not columns:
        detail = "The reporting views are not set up yet; try again shortly."
        return problem(HTTP_503_SERVICE_UNAVAILABLE, detail)
    query = safe_csv_copy(copied, text_like(columns), rows)
    return Stream(
        partial(copy_csv, state, query, rows.params if rows else ()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def decision_log_csv(state: State, **filters: Any) -> Response[Any]:
    """The decision log as CSV, oldest first: the rows GraphQL's decisionLog gives for the same
    filters (`projections.decision_log.matching`'s keywords), in the v1 view's columns."""
    condition, params = decision_log.where(decision_log.matching(**filters))
    rows = Rows(condition, tuple(params), SQL("position"))
    return await view_csv(state, exportable()["decision_log"], rows)


async def copy_csv(
    state: State, query: Composed, params: Sequence[Any] = ()
) -> AsyncIterator[bytes]:
    """What `query` (a COPY ... TO STDOUT) writes, block by block; times in UTC. COPY takes no
    server-side parameters: psycopg merges `params` into the statement, quoted, as it sends it."""
    async with state.pool.connection() as connection, connection.cursor() as cursor:
        await cursor.execute("SET LOCAL TimeZone TO 'UTC'")
        async with cursor.copy(query, params or None) as copy:
            async for block in copy:
                yield bytes(block)


def text_like(columns: Iterable[Mapping[str, str]]) -> frozenset[str]:
    """The names of the text-like columns among rows of COLUMN_TYPES."""
    return frozenset(
        column["name"]
        for column in columns
        if column["category"] not in TYPED_CATEGORIES and column["type"] not in TYPED_TYPES
    )


class Copied(Protocol):
    """What a CSV copy reads: a table or view and the columns it publishes."""

    @property
    def identifier(self) -> Identifier: ...
    @property
    def columns(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Rows:
    """Which rows of a view a CSV holds, and their order: a condition with its parameters."""

    condition: Composable
    params: tuple[Any, ...] = ()
    order_by: Composable | None = None


def safe_csv_copy(view: Copied, text_like: Collection[str], rows: Rows | None = None) -> Composed:
    """A COPY of `view` (or of the `rows` of it) as CSV that spreadsheets open as data, as OWASP
    recommends: every field quoted, and a ' before each text-like cell that starts with =, +, -,
    @, a tab or a carriage return. PostgreSQL does it as it copies, so the export still streams
    straight from COPY."""
    columns = (neutralised(c) if c in text_like else Identifier(c) for c in view.columns)
    selected = SQL("SELECT {} FROM {}").format(SQL(", ").join(columns), view.identifier)
    if rows is not None:
        selected = SQL("{} WHERE {}").format(selected, rows.condition)
        if rows.order_by is not None:
            selected = SQL("{} ORDER BY {}").format(selected, rows.order_by)
    return SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *)").format(selected)


def neutralised(column: str) -> Composed:
    """`column` as text, with a ' in front when it starts the way a formula does. (Its first
    character's code is the quickest test measured: see benchmarks/README.md, "CSV exports".)"""
    value = SQL("{}::text").format(Identifier(column))
    codes = SQL(", ").join(Literal(ord(character)) for character in FORMULA_STARTS)
    return SQL(
        "CASE WHEN ascii({value}) IN ({codes}) THEN '''' || {value} ELSE {value} END AS {name}"
    ).format(value=value, codes=codes, name=Identifier(column))


@get("/audit/access-log.csv")
async def access_log_csv(request: AuthRequest, state: State) -> Response[Any]:
    """The access log as CSV, oldest first, for auditors and admins."""
    if denied := refused(request.user, access_log.AUDITED_ROLES, "the access log"):
        return denied
    return await access_log_download(state)


async def access_log_download(state: State) -> Response[Any]:
    table = access_log.Table()
    return await csv_download(state, table, access_log.QUALIFIED, "access_log.csv")


# The change feed -----------------------------------------------------------------------------


@get("/feeds/events")
async def change_feed(
    request: AuthRequest, state: State, after: str | None = None, limit: str | None = None
) -> Response[Any]:
    """Stored events after `after`, in position order, one JSON object per line."""
    if denied := refused(request.user, FEED_READERS, "the change feed"):
        return denied
    try:
        start = bounded("after", after, default=0, low=0)
        count = bounded("limit", limit, default=FEED_LIMIT, low=1, high=FEED_LIMIT_MAX)
    except ValueError as error:
        return problem(HTTP_400_BAD_REQUEST, str(error))
    polarity: Polarity = state.polarity
    try:
        notifications = await read_events(state, polarity, start, count)
    except IntegrityViolation as damaged:
        return problem(HTTP_409_CONFLICT, damaged.message, **damaged.to_json())
    lines = await to_thread.run_sync(feed_lines, polarity.mapper_with_envelopes, notifications)
    next_after = notifications[-1].id if notifications else start
    return Response(
        "".join(line + "\n" for line in lines),
        media_type=NDJSON,
        headers={"X-Next-After": str(next_after)},
    )


def bounded(
    name: str, given: str | None, *, default: int, low: int, high: int | None = None
) -> int:
    """A whole-number query parameter within bounds; a ValueError says what is wrong."""
    if given is None:
        return default
    upper = f" and at most {high}" if high is not None else ""
    rule = f"{name} must be a whole number of at least {low}{upper}"
    try:
        value = int(given)
    except ValueError:
        raise ValueError(f"{rule}; got {given!r}.") from None
    if value < low or (high is not None and value > high):
        raise ValueError(f"{rule}; got {value}.")
    return value


async def read_events(
    state: State, polarity: Polarity, after: int, limit: int
) -> list[Notification]:
    """Up to `limit` events after position `after`, each checked against the hash chain: an
    IntegrityViolation at the first damaged position, rather than a feed that skips it."""
    store = polarity.store
    read = damage.chained_read(store.datastore.schema, store.events_table_name)
    async with (
        state.pool.connection() as connection,
        connection.cursor(row_factory=tuple_row) as cursor,
    ):
        await cursor.execute(read.after(), (after, limit), prepare=True)
        rows = [damage.Row.of(row) for row in await cursor.fetchall()]
    if found := damage.in_positions(rows, after):
        raise damage.violation(found[0])
    return [
        Notification(
            id=row.position,
            originator_id=row.aggregate_id,
            originator_version=row.version,
            topic=row.topic,
            state=row.state,
        )
        for row in rows
    ]


def feed_lines(mapper: EnvelopeMapper, notifications: Sequence[Notification]) -> list[str]:
    return [
        json.dumps(feed_entry(*mapper.envelope(n)), separators=(",", ":")) for n in notifications
    ]


def feed_entry(event: Any, envelope: Envelope) -> dict[str, Any]:
    """One event as the feed shows it: its envelope, its actor and reason, its content."""
    actor: Actor = event.actor
    return {
        "position": envelope.position,
        "eventId": envelope.event_id,
        "aggregateId": str(envelope.aggregate_id),
        "aggregateType": envelope.event_type.partition(".")[0],
        "version": envelope.version,
        "type": envelope.event_type,
        "schemaVersion": envelope.schema_version,
        "recordedAt": envelope.recorded_at.isoformat(),
        "actor": {"id": actor.id, "roles": list(actor.roles), "onBehalfOf": actor.on_behalf_of},
        "reason": event.reason,
        "correlationId": envelope.correlation_id,
        "causationId": envelope.causation_id,
        "requestId": envelope.request_id,
        "data": event_data(event),
    }


EXPORT_ROUTES = [export_csv, change_feed, access_log_csv]
