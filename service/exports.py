"""Reporting out over HTTP: a CSV export of each reporting view, with their index, and an NDJSON
change feed of events.

`GET /exports` lists the exports with their columns; `GET /exports/<table>.csv` streams the
table's newest BI view (`reporting.v<n>_<table>`) with a header row, straight from PostgreSQL's
COPY, its values written as every CSV of Polarity writes them (service.csv_copy). Reporting and
oversight roles may export; contributors may not (they read the same rows a page at a time over
GraphQL, but bulk extracts are for those who govern).

`GET /feeds/events?after=<position>&limit=<n>` returns the stored events after `after` in
position order, one JSON object per line, each with its envelope. Auditors and admins read it.
The response header `X-Next-After` is the position to ask after next: the last one returned, or
`after` itself when nothing newer is stored yet. Positions follow commit order, so resuming from
it never skips or repeats an event; fewer lines than `limit` means the feed has caught up. Each
event is checked against the hash chain as it is read: a page that meets a missing or altered
event is a 409 whose JSON body names the position (`code` INTEGRITY_VIOLATION)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Annotated, Any

from anyio import to_thread
from eventsourcing.persistence import Notification
from litestar import MediaType, Request, Response, get
from litestar.datastructures import ResponseHeader, State
from litestar.params import Parameter, ParameterKwarg
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
from psycopg.sql import SQL

from domain.values import Actor
from projections import decision_log
from projections.bi import View, newest_views
from projections.catalog import all_projections
from service import access_log, damage
from service.application import Polarity
from service.csv_copy import COLUMN_TYPES, VALUES, Copied, Rows, copy_csv, safe_csv_copy
from service.damage import IntegrityViolation
from service.openapi import UNAUTHENTICATED, problems
from service.persistence import Envelope, EnvelopeMapper, event_data

EXPORTERS = frozenset({"auditor", "steward", "sponsor", "gatekeeper", "admin"})
FEED_READERS = frozenset({"auditor", "admin"})
FEED_LIMIT, FEED_LIMIT_MAX = 100, 1000
NDJSON = "application/x-ndjson"
CSV = "text/csv"  # Litestar adds the charset (UTF-8) to a text/ type

AuthRequest = Request[Actor, Token, State]


def problem(status: int, detail: str, **more: Any) -> Response[Any]:
    """JSON, whatever the route's own media type (a CSV route's refusals are JSON too)."""
    body = {"status_code": status, "detail": detail, **more}
    return Response(body, status_code=status, media_type=MediaType.JSON)


def refusal(actor: Actor, allowed: frozenset[str], what: str) -> str | None:
    """Why `actor` may not read `what`, or None if one of their roles is `allowed`."""
    return None if allowed.intersection(actor.roles) else only(allowed, what)


def only(allowed: frozenset[str], what: str) -> str:
    return f"Only these roles may read {what}: {', '.join(sorted(allowed))}."


def refused(actor: Actor, allowed: frozenset[str], what: str) -> Response[Any] | None:
    said = refusal(actor, allowed, what)
    return None if said is None else problem(HTTP_403_FORBIDDEN, said)


def forbidden(what: str, allowed: frozenset[str]) -> dict[int, str]:
    """A route's refusals, as its description gives them: no token, or none of `allowed`."""
    return {**UNAUTHENTICATED, HTTP_403_FORBIDDEN: only(allowed, what)}


NOT_SET_UP = {
    HTTP_503_SERVICE_UNAVAILABLE: "The reporting views are not set up yet; try again shortly."
}


# CSV exports ---------------------------------------------------------------------------------


@cache
def exportable() -> dict[str, View]:
    """Each table's newest BI view, by table name: what its export streams."""
    return newest_views(all_projections())


@dataclass(frozen=True)
class ExportColumn:
    name: str
    type: str  # as the table declares it: text, timestamptz, text[], ...
    description: str


@dataclass(frozen=True)
class Export:
    name: str
    url: str
    view: str  # the BI view it streams, for SQL readers of the same rows
    description: str
    columns: list[ExportColumn]

    @classmethod
    def of(cls, view: View) -> Export:
        columns = [
            ExportColumn(name, view.types.get(name, ""), view.meanings.get(name, ""))
            for name in view.columns
        ]
        return cls(view.table, f"/exports/{view.table}.csv", view.qualified, view.about, columns)


@dataclass(frozen=True)
class ExportIndex:
    exports: list[Export]
    roles: list[str]  # who may download them
    values: str  # how each kind of value is written


@get(
    "/exports",
    summary="The exports and their columns",
    tags=["exports"],
    response_description="Every export, with its columns, who may download it, and how values "
    "are written.",
    responses=problems(UNAUTHENTICATED),
)
async def export_index() -> ExportIndex:
    """Every CSV export: its name, its address, the view it reads, what it holds, and its
    columns in the order of its header row, each with its type and meaning. Any bearer token
    may read the index; downloading an export needs one of the `roles`."""
    exports = [Export.of(view) for view in exportable().values()]
    return ExportIndex(exports, sorted(EXPORTERS), VALUES)


@get(
    "/exports/{filename:str}",
    summary="One reporting view as CSV",
    tags=["exports"],
    media_type=CSV,
    response_description="The view's rows, with a header row (GET /exports lists its columns).",
    response_headers=[
        ResponseHeader(
            name="Content-Disposition",
            value='attachment; filename="<table>.csv"',
            description="The file name to save it under.",
            documentation_only=True,
        )
    ],
    responses=problems(
        {
            **forbidden("CSV exports", EXPORTERS),
            HTTP_404_NOT_FOUND: "No export has that name; `exports` in the body lists those "
            "there are.",
            **NOT_SET_UP,
        }
    ),
)
async def export_csv(
    request: AuthRequest,
    state: State,
    filename: Annotated[str, Parameter(description="`<table>.csv`, as GET /exports names it.")],
) -> Response[str]:
    """One reporting table's newest BI view as CSV, streamed as PostgreSQL produces it."""
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
        return problem(HTTP_503_SERVICE_UNAVAILABLE, NOT_SET_UP[HTTP_503_SERVICE_UNAVAILABLE])
    query = safe_csv_copy(copied, columns, rows)
    return Stream(
        partial(copy_csv, state.pool, query, rows.params if rows else ()),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def decision_log_csv(state: State, **filters: Any) -> Response[Any]:
    """The decision log as CSV, oldest first: the rows GraphQL's decisionLog gives for the same
    filters (`projections.decision_log.matching`'s keywords), in its export's columns."""
    condition, params = decision_log.where(decision_log.matching(**filters))
    rows = Rows(condition, tuple(params), SQL("position"))
    return await view_csv(state, exportable()["decision_log"], rows)


@get(
    "/audit/access-log.csv",
    summary="The access log as CSV",
    tags=["audit"],
    media_type=CSV,
    response_description="Every entry of the access log, oldest first, with a header row.",
    responses=problems({**forbidden("the access log", access_log.AUDITED_ROLES), **NOT_SET_UP}),
)
async def access_log_csv(request: AuthRequest, state: State) -> Response[str]:
    """Who read what through the API and the portal, as CSV, oldest first: the same values
    as the exports write."""
    if denied := refused(request.user, access_log.AUDITED_ROLES, "the access log"):
        return denied
    return await access_log_download(state)


async def access_log_download(state: State) -> Response[Any]:
    table = access_log.Table()
    return await csv_download(state, table, access_log.QUALIFIED, "access_log.csv")


# The change feed -----------------------------------------------------------------------------


def whole_number(description: str, default: int, low: int, high: int | None = None) -> Any:
    """A query parameter documented as the whole number `bounded` reads (read as text, so that
    a bad one gets our sentence, not a validator's)."""
    bounds = {"minimum": low} | ({"maximum": high} if high is not None else {})
    number = {"oneOf": None, "type": "integer", "default": default, **bounds}
    return ParameterKwarg(description=description, schema_extra=number)


@get(
    "/feeds/events",
    summary="Stored events, in order",
    tags=["feeds"],
    media_type=NDJSON,
    response_description="One JSON object per line: an event with its envelope.",
    response_headers=[
        ResponseHeader(
            name="X-Next-After",
            value="42",
            description="The position to ask after next: the last line's, or `after` itself "
            "when nothing newer is stored yet.",
            documentation_only=True,
        )
    ],
    responses=problems(
        {
            400: "`after` or `limit` is not a whole number within its bounds.",
            **forbidden("the change feed", FEED_READERS),
            409: "The page met an event that is missing or altered: the body names its "
            "position (`code` INTEGRITY_VIOLATION).",
        }
    ),
)
async def change_feed(
    request: AuthRequest,
    state: State,
    after: Annotated[
        str | None, whole_number("Return the events stored after this position.", 0, low=0)
    ] = None,
    limit: Annotated[
        str | None,
        whole_number("Return at most this many.", FEED_LIMIT, low=1, high=FEED_LIMIT_MAX),
    ] = None,
) -> Response[str]:
    """Stored events after `after`, in position order, one JSON object per line, each with its
    envelope. Positions follow commit order, so following `X-Next-After` never skips nor
    repeats an event; fewer lines than `limit` means the feed has caught up for now."""
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


EXPORT_ROUTES = [export_index, export_csv, change_feed, access_log_csv]
