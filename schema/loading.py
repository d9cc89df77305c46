"""Loading aggregates for reads, in worker threads so the event loop never waits on them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from anyio import to_thread

from service.application import Polarity
from service.unit_of_work import NotFound


def parse_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def load_nodes(app: Polarity, kind: type[Any], node_ids: Iterable[str]) -> list[Any]:
    ids = [parse_uuid(node_id) for node_id in node_ids]

    def load() -> list[Any]:
        return [_get_or_none(app, kind, aggregate_id) for aggregate_id in ids]

    return await to_thread.run_sync(load)


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


def _get_or_none(app: Polarity, kind: type[Any], aggregate_id: UUID | None) -> Any | None:
    if aggregate_id is None:
        return None
    try:
        return app.get(aggregate_id, kind)
    except NotFound:
        return None
