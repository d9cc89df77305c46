"""Queries: any node by global id, objects as of a version or moment, history, paged lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from schema.access_log import AccessLogQuery
from schema.alignment import AlignmentQuery
from schema.approvals import ApprovalQuery
from schema.audit import AuditQuery
from schema.context import RequestContext
from schema.enums import Role
from schema.figures import FiguresQuery
from schema.gate_reviews import GateReviewQuery
from schema.health import HealthQuery
from schema.history import EMPTY, RecordedEventConnection, history_page
from schema.ids import AnyId, known
from schema.loading import load_as_of
from schema.objects import current, page
from schema.paging import MAX_PAGE, asks_for
from schema.policies import PolicyQuery
from schema.reporting import ReportingQuery
from schema.types import (
    AGGREGATE_KINDS,
    NODE_TYPES,
    AggregateNode,
    ImprovementItem,
    Initiative,
    Objective,
    Team,
)

Ctx = Info[RequestContext, None]
N = TypeVar("N", bound=AggregateNode)


@strawberry.type
class Viewer:
    id: str
    roles: list[Role]  # type: ignore[valid-type]
    on_behalf_of: str | None
    name: str | None = strawberry.field(
        default=None, description="The person's display name, when the token gives one."
    )


@strawberry.type
class InitiativeConnection(relay.Connection[Initiative]):
    total_count: int


@strawberry.type
class ImprovementItemConnection(relay.Connection[ImprovementItem]):
    total_count: int


@strawberry.type
class ObjectiveConnection(relay.Connection[Objective]):
    total_count: int


@strawberry.type
class TeamConnection(relay.Connection[Team]):
    total_count: int


async def _as_of(
    info: Ctx, node: type[N], id: str, as_of: datetime | None, version: int | None
) -> N | None:
    if as_of is not None and version is not None:
        raise GraphQLError("Give asOf or version, not both.", extensions={"code": "BAD_USER_INPUT"})
    if version is not None and version < 1:
        raise GraphQLError(
            f"version must be 1 or more (an object's first event is its version 1), not {version}.",
            extensions={"code": "BAD_USER_INPUT"},
        )
    named = await known(info.context, id)
    if named.kind != node.__name__:
        return None
    aggregate_id = named.uuid
    if as_of is None and version is None:
        now = await current(info.context, node.__name__, [aggregate_id])
        return node.of(now[aggregate_id]) if aggregate_id in now else None
    kind = AGGREGATE_KINDS[node.__name__]
    found = await load_as_of(info.context.app, kind, aggregate_id, version=version, at=as_of)
    return None if found is None else node.of(found)


async def _connection(
    info: Ctx,
    connection: type[Any],
    node: type[N],
    first: int,
    after: str | None,
) -> Any:
    listed = await page(
        info.context, node.__name__, first, after, count=asks_for(info, "totalCount")
    )
    edges = [
        relay.Edge(cursor=cursor, node=node.of(aggregate))
        for cursor, aggregate in zip(listed.cursors, listed.objects, strict=True)
    ]
    return connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=listed.has_next,
            has_previous_page=listed.has_previous,
            start_cursor=listed.cursors[0] if listed.cursors else None,
            end_cursor=listed.cursors[-1] if listed.cursors else None,
        ),
        total_count=listed.total,
    )


NODE_TYPES_BY_NAME = {node.__name__: node for node in NODE_TYPES.values()}
TIME_TRAVEL = "Read it as it was at this moment (asOf) or version; not both."


@strawberry.type
class Query(
    ReportingQuery,
    FiguresQuery,
    HealthQuery,
    AlignmentQuery,
    AuditQuery,
    AccessLogQuery,
    PolicyQuery,
    ApprovalQuery,
    GateReviewQuery,
):
    @strawberry.field(description="Any object by its opaque global id.")
    async def node(self, info: Ctx, id: AnyId) -> relay.Node | None:
        # A hand-written resolver: strawberry's relay.node() field cannot serve two schemas.
        named = await known(info.context, id)
        node_type = NODE_TYPES_BY_NAME.get(named.kind or "")
        if node_type is None:
            return None
        (found,) = await node_type.resolve_nodes(info=info, node_ids=[str(named.uuid)])
        return found

    @strawberry.field(description="Who the bearer token says is asking.")
    def viewer(self, info: Ctx) -> Viewer:
        actor = info.context.actor
        return Viewer(
            id=actor.id,
            roles=[Role(role) for role in actor.roles],
            on_behalf_of=actor.on_behalf_of,
            name=info.context.actor_name,
        )

    @strawberry.field(description=TIME_TRAVEL)
    async def initiative(
        self,
        info: Ctx,
        id: AnyId,
        as_of: datetime | None = None,
        version: int | None = None,
    ) -> Initiative | None:
        return await _as_of(info, Initiative, id, as_of, version)

    @strawberry.field(description=TIME_TRAVEL)
    async def improvement_item(
        self,
        info: Ctx,
        id: AnyId,
        as_of: datetime | None = None,
        version: int | None = None,
    ) -> ImprovementItem | None:
        return await _as_of(info, ImprovementItem, id, as_of, version)

    @strawberry.field(description=TIME_TRAVEL)
    async def objective(
        self,
        info: Ctx,
        id: AnyId,
        as_of: datetime | None = None,
        version: int | None = None,
    ) -> Objective | None:
        return await _as_of(info, Objective, id, as_of, version)

    @strawberry.field(description=TIME_TRAVEL)
    async def team(
        self,
        info: Ctx,
        id: AnyId,
        as_of: datetime | None = None,
        version: int | None = None,
    ) -> Team | None:
        return await _as_of(info, Team, id, as_of, version)

    @strawberry.field(
        description="The events of one object, oldest first, each with its full envelope; "
        f"at most {MAX_PAGE} a page."
    )
    async def history(
        self, info: Ctx, id: AnyId, first: int = MAX_PAGE, after: str | None = None
    ) -> RecordedEventConnection:
        named = await known(info.context, id)
        if named.kind is None or named.kind not in AGGREGATE_KINDS:
            return EMPTY
        with_changes = asks_for(info, "edges", "node", "changes")
        return await history_page(info.context, named.kind, named.uuid, first, after, with_changes)

    @strawberry.field
    async def initiatives(
        self, info: Ctx, first: int = 20, after: str | None = None
    ) -> InitiativeConnection:
        return await _connection(info, InitiativeConnection, Initiative, first, after)

    @strawberry.field
    async def improvement_items(
        self, info: Ctx, first: int = 20, after: str | None = None
    ) -> ImprovementItemConnection:
        return await _connection(info, ImprovementItemConnection, ImprovementItem, first, after)

    @strawberry.field
    async def objectives(
        self, info: Ctx, first: int = 20, after: str | None = None
    ) -> ObjectiveConnection:
        return await _connection(info, ObjectiveConnection, Objective, first, after)

    @strawberry.field
    async def teams(self, info: Ctx, first: int = 20, after: str | None = None) -> TeamConnection:
        return await _connection(info, TeamConnection, Team, first, after)
