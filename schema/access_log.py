"""The access log over GraphQL: who read what, for auditors and admins, filtered, page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg.sql import SQL, Composed
from strawberry import relay
from strawberry.types import Info

from schema.context import RequestContext
from schema.enums import Role
from schema.ids import id_forms
from schema.paging import MAX_PAGE, check_first, decode_cursor, encode_cursor, position_of
from service.access_log import AUDITED_ROLES, Table

Ctx = Info[RequestContext, None]
CURSOR = "access"
LAST_POSITION = 2**63 - 1  # past any position a bigint holds


@strawberry.type(description="One audited request: who, when, what it read, and how it ended.")
class AccessLogEntry:
    position: int
    entry_id: UUID
    at: datetime
    actor: str | None
    roles: list[Role]  # type: ignore[valid-type]
    on_behalf_of: str | None
    request_id: str
    method: str
    path: str
    operation: str | None = strawberry.field(
        description="The GraphQL operation's name (or its kind), or export, or feed."
    )
    views: list[str] = strawberry.field(description="Root fields, or the view exported.")
    ids: list[str] = strawberry.field(description="Ids named in arguments and variables.")
    status: int
    errors: bool
    hash: str = strawberry.field(description="The row's link in the log's chain, in hex.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AccessLogEntry:
        fields = {name: row[name] for name in cls.__annotations__ if name != "hash"}
        return cls(**fields, hash=bytes(row["hash"]).hex())


@strawberry.input(description="Every filter given must hold; none given lists every entry.")
class AccessLogFilter:
    actor: str | None = None
    operation: str | None = None
    view: str | None = None
    read_id: str | None = strawberry.field(
        default=None, description="An id the request named, in either form (global id or UUID)."
    )
    since: datetime | None = None
    until: datetime | None = strawberry.field(default=None, description="Before this moment.")
    errors: bool | None = None

    def where(self, read_ids: list[str] | None) -> tuple[Composed, list[Any]]:
        """The condition; `read_ids` are the forms of `read_id` a request may have named."""
        tests = [
            ("actor = %s", self.actor),
            ("operation = %s", self.operation),
            ("%s = ANY(views)", self.view),
            ("ids && %s", read_ids),
            ("at >= %s", self.since),
            ("at < %s", self.until),
            ("errors = %s", self.errors),
        ]
        given = [(SQL(test), value) for test, value in tests if value is not None]
        clause = SQL(" AND ").join(test for test, _ in given) if given else SQL("true")
        return SQL("{}").format(clause), [value for _, value in given]


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntry


@strawberry.type(description="A page of the access log, in the order asked for.")
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: relay.PageInfo


async def access_log_page(
    context: RequestContext,
    filter: AccessLogFilter,
    first: int,
    after: str | None,
    newest_first: bool = False,
) -> AccessLogConnection:
    if AUDITED_ROLES.isdisjoint(context.actor.roles):
        roles = ", ".join(sorted(AUDITED_ROLES))
        raise GraphQLError(
            f"Only these roles may read the access log: {roles}.",
            extensions={"code": "FORBIDDEN"},
        )
    check_first(first)
    start = position_of(decode_cursor(after, CURSOR), after) if after else None
    read_ids = None if filter.read_id is None else await id_forms(context, filter.read_id)
    where, values = filter.where(read_ids)
    beyond = SQL("position < %s" if newest_first else "position > %s")
    order = SQL("position DESC" if newest_first else "position")
    query = SQL("SELECT * FROM {} WHERE {} AND {} ORDER BY {} LIMIT %s").format(
        Table.identifier, beyond, where, order
    )
    if start is None:  # from the first entry, or the last
        start = LAST_POSITION if newest_first else 0
    async with context.pool.connection() as connection:
        cursor = await connection.execute(query, [start, *values, first + 1])
        rows = await cursor.fetchall()
    edges = [
        AccessLogEdge(
            cursor=encode_cursor(row["position"], CURSOR), node=AccessLogEntry.from_row(row)
        )
        for row in rows[:first]
    ]
    return AccessLogConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type
class AccessLogQuery:
    @strawberry.field(
        description="Who read what through the API (auditors and admins only); "
        f"oldest first (newestFirst: newest first), at most {MAX_PAGE} a page."
    )
    async def access_log(
        self,
        info: Ctx,
        filter: AccessLogFilter | None = None,
        first: int = MAX_PAGE,
        after: str | None = None,
        newest_first: bool = False,
    ) -> AccessLogConnection:
        return await access_log_page(
            info.context, filter or AccessLogFilter(), first, after, newest_first
        )
