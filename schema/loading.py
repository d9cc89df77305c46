"""Loading aggregates as they were (time travel), in worker threads: the event loop never waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from anyio import to_thread
from graphql import GraphQLError
from strawberry import relay

from service.application import Polarity
from service.unit_of_work import NotFound


def parse_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def uuid_or_none(gid: relay.GlobalID | None, *type_names: str) -> UUID | None:
    """The id inside a filter's global id, which must be of one of these types."""
    if gid is None:
        return None
    found = parse_uuid(gid.node_id)
    if gid.type_name not in type_names or found is None:
        kinds = " or ".join(type_names)
        raise GraphQLError(f"Not the id of a {kinds}.", extensions={"code": "BAD_USER_INPUT"})
    return found


async def load_as_of(
    app: Polarity,
    kind: type[Any],
    aggregate_id: UUID,
    version: int | None = None,
    at: datetime | None = None,
) -> Any | None:
    def load() -> Any | None:
        try:
            return app.get_as_of(aggregate_id, kind, version=version, at=at)
        except NotFound:
            return None

    return await to_thread.run_sync(load)
