"""Read-your-writes: a query may wait, within a bound, until the views include a given position."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from graphql import GraphQLError
from psycopg.sql import SQL, Identifier

from projections.base import SCHEMA
from schema.context import RequestContext

WAIT_LIMIT_SECONDS = 5.0
POLL_SECONDS = 0.02


async def wait_for_views(
    context: RequestContext, position: int | None, views: Sequence[str]
) -> None:
    """Return once every view in `views` has applied `position`; refuse after the bound."""
    if position is None:
        return
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    query = SQL("SELECT coalesce(min(position), 0) AS position FROM {} WHERE projection = ANY(%s)")
    statement = query.format(Identifier(SCHEMA, "tracking"))
    head_checked = False
    while True:
        async with context.pool.connection() as conn:
            row = await (await conn.execute(statement, (list(views),))).fetchone()
        if row is not None and row["position"] >= position:
            return
        if not head_checked and position > await _head(context):  # once, and only on a wait
            raise GraphQLError(
                f"Nothing has been written at position {position} yet; consistentWith takes "
                "the position a mutation returned.",
                extensions={"code": "BAD_USER_INPUT", "position": position},
            )
        head_checked = True
        if time.monotonic() >= deadline:
            raise GraphQLError(
                f"The views have not reached position {position} within "
                f"{WAIT_LIMIT_SECONDS:.0f} s; try again shortly.",
                extensions={"code": "NOT_YET_CONSISTENT", "position": position},
            )
        await asyncio.sleep(POLL_SECONDS)


async def _head(context: RequestContext) -> int:
    store = context.app.store
    events = Identifier(store.datastore.schema or "public", store.events_table_name)
    async with context.pool.connection() as conn:
        row = await (
            await conn.execute(SQL("SELECT max(notification_id) FROM {}").format(events))
        ).fetchone()
    return (row or {}).get("max") or 0
