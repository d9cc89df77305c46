"""Queries: objects by id (with time travel), history, lists."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import RequestContext


@strawberry.type
class Viewer:
    id: str
    roles: list[str]


@strawberry.type
class Query:
    @strawberry.field(description="Who the bearer token says is asking.")
    def viewer(self, info: Info[RequestContext, None]) -> Viewer:
        actor = info.context.actor
        return Viewer(id=actor.id, roles=list(actor.roles))
